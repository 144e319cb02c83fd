"""Sitemap parsing. Shapes per sitemaps.org (`<sitemapindex>`/`<urlset>`, W3C datetime
`<lastmod>`), WordPress core's names (`wp-sitemap-posts-post-N.xml`, since WP 5.5) and
Yoast's (`post-sitemap.xml`, `post-sitemap2.xml`)."""

from __future__ import annotations

import gzip

import pytest

from workers.model import InputError
from workers.sources.sitemap import (
    MAX_UNPACKED_BYTES,
    Entry,
    lastmod,
    parse_sitemap,
    post_sitemaps,
)

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
BASE = "https://jamestown.org/"


def test_a_url_set_with_lastmod() -> None:
    data = (
        f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>'
        "<url><loc>https://jamestown.org/kremlin-tightens-control</loc>"
        "<lastmod>2025-10-01T12:30:00+03:00</lastmod></url>"
        "<url><loc>https://www.jamestown.org/program/old-one/</loc></url>"
        "<url><lastmod>2025-10-01</lastmod></url>"
        "</urlset>"
    ).encode()
    sitemap = parse_sitemap(data, base_url=BASE)
    assert not sitemap.is_index
    assert sitemap.entries == [
        Entry("https://jamestown.org/kremlin-tightens-control/", "2025-10-01T09:30:00+00:00"),
        Entry("https://jamestown.org/program/old-one/", None),
    ]
    assert sitemap.errors == ["url 3 has no <loc>"]


def test_an_index_keeps_only_post_sitemaps() -> None:
    children = [
        "wp-sitemap-posts-post-1.xml",
        "wp-sitemap-posts-post-2.xml",
        "wp-sitemap-posts-page-1.xml",
        "wp-sitemap-posts-book-1.xml",
        "wp-sitemap-taxonomies-category-1.xml",
        "wp-sitemap-users-1.xml",
    ]
    data = (
        f"<sitemapindex {NS}>"
        + "".join(f"<sitemap><loc>{BASE}{c}</loc></sitemap>" for c in children)
        + "</sitemapindex>"
    ).encode()
    sitemap = parse_sitemap(data, base_url=BASE)
    assert sitemap.is_index
    posts, told_apart = post_sitemaps(sitemap.entries)
    assert [e.url.rsplit("/", 1)[-1] for e in posts] == children[:2] and told_apart


def test_yoast_and_unknown_generators() -> None:
    yoast = [
        Entry(f"{BASE}{n}", None)
        for n in ("post-sitemap.xml", "post-sitemap2.xml", "page-sitemap.xml", "author-sitemap.xml")
    ]
    assert post_sitemaps(yoast) == (yoast[:2], True)
    other = [Entry(f"{BASE}sitemap-1.xml", None), Entry(f"{BASE}sitemap-2.xml", None)]
    assert post_sitemaps(other) == (other, False)  # read whole, filtered by URL


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<!DOCTYPE x [<!ENTITY a "aaaa">]><urlset><url><loc>&a;</loc></url></urlset>',
            "unsafe XML",
        ),
        (b"<html><body>Not found</body></html>", "not a sitemap"),
        (b"<urlset><url><loc>", "not well-formed"),
        (b'<?xml version="1.0" encoding="bogus-8"?><urlset/>', "unusable encoding"),
        (b'<?xml version="1.0" encoding="idna"?><urlset/>', "unusable encoding"),
    ],
)
def test_hostile_or_wrong_documents_are_one_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_sitemap(data, base_url=BASE)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-10-01", "2025-10-01T00:00:00+00:00"),
        ("2025-10-01T10:00:00Z", "2025-10-01T10:00:00+00:00"),
        ("2025-10-01T10:00:00-05:00", "2025-10-01T15:00:00+00:00"),
        ("last tuesday", None),
        (None, None),
    ],
)
def test_lastmod_is_utc(value: str | None, expected: str | None) -> None:
    assert lastmod(value) == expected


URLSET = (
    f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>'
    "<url><loc>https://jamestown.org/kremlin-tightens-control/</loc></url></urlset>"
).encode()


def test_a_gzip_file_reads_as_the_plain_one() -> None:
    """sitemaps.org: a sitemap may be gzip-compressed (`post-sitemap.xml.gz`)."""
    plain = parse_sitemap(URLSET, base_url=BASE)
    assert parse_sitemap(gzip.compress(URLSET), base_url=BASE) == plain
    packed = [Entry(f"{BASE}post-sitemap.xml.gz", None), Entry(f"{BASE}page-sitemap.xml.gz", None)]
    assert post_sitemaps(packed) == (packed[:1], True)


def test_a_gzip_bomb_or_a_cut_file_is_one_error() -> None:
    # 60 MB of whitespace inside a urlset packs into ~60 KB; the protocol's limit is 50 MB.
    bomb = gzip.compress(b"<urlset>" + b" " * (MAX_UNPACKED_BYTES + 10_000_000) + b"</urlset>")
    assert len(bomb) < 200_000
    with pytest.raises(InputError, match="larger than 52,428,800 bytes once unpacked"):
        parse_sitemap(bomb, base_url=BASE)
    with pytest.raises(InputError, match="truncated gzip"):
        parse_sitemap(gzip.compress(URLSET)[:-12], base_url=BASE)
