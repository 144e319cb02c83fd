"""Bylines: the analyst, never the WordPress account (issue 21 item 8).

The evidence for the shapes is in workers/extract/bylines.py's docstring and in
tests/fixtures/extraction/rest_post_account_author.json.
"""

from __future__ import annotations

import time

import pytest
from selectolax.lexbor import LexborHTMLParser

from workers.extract.bylines import analyst_names, byline_names, is_account_name


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By: Paul Goble", ("Paul Goble",)),
        ("By:", ()),
        ("By Paul Goble", ("Paul Goble",)),  # the older posts' content, no colon
        ("By Jan de Vries and Omar al-Bashir", ("Jan de Vries", "Omar al-Bashir")),
        (
            "By Paul Goble, Jacob Zenn & Sergey Sukhankin",
            ("Paul Goble", "Jacob Zenn", "Sergey Sukhankin"),
        ),
        # Prose that opens with "By" is not a byline.
        ("By approving additional defense spending, the Baltic States answered.", None),
        ("By March 2020 the talks had stalled", None),
        ("by the way", None),
        ("By Region", None),  # a menu entry, not a byline
        ("By: Goble", ("Goble",)),  # with the colon the page says it is a byline
        ("Bypass roads in Donbas", None),
        ("By " + "Paul " * 100, None),  # too long for a byline
        ("By " + " " * 1_000_000 + "Paul Goble", ("Paul Goble",)),
    ],
)
def test_byline_lines(line: str, names: tuple[str, ...] | None) -> None:
    assert byline_names(line) == names


def test_without_colonless_only_the_colon_form_counts() -> None:
    assert byline_names("By Paul Goble", colonless=False) is None
    assert byline_names("By: Paul Goble", colonless=False) == ("Paul Goble",)


@pytest.mark.parametrize(
    ("name", "account"),
    [
        ("admin", True),
        ("Admin", True),
        ("jf-web-editor", True),
        ("Jf-Web-Editor", True),  # trafilatura title-cases the login it finds
        ("editor2", True),
        ("ops@example.org", True),
        ("Paul Goble", False),
        ("Jean-Paul Sartre", False),
        ("Goble", False),
    ],
)
def test_account_names(name: str, account: bool) -> None:
    assert is_account_name(name) is account


def test_analyst_links_name_the_analysts_in_order_once() -> None:
    tree = LexborHTMLParser(
        "<div><a href='/analyst/paul-goble/'>Paul Goble</a> and "
        "<a href='https://jamestown.org/analyst/jacob-zenn/'>Jacob Zenn</a>"
        "<a href='/analyst/paul-goble/'>Paul Goble</a>"
        "<a href='/analyst/'>All analysts</a><a href='/author/admin/'>admin</a>"
        "<a href='/analyst/x/'>Read more about this analyst here</a></div>"
    )
    assert analyst_names(tree.body) == ("Paul Goble", "Jacob Zenn")
    assert analyst_names(None) == ()


def test_thousands_of_analyst_links_are_read_in_bounded_time() -> None:
    links = "".join(f"<a href='/analyst/a{i}/'>Analyst Number</a>" for i in range(50_000))
    tree = LexborHTMLParser(f"<div>{links}</div>")
    started = time.perf_counter()
    assert analyst_names(tree.body) == ("Analyst Number",)
    assert time.perf_counter() - started < 5
