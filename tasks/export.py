"""Search hits and article parts as rows for spreadsheets: the CSV that `monitor search
--format csv`, `monitor show --format csv` and the browser search page all write.

One place for the columns and the cell rules, so a CSV saved from the terminal and one
downloaded from the page open the same way. Plain data in, text out: no store, no
Click.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module on every start: no store code here
    from workers.model import Article
    from workers.stores.base import SearchResult

SEARCH_COLUMNS = ("id", "title", "publication", "published_at", "url", "score", "headline")
# `monitor show ID --format csv`: the article's entities and citations in one sheet, a
# row each, told apart by `part` (a spreadsheet filters on it). For an entity `type` is
# person/location/organization; for a citation it is press/internal/web, `name` the
# cited outlet and `target_id` the article an internal citation points at.
SHOW_COLUMNS = ("article_id", "part", "type", "name", "wikidata", "mentions", "date", "target_id")
# Cells a spreadsheet would run as a formula ("=HYPERLINK(...)" in a headline taken from
# a fetched page): prefixed with a quote, as OWASP's CSV-injection advice says.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def search_rows(result: SearchResult) -> list[dict[str, object]]:
    """One row per hit, in rank order, keyed by `SEARCH_COLUMNS`; a value the hit lacks
    stays None (null in JSON, an empty cell in CSV)."""
    return [
        {
            "id": hit.id,
            "title": hit.title,
            "publication": hit.publication,
            "published_at": hit.published_at,
            "url": hit.url,
            "score": hit.score,
            "headline": hit.headline,
        }
        for hit in result.hits
    ]


def show_rows(article: Article, targets: Mapping[int, str | None]) -> list[dict[str, object]]:
    """`SHOW_COLUMNS` rows: entities (most mentioned first), then citations in text
    order; `targets` maps a citation's position to the id it resolves to."""
    entities = sorted(article.entities, key=lambda e: (e.type, -e.mentions, e.name))
    rows: list[dict[str, object]] = [
        {
            "article_id": article.id,
            "part": "entity",
            "type": e.type,
            "name": e.name,
            "wikidata": e.wikidata,
            "mentions": e.mentions,
        }
        for e in entities
    ]
    rows.extend(
        {
            "article_id": article.id,
            "part": "citation",
            "type": c.kind,
            "name": c.source,
            "date": c.date,
            "target_id": targets.get(i) or c.target_id,
        }
        for i, c in enumerate(article.citations)
    )
    return rows


def cell(value: object) -> str:
    """A value as a CSV cell: None empty, numbers as written, text that a spreadsheet
    would evaluate made inert."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def write_csv(
    rows: Iterable[Mapping[str, object]], columns: Sequence[str], stream: IO[str]
) -> None:
    """A header line, then one line per row (RFC 4180 quoting, `\\r\\n` line ends as
    spreadsheets expect); a column a row lacks is an empty cell."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in columns])
