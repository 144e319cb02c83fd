"""The enrich stage as a whole: order, failure containment, batching and the cache."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from workers import pipeline
from workers.cache import MemoryCache
from workers.enrich.enrichers import Dates
from workers.model import Article, RawArticle
from workers.pipeline import DEFAULT_PIPELINE, ENRICHER_SETS, Pipeline

SEED = (
    "Publication: Monitor Volume: 7 Issue: 14\n\n"
    "Putin refused on January 17 to meet Foreign Minister Yohei Kono in Moscow "
    "(Izvestia, January 19)."
)


class Boom:
    name = "boom"
    version = "1"

    def __call__(self, article: Article) -> Article:
        raise RuntimeError("enricher bug")


class Counting:
    """A batch-capable enricher that records what it was asked to do."""

    name = "counting"
    version = "1"

    def __init__(self, *, fail_batch: bool = False) -> None:
        self.seen: list[str] = []
        self.batches = 0
        self.fail_batch = fail_batch

    def __call__(self, article: Article) -> Article:
        if "poison" in article.body:
            raise ValueError("cannot handle this text")
        self.seen.append(article.id)
        return dataclasses.replace(article, language="en")

    def batch(self, articles: Sequence[Article]) -> list[Article]:
        self.batches += 1
        if self.fail_batch:
            raise RuntimeError("whole batch failed")
        return [self(a) for a in articles]


class RecordingCache(MemoryCache):
    def __init__(self) -> None:
        super().__init__()
        self.ttls: list[int] = []

    def set_many(self, values: Mapping[str, str], *, ttl_s: int) -> None:
        self.ttls.extend(ttl_s for _ in values)
        super().set_many(values, ttl_s=ttl_s)


@pytest.fixture
def fresh_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that has logged no enricher failure yet."""
    monkeypatch.setattr(pipeline, "_said", set())


def _raw(text: str = SEED, origin: str = "seed.txt") -> RawArticle:
    return RawArticle(text=text, origin=origin)


def test_enrichers_run_in_order_and_fill_the_document(nlp: Any) -> None:
    article = DEFAULT_PIPELINE.process(_raw())
    assert [e.name for e in DEFAULT_PIPELINE.enrichers] == [
        "published_at",
        "dates",
        "citations",
        "entities",
    ]
    assert article.published_at_source == "estimated"
    assert article.published_at is not None and article.published_at.startswith("2001-01")
    assert ("Izvestia", "2001-01-19") in {(c.source, c.date) for c in article.citations}
    assert "2001-01-17" in {d.start for d in article.dates}
    assert {"Vladimir Putin", "Yohei Kono", "Moscow"} <= {e.name for e in article.entities}


def test_a_failing_enricher_leaves_a_note_and_the_others_run() -> None:
    raw = RawArticle(text=SEED, origin="x", published_at="2001-01-22")
    article = Pipeline((Boom(), Dates())).process(raw)
    assert article.enrich_notes == ("boom: RuntimeError",)
    assert article.dates  # the enricher after the broken one still ran


def test_a_failing_batch_falls_back_to_one_article_at_a_time() -> None:
    counting = Counting(fail_batch=True)
    raws = [_raw(), _raw(SEED + " poison", "bad.txt")]
    good, bad = Pipeline((counting,)).process_batch(raws)
    assert isinstance(good, Article) and good.language == "en" and not good.enrich_notes
    assert isinstance(bad, Article) and bad.language is None
    assert bad.enrich_notes == ("counting: ValueError",)


def test_bad_input_in_a_batch_costs_only_itself() -> None:
    results = DEFAULT_PIPELINE.process_batch(
        [_raw("Publication: Monitor Volume: 1 Issue: 2\n"), _raw()]
    )
    assert not isinstance(results[0], Article)
    assert isinstance(results[1], Article)


def test_batch_runs_ner_in_one_pass(nlp: Any, ner_calls: list[int]) -> None:
    raws = [_raw(SEED.replace("Issue: 14", f"Issue: {i}"), f"{i}.txt") for i in range(1, 5)]
    DEFAULT_PIPELINE.process_batch(raws)
    assert ner_calls == [4]


def test_cache_skips_unchanged_text_and_notices_changes(nlp: Any, ner_calls: list[int]) -> None:
    cache = RecordingCache()
    cached = Pipeline(cache=cache, cache_ttl_s=3600)
    first = cached.process(_raw())
    again = cached.process(_raw())
    assert ner_calls == [1]  # the second run took entities from the cache
    assert again == first
    cached.process(_raw(SEED + " Boris Yeltsin agreed."))
    assert ner_calls == [1, 1]  # new text, new NER run
    dated = RawArticle(text=SEED, origin="x", published_at="2001-01-25")
    assert cached.process(dated).published_at_source == "metadata"
    assert ner_calls == [1, 1, 1]  # another publication date is another key
    assert cache.ttls and set(cache.ttls) == {3600}  # the TTL it was given


def test_failed_results_are_not_cached() -> None:
    cache = MemoryCache()
    Pipeline((Counting(),), cache, 3600).process(_raw(SEED + " poison"))
    counting = Counting()
    Pipeline((counting,), cache, 3600).process(_raw(SEED))
    assert counting.seen  # computed, not served a cached failure


def test_a_missing_spacy_model_is_a_note_and_one_warning(
    caplog: pytest.LogCaptureFixture, fresh_log: None
) -> None:
    from workers.enrich.enrichers import Entities

    no_model = Pipeline((Entities(model="no_such_model_xyz"), Dates()))
    with caplog.at_level(logging.WARNING):
        articles = no_model.process_batch([_raw(), _raw(SEED + " Boris Yeltsin agreed.")])
        no_model.process(_raw())
    for article in articles:
        assert isinstance(article, Article)
        assert article.entities == ()
        assert article.enrich_notes == ("entities: ModelMissing",)
    warnings = [r for r in caplog.records if "no_such_model_xyz" in r.getMessage()]
    assert len(warnings) == 1  # said once per process, not once per document
    assert "spaCy model 'no_such_model_xyz' unavailable (OSError)" in warnings[0].getMessage()


def test_the_error_message_is_logged_and_not_in_the_document(
    caplog: pytest.LogCaptureFixture, fresh_log: None
) -> None:
    raw = RawArticle(text=SEED, origin="x", published_at="2001-01-22")
    with caplog.at_level(logging.DEBUG, logger="workers.pipeline"):
        first = Pipeline((Boom(), Dates())).process(raw)
        again = Pipeline((Boom(),)).process(raw)
    assert first.enrich_notes == again.enrich_notes == ("boom: RuntimeError",)
    assert "enricher bug" not in json.dumps(first.to_document())
    records = [r for r in caplog.records if r.name == "workers.pipeline"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.DEBUG]  # a repeat: DEBUG
    for record in records:
        assert "enricher bug" in record.getMessage()
        assert record.article_id == first.id  # type: ignore[attr-defined]
        assert record.enricher == "boom"  # type: ignore[attr-defined]
        assert record.error_type == "RuntimeError"  # type: ignore[attr-defined]


def test_cached_notes_are_the_enricher_own() -> None:
    cache = MemoryCache()
    raw = RawArticle(text=SEED + " Talks on February 30.", origin="x", published_at="2001-01-22")
    first = Pipeline((Boom(), Dates()), cache, 3600).process(raw)
    second = Pipeline((Dates(),), cache, 3600).process(raw)
    assert first.enrich_notes[0].startswith("boom: ")
    assert second.enrich_notes == first.enrich_notes[1:]  # from the cache, without boom's
    assert second.dates == first.dates


def test_the_named_sets_keep_one_order() -> None:
    full = [e.name for e in ENRICHER_SETS["full"]]
    assert [e.name for e in ENRICHER_SETS["no-entities"]] == full[:3]
    assert DEFAULT_PIPELINE.enrichers == ENRICHER_SETS["full"]
    assert DEFAULT_PIPELINE.cache is None
    assert Pipeline(ENRICHER_SETS["no-entities"]).version != DEFAULT_PIPELINE.version


def test_a_cache_needs_an_explicit_ttl() -> None:
    with pytest.raises(ValueError, match="cache_ttl_s"):
        Pipeline(cache=MemoryCache())


def test_from_settings_is_where_the_ttl_comes_from() -> None:
    from workers.settings import Settings

    cache = MemoryCache()
    made = Pipeline.from_settings(Settings(enrich_cache_ttl_s=120), cache)
    assert (made.enrichers, made.cache, made.cache_ttl_s) == (ENRICHER_SETS["full"], cache, 120)
    assert Pipeline.from_settings(Settings(), None).cache_ttl_s == 0
