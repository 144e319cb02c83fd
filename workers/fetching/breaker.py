"""The block circuit breaker: a host that keeps answering bot challenges is paused.

Cloudflare in front of jamestown.org answers some requests with a challenge (403 and
`cf-mitigated: challenge`, or a challenge page) instead of the page. That is neither
the page nor a permanent error: the item is retried later. But hammering a site
that has decided to block us only prolongs the block, so after `threshold` blocks in
a row the host is *paused* for `pause_s` (doubling with every further block, up to a
day): no request goes to it until then, source runs skip it and `monitor status` /
`monitor sources` say so. One successful response closes the breaker again.

The state lives in the cache (`block:<host>`), so every worker sees the same pause.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from workers.cache import Cache

MAX_PAUSE_S = 86400
ADVICE = (
    "the site's bot protection is challenging our requests; wait for the pause to end, "
    "or set MONITOR_HTTP_PROXY to an egress the site accepts"
)


@dataclass(frozen=True, slots=True)
class BlockState:
    host: str
    blocks: int  # challenges in a row
    reason: str
    last_at: str
    paused_until: str | None = None

    def pause_left_s(self, now: datetime | None = None) -> float:
        if self.paused_until is None:
            return 0.0
        until = datetime.fromisoformat(self.paused_until)
        return max(0.0, (until - (now or datetime.now(UTC))).total_seconds())

    def describe(self, now: datetime | None = None) -> str:
        if self.paused_until is not None and self.pause_left_s(now) > 0:
            return (
                f"PAUSED until {self.paused_until}: {self.blocks} blocks ({self.reason}); {ADVICE}"
            )
        return f"blocked {self.blocks} time(s) in a row ({self.reason})"


class BlockBreaker:
    def __init__(self, cache: Cache, *, threshold: int, pause_s: int) -> None:
        self.cache = cache
        self.threshold = threshold
        self.pause_s = pause_s

    def state(self, host: str) -> BlockState | None:
        value = self.cache.get(f"block:{host}")
        return None if value is None else BlockState(**json.loads(value))

    def blocked(self, host: str, reason: str, *, now: datetime | None = None) -> BlockState:
        """Record one challenge; returns the new state (paused once over the threshold)."""
        moment = now or datetime.now(UTC)
        previous = self.state(host)
        blocks = (previous.blocks if previous else 0) + 1
        paused_until = None
        if blocks >= self.threshold:
            pause = min(MAX_PAUSE_S, self.pause_s * 2 ** (blocks - self.threshold))
            paused_until = (moment + timedelta(seconds=pause)).isoformat(timespec="seconds")
        state = BlockState(host, blocks, reason, moment.isoformat(timespec="seconds"), paused_until)
        self.cache.set(f"block:{host}", json.dumps(asdict(state)), ttl_s=2 * MAX_PAUSE_S)
        return state

    def cleared(self, host: str) -> None:
        self.cache.delete(f"block:{host}")
