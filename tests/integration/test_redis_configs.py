"""infra/redis/*.conf load in a real redis-server and set what they promise."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration

INFRA = Path("infra")


@pytest.mark.parametrize(
    ("conf", "policy", "aof"),
    [("broker.conf", "noeviction", "yes"), ("cache.conf", "volatile-lru", "no")],
)
def test_redis_configs_load_in_a_real_redis(
    tmp_path: Path, conf: str, policy: str, aof: str
) -> None:
    server = RedisServer(tmp_path, config=INFRA / "redis" / conf)
    server.start()  # raises if redis-server refuses the file
    client = redis.Redis(port=server.port, decode_responses=True)
    try:
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == policy
        assert client.config_get("appendonly")["appendonly"] == aof
    finally:
        client.close()
        server.stop()
