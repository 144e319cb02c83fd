"""Search results as rows: what `monitor search --format csv/json` and the search
page's CSV and JSON links give, with the same columns everywhere.

Article text is untrusted: a title starting with `=` would be a formula to a
spreadsheet that opens the CSV, so such cells are written with a leading quote.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import TextIO

from workers.stores.base import SearchResult

SEARCH_COLUMNS = ("id", "title", "publication", "published_at", "url", "score", "headline")
# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def search_rows(result: SearchResult) -> list[dict[str, object]]:
    """One row per hit, keyed by SEARCH_COLUMNS, in ranking order."""
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


def write_csv(rows: Iterable[dict[str, object]], columns: Sequence[str], stream: TextIO) -> None:
    """`rows` as CSV with a header line; a missing value is an empty cell."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text
