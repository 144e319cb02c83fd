"""One contract for the three caches: in-process, the SQLite file (embedded mode) and
the cache Redis (the session's private redis-server, never the shared one on 6379)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.support.redis_server import RedisServer
from workers.cache import Cache, LockHeld, SqliteCache, open_cache
from workers.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def cache(every_cache: Cache) -> Cache:
    return every_cache


def test_values_round_trip_in_order_and_expire(cache: Cache) -> None:
    cache.set("a", "1", ttl_s=60)
    cache.set_many({"b": "2", "c": "ünïcode"}, ttl_s=1)
    assert cache.get_many(["c", "missing", "a", "b"]) == ["ünïcode", None, "1", "2"]
    cache.set("a", "one", ttl_s=60)  # overwritten, not duplicated
    assert cache.get("a") == "one"
    cache.delete("a")
    assert cache.get("a") is None
    time.sleep(1.2)
    assert cache.get_many(["b", "c"]) == [None, None]
    assert cache.get_many([]) == []


def test_many_keys_in_one_read(cache: Cache) -> None:
    values = {f"enrich:{n}": str(n) for n in range(1_200)}  # more than one SQL statement
    cache.set_many(values, ttl_s=60)
    keys = [*values, "absent"]
    assert cache.get_many(keys) == [*values.values(), None]


def test_a_lock_is_exclusive_and_released(cache: Cache) -> None:
    with cache.lock("reprocess", ttl_s=60):
        with pytest.raises(LockHeld), cache.lock("reprocess", ttl_s=60):
            pass
        with cache.lock("other", ttl_s=60):  # locks are per name
            pass
    with cache.lock("reprocess", ttl_s=60):  # released on exit
        pass


def test_a_crashed_holders_lock_expires(cache: Cache) -> None:
    held = cache.lock("reprocess", ttl_s=1)
    held.__enter__()  # never exited: its holder "crashed"
    with pytest.raises(LockHeld), cache.lock("reprocess", ttl_s=60):
        pass
    with cache.lock("reprocess", ttl_s=60, wait_s=5):  # taken once the TTL runs out
        pass


def test_counts_added_from_many_threads_at_once_are_all_kept(cache: Cache) -> None:
    """`Cache.add_counts`: counters several processes add to at once (the workers of
    one `reprocess --async` run)."""
    assert cache.counts("run") == {}

    def add() -> None:
        for _ in range(20):
            cache.add_counts("run", {"unchanged": 2, "failed": 1}, ttl_s=60)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.counts("run") == {"unchanged": 160, "failed": 80}
    assert cache.counts("other") == {}


def test_sqlite_cache_is_shared_by_processes_and_outlives_them(tmp_path: Path) -> None:
    """Two connections to one file behave as two `monitor` processes would."""
    path = tmp_path / "cache.sqlite3"
    first, second = SqliteCache(path), SqliteCache(path)
    first.set("checkpoint", "2001-01-22", ttl_s=60)
    first.set("stale", "x", ttl_s=1)
    assert second.get("checkpoint") == "2001-01-22"
    with (
        first.lock("reprocess", ttl_s=60),
        pytest.raises(LockHeld),
        second.lock("reprocess", ttl_s=60),
    ):
        pass  # pragma: no cover - refused
    with second.lock("reprocess", ttl_s=60):
        pass
    first.close()
    second.close()
    time.sleep(1.1)
    reopened = SqliteCache(path)
    assert reopened.get("checkpoint") == "2001-01-22"
    rows: Any = reopened._db.execute("SELECT key FROM cache").fetchall()
    assert rows == [("checkpoint",)]  # expired rows are swept on open
    reopened.close()


def test_redis_locks_live_on_the_broker_and_survive_cache_eviction(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    cache_db, broker_db = 5, 6
    for db in (cache_db, broker_db):
        redis_server.client(db).flushdb()
    settings = Settings(
        redis_url=SecretStr(redis_server.url(cache_db)),
        broker_url=SecretStr(redis_server.url(broker_db)),
        data_dir=tmp_path,
    )
    with open_cache(settings).lock("reprocess", ttl_s=60):
        redis_server.client(cache_db).flushdb()  # the cache instance may evict anything
        with pytest.raises(LockHeld), open_cache(settings).lock("reprocess", ttl_s=60):
            pass  # pragma: no cover - refused
    assert redis_server.client(broker_db).keys("*") == []  # released
