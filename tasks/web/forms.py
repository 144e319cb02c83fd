"""What a search page URL means: the GET parameters as a checked `SearchForm`.

Pure functions, no web framework: parameters in, a `SearchQuery` (or `BadRequest`
with a sentence for the user) out, and the links a page needs (a facet adding a
filter, a filter removed, another page) built from the same form. The parameter
names are the CLI's options (`person`, `mentions_from`, `from`, ...), so a search
link reads like the command that gives the same result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from workers.errors import UsageError
from workers.stores import search_terms
from workers.stores.base import SearchQuery

MAX_QUERY_CHARS = 500
MAX_FILTER_CHARS = 200
PAGE_SIZE = 10  # as the CLI: each shown hit costs a snippet (FTS5 reads its text)
MAX_PAGE_SIZE = 100
# Elasticsearch refuses `from + size` past index.max_result_window (10,000 by
# default); the embedded store keeps the same bound so both page alike.
RESULT_WINDOW = 10_000
EXPORT_ROWS = 1_000  # the CLI's largest --limit
# Filter parameter -> SearchQuery field; dates also say whether they are upper bounds.
FILTERS = {
    "person": "person",
    "place": "place",
    "org": "org",
    "publication": "publication",
    "cites": "cites",
    "from": "date_from",
    "to": "date_to",
    "mentions_from": "mentions_from",
    "mentions_to": "mentions_to",
}
UPPER_BOUNDS = {"to", "mentions_to"}
DATE_FILTERS = {"from", "to", "mentions_from", "mentions_to"}


class BadRequest(UsageError):
    """Input a user can fix; the message is shown on a 400 page."""


@dataclass(frozen=True, slots=True)
class SearchForm:
    """A search as the user wrote it: the text, the filters given (parameter name ->
    value as typed), the page (1-based) and its size."""

    q: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    page: int = 1
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def filter(self, name: str) -> str:
        return dict(self.filters).get(name, "")

    def query(self, *, facets: bool = True, export: bool = False) -> SearchQuery:
        """The store's query: this page of results, or the first EXPORT_ROWS to export."""
        values: dict[str, Any] = {}  # SearchQuery's filter fields, by name
        for name, value in self.filters:
            bound = (
                search_terms.date_bound(value, end=name in UPPER_BOUNDS)
                if name in DATE_FILTERS
                else value
            )
            values[FILTERS[name]] = bound
        limit, offset = (EXPORT_ROWS, 0) if export else (self.size, self.offset)
        return SearchQuery(self.q, limit=limit, offset=offset, facets=facets, **values)

    def url(self, path: str = "/", /, **changes: str | int | None) -> str:
        """This search at `path` with some parameters changed (None removes one); the
        page goes back to 1 unless given, since other filters mean other pages."""
        params: dict[str, str | int] = {"q": self.q, **dict(self.filters)}
        if self.size != PAGE_SIZE:
            params["size"] = self.size
        changes.setdefault("page", None)
        for name, value in changes.items():
            if value is None or value == "":
                params.pop(name, None)
            else:
                params[name] = value
        if params.get("page") == 1:
            del params["page"]
        kept = {k: v for k, v in params.items() if v != ""}
        return f"{path}?{urlencode(kept)}" if kept else path

    def with_filter(self, name: str, value: str) -> str:
        return self.url(**{name: value})

    def without(self, name: str) -> str:
        return self.url(**{name: None})

    def page_url(self, page: int) -> str:
        return self.url(page=page)


def parse_form(params: Mapping[str, str]) -> SearchForm:
    """The search a URL asks for, every value checked: a bad date, an overlong query
    or a page past what can be shown raise `BadRequest` with a sentence saying so."""
    q = " ".join(params.get("q", "").split())
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query is longer than {MAX_QUERY_CHARS} characters")
    filters = []
    for name in FILTERS:
        value = " ".join(params.get(name, "").split())
        if not value:
            continue
        if len(value) > MAX_FILTER_CHARS:
            raise BadRequest(f"{name} is longer than {MAX_FILTER_CHARS} characters")
        if name in DATE_FILTERS:
            try:
                search_terms.date_bound(value, end=name in UPPER_BOUNDS)
            except search_terms.BadDate as exc:
                raise BadRequest(f"{name} {value!r} {exc}") from None
        filters.append((name, value))
    size = _number(params, "size", PAGE_SIZE, high=MAX_PAGE_SIZE)
    page = _number(params, "page", 1, high=RESULT_WINDOW // size)
    return SearchForm(q=q, filters=tuple(filters), page=page, size=size)


def _number(params: Mapping[str, str], name: str, default: int, *, high: int) -> int:
    text = params.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= high):
        raise BadRequest(f"{name} must be a whole number from 1 to {high}")
    return int(text)
