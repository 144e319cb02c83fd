"""`Cache.add_counts`: counters several processes add to at once (the workers of one
`reprocess --async` run), the same on every cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis_server import RedisServer
from workers.cache import Cache, MemoryCache, RedisCache, SqliteCache

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "sqlite", "redis"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cache]:
    if request.param == "memory":
        yield MemoryCache()
    elif request.param == "sqlite":
        opened = SqliteCache(tmp_path / "cache.sqlite3")
        yield opened
        opened.close()
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        server.client(2).flushdb()
        redis_cache = RedisCache.from_url(server.url(2))
        yield redis_cache
        redis_cache.client.close()


def test_counts_added_from_many_threads_at_once_are_all_kept(cache: Cache) -> None:
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
