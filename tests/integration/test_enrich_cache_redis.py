"""The enrichment cache on a real Redis: reprocessing skips NER, every key expires.

Uses the session's private `redis-server` on a free port (never the server on 6379).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workers.cache import PREFIX, RedisCache
from workers.model import RawArticle
from workers.pipeline import Pipeline

pytestmark = pytest.mark.integration

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "gold" / "seeds" / "monitor-v7-i14.txt"


@pytest.fixture
def redis_url(redis_url: str, redis_client: Any) -> str:
    """The session's private redis-server, flushed (`redis_client` does that)."""
    return redis_url


def test_reprocessing_unchanged_text_skips_ner(redis_url: str, ner_calls: list[int]) -> None:
    raw = RawArticle(text=SEED.read_text(encoding="utf-8"), origin=str(SEED))
    cache = RedisCache.from_url(redis_url)
    first = Pipeline(cache=cache, cache_ttl_s=3600).process(raw)
    another_worker = Pipeline(cache=RedisCache.from_url(redis_url), cache_ttl_s=3600)
    second = another_worker.process(raw)
    assert ner_calls == [1]
    assert second == first
    client: Any = cache.client
    keys = client.keys(f"{PREFIX}enrich:*")
    assert len(keys) == len(another_worker.enrichers)
    assert all(0 < client.ttl(key) <= 3600 for key in keys)
