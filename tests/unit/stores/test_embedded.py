"""The embedded SQLite/FTS5 store: upserts, search, filters (several writing processes at
once: tests/integration/test_embedded_writers.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from workers.model import Article, Entity, RawArticle
from workers.pipeline import DEFAULT_PIPELINE
from workers.stores import embedded_search, search_terms
from workers.stores.base import Indexable, SearchQuery
from workers.stores.embedded import EmbeddedStore
from workers.stores.embedded_schema import SCHEMA_VERSION
from workers.stores.embedded_search import fts_query


def make(
    body: str, *, publication: str = "Monitor", issue: int = 1, date: str | None = None
) -> Indexable:
    raw = RawArticle(
        text=f"Publication: {publication} Volume: 7 Issue: {issue}\n\n{body}",
        origin=f"test-{issue}",
        published_at=date,
    )
    return Indexable(DEFAULT_PIPELINE.process(raw), raw)


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore(tmp_path / "db.sqlite3")


def test_write_then_unchanged_then_updated(store: EmbeddedStore) -> None:
    item = make("Putin met Mori in Irkutsk.")
    assert [o.status for o in store.write([item])] == ["created"]
    assert [o.status for o in store.write([item])] == ["unchanged"]
    changed = dataclasses.replace(item.article, title="New title")
    assert [o.status for o in store.write([Indexable(changed, item.raw)])] == ["updated"]
    assert store.stats().documents == 1
    stored = store.get(item.article.id)
    assert stored is not None and stored.title == "New title"
    assert store.search(SearchQuery("Irkutsk")).total == 1


def test_search_ranks_and_highlights(store: EmbeddedStore) -> None:
    store.write(
        [
            make("The Kuril Islands dispute. The Kuril Islands again.", issue=1),
            make("A note on Irkutsk, and once the Kuril Islands.", issue=2),
            make("Nothing relevant here.", issue=3),
        ]
    )
    result = store.search(SearchQuery("Kuril Islands"))
    assert result.total == 2
    hit = result.hits[0]
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["Kuril Islands", "Kuril Islands"]
    assert result.hits[0].score >= result.hits[1].score


def test_filters_on_publication_and_dates(store: EmbeddedStore) -> None:
    store.write(
        [
            make("Gazprom pipeline.", publication="Monitor", issue=1, date="2001-01-22"),
            make("Gazprom pipeline.", publication="China Brief", issue=2, date="2015-03-01"),
        ]
    )
    assert store.search(SearchQuery("Gazprom", publication="china brief")).total == 1
    assert store.search(SearchQuery("Gazprom", date_from="2010-01-01")).hits[0].publication == (
        "China Brief"
    )
    assert store.search(SearchQuery("Gazprom", date_to="2001-12-31")).total == 1


def test_entities_are_searchable_by_canonical_name(store: EmbeddedStore) -> None:
    item = make("President Putin spoke.")
    article = dataclasses.replace(
        item.article, entities=(Entity("Vladimir Putin", "person", 1, aliases=("Putin",)),)
    )
    store.write([Indexable(article, item.raw)])
    assert store.search(SearchQuery("Vladimir")).total == 1


def group(*phrases: str, keys: tuple[str, ...] = (), shared: tuple[str, ...] = ()) -> str:
    """One clause as fts_query writes it: `shared` phrases (whose name key is their own
    words) in every column, other phrases in the text columns, other name keys in the
    `keys` column."""
    parts = [
        f"{columns} : (" + " OR ".join(f'"{t}"' for t in terms) + ")"
        for columns, terms in (
            ("{title body people places organizations outlets keys}", shared),
            ("{title body people places organizations outlets}", phrases),
            ("keys", keys),
        )
        if terms
    ]
    return "(" + " OR ".join(parts) + ")"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "pipeline dispute",
            f"{group(shared=('pipeline',))} AND {group(shared=('dispute',), keys=('dspt',))}",
        ),
        (
            '"peace treaty" budget',
            f"{group('peace treaty', keys=('peace treati',))} AND "
            f"{group(shared=('budget',), keys=('bdgt',))}",
        ),
        ("Putin-Mori", group(shared=("Putin-Mori",))),
        ("pipeline OR budget", group(shared=("pipeline", "budget"), keys=("bdgt",))),
        ("OR AND", group("OR")),
        ("pipeline OR", group(shared=("pipeline",))),
        (
            'say "unbalanced',
            f"{group('say')} AND {group(shared=('unbalanced',), keys=('nblncd',))}",
        ),
        (
            "pipeline NOT budget",
            f"{group(shared=('pipeline',))} NOT {group(shared=('budget',), keys=('bdgt',))}",
        ),
        ("NOT budget", f"{group('NOT')} AND {group(shared=('budget',), keys=('bdgt',))}"),
        (
            "Eltsin",
            group(
                "Eltsin",
                "Boris Yeltsin",
                "Yeltsin",
                "Boris Eltsin",
                keys=("elcin", "boris elcin"),  # a known name: its spellings, no skeleton
            ),
        ),
        ("* (", ""),
    ],
)
def test_user_queries_never_become_fts_syntax(text: str, expected: str) -> None:
    assert fts_query(search_terms.query_clauses(text)) == expected


def test_most_clauses_and_every_clause_first(store: EmbeddedStore) -> None:
    """Three words: an article with two of them is found, after the one with all."""
    store.write(
        [
            make("Ansaru fighters in Nigeria, no word of the third.", issue=1, date="2022-01-01"),
            make("Ansaru kidnapping in Nigeria.", issue=2, date="2020-01-01"),
            make("Only Nigeria here.", issue=3, date="2021-01-01"),
        ]
    )
    found = store.search(SearchQuery("Ansaru Nigeria kidnapping"))
    assert found.total == 2
    assert "kidnapping" in found.hits[0].snippet
    # Two words must both match: the third article is no answer to "Ansaru Nigeria".
    assert store.search(SearchQuery("Ansaru Nigeria")).total == 2
    assert store.search(SearchQuery("Ansaru Tibet")).total == 0


def test_odd_queries_do_not_raise(store: EmbeddedStore) -> None:
    store.write([make("U.S. policy (see the Monitor) *")])
    for text in ["U.S.", "(see", "*", "NEAR(", "AND", '"', "title:x"]:
        store.search(SearchQuery(text))


def test_raw_payloads_are_kept_for_reprocessing(store: EmbeddedStore) -> None:
    item = make("Body.", date="2001-01-22")
    store.write([item])
    assert store.raw_by_ids([item.article.id, "missing"]) == {item.article.id: item.raw}
    assert store.list_ids(since="2002-01-01") == []


def test_document_round_trips(store: EmbeddedStore) -> None:
    item = make("Body text.")
    store.write([item])
    stored = store.get(item.article.id)
    assert isinstance(stored, Article)
    expected = item.article.to_document()
    got = stored.to_document()
    assert got.pop("indexed_at") is not None
    expected.pop("indexed_at")
    # What the store adds for Kibana's time field (tests/integration/test_time_field.py).
    assert (got.pop("time"), got.pop("time_source")) == (expected["published_at"], "published_at")
    assert got == expected


def test_facets_of_a_large_result_count_an_even_sample(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded_search, "FACET_SAMPLE", 2)
    store.write([make(f"Gazprom pipeline number {n}.", issue=n) for n in range(1, 6)])
    found = store.search(SearchQuery("Gazprom", facets=True))
    assert found.total == 5 and found.facets_over == 2
    assert found.facets is not None and found.facets["publication"] == {"Monitor": 2}
    exact = store.search(SearchQuery("number", facets=True, publication="Monitor"))
    assert exact.total == 5 and exact.facets_over == 2
    assert store.search(SearchQuery("Gazprom")).facets_over is None


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_store_is_migrated_on_open(tmp_path: Path, version: int) -> None:
    """A store written before search used enrichment (schema 1: no headline column,
    no entity/date/outlet tables) or before the facet rows (schema 2) gains what it
    lacks from its stored documents when opened."""
    path = tmp_path / "old.sqlite3"
    old = EmbeddedStore(path)
    item = make("President Putin spoke.")
    article = dataclasses.replace(
        item.article, entities=(Entity("Vladimir Putin", "person", 1, aliases=("Putin",)),)
    )
    old.write([Indexable(article, item.raw)])
    old._db.execute("DROP TABLE article_facets")
    if version == 1:
        for table in ("article_entities", "entity_keys", "article_dates", "article_outlets"):
            old._db.execute(f"DROP TABLE {table}")
        old._db.execute("DROP INDEX articles_published_id")
        old._db.execute("ALTER TABLE articles DROP COLUMN headline")
        old._db.execute("ALTER TABLE articles DROP COLUMN headline_synthesized")
    old._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    old.close()

    store = EmbeddedStore(path)
    found = store.search(SearchQuery("", person="Vladimir Putin", facets=True))
    (hit,) = found.hits
    assert hit.headline == "President Putin spoke." and hit.headline_synthesized
    assert found.facets is not None and found.facets["persons"] == {"Vladimir Putin": 1}
    stored = store._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert stored == (str(SCHEMA_VERSION),)


def test_a_schema_4_store_gains_initialism_keys_on_open(tmp_path: Path) -> None:
    """Schema 5 adds the initials of long names to the name keys: a store written
    before finds "WEF" only once its full-text table is rebuilt on open."""
    path = tmp_path / "old.sqlite3"
    old = EmbeddedStore(path)
    old.write([make("Xi Jinping spoke at the World Economic Forum in Davos.")])
    old._db.execute(
        "UPDATE articles_fts SET keys = ? WHERE rowid = 1", ("jinping world economic forum",)
    )
    old._db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    assert old.search(SearchQuery("WEF")).total == 0  # what a schema-4 store answered
    old.close()

    store = EmbeddedStore(path)
    assert store.search(SearchQuery("WEF")).total == 1
    assert store.search(SearchQuery("Davos")).total == 1  # the text is still searchable


def test_a_deleted_article_leaves_no_filter_or_facet_rows(store: EmbeddedStore) -> None:
    item = make("President Putin spoke.")
    article = dataclasses.replace(
        item.article, entities=(Entity("Vladimir Putin", "person", 1, aliases=("Putin",)),)
    )
    store.write([Indexable(article, item.raw)])
    assert store.delete([article.id]) == [article.id]
    for table in ("article_entities", "entity_keys", "article_facets"):
        count = f"SELECT count(*) FROM {table}"  # noqa: S608 - a table name from the list
        assert store._db.execute(count).fetchone() == (0,)


@pytest.mark.parametrize(
    ("terms", "kept"),
    [
        (["Georgia", "Georgian", "Georgians"], ["Georgia", "Georgian"]),
        (["Putin", "putin", "PUTIN"], ["Putin"]),
        # The stemmer's first step rewrites these endings: both spellings stay.
        (["bus", "buss"], ["bus", "buss"]),
        (["tie", "ties"], ["tie", "ties"]),
        (["crevasse", "crevasses"], ["crevasse", "crevasses"]),
        (["Kučma", "Kucma"], ["Kučma"]),
        (["Кучма", "кучма"], ["Кучма", "кучма"]),  # not plain Latin: never compared
    ],
)
def test_spellings_the_index_cannot_tell_apart_are_asked_once(
    terms: list[str], kept: list[str]
) -> None:
    assert embedded_search._distinct_terms(terms) == kept


def test_a_plural_asked_once_still_finds_both_forms(store: EmbeddedStore) -> None:
    """The dropped plural stems as its singular: the articles found are the same."""
    for n, text in enumerate(["Georgians voted on Sunday.", "The Georgian troops left."]):
        item = make(text)
        store.write([Indexable(dataclasses.replace(item.article, id=f"g-{n}"), item.raw)])
    assert store.search(SearchQuery("Georgians")).total == 2
    assert store.search(SearchQuery("Georgian")).total == 2
