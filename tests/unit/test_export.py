"""The CSV that `monitor search/show --format csv` and the browser page write
(`tasks.export`): RFC 4180 lines a spreadsheet opens as they are, and no cell it
would run as a formula (a headline comes from a fetched page, so it is not ours)."""

from __future__ import annotations

import csv
import io

import pytest

from tasks.export import SEARCH_COLUMNS, SHOW_COLUMNS, cell, search_rows, show_rows, write_csv
from workers.model import Article, Citation, Entity
from workers.stores.base import SearchHit, SearchResult

HIT = SearchHit(
    id="monitor-1",
    title=None,
    publication="Monitor",
    published_at=None,
    score=1.25,
    snippet="…",
    headline='Kono, "the talks", and Moscow\nagain',
)


def test_search_rows_follow_the_columns_in_rank_order() -> None:
    second = SearchHit("edm-2", "A title", "Eurasia Daily Monitor", "2016-04-14", 0.5, "", "u")
    rows = search_rows(SearchResult(total=2, hits=[HIT, second]))
    assert [list(r) for r in rows] == [list(SEARCH_COLUMNS)] * 2
    assert [r["id"] for r in rows] == ["monitor-1", "edm-2"]
    assert rows[0]["title"] is None and rows[0]["published_at"] is None  # null in JSON
    assert rows[1]["url"] == "u"


def test_quotes_commas_and_newlines_survive_a_round_trip() -> None:
    out = io.StringIO(newline="")
    write_csv(search_rows(SearchResult(total=1, hits=[HIT])), SEARCH_COLUMNS, out)
    text = out.getvalue()
    assert text.startswith(",".join(SEARCH_COLUMNS) + "\r\n")  # RFC 4180 line ends
    (row,) = csv.DictReader(io.StringIO(text, newline=""))
    assert row["headline"] == HIT.headline and row["score"] == "1.25"
    assert row["title"] == "" and row["url"] == ""  # None is an empty cell


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_a_cell_a_spreadsheet_would_evaluate_is_made_inert(text: str) -> None:
    assert cell(text) == f"'{text}"


def test_numbers_and_empty_values_stay_as_they_are() -> None:
    assert (cell(-1.5), cell(3), cell(None), cell("Kono")) == ("-1.5", "3", "", "Kono")


def test_show_rows_hold_entities_then_citations_with_their_targets() -> None:
    article = Article(
        id="monitor-7",
        publication="Monitor",
        body="…",
        content_hash="h",
        pipeline_version="p",
        entities=(
            Entity("Moscow", "location", 2, wikidata="Q649"),
            Entity("Yohei Kono", "person", 5),
        ),
        citations=(
            Citation("Monitor", "2001-01-17", "internal"),
            Citation("Kyodo", "2001-01-16", "press"),
        ),
    )
    rows = show_rows(article, {0: "monitor-6"})
    assert [(r["part"], r["name"]) for r in rows] == [
        ("entity", "Moscow"),
        ("entity", "Yohei Kono"),
        ("citation", "Monitor"),
        ("citation", "Kyodo"),
    ]
    assert rows[0]["wikidata"] == "Q649" and rows[1]["mentions"] == 5
    assert rows[2]["target_id"] == "monitor-6" and rows[3].get("target_id") is None
    out = io.StringIO(newline="")
    write_csv(rows, SHOW_COLUMNS, out)
    assert (
        out.getvalue().splitlines()[3]
        == "monitor-7,citation,internal,Monitor,,,2001-01-17,monitor-6"
    )
