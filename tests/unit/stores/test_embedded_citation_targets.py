"""Internal citations find their target in the embedded store, and targets their citers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.ingest import ingest_raw, resolve_targets
from workers.model import Article, Citation, RawArticle
from workers.pipeline import ENRICHER_SETS, Pipeline
from workers.stores.embedded import EmbeddedStore

NO_NER = Pipeline(ENRICHER_SETS["no-entities"])  # no NER needed here


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(tmp_path / "monitor.sqlite3")
    yield s
    s.close()


def _raw(name: str, body: str, *, publication: str, published_at: str) -> RawArticle:
    return RawArticle(
        text=body, origin=name, title=name, publication=publication, published_at=published_at
    )


def _load(raw: RawArticle) -> tuple[str, object]:
    return raw.origin, lambda: raw


CITED = _raw("cited", "Moscow and Tokyo talked.", publication="Monitor", published_at="2001-01-17")
CITING = _raw(
    "citing",
    "Kono left Moscow (see the Monitor, January 17).",
    publication="Monitor",
    published_at="2001-01-22",
)


def _ingest(store: EmbeddedStore, *raws: RawArticle) -> list[str]:
    report = ingest_raw([_load(r) for r in raws], store=store, pipeline=NO_NER)  # type: ignore[misc]
    return [item.id for item in report.items if item.id]


def test_citation_to_an_indexed_article_gets_its_id(store: EmbeddedStore) -> None:
    (cited_id,) = _ingest(store, CITED)
    (citing_id,) = _ingest(store, CITING)
    citing = store.get(citing_id)
    assert citing is not None
    assert [c.target_id for c in citing.citations] == [cited_id]
    assert store.cited_by(cited_id) == [citing_id]
    assert store.cited_by(citing_id) == []


def test_cited_article_indexed_later_still_lists_its_citer(store: EmbeddedStore) -> None:
    (citing_id,) = _ingest(store, CITING)
    (cited_id,) = _ingest(store, CITED)
    assert store.cited_by(cited_id) == [citing_id]


def test_same_batch(store: EmbeddedStore) -> None:
    citing_id, cited_id = _ingest(store, CITING, CITED)
    citing = store.get(citing_id)
    assert citing is not None and citing.citations[0].target_id == cited_id


def test_successor_name_and_periods(store: EmbeddedStore) -> None:
    cited = _raw("ncw", "Grozny.", publication="North Caucasus Weekly", published_at="2008-04-17")
    (cited_id,) = _ingest(store, cited)
    assert store.find_ids(publication="north caucasus weekly", published_on="2008-04-17") == [
        cited_id
    ]
    assert store.find_ids(publication="North Caucasus Weekly", published_on="2008-04") == [cited_id]
    assert store.find_ids(publication="North Caucasus Weekly", published_on="2008") == [cited_id]
    assert store.find_ids(publication="North Caucasus Weekly", published_on="2008-04-18") == []
    citing = _raw(
        "cw",
        "Kadyrov (see Chechnya Weekly, April 17).",
        publication="EDM",
        published_at="2008-05-13",
    )
    (citing_id,) = _ingest(store, citing)
    assert store.get(citing_id).citations[0].target_id == cited_id  # type: ignore[union-attr]
    assert store.cited_by(cited_id) == [citing_id]


def test_ambiguous_date_gets_no_target() -> None:
    citation = Citation("Monitor", "2001-01-17", "internal")
    article = Article(
        id="a",
        publication="Monitor",
        body="",
        content_hash="h",
        pipeline_version="v",
        citations=(citation, Citation("Kyodo", "2001-01-17", "press")),
    )

    def two(*, publication: str, published_on: str) -> list[str]:
        return ["x", "y"] if publication == "Monitor" else []

    def one(*, publication: str, published_on: str) -> list[str]:
        return ["x"] if publication == "Monitor" else []

    assert resolve_targets(article, two).citations[0].target_id is None
    resolved = resolve_targets(article, one)
    assert [c.target_id for c in resolved.citations] == ["x", None]


def test_schema_creation_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "monitor.sqlite3"
    EmbeddedStore(path).close()
    again = EmbeddedStore(path)
    assert again.cited_by("nothing") == []
    again.close()
