"""Cache, checkpoints and locks: Redis in production, a SQLite file when no Redis is set.

One small interface so fetch validators, source checkpoints, the enrichment cache and
whole-index locks read the same in both running modes. Every key gets a TTL (the cache
Redis may evict; nothing here is the only copy of anything), and all keys share the
`monitor:` prefix so an operator can find them.

Without Redis the cache is `SqliteCache` in `data_dir`, not process memory: on a laptop
each command is its own process, and a second `monitor sources run` should still send
conditional requests, a `monitor reprocess` resume where the last one stopped and skip
NER for unchanged text, and `monitor status` show the last run. `MemoryCache` is for
one process's life only (tests, benchmarks).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import redis

from workers.errors import UsageError
from workers.settings import Settings

PREFIX = "monitor:"
_SQL_VARIABLES = 500  # keys per SELECT … IN (…), well under SQLite's limit


class LockHeld(UsageError):
    """Another process holds the lock (another reprocess run, another beat tick).

    A usage error, not a transient one: the user started a second run while one is
    going (theirs to wait for, `--wait`, or stop), and a task that met it must not be
    retried into the running one; a source run that meets it reports "locked". `name`
    is the lock's name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, *, ttl_s: int) -> None: ...

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """`get` for each key, in one round trip (the enrichment cache reads a batch)."""

    def set_many(self, values: Mapping[str, str], *, ttl_s: int) -> None: ...

    def delete(self, key: str) -> None: ...

    def add_counts(self, key: str, amounts: Mapping[str, int], *, ttl_s: int) -> None:
        """Add `amounts` to the counters under `key`, atomically however many processes
        add at once (workers finishing batches of one `reprocess --async` run)."""

    def counts(self, key: str) -> dict[str, int]:
        """The counters under `key` ({} when none)."""
        ...

    @contextmanager
    def lock(self, name: str, *, ttl_s: int, wait_s: float = 0) -> Iterator[None]:
        """Hold `name` for the block; raise `LockHeld` if not acquired within `wait_s`.

        The lock expires after `ttl_s` so a crashed holder cannot block forever.
        """
        yield  # pragma: no cover - protocol


@contextmanager
def _polling(
    name: str, wait_s: float, *, take: Callable[[], bool], release: Callable[[], None]
) -> Iterator[None]:
    """Hold the lock `name` for the block: `take()` is retried every 50 ms for up to
    `wait_s` (then `LockHeld`), and `release()` runs however the block ends."""
    deadline = time.monotonic() + wait_s
    while not take():
        if time.monotonic() >= deadline:
            raise LockHeld(name)
        time.sleep(0.05)
    try:
        yield
    finally:
        release()


class MemoryCache:
    """A cache for one process's life (tests, benchmarks); nothing outlives it."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float]] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, float] = {}

    def get(self, key: str) -> str | None:
        with self._guard:
            value = self._data.get(key)
            if value is None or value[1] < time.monotonic():
                self._data.pop(key, None)
                return None
            return value[0]

    def set(self, key: str, value: str, *, ttl_s: int) -> None:
        with self._guard:
            self._data[key] = (value, time.monotonic() + ttl_s)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [self.get(key) for key in keys]

    def set_many(self, values: Mapping[str, str], *, ttl_s: int) -> None:
        for key, value in values.items():
            self.set(key, value, ttl_s=ttl_s)

    def delete(self, key: str) -> None:
        with self._guard:
            self._data.pop(key, None)

    def add_counts(self, key: str, amounts: Mapping[str, int], *, ttl_s: int) -> None:
        with self._guard:
            value = self._data.get(key)
            totals = _added(value[0] if value and value[1] >= time.monotonic() else None, amounts)
            self._data[key] = (totals, time.monotonic() + ttl_s)

    def counts(self, key: str) -> dict[str, int]:
        return _counters(self.get(key))

    @contextmanager
    def lock(self, name: str, *, ttl_s: int, wait_s: float = 0) -> Iterator[None]:
        with _polling(
            name, wait_s, take=lambda: self._take(name, ttl_s), release=lambda: self._release(name)
        ):
            yield

    def _take(self, name: str, ttl_s: int) -> bool:
        with self._guard:
            now = time.monotonic()
            if self._locks.get(name, 0) >= now:
                return False
            self._locks[name] = now + ttl_s
            return True

    def _release(self, name: str) -> None:
        with self._guard:
            self._locks.pop(name, None)


class SqliteCache:
    """The cache as a SQLite file (`data_dir/cache.sqlite3`) for the embedded mode.

    Same semantics as `RedisCache`: TTLs on every key (expired rows are never returned
    and are swept when the file is opened), and locks that expire, so a crashed holder
    blocks nobody for longer than its TTL. Expiry uses the wall clock, which every
    process on the machine shares. Safe across processes (SQLite's file locks, WAL) and
    across threads of one process.
    """

    def __init__(self, path: Path, *, busy_timeout_s: float = 30) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        self._guard = threading.Lock()
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS cache "
            "(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL)"
        )
        self._db.execute("DELETE FROM cache WHERE expires < ?", (time.time(),))

    def get(self, key: str) -> str | None:
        return self.get_many([key])[0]

    def set(self, key: str, value: str, *, ttl_s: int) -> None:
        self.set_many({key: value}, ttl_s=ttl_s)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        found: dict[str, str] = {}
        now = time.time()
        with self._guard:
            for start in range(0, len(keys), _SQL_VARIABLES):
                chunk = keys[start : start + _SQL_VARIABLES]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, value FROM cache WHERE key IN ({marks}) AND expires >= ?",  # noqa: S608 - only placeholders
                    (*chunk, now),
                )
                found.update(rows)
        return [found.get(key) for key in keys]

    def set_many(self, values: Mapping[str, str], *, ttl_s: int) -> None:
        if not values:
            return
        expires = time.time() + ttl_s
        with self._guard, self._db:  # one transaction
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = excluded.value, expires = excluded.expires",
                [(key, value, expires) for key, value in values.items()],
            )

    def delete(self, key: str) -> None:
        with self._guard:
            self._db.execute("DELETE FROM cache WHERE key = ?", (key,))

    def add_counts(self, key: str, amounts: Mapping[str, int], *, ttl_s: int) -> None:
        now = time.time()
        with self._guard, self._db:  # read and write in one IMMEDIATE transaction
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT value FROM cache WHERE key = ? AND expires >= ?", (key, now)
            ).fetchone()
            self._db.execute(
                "INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = excluded.value, expires = excluded.expires",
                (key, _added(row[0] if row else None, amounts), now + ttl_s),
            )

    def counts(self, key: str) -> dict[str, int]:
        return _counters(self.get(key))

    @contextmanager
    def lock(self, name: str, *, ttl_s: int, wait_s: float = 0) -> Iterator[None]:
        key, token = f"lock:{name}", uuid.uuid4().hex
        with _polling(
            name,
            wait_s,
            take=lambda: self._take(key, token, ttl_s),
            release=lambda: self._release(key, token),
        ):
            yield

    def _release(self, key: str, token: str) -> None:
        with self._guard:  # only our own: it may have expired and been taken since
            self._db.execute("DELETE FROM cache WHERE key = ? AND value = ?", (key, token))

    def _take(self, key: str, token: str, ttl_s: int) -> bool:
        now = time.time()
        with self._guard:
            taken = self._db.execute(
                "INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = excluded.value, expires = excluded.expires "
                "WHERE cache.expires < ?",
                (key, token, now + ttl_s, now),
            ).rowcount
        return taken == 1

    def close(self) -> None:
        self._db.close()


class RedisCache:
    """The cache Redis (`MONITOR_REDIS_URL`), shared by every worker process.

    Locks may live on another Redis (`lock_client`, the broker in production): the
    cache instance evicts keys that have a TTL when its memory fills, and a lock key,
    written once and never read again, is the first such key an LRU picks, which
    would let a second reprocess run start beside the first. The broker never evicts.
    """

    def __init__(
        self, client: redis.Redis[str], *, lock_client: redis.Redis[str] | None = None
    ) -> None:
        self.client = client
        self.lock_client = lock_client or client

    @classmethod
    def from_url(cls, url: str, *, lock_url: str | None = None) -> RedisCache:
        locks = None if lock_url is None else redis.Redis.from_url(lock_url, decode_responses=True)
        return cls(redis.Redis.from_url(url, decode_responses=True), lock_client=locks)

    def get(self, key: str) -> str | None:
        value = self.client.get(PREFIX + key)
        return None if value is None else str(value)

    def set(self, key: str, value: str, *, ttl_s: int) -> None:
        self.client.set(PREFIX + key, value, ex=ttl_s)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        return [None if v is None else str(v) for v in self.client.mget([PREFIX + k for k in keys])]

    def set_many(self, values: Mapping[str, str], *, ttl_s: int) -> None:
        if not values:
            return
        with self.client.pipeline(transaction=False) as pipe:
            for key, value in values.items():
                pipe.set(PREFIX + key, value, ex=ttl_s)
            pipe.execute()

    def delete(self, key: str) -> None:
        self.client.delete(PREFIX + key)

    def add_counts(self, key: str, amounts: Mapping[str, int], *, ttl_s: int) -> None:
        with self.client.pipeline(transaction=True) as pipe:  # a hash: HINCRBY is atomic
            for name, amount in amounts.items():
                pipe.hincrby(PREFIX + key, name, amount)
            pipe.expire(PREFIX + key, ttl_s)
            pipe.execute()

    def counts(self, key: str) -> dict[str, int]:
        return {k: int(v) for k, v in self.client.hgetall(PREFIX + key).items()}

    @contextmanager
    def lock(self, name: str, *, ttl_s: int, wait_s: float = 0) -> Iterator[None]:
        lock = self.lock_client.lock(
            f"{PREFIX}lock:{name}",
            timeout=ttl_s,
            blocking=wait_s > 0,
            blocking_timeout=wait_s or None,
        )
        if not lock.acquire():
            raise LockHeld(name)
        try:
            yield
        finally:
            # Expired meanwhile (the block outlived ttl_s): nothing left to release.
            if lock.owned():
                lock.release()


def _added(stored: str | None, amounts: Mapping[str, int]) -> str:
    totals = _counters(stored)
    for name, amount in amounts.items():
        totals[name] = totals.get(name, 0) + amount
    return json.dumps(totals, sort_keys=True)


def _counters(stored: str | None) -> dict[str, int]:
    return {k: int(v) for k, v in json.loads(stored).items()} if stored else {}


def open_cache(settings: Settings) -> Cache:
    """The cache Redis when `MONITOR_REDIS_URL` is set (its locks on the broker, when
    there is one), else a SQLite file in data_dir."""
    if settings.redis_url is None:
        return SqliteCache(settings.data_dir / "cache.sqlite3")
    broker = settings.broker_url
    return RedisCache.from_url(
        settings.redis_url.get_secret_value(),
        lock_url=None if broker is None else broker.get_secret_value(),
    )
