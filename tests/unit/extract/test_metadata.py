"""Page metadata from JSON-LD, OpenGraph and links (workers.extract.metadata).

Shapes: schema.org Article (https://schema.org/Article) as Yoast SEO emits it, in an
`@graph` with the author given by `@id`
(https://developer.yoast.com/features/schema/pieces/article/); OpenGraph article
tags (https://ogp.me/#type_article); WordPress's `rel="category tag"` links.
"""

from __future__ import annotations

import json

import pytest
from selectolax.lexbor import LexborHTMLParser

from workers.extract.body import MAX_HEURISTIC_TAGS
from workers.extract.html import article_from_html
from workers.extract.metadata import iso_date, page_meta, publication_of, strip_site


def meta_of(head: str, body: str = "") -> object:
    return page_meta(LexborHTMLParser(f"<html><head>{head}</head><body>{body}</body></html>"))


def ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_yoast_graph_author_by_id_and_section() -> None:
    graph = {
        "@graph": [
            {"@type": "WebPage", "name": "Not the headline"},
            {
                "@type": ["Article", "NewsArticle"],
                "headline": "Moscow Bets on the North",
                "datePublished": "2025-03-04T09:00:00+00:00",
                "author": [{"@id": "#p1"}, {"@id": "#p2"}],
                "articleSection": ["Russia", "Eurasia Daily Monitor"],
            },
            {"@type": "Person", "@id": "#p1", "name": "Sergey Sukhankin"},
            {"@type": "Person", "@id": "#p2", "name": "By: Paul Goble"},
        ]
    }
    meta = meta_of(ld(graph))
    assert meta == type(meta)(
        title="Moscow Bets on the North",
        published_at="2025-03-04",
        authors=("Sergey Sukhankin", "Paul Goble"),
        publication="Eurasia Daily Monitor",
        canonical=None,
    )


def test_json_ld_in_cdata_and_publisher_is_no_author() -> None:
    data = {
        "@type": "NewsArticle",
        "headline": "H",
        "author": {"@type": "Organization", "name": "The Jamestown Foundation"},
    }
    meta = meta_of(f'<script type="application/ld+json"><![CDATA[{json.dumps(data)}]]></script>')
    assert (meta.title, meta.authors) == ("H", ())  # type: ignore[attr-defined]


def test_opengraph_and_links_when_there_is_no_json_ld() -> None:
    meta = meta_of(
        '<meta property="og:title" content="China Eyes the Arctic | The Jamestown Foundation">'
        '<meta property="article:published_time" content="2025-01-31T22:30:00-05:00">'
        '<meta property="og:url" content="https://jamestown.org/china-eyes-the-arctic/">',
        '<a rel="author" href="/analyst/a/">Ann Example</a>'
        '<a href="/publications/cb/" rel="category tag">China Brief</a>',
    )
    assert meta.title == "China Eyes the Arctic"  # type: ignore[attr-defined]
    # 22:30 in Washington on January 31 is February 1 in UTC, as date_gmt says.
    assert meta.published_at == "2025-02-01"  # type: ignore[attr-defined]
    assert meta.authors == ("Ann Example",)  # type: ignore[attr-defined]
    assert meta.publication == "China Brief"  # type: ignore[attr-defined]
    assert meta.canonical == "https://jamestown.org/china-eyes-the-arctic/"  # type: ignore[attr-defined]


def test_a_page_that_states_nothing_gets_nothing() -> None:
    meta = meta_of("<title>x</title>", "<p>Prose only.</p>")
    assert meta == type(meta)()


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Headline - The Jamestown Foundation", None, "Headline"),
        ("Headline | Site Name", "Site Name", "Headline"),
        ("Russia - Ukraine Talks Stall", None, "Russia - Ukraine Talks Stall"),
        ("The Jamestown Foundation", None, "The Jamestown Foundation"),
    ],
)
def test_only_the_site_name_is_cut_from_a_title(
    title: str, site: str | None, expected: str
) -> None:
    assert strip_site(title, site=site) == expected


def test_topic_categories_are_not_publications() -> None:
    assert publication_of(["Russia", "Military/Security", None]) is None
    assert publication_of(["Russia", "Terrorism Monitor"]) == "Terrorism Monitor"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-10-02T01:30:00", "2025-10-02"),  # REST date_gmt: no zone, already GMT
        ("2025-10-01T21:30:00-04:00", "2025-10-02"),
        ("2015-10-15T02:19:15.607Z", "2015-10-15"),
        ("Sat Dec 07 2024", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_dates(value: str | None, expected: str | None) -> None:
    assert iso_date(value) == expected


def test_page_wrapped_in_a_form_is_read() -> None:
    # ASP.NET pages put the whole page in one <form>: it is not noise.
    html = (
        "<head><title>Form</title></head><body><form id='aspnetForm'><div><p>Real prose in "
        "the form, long enough to be read as an article.</p></div></form></body>"
    )
    assert article_from_html(html, url="https://jamestown.org/f/").text == (
        "Real prose in the form, long enough to be read as an article.\n"
    )


def test_page_over_the_heuristics_bound_is_read_by_our_own_walk() -> None:
    inline = "<i>x</i> " * (MAX_HEURISTIC_TAGS // 2 + 1)
    html = f"<html><body><p>First.</p><p>{inline}</p><p>Last.</p></body></html>"
    raw = article_from_html(html, url="https://jamestown.org/many-tags/")
    first, middle, last = raw.text.strip().split("\n\n")
    assert (first, last) == ("First.", "Last.")
    assert middle.split() == ["x"] * (MAX_HEURISTIC_TAGS // 2 + 1)
