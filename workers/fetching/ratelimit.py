"""Per-host rate limits: a token bucket shared by every worker through Redis.

Politeness is a property of the whole fleet, not of one process: four workers each
limited to 1 request/second would hit the site at 4/s. With `MONITOR_REDIS_URL` set,
the bucket lives in Redis and is updated atomically by a Lua script using the Redis
clock (so worker clocks do not matter); without Redis it is an in-process bucket,
which is exact for the embedded mode's single process.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import redis

from workers.cache import PREFIX
from workers.settings import Settings

# KEYS[1] bucket hash; ARGV: rate (tokens/s), burst (capacity), ttl (s).
# Returns 0 when a token was taken, else the milliseconds until one is available.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return wait
"""


class RateLimiter(Protocol):
    def acquire(self, host: str) -> None:
        """Block until a request to `host` is allowed."""


class LocalTokenBucket:
    """In-process bucket (embedded mode); thread-safe."""

    def __init__(self, *, rate_per_s: float, burst: int) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._state: dict[str, tuple[float, float]] = {}
        self._guard = threading.Lock()

    def acquire(self, host: str) -> None:
        while True:
            with self._guard:
                now = time.monotonic()
                tokens, ts = self._state.get(host, (float(self.burst), now))
                tokens = min(self.burst, tokens + (now - ts) * self.rate)
                if tokens >= 1:
                    self._state[host] = (tokens - 1, now)
                    return
                self._state[host] = (tokens, now)
                wait = (1 - tokens) / self.rate
            time.sleep(wait)


class RedisTokenBucket:
    """Fleet-wide bucket in Redis, one hash per host."""

    def __init__(self, client: redis.Redis[str], *, rate_per_s: float, burst: int) -> None:
        self.client = client
        self.rate = rate_per_s
        self.burst = burst
        self._take = client.register_script(_TAKE)
        # The bucket refills completely in burst/rate seconds; after that it is noise.
        self._ttl = max(60, int(burst / rate_per_s) + 1)

    def acquire(self, host: str) -> None:
        key = f"{PREFIX}rate:{host}"
        while True:
            wait_ms = int(self._take(keys=[key], args=[self.rate, self.burst, self._ttl]))
            if wait_ms <= 0:
                return
            time.sleep(wait_ms / 1000)


def open_rate_limiter(settings: Settings) -> RateLimiter:
    if settings.redis_url is None:
        return LocalTokenBucket(rate_per_s=settings.host_rate_per_s, burst=settings.host_burst)
    client: redis.Redis[str] = redis.Redis.from_url(
        settings.redis_url.get_secret_value(), decode_responses=True
    )
    return RedisTokenBucket(client, rate_per_s=settings.host_rate_per_s, burst=settings.host_burst)
