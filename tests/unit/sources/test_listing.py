from __future__ import annotations

from workers.sources.listing import article_links, listing_page_url

LISTING = """<html><body>
<nav><a href="/programs/edm/">EDM</a><a href="/program-name/edm/page/2/">next</a></nav>
<h3><a href="/program/first-article/">First</a></h3><p>Teaser... <a href="https://jamestown.org/program/first-article?utm_source=x">MORE</a></p>
<h3><a href="https://www.jamestown.org/program/second-article-2">Second</a></h3>
<a href="/program/china-brief/feed/">feed</a>
<a href="https://twitter.com/program/x/">tweet</a>
<a href="/program/?s=search">search</a>
<a href="mailto:a@b.c">mail</a>
</body></html>"""


def test_article_links_are_canonical_deduplicated_and_on_site() -> None:
    links = article_links(
        LISTING, base_url="https://jamestown.org/program-name/edm/", prefix="/program/"
    )
    assert links == [
        "https://jamestown.org/program/first-article/",
        "https://jamestown.org/program/second-article-2/",
    ]


def test_listing_page_urls() -> None:
    first = "https://jamestown.org/program-name/edm/"
    assert listing_page_url(first, 1) == first
    assert listing_page_url(first, 12) == "https://jamestown.org/program-name/edm/page/12/"
