"""Reprocessing an unchanged article costs a comparison, not a pipeline run (issue 25,
point 12), and the shortcut never hides a change: an article an enricher failed on, or
whose internal citation can now find its target, is still recomputed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.articles import KeywordEnricher, raw_article
from workers.ingest import ingest_raw
from workers.model import Article, RawArticle
from workers.pipeline import Pipeline
from workers.reprocess import reprocess_batch
from workers.stores.embedded import EmbeddedStore


@dataclasses.dataclass
class Counting:
    """The keyword enricher, counting its calls; `fail` times it raises first (as the
    entities enricher does while the spaCy model is missing)."""

    name: str = "test-keywords"
    version: str = "1"
    calls: int = 0
    fail: int = 0

    def __call__(self, article: Article) -> Article:
        self.calls += 1
        if self.fail:
            self.fail -= 1
            raise RuntimeError("model missing")
        return KeywordEnricher()(article)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "monitor.sqlite3")
    yield opened
    opened.close()


def _ingest(store: EmbeddedStore, enricher: Counting, *raws: RawArticle) -> list[str]:
    report = ingest_raw(
        [(r.origin, lambda r=r: r) for r in raws], store=store, pipeline=Pipeline((enricher,))
    )
    return [item.id or "" for item in report.items]


def test_an_unchanged_article_is_not_run_through_the_pipeline(store: EmbeddedStore) -> None:
    enricher = Counting()
    ids = _ingest(store, enricher, raw_article(7), raw_article(8), raw_article(9))
    enricher.calls = 0
    report = reprocess_batch(ids, store=store, pipeline=Pipeline((enricher,)))
    assert (report.rewritten, report.unchanged, report.failed) == (0, 3, 0)
    assert enricher.calls == 0
    # Another version of the enricher is a change: every article runs again.
    changed = Counting(version="2")
    report = reprocess_batch(ids, store=store, pipeline=Pipeline((changed,)))
    assert (report.rewritten, changed.calls) == (3, 3)


def test_an_article_an_enricher_failed_on_is_recomputed(store: EmbeddedStore) -> None:
    enricher = Counting(fail=1)
    [doc_id] = _ingest(store, enricher, raw_article(7))
    stored = store.get(doc_id)
    assert stored is not None and stored.enrich_notes  # "test-keywords: RuntimeError"
    report = reprocess_batch([doc_id], store=store, pipeline=Pipeline((enricher,)))
    assert report.rewritten == 1
    fixed = store.get(doc_id)
    assert fixed is not None and fixed.enrich_notes == () and fixed.entities


def test_an_internal_citation_that_can_now_find_its_target_is_rewritten(
    store: EmbeddedStore,
) -> None:
    enricher = Counting()
    [citing] = _ingest(store, enricher, raw_article(7))  # cites "the Monitor, January 17"
    before = store.get(citing)
    assert before is not None
    assert [c.target_id for c in before.citations if c.kind == "internal"] == [None]
    cited = RawArticle(
        text="Publication: Monitor Volume: 7 Issue: 11\n\nThe Duma met in Moscow.",
        origin="cited",
        title="The article of January 17",
        published_at="2001-01-17",
    )
    [cited_id] = _ingest(store, enricher, cited)
    enricher.calls = 0
    report = reprocess_batch([citing, cited_id], store=store, pipeline=Pipeline((enricher,)))
    assert (report.rewritten, report.unchanged) == (1, 1)
    assert enricher.calls == 1  # the citing article only
    after = store.get(citing)
    assert after is not None
    assert [c.target_id for c in after.citations if c.kind == "internal"] == [cited_id]
    enricher.calls = 0
    again = reprocess_batch([citing, cited_id], store=store, pipeline=Pipeline((enricher,)))
    assert (again.unchanged, enricher.calls) == (2, 0)
