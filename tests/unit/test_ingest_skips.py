"""A page that holds no article is skipped with its reason, never indexed and never a
failure (issue 21 items 6-7)."""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path

from workers.ingest import BatchReport, ItemResult, ingest_raw
from workers.model import NotAnArticle, RawArticle
from workers.pipeline import ENRICHER_SETS, Pipeline
from workers.stores.embedded import EmbeddedStore

NO_NER = Pipeline(ENRICHER_SETS["no-entities"])


def _refuse(reason: str) -> RawArticle:
    raise NotAnArticle(reason)


def test_a_refused_page_is_skipped_and_not_written(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "monitor.sqlite3")
    good = RawArticle(
        text="Moscow and Tbilisi disagreed again on the line at the border.\n",
        origin="https://jamestown.org/a-good-article/",
        url="https://jamestown.org/a-good-article/",
        title="A Good Article",
        publication="Eurasia Daily Monitor",
        source="web",
    )
    try:
        report = ingest_raw(
            [
                ("https://jamestown.org/broken/", partial(_refuse, "no text")),
                (good.origin, partial(lambda raw: raw, good)),
            ],
            store=store,
            pipeline=NO_NER,
        )
        assert store.stats().documents == 1
    finally:
        store.close()
    assert report.counts == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "skipped": 1,
    }
    assert report.failures == []  # nothing for the dead-letter queue
    [skipped] = report.skipped
    assert (skipped.origin, skipped.reason) == ("https://jamestown.org/broken/", "no text")


def test_skips_count_by_reason_with_those_of_discovery() -> None:
    report = BatchReport(
        [
            ItemResult("a", "skipped", reason="no text"),
            ItemResult("b", "skipped", reason="too little text (under 10 words)"),
            ItemResult("c", "created"),
        ],
        discovery_skips=Counter({"not an article (book)": 2}),
    )
    other = BatchReport([ItemResult("d", "skipped", reason="no text")])
    report.extend(other)
    assert report.counts["skipped"] == 5
    assert report.skip_reasons() == {
        "no text": 2,
        "not an article (book)": 2,
        "too little text (under 10 words)": 1,
    }
    as_dict = report.to_dict()
    assert as_dict["skipped_reasons"] == report.skip_reasons()
    assert [s["origin"] for s in as_dict["skipped"]] == ["a", "b", "d"]  # type: ignore[index]


def test_a_stored_payload_with_an_entity_title_is_cleaned_when_rebuilt() -> None:
    """Documents stored before issue 21 keep `&#8217;` in their raw payload's title:
    `monitor reprocess` (a new NORMALIZE_VERSION) rebuilds them clean, same id."""
    raw = RawArticle(
        text="Moscow and Tbilisi disagreed again on the line at the border.\n",
        origin="https://jamestown.org/why-moscow-doesnt-blink/",
        url="https://jamestown.org/why-moscow-doesnt-blink/",
        title="Why Moscow Doesn&#8217;t Blink",
        source="web",
    )
    clean = RawArticle(**{**raw.to_dict(), "authors": (), "title": "Why Moscow Doesn’t Blink"})
    built, fresh = NO_NER.build(raw), NO_NER.build(clean)
    assert built.title == "Why Moscow Doesn’t Blink" and built.id == fresh.id
    assert built.extra == fresh.extra  # the headline too
