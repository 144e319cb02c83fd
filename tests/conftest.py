"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from tests.support.redis_server import RedisServer
from workers.enrich import ner

ROOT = Path(__file__).resolve().parents[1]
# The two seed articles: tests count on exactly these (samples/ holds more for `make run`).
SAMPLES = ROOT / "tests" / "fixtures" / "gold" / "seeds"
SCHEMA = ROOT / "tests" / "fixtures" / "schema" / "article.schema.json"

# No per-example wall-clock deadline (Hypothesis's default is 200 ms): `make test` keeps
# every core busy, and a property that holds must not fail because the machine is slow.
hypothesis_settings.register_profile("monitor", deadline=None)
hypothesis_settings.load_profile("monitor")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session, on a free port (never the shared 6379)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ner_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The batch size of every NER call the test makes (recognition still runs):
    how tests see that a batch takes one pass and a cache hit takes none."""
    calls: list[int] = []
    real = ner.recognize

    def spy(texts: Sequence[str], *, model: str) -> list[list[ner.NerSpan]]:
        calls.append(len(texts))
        return real(texts, model=model)

    monkeypatch.setattr(ner, "recognize", spy)
    return calls


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"
