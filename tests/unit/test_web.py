"""The search page's pieces without a server: reading a URL into a search, the links
a page builds, highlight escaping, CSV export, and what a slow or broken store does
to a page (the app in-process through Starlette's TestClient; stores that hang or
fail are stand-ins here, the real stores are in tests/integration/test_serve.py)."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tasks.export import SEARCH_COLUMNS, search_rows, write_csv
from tasks.web.app import create_app
from tasks.web.forms import RESULT_WINDOW, BadRequest, SearchForm, parse_form
from tasks.web.views import highlighted
from workers.stores import search_terms
from workers.stores.base import (
    QueryRefused,
    SearchHit,
    SearchQuery,
    SearchResult,
    StoreUnavailable,
)


def test_a_url_becomes_the_cli_query() -> None:
    form = parse_form(
        {
            "q": "  Kiriyenko   Duma ",
            "person": "Eltsin",
            "from": "1998",
            "to": "1998-02",
            "mentions_from": "1998-03",
            "cites": "",
            "page": "3",
            "size": "5",
        }
    )
    query = form.query()
    assert query == SearchQuery(
        "Kiriyenko Duma",
        person="Eltsin",
        date_from="1998-01-01",
        date_to="1998-02-28",
        mentions_from="1998-03-01",
        limit=5,
        offset=10,
        facets=True,
    )
    assert form.query(export=True).offset == 0  # an export starts at the top


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "1998-13"}, "from '1998-13' is not a date"),
        ({"mentions_to": "yesterday"}, "mentions_to 'yesterday' is not a date"),
        ({"person": "x" * 201}, "person is longer than 200 characters"),
        ({"page": "-1"}, "page must be a whole number"),
        ({"page": "²"}, "page must be a whole number"),
        ({"size": "0"}, "size must be a whole number from 1 to 100"),
        # Past 10,000 results Elasticsearch refuses to page; so does the page.
        ({"size": "100", "page": str(RESULT_WINDOW // 100 + 1)}, "from 1 to 100"),
    ],
)
def test_bad_parameters_say_what_is_wrong(params: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_form(params)


def test_links_keep_the_search_and_go_back_to_page_one() -> None:
    form = parse_form({"q": "Putin & Co", "place": "Moscow", "page": "4"})
    added = parse_qs(urlsplit(form.with_filter("person", "Yohei Kono")).query)
    assert added == {"q": ["Putin & Co"], "place": ["Moscow"], "person": ["Yohei Kono"]}
    assert form.without("place") == "/?q=Putin+%26+Co"
    assert form.page_url(2) == "/?q=Putin+%26+Co&place=Moscow&page=2"
    assert (
        SearchForm().url("/article", id="https://x/a?b=1")
        == "/article?id=https%3A%2F%2Fx%2Fa%3Fb%3D1"
    )


def test_highlights_escape_the_text_and_mark_only_the_spans() -> None:
    snippet = "<b>Kono</b> & Kirienko <script>"
    html = highlighted(snippet, ((3, 7), (14, 22)))
    assert str(html) == (
        "&lt;b&gt;<mark>Kono</mark>&lt;/b&gt; &amp; <mark>Kirienko</mark> &lt;script&gt;"
    )
    # Offsets that overlap or run past the text are skipped, never cut text.
    assert str(highlighted("abc", ((0, 2), (1, 3), (2, 9)))) == "<mark>ab</mark>c"


def test_csv_cells_a_spreadsheet_would_run_are_quoted() -> None:
    hit = SearchHit(
        id="a",
        title='=HYPERLINK("http://evil")',
        publication="Monitor",
        published_at=None,
        score=1.5,
        snippet="",
        headline="-2+3",
    )
    out = io.StringIO()
    write_csv(search_rows(SearchResult(total=1, hits=[hit])), SEARCH_COLUMNS, out)
    (row,) = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["title"] == '\'=HYPERLINK("http://evil")'
    assert row["headline"] == "'-2+3"
    assert row["published_at"] == "" and row["score"] == "1.5"


class Stalling:
    """A store whose search waits until released (or fails as told)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.release = threading.Event()
        self.error = error
        self.closed = False

    def search(self, query: SearchQuery) -> SearchResult:
        if self.error is not None:
            raise self.error
        self.release.wait(timeout=30)
        return SearchResult(total=0, hits=[])

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def stalling() -> Iterator[Stalling]:
    search_terms.query_clauses("Kono")  # the gazetteer loaded: only the store is slow
    store = Stalling()
    yield store
    store.release.set()


def get_page(
    store: Stalling, *, timeout_s: float = 0.5, then: Callable[[], object] = object, **params: str
) -> httpx.Response:
    """One GET / on the app over `store`, its lifespan started and stopped around it
    (`then` runs before the stop)."""
    app = create_app(lambda: store, timeout_s=timeout_s)  # type: ignore[arg-type,return-value]

    async def run() -> httpx.Response:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                page = await c.get("/", params=params)
            then()
        return page

    return asyncio.run(run())


def test_a_store_slower_than_the_timeout_is_a_503_page(stalling: Stalling) -> None:
    page = get_page(stalling, q="Kono", then=stalling.release.set)
    assert page.status_code == 503
    assert "did not answer within 0.5 s" in page.text
    assert stalling.closed  # the app closes its store when it stops


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (StoreUnavailable("embedded store var/monitor.sqlite3: disk I/O error"), 503, "disk I/O"),
        (QueryRefused("cannot search for 'x': fts5: syntax error"), 400, "cannot search for"),
        (RuntimeError("boom"), 500, "unexpected RuntimeError"),
        # A bug that raises ValueError is the server's fault, not a bad request.
        (ValueError("invalid literal for int()"), 500, "unexpected ValueError"),
    ],
)
def test_store_errors_are_pages_not_tracebacks(error: Exception, status: int, message: str) -> None:
    page = get_page(Stalling(error), q="Kono")
    assert page.status_code == status
    assert message in page.text and "Traceback" not in page.text
