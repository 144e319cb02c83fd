"""What `monitor ingest URL` takes a URL for (issue 16: today's site's addresses)."""

from __future__ import annotations

import pytest

from tasks.cli.sources import checkpoint_label
from workers.settings import Settings
from workers.sources.kinds import classify, source_for
from workers.urls import URLError

J = "https://jamestown.org"


@pytest.mark.parametrize(
    ("url", "kind", "resolved"),
    [
        (f"{J}/", "site", f"{J}/"),
        (f"{J}/kremlin-tightens-control-over-media/", "article", None),
        (f"{J}/program/an-old-article/", "article", None),
        (f"{J}/publications/edm/", "listing", f"{J}/publications/edm/"),
        (f"{J}/publications/edm/page/7/", "listing", f"{J}/publications/edm/"),
        (f"{J}/publications/china-brief-notes/feed/", "feed", None),
        (f"{J}/feed/", "feed", None),
        (f"{J}/wp-sitemap.xml", "sitemap", None),
        (f"{J}/sitemap_index.xml", "sitemap", None),
        (f"{J}/wp-json/wp/v2/posts", "wordpress", None),
        (f"{J}/?rest_route=/wp/v2/posts", "wordpress", None),
        (f"{J}/program-name/edm/page/2/", "listing", f"{J}/program-name/edm/"),
    ],
)
def test_kinds_by_path(url: str, kind: str, resolved: str | None) -> None:
    assert classify(url) == (kind, resolved or url)


@pytest.mark.parametrize("url", [f"{J}/analyst/paul-goble/", f"{J}/book/a-long-book-title/"])
def test_what_is_no_article_asks_for_kind(url: str) -> None:
    with pytest.raises(URLError, match="--kind"):
        classify(url)


def test_rest_route_form_becomes_a_wordpress_source() -> None:
    config = source_for("wordpress", f"{J}/?rest_route=/wp/v2/posts", Settings())
    assert (config.url, config.route) == (f"{J}/", "wp/v2/posts")


def test_checkpoint_label_shows_the_newest_time() -> None:
    site = (
        '{"probed": "2026-01-01T00:00:00+00:00", "via": "wordpress", '
        '"wordpress": "{\\"seen\\": {}, \\"since\\": \\"2025-10-01T10:00:00\\"}", '
        '"sitemap": "2025-09-01T00:00:00+00:00"}'
    )
    assert checkpoint_label(site) == "2025-10-01T10:00:00"
    assert checkpoint_label(None) == "-"
    assert checkpoint_label("2025-01-01T00:00:00") == "2025-01-01T00:00:00"
