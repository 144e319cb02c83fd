"""The search page in a real headless Chromium (Debian's `chromium`, driven by
playwright), against a real `monitor serve` on the embedded store and on
FakeElasticsearch: what an analyst does, step by step.

`make test-browser` runs these (`make test` leaves them out: they need the browser).
With MONITOR_TEST_SCREENSHOTS=DIR the flow also saves DIR/search.png and DIR/article.png
(`make screenshots` writes docs/img/).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tasks.export import SEARCH_COLUMNS
from tests.support.web import HOSTILE, KONO, KUCHMA, SCRIPT_TITLE, Served, indexed, serve

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = os.environ.get("MONITOR_TEST_SCREENSHOTS")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("the chromium package is not installed (apt-get install chromium)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module", params=["embedded", "elasticsearch"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    with indexed(request.param, tmp_path_factory.mktemp("var")) as env, serve(env) as served:
        yield served


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()
    assert dialogs == [], "a script from an article ran"


def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def assert_no_script_ran(page: Page) -> None:
    """The article's <script> would rename the page; its <img onerror> would alert
    (the `page` fixture fails on any dialog). Neither is an element of the page."""
    assert page.title() not in ("pwned-title", "pwned-body")
    assert page.locator("script, img").count() == 0


def titles(page: Page) -> list[str]:
    return page.locator("ol.hits h2 a").all_inner_texts()


def test_an_analyst_finds_reads_follows_and_exports(
    page: Page,
    server: Served,
    tmp_path: Path,
) -> None:
    # 1. Open the page: the newest articles, before anything is typed.
    page.goto(server.url)
    expect(page.locator(".summary")).to_contain_text("The newest articles: 3 articles")
    assert titles(page)[1:] == ["Kuchma denies any role", "Kono in Moscow"]

    # 2. Type a name in another spelling (the gazetteer's "Kiriyenko" for Sergei
    #    Kirienko, whom every article spells "Kirienko") and submit.
    page.get_by_role("searchbox", name="Search the archive").fill("Kiriyenko")
    page.get_by_role("button", name="Search", exact=True).click()

    # 3. See the articles, with what the spelling was widened to and the highlights.
    expect(page.locator(".summary")).to_contain_text("3 articles match")
    expect(page.locator(".widened")).to_contain_text(
        "(Kiriyenko as Sergei Kirienko: Sergei Kirienko,"
    )
    assert "Kono in Moscow" in titles(page)
    marks = page.locator("mark").all_inner_texts()
    assert marks and all(mark in "Sergei Kirienko" for mark in marks)
    assert SCRIPT_TITLE in titles(page)  # shown as text, not run
    assert_no_script_ran(page)
    shot(page, "search.png")

    # 4. Click a facet: the search narrows to articles about Ukraine.
    page.locator("aside.facets").get_by_role("link", name="Ukraine").click()
    expect(page.locator("ul.active")).to_contain_text("place: Ukraine")
    assert titles(page) == ["Kuchma denies any role"]
    assert page.get_by_role("searchbox").input_value() == "Kiriyenko"  # the query stays

    # 5. Open the article: text, metadata, what it talks about, its citations; its
    #    internal citation leads to the article it cites, with byline and source.
    page.get_by_role("link", name="Kuchma denies any role").click()
    expect(page.locator("h1")).to_have_text("Kuchma denies any role")
    expect(page.locator(".body")).to_contain_text("Leonid Kuchma again denied")
    expect(page.locator(".citations")).to_contain_text("internal: Kono in Moscow")
    page.locator(".citations").get_by_role("link", name="Monitor, 2001-01-17").click()
    expect(page.locator("h1")).to_have_text("Kono in Moscow")
    expect(page.locator(".byline")).to_have_text("By Analyst One")
    expect(page.locator(".source")).to_contain_text("the live site")
    shot(page, "article.png")

    # 6. Follow "cited by" links: the later articles citing this one, twice.
    page.locator(".cited-by").get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Kuchma denies any role")
    page.locator(".cited-by").get_by_role("link").click()
    assert page.url.endswith(f"/article?id={HOSTILE.article.id}")
    expect(page.locator("h1")).to_have_text(SCRIPT_TITLE)  # the markup, as text
    expect(page.locator(".body")).to_contain_text("<script>document.title='pwned-body'")
    assert_no_script_ran(page)

    # 7. Download the CSV of a search: the CLI's columns, the page's order.
    page.goto(server.url)
    page.get_by_role("searchbox").fill("Kirienko")
    page.get_by_role("searchbox").press("Enter")
    expect(page.locator(".summary")).to_contain_text("3 articles match")
    shown = titles(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == SEARCH_COLUMNS
    assert [r["headline"] for r in rows] == shown
    assert {r["id"] for r in rows} == {KONO.article.id, KUCHMA.article.id, HOSTILE.article.id}


def test_bad_input_is_a_page_that_says_so(
    page: Page,
    server: Served,
) -> None:
    page.goto(server.url)
    page.locator("details.filters summary").click()
    page.get_by_label("Published from").fill("last spring")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".error h1")).to_have_text("Cannot search for that")
    expect(page.locator(".error")).to_contain_text("from 'last spring' is not a date")
