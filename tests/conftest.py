"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[1]
# The two seed articles: tests count on exactly these (samples/ holds more for `make run`).
SAMPLES = ROOT / "tests" / "fixtures" / "gold" / "seeds"
SCHEMA = ROOT / "tests" / "fixtures" / "schema" / "article.schema.json"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session, on a free port (never the shared 6379)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"
