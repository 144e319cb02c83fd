from __future__ import annotations

import pytest

from workers.normalize import article_id
from workers.urls import (
    URLError,
    article_key,
    canonical_url,
    check_allowed,
    is_article_url,
    is_http_url,
    is_post_url,
    not_article_reason,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTPS://Jamestown.ORG/program/slug", "https://jamestown.org/program/slug/"),
        (
            "https://jamestown.org/program/slug/?utm_source=x&utm_medium=y",
            "https://jamestown.org/program/slug/",
        ),
        (
            "https://jamestown.org/program/slug/?fbclid=abc#comments",
            "https://jamestown.org/program/slug/",
        ),
        ("https://jamestown.org/?s=putin&utm_campaign=z&a=1", "https://jamestown.org/?a=1&s=putin"),
        ("https://www.jamestown.org/program/slug-2/", "https://jamestown.org/program/slug-2/"),
        ("https://staging.jamestown.org/program/slug/", "https://jamestown.org/program/slug/"),
        ("https://jamestown.org:443//program//a/../slug", "https://jamestown.org/program/slug/"),
        ("https://jamestown.org", "https://jamestown.org/"),
        (
            "https://jamestown.org/wp-content/uploads/x.pdf",
            "https://jamestown.org/wp-content/uploads/x.pdf",
        ),
        ("https://jamestown.org/wp-json/wp/v2/posts", "https://jamestown.org/wp-json/wp/v2/posts"),
        ("http://127.0.0.1:8080/feed", "http://127.0.0.1:8080/feed/"),
    ],
)
def test_canonical_url(given: str, expected: str) -> None:
    assert canonical_url(given) == expected


def test_relative_links_resolve_against_the_page() -> None:
    base = "https://jamestown.org/program-name/edm/page/2/"
    assert canonical_url("/program/x", base=base) == "https://jamestown.org/program/x/"


@pytest.mark.parametrize(
    "bad",
    ["ftp://jamestown.org/x", "mailto:a@b.c", "https:///nohost", "https://jamestown.org:99999/"],
)
def test_unfetchable_urls_are_input_errors(bad: str) -> None:
    with pytest.raises(URLError):
        canonical_url(bad)


def test_allowed_hosts() -> None:
    allowed = {"jamestown.org"}
    check_allowed("https://jamestown.org/program/x/", allowed)
    check_allowed("https://www.jamestown.org/program/x/", allowed)
    with pytest.raises(URLError, match="staging"):
        check_allowed(
            "https://staging.jamestown.org/program/x/", allowed | {"staging.jamestown.org"}
        )
    with pytest.raises(URLError, match="not in the allowed hosts"):
        check_allowed("https://evil.example/program/x/", allowed)


def test_is_http_url() -> None:
    assert is_http_url("HTTPS://jamestown.org/")
    assert not is_http_url("dev/seeds/a.txt")


# ---- articles and their ids (issue 16: the site since its 2025 rebuild) -------------


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://jamestown.org/kremlin-tightens-control-over-regional-media/", True),
        ("https://jamestown.org/program/old-style-article/", True),
        ("https://jamestown.org/program/x/", True),
        ("https://jamestown.org/book/the-long-war-in-the-caucasus/", False),
        ("https://jamestown.org/report/black-sea-security-after-the-war/", False),
        ("https://jamestown.org/analyst/paul-goble/", False),
        ("https://jamestown.org/publications/edm/", False),
        ("https://jamestown.org/publications/edm/page/2/", False),
        ("https://jamestown.org/about-us/", False),
        ("https://jamestown.org/privacy-policy/", False),  # a page, two words
        ("https://jamestown.org/", False),
        ("https://jamestown.org/wp-content/uploads/a-b-c/", False),
        ("https://jamestown.org/some-long-article-slug/?p=12", False),
    ],
)
def test_article_urls_are_posts_only(url: str, article: bool) -> None:
    assert is_article_url(url) is article


def test_old_and_new_article_addresses_make_one_id() -> None:
    old = canonical_url("https://jamestown.org/program/kremlin-tightens-control/")
    new = canonical_url("https://www.jamestown.org/kremlin-tightens-control")
    assert article_key(new) == article_key(old) == old  # the historic key: ids unchanged
    ids = {
        article_id(url=u, publication="EDM", volume=1, issue=1, title="t", body_hash="h")
        for u in (old, new)
    }
    assert len(ids) == 1
    assert article_key("https://jamestown.org/publications/edm/") == (
        "https://jamestown.org/publications/edm/"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://jamestown.org/kremlin-tightens-control-again/", None),
        ("https://jamestown.org/program/old/", None),
        ("https://jamestown.org/", "not an article (home page)"),
        ("https://jamestown.org/hello-world/", "not an article (short slug)"),
        ("https://jamestown.org/book/the-long-war/", "not an article (book)"),
        ("https://jamestown.org/analyst/paul-goble/", "not an article (analyst)"),
        ("https://jamestown.org/2024/05/06/a-dated-post-link/", "not an article (page)"),
        ("https://jamestown.org/a-post-with-a-query/?p=5", "not an article (page with a query)"),
    ],
)
def test_why_a_url_is_not_an_article_is_a_short_category(url: str, reason: str | None) -> None:
    """Issue 21: a run counts what it skipped by these reasons."""
    assert not_article_reason(url) == reason
    assert is_article_url(url) is (reason is None)


@pytest.mark.parametrize(
    ("url", "post"),
    [
        ("https://jamestown.org/", False),  # Yoast lists the home page first
        ("https://jamestown.org/blog/", False),  # ... or the posts page
        ("https://jamestown.org/2025/01/", False),
        ("https://jamestown.org/category/edm/", False),
        ("https://jamestown.org/author/admin/", False),
        ("https://jamestown.org/page/2/", False),
        ("https://jamestown.org/?p=12", False),
        ("https://jamestown.org/sanctions/", True),  # a short slug: a post sitemap says so
        ("https://jamestown.org/program/sanctions/", True),
    ],
)
def test_post_sitemap_entries_must_be_post_urls(url: str, post: bool) -> None:
    assert is_post_url(url) is post
