"""Issue 22, point 3: a page nested past the limit is refused before lexbor parses it
(its parse time grows with the square of the depth: 100,000 closed `<div>`s took
184 s, 500,000 unclosed ones never finished), and real markup is never refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from workers.extract.html import article_from_html
from workers.extract.nesting import too_deep
from workers.model import InputError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "extraction"
GOOD = "<p>Moscow and Tbilisi disagreed again on the border, the ministry said.</p>"


@pytest.mark.parametrize(
    ("name", "html"),
    [
        ("100k closed divs", "<div>" * 100_000 + GOOD + "</div>" * 100_000),
        ("500k unclosed divs", "<html><body>" + "<div>" * 500_000 + GOOD),
        ("500k unclosed b", "<p>" + "<b>x" * 500_000),
        # The tree builder nests one div per pair: closing the <p>s must not hide it.
        ("div p pairs", "<div><p>x" * 20_000),
        ("self-closing divs", "<div/>" * 20_000 + GOOD),
        # End tags the tree builder does not honour must not close anything here:
        # each of these nests at least one level per repetition in lexbor.
        ("misnested bold", "<b><div></b>" * 20_000),
        ("misnested link", "<a><div></a>" * 20_000),
        ("a closed paragraph's end tag", "<p><div></p>" * 20_000),
        ("an end tag behind a table", "<div><table><td></div>" * 20_000),
        ("table tags outside a table", "<tr><td><div></td></tr>" * 20_000),
    ],
)
def test_deep_pages_are_refused_before_parsing_and_fast(name: str, html: str) -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="nests over 10,000 elements deep"):
        article_from_html(html, url="https://jamestown.org/program/deep/")
    assert time.monotonic() - started < 10, name  # lexbor alone took minutes


@pytest.mark.parametrize(
    ("name", "html"),
    [
        ("500k paragraphs", "<p>x" * 500_000),
        ("closed inline tags", "<i>x</i>" * 50_000),
        ("an unclosed list", "<ul>" + "<li>item" * 20_000 + "</ul>"),
        ("table rows", "<table>" + "<tr><td>a<td>b" * 20_000 + "</table>"),
        ("svg paths", "<svg>" + "<path d='M0 0'/>" * 20_000 + "</svg>"),
        ("divs in a comment", "<!--" + "<div>" * 20_000 + "-->" + GOOD),
        ("divs in a script", "<script>" + "'<div>'+" * 20_000 + "</script>" + GOOD),
        ("divs in attributes", "<a title='<div>'>x</a>" * 20_000),
        ("unclosed bold in paragraphs", "<p><b>x" * 20_000),
        ("unclosed font around paragraphs", "<font face=arial><p>x" * 20_000),
        ("unclosed cells", "<table><tr><td>x<td>y</table>" * 20_000),
        ("misnested inline tags", "<b><i>x</b></i>" * 20_000),
        ("list items holding paragraphs", "<ul>" + "<li><p>x" * 20_000 + "</ul>"),
        ("cells holding paragraphs", "<table><tr>" + "<td><p>x" * 20_000 + "</table>"),
    ],
)
def test_wide_pages_and_markup_that_is_not_nesting_pass(name: str, html: str) -> None:
    assert too_deep(html) is None, name


@pytest.mark.parametrize(
    ("name", "html"),
    [
        ("tag starts without an end", "<a" * 500_000),
        ("tag starts with spaces", "<a " * 500_000),
        ("comment starts", "<!--" * 500_000),
        ("script starts", "<script>" * 250_000),
        ("bare brackets", "<" * 2_000_000),
    ],
)
def test_the_scan_is_linear_on_text_full_of_brackets(name: str, html: str) -> None:
    started = time.monotonic()
    too_deep(html)
    assert time.monotonic() - started < 5, name  # a pattern scanning to '>' per '<': hours


def test_the_six_thousand_deep_page_of_issue_11_is_still_read() -> None:
    # Enough text for an article (a page with a few words is refused, issue 21).
    text = "Text at the bottom. " + "The talks in Moscow produced little progress. " * 10
    html = "<title>Deep</title>" + "<div>" * 6000 + text + "</div>" * 6000
    assert too_deep(html) is None
    assert "Text at the bottom." in article_from_html(html, url="https://jamestown.org/x/").text


def test_the_estimate_follows_real_pages() -> None:
    for page in FIXTURES.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert too_deep(html) is None
        assert too_deep(html, limit=4) is not None  # they do nest: the scan sees it
        assert too_deep(html, limit=20) is None, page.name
