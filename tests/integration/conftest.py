"""Integration fixtures: a real redis-server on a free port, the fake site over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from devsupport.site import Site
from tests.support.redis_server import RedisServer
from tests.support.wordpress import RealWordPress, SeededWordPress, seed_standard
from workers.cache import Cache, MemoryCache, RedisCache, SqliteCache
from workers.fetching.fetch import Fetcher
from workers.settings import Settings


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """A database of the session's private redis-server (tests flush it freely)."""
    return redis_server.url(2)


@pytest.fixture
def aof_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server per test, append-only file on: for tests that stop and
    restart it (the queue comes back) or kill workers mid-batch, which the session's
    shared server must not see."""
    server = RedisServer(tmp_path / "redis", appendonly=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis[str]]:
    client: redis.Redis[str] = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()  # our own server on a free port, never the shared one
    yield client
    client.close()


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site().start()
    yield running
    running.stop()


@pytest.fixture
def settings(tmp_path: Path, redis_url: str, redis_client: redis.Redis[str]) -> Settings:
    return Settings(
        redis_url=redis_url,
        data_dir=tmp_path / "var",
        allowed_hosts="127.0.0.1:*",
        host_rate_per_s=500,
        host_burst=50,
        fetch_timeout_s=0.5,
        fetch_backoff_s=0.01,
        fetch_max_delay_s=2,
        fetch_max_attempts=3,
        max_page_bytes=1_000_000,
        batch_size=10,
    )


@pytest.fixture
def cache(redis_client: redis.Redis[str]) -> RedisCache:
    return RedisCache(redis_client)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def every_cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cache]:
    """Each kind of cache in turn: the tests of the cache's contract run on all three."""
    if request.param == "memory":
        yield MemoryCache()
    elif request.param == "sqlite":
        sqlite = SqliteCache(tmp_path / "cache.sqlite3")
        yield sqlite
        sqlite.close()
    else:
        request.getfixturevalue("redis_client")  # flushes the private database
        redis_cache = RedisCache.from_url(request.getfixturevalue("redis_url"))
        yield redis_cache
        redis_cache.client.close()


@pytest.fixture
def fetcher(settings: Settings, cache: RedisCache) -> Iterator[Fetcher]:
    made = Fetcher.from_settings(settings, cache=cache)
    yield made
    made.close()


@pytest.fixture(scope="session")
def real_wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededWordPress]:
    """A real WordPress (tests/support/wordpress.py) seeded once for the session with
    `tests.support.wordpress.SEED`: 250 posts sharing one `post_modified`, a page and a
    draft. Tests that edit posts edit their own."""
    site = RealWordPress(tmp_path_factory.mktemp("wordpress")).start()
    try:
        yield seed_standard(site)
    finally:
        site.stop()
