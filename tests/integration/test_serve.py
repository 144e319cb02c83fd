"""`monitor serve` over HTTP: a real uvicorn process, on the embedded store and on
Elasticsearch (FakeElasticsearch), the same pages from both.

What a user would notice: the search and article pages, escaping of untrusted
article text, clear 400/404 pages for bad input (never a traceback), no endpoint
that writes, answers only to local host names, exports with the CLI's columns.
The browser flows are in tests/browser/.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tasks.export import SEARCH_COLUMNS
from tasks.web.forms import MAX_QUERY_CHARS
from tests.support.processes import ROOT, env_with
from tests.support.web import (
    HOSTILE,
    KONO,
    KUCHMA,
    SCRIPT_BODY,
    SCRIPT_TITLE,
    Served,
    indexed,
    serve,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["embedded", "elasticsearch"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    with indexed(request.param, tmp_path_factory.mktemp("var")) as env, serve(env) as served:
        yield served


def get(server: Served, path: str = "", **params: str) -> httpx.Response:
    return httpx.get(server.url + path, params=params, timeout=30)


def article_ids(html: str) -> list[str]:
    return re.findall(r'href="/article\?id=([^"&]+)"', html)


def test_a_name_in_another_spelling_finds_the_articles(server: Served) -> None:
    page = get(server, q="Kiriyenko")
    assert page.status_code == 200
    assert set(article_ids(page.text)) == {KONO.article.id, KUCHMA.article.id, HOSTILE.article.id}
    assert "(Kiriyenko as Sergei Kirienko: Sergei Kirienko, Kirienko," in page.text
    assert "<mark>Kirienko</mark>" in page.text  # the highlight, the only markup added
    assert "server-timing" in page.headers


def test_an_empty_query_lists_the_newest_with_pages(server: Served) -> None:
    newest = [HOSTILE.article.id, KUCHMA.article.id, KONO.article.id]
    assert article_ids(get(server).text) == newest
    second = get(server, size="1", page="2")
    assert article_ids(second.text) == [KUCHMA.article.id]
    assert 'href="/?size=1&amp;page=3"' in second.text  # the next page keeps the size


def test_facet_links_add_a_filter_to_the_search(server: Served) -> None:
    page = get(server, q="Kiriyenko").text
    link = re.search(r'href="(/\?q=Kiriyenko&amp;place=Ukraine)"', page)
    assert link, "a facet value is a link adding its filter"
    narrowed = httpx.get(server.url.rstrip("/") + link.group(1).replace("&amp;", "&"))
    assert article_ids(narrowed.text) == [KUCHMA.article.id]
    assert "place: <strong>Ukraine</strong>" in narrowed.text  # shown, with a remove link


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cites": "itar tass"}, ["KUCHMA"]),
        ({"mentions_from": "1956", "mentions_to": "1956"}, ["KONO"]),
        ({"person": "Kuchma", "from": "2001-01-23"}, ["HOSTILE"]),
        ({"q": "Kirienko", "to": "2001-01-23"}, ["KONO", "KUCHMA"]),
        ({"publication": "edm"}, []),
    ],
)
def test_the_cli_filters(server: Served, params: dict[str, str], expected: list[str]) -> None:
    named = {"KONO": KONO, "KUCHMA": KUCHMA, "HOSTILE": HOSTILE}
    found = article_ids(get(server, **params).text)
    assert sorted(found) == sorted(named[n].article.id for n in expected)


def test_article_text_is_escaped_everywhere(server: Served) -> None:
    pages = [
        get(server, q="Kirienko"),
        get(server, "article", id=HOSTILE.article.id),
        get(server, "article", id=KUCHMA.article.id),  # cited by HOSTILE: its headline
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<script" not in page.text.lower()
        assert "<img" not in page.text.lower() and "<b>" not in page.text
        assert 'href="javascript' not in page.text  # a stored URL never becomes a link
        assert "&lt;script&gt;" in page.text
    article = pages[1].text
    assert "&lt;script&gt;document.title=&#34;pwned-title&#34;&lt;/script&gt;" in article
    assert SCRIPT_TITLE not in article and SCRIPT_BODY not in article
    assert "content-security-policy" in pages[1].headers


def test_the_article_page(server: Served) -> None:
    page = get(server, "article", id=KUCHMA.article.id).text
    assert "<h1>Kuchma denies any role</h1>" in page
    # Entities and dates talked about link to searches; the internal citation links
    # to the cited article, "cited by" to the citing one.
    assert 'href="/?person=Leonid+Kuchma"' in page
    assert 'href="/?mentions_from=2001-01-19&amp;mentions_to=2001-01-19"' in page
    assert f'href="/article?id={KONO.article.id}">Monitor, 2001-01-17</a>' in page
    assert 'href="/?cites=ITAR-TASS"' in page
    cited_by = page.split("Cited by (1)")[1]
    assert article_ids(cited_by) == [HOSTILE.article.id]
    kono = get(server, "article", id=KONO.article.id).text
    assert "By Analyst One" in kono
    assert 'href="https://jamestown.org/program/kono-in-moscow/"' in kono
    assert "the live site" in kono


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("", {"q": "x", "from": "January"}, 400, "from &#39;January&#39; is not a date"),
        ("", {"mentions_to": "2001-02-30"}, 400, "is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("", {"q": "x" * (MAX_QUERY_CHARS + 1)}, 400, f"longer than {MAX_QUERY_CHARS}"),
        ("", {"page": "0"}, 400, "page must be a whole number"),
        ("", {"size": "100000"}, 400, "size must be a whole number from 1 to 100"),
        ("", {"page": "9" * 5000}, 400, "page must be a whole number"),
        ("export.csv", {"to": "soon"}, 400, "to &#39;soon&#39; is not a date"),
        ("article", {}, 400, "give an article id"),
        ("article", {"id": "no-such-article"}, 404, "no article with id"),
        ("nowhere", {}, 404, "Not found"),
    ],
)
def test_bad_input_is_a_clear_page(
    server: Served, path: str, params: dict[str, str], status: int, message: str
) -> None:
    page = get(server, path, **params)
    assert page.status_code == status
    assert message in page.text
    assert "Traceback" not in page.text and page.headers["content-type"].startswith("text/html")


def test_nothing_writes(server: Served) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("", "article", "export.csv"):
            answer = httpx.request(method, server.url + path, timeout=30)
            assert answer.status_code == 405, (method, path)
    assert get(server).status_code == 200


def test_answers_only_to_local_host_names(server: Served) -> None:
    """It listens on 127.0.0.1 unless told otherwise, and a page on another site
    cannot read it by pointing its own name at 127.0.0.1 (DNS rebinding): the Host
    header must be a local name."""
    assert server.url.startswith("http://127.0.0.1:")  # `serve` gives no --host
    refused = httpx.get(server.url, headers={"host": "attacker.example"}, timeout=30)
    assert refused.status_code == 400
    port = server.url.rsplit(":", 1)[1].strip("/")
    assert httpx.get(f"http://localhost:{port}/", timeout=30).status_code == 200


def test_exports_have_the_cli_columns_and_the_page_order(server: Served) -> None:
    page_order = article_ids(get(server, q="Kirienko").text)
    exported = get(server, "export.csv", q="Kirienko")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert tuple(rows[0]) == SEARCH_COLUMNS
    assert [r["id"] for r in rows] == page_order
    hostile = next(r for r in rows if r["id"] == HOSTILE.article.id)
    assert hostile["title"] == SCRIPT_TITLE  # data, unchanged (not HTML)
    data = get(server, "export.json", q="Kirienko").json()
    assert [h["id"] for h in data["hits"]] == page_order
    assert data["total"] == len(page_order)
    assert set(data["hits"][0]) == set(SEARCH_COLUMNS)


def test_a_taken_port_is_one_error_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tasks.cli", "serve", "--port", str(port)],
            env=env_with({"MONITOR_DATA_DIR": str(tmp_path)}),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.startswith(f"monitor: error: cannot listen on 127.0.0.1:{port}")
    assert len(done.stderr.splitlines()) == 1


def test_a_huge_request_line_is_refused_and_the_server_stays_up(server: Served) -> None:
    """2 MB of query string (past what any client sends): uvicorn refuses it
    (h11's 16 KB bound on an incomplete request) and the next page still answers."""
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        # The server may close before reading it all: refused either way.
        with contextlib.suppress(OSError):
            raw.sendall(b"GET /?q=" + b"x" * 2_000_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        with contextlib.suppress(OSError):
            answer = raw.recv(200)
    assert answer.startswith(b"HTTP/1.1 400") or answer == b""
    assert get(server).status_code == 200


def test_an_unreachable_elasticsearch_is_a_503_page(
    tmp_path: Path,
) -> None:
    """The page starts without its store; a store it cannot reach is a page saying
    so, every time, and never a traceback or a dead server."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens once the socket is closed
    env = {
        "MONITOR_ELASTICSEARCH_URL": f"http://127.0.0.1:{port}",
        "MONITOR_DATA_DIR": str(tmp_path),
    }
    with serve(env) as served:
        for _ in range(2):
            page = httpx.get(served.url, params={"q": "Kono"}, timeout=60)
            assert page.status_code == 503
            assert "The index is not answering" in page.text
            assert "unavailable" in page.text and "Traceback" not in page.text
