"""The enrichment cache on a real Redis: reprocessing skips NER, every key expires.

Starts its own `redis-server` on a free port with a temporary directory (never the
server on 6379).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis

from workers import pipeline
from workers.cache import PREFIX, RedisCache
from workers.enrich import ner
from workers.model import RawArticle

pytestmark = pytest.mark.integration

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "gold" / "seeds" / "monitor-v7-i14.txt"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp_path),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


def test_reprocessing_unchanged_text_skips_ner(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = ner.recognize

    def spy(texts: Sequence[str], *, model: str) -> list[list[ner.NerSpan]]:
        calls.append(len(texts))
        return real(texts, model=model)

    monkeypatch.setattr(ner, "recognize", spy)
    raw = RawArticle(text=SEED.read_text(encoding="utf-8"), origin=str(SEED))
    cache = RedisCache.from_url(redis_url)
    first = pipeline.process(raw, cache=cache, cache_ttl_s=3600)
    second = pipeline.process(raw, cache=RedisCache.from_url(redis_url))  # another worker
    assert calls == [1]
    assert second == first
    client: Any = cache.client
    keys = client.keys(f"{PREFIX}enrich:*")
    assert len(keys) == len(pipeline.ENRICHERS)
    assert all(0 < client.ttl(key) <= 3600 for key in keys)
