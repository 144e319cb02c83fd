"""Issue 22, points 1, 7 and 9: one bad listing entry fails alone; limits hold on
every road; the port is part of a host's identity.

The hostile values are the audit's: a `<loc>`/`<link>` of `http://[::1/x/` (urlsplit
raises "Invalid IPv6 URL", a ValueError), a `<lastmod>`/feed date of
`0001-01-01T00:00:00+01:00` (year 0 in UTC: OverflowError), and a sitemap entry or
redirect pointing at `http://127.0.0.1:6391/`, a Redis on the allowed machine.
"""

from __future__ import annotations

import gzip

import httpx
import pytest

from tests.unit.fetching.test_fetch import make
from workers.crawl import _extract
from workers.extract.html import article_from_html
from workers.fetching.fetch import PermanentFetchError
from workers.model import InputError
from workers.sources.feed import parse_feed
from workers.sources.listing import article_links
from workers.sources.sitemap import parse_sitemap
from workers.urls import URLError, canonical_url, check_allowed, host_of, site_of

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
BAD_URL = "http://[::1/x/"
YEAR_ZERO = "0001-01-01T00:00:00+01:00"


def test_a_malformed_ipv6_url_is_a_url_error_not_a_crash() -> None:
    with pytest.raises(URLError, match="not a valid URL"):
        canonical_url(BAD_URL)
    with pytest.raises(URLError, match="not a valid URL"):
        canonical_url("/x/", base=BAD_URL)
    with pytest.raises(URLError, match="not a valid URL"):
        check_allowed(BAD_URL, {"jamestown.org"})
    assert host_of(BAD_URL) == ""
    # An IPv6 host keeps its brackets (it lost them: "http://::1:8080/x/").
    assert canonical_url("http://[::1]:8080/x") == "http://[::1]:8080/x/"


def test_bad_sitemap_entries_are_skipped_alone_with_their_reasons() -> None:
    data = (
        f"<urlset {NS}>"
        "<url><loc>https://jamestown.org/good-one-here/</loc><lastmod>2025-10-01</lastmod></url>"
        f"<url><loc>{BAD_URL}</loc></url>"
        f"<url><loc>https://jamestown.org/old-date-here/</loc><lastmod>{YEAR_ZERO}</lastmod></url>"
        "<url><loc>https://jamestown.org/good-two-here/</loc></url>"
        "</urlset>"
    ).encode()
    sitemap = parse_sitemap(data, base_url="https://jamestown.org/")
    assert [e.url for e in sitemap.entries] == [
        "https://jamestown.org/good-one-here/",
        "https://jamestown.org/good-two-here/",
    ]
    assert len(sitemap.errors) == 2
    assert sitemap.errors[0].startswith("url 2: not a valid URL")
    assert sitemap.errors[1] == f"url 3: <lastmod> {YEAR_ZERO!r} is out of range"


def test_bad_feed_entries_are_skipped_alone_with_their_reasons() -> None:
    dc = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
    data = (
        f'<?xml version="1.0"?><rss version="2.0" {dc}><channel><title>t</title>'
        "<item><title>a</title><link>https://jamestown.org/good-one-here/</link></item>"
        f"<item><title>b</title><link>{BAD_URL}</link></item>"
        "<item><title>c</title><link>https://jamestown.org/old-date-here/</link>"
        f"<dc:date>{YEAR_ZERO}</dc:date></item>"
        "<item><title>d</title><link>https://jamestown.org/far-date-here/</link>"
        "<dc:date>9999-12-31T23:59:59-05:00</dc:date></item>"
        "</channel></rss>"
    ).encode()
    feed = parse_feed(data, base_url="https://jamestown.org/feed/")
    items, errors = feed.items, feed.errors
    assert items == [("https://jamestown.org/good-one-here/", None)]
    # feedparser itself drops a link that is not a URL: the entry is reported linkless
    assert errors[0] == "entry 2 ('b') has no link"
    assert [e.split(":")[0] for e in errors[1:]] == ["entry 3", "entry 4"]
    assert "out of range" in errors[1] and "out of range" in errors[2]


PAGE = """<html><head><title>T</title>
<link rel="canonical" href="{canonical}">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Kept headline",
 "datePublished": "{published}"}}</script></head>
<body><article><h1>Kept headline</h1><div class="entry-content">
<p>Moscow and Tbilisi disagreed again on the border, the ministry said on Monday.</p>
<p>A second paragraph with more details about the talks and who attended them.</p>
</div></article></body></html>"""


def test_a_bad_canonical_or_date_on_a_page_drops_that_field_only() -> None:
    url = "https://jamestown.org/program/kept-page/"
    raw = article_from_html(PAGE.format(canonical=BAD_URL, published=YEAR_ZERO), url=url)
    assert raw.url == url  # the fetched address, not a crash
    assert raw.title == "Kept headline"
    assert "Moscow and Tbilisi" in raw.text
    assert raw.published_at != "0000-12-31"  # no UTC day for year 0: not stated


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1/x/", {"127.0.0.1"}),
        ("http://127.0.0.1:80/x/", {"127.0.0.1"}),
        ("https://jamestown.org:443/x/", {"jamestown.org"}),
        ("https://www.jamestown.org/x/", {"jamestown.org"}),
        ("http://127.0.0.1:8080/x/", {"127.0.0.1:8080"}),
        ("http://127.0.0.1:8080/x/", {"127.0.0.1:*"}),
        ("http://[::1]:8080/x/", {"[::1]:8080"}),
    ],
)
def test_allowed_hosts_name_a_port(url: str, allowed: set[str]) -> None:
    check_allowed(url, allowed)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:6391/", {"127.0.0.1"}),
        ("http://127.0.0.1:6391/", {"127.0.0.1:8080"}),
        ("https://jamestown.org:8443/x/", {"jamestown.org"}),
        ("http://127.0.0.1/x/", {"127.0.0.1:8080"}),
    ],
)
def test_another_port_on_an_allowed_host_is_refused(url: str, allowed: set[str]) -> None:
    with pytest.raises(URLError, match="not in the allowed hosts"):
        check_allowed(url, allowed)


def test_host_identity_keeps_a_non_default_port_and_politeness_does_not() -> None:
    assert host_of("https://JamesTown.org:443/x/") == "jamestown.org"
    assert host_of("http://127.0.0.1:6391/") == "127.0.0.1:6391"
    assert host_of("http://[::1]:80/") == "[::1]"
    # Rate limits and blocks are per machine: one bucket whatever the port.
    assert site_of("http://127.0.0.1:6391/") == site_of("http://127.0.0.1/") == "127.0.0.1"
    assert site_of(BAD_URL) == ""


def test_a_redirect_to_another_port_is_refused_before_it_is_requested() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://jamestown.org:6391/"})

    fetcher = make(handler)
    with pytest.raises(PermanentFetchError, match="not in the allowed hosts"):
        fetcher.get("https://jamestown.org/program/a/")
    assert seen == ["https://jamestown.org/program/a/"]


def test_a_listed_url_that_is_not_a_url_is_a_fetch_error() -> None:
    fetcher = make(lambda r: httpx.Response(200, text="ok"))
    with pytest.raises(PermanentFetchError, match="not a valid URL"):
        fetcher.get(BAD_URL)


# --- point 7: the article size limit on every road; sitemaps bounded per file --------


def test_an_article_page_is_held_to_the_article_limit_and_a_listing_is_not() -> None:
    body = b"<p>" + b"(Interfax, March " * 1000 + b"</p>"  # 17 KB
    fetcher = make(
        lambda r: httpx.Response(200, content=body), max_bytes=100_000, max_article_bytes=10_000
    )
    with pytest.raises(PermanentFetchError, match="over the 10,000-byte limit"):
        fetcher.get("https://jamestown.org/program/a/", article=True)
    assert fetcher.get("https://jamestown.org/feed/").body == body  # a feed may be larger


def test_a_rest_post_over_the_article_limit_fails_alone() -> None:
    post = {
        "type": "post",
        "link": "https://jamestown.org/program/huge-post-here/",
        "title": {"rendered": "Huge"},
        "content": {"rendered": "<p>" + "(Interfax, March " * 1000 + "</p>"},
    }
    with pytest.raises(InputError, match="REST post content is 17,007 bytes, over the 10,000"):
        _extract(post, None, max_bytes=10_000)
    assert _extract(post, None, max_bytes=20_000).title == "Huge"


def test_a_sitemap_is_read_up_to_the_protocols_entry_limit() -> None:
    entries = "".join(
        f"<url><loc>https://jamestown.org/post-number-{i}-here/</loc></url>" for i in range(12)
    )
    data = gzip.compress(f"<urlset {NS}>{entries}</urlset>".encode())
    sitemap = parse_sitemap(data, base_url="https://jamestown.org/", max_entries=10)
    assert len(sitemap.entries) == 10
    assert sitemap.entries[-1].url == "https://jamestown.org/post-number-9-here/"
    assert sitemap.errors == [
        "more than 10 entries (the sitemaps.org limit per file); the rest are not read"
    ]


def test_a_listing_page_nested_too_deep_is_refused_before_parsing() -> None:
    page = "<html><body>" + "<div>" * 100_000 + "<a href='/program/x-y-z/'>x</a>"
    with pytest.raises(InputError, match="nests over 10,000 elements deep"):
        article_links(page, base_url="https://jamestown.org/publications/edm/")
