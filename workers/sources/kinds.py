"""What a URL given by hand is: its kind by its path (`classify`), and the source that
reads it (`source_for`): a configured one when the sources file has it (so its
checkpoint is shared), else an ad-hoc one. Pure functions; `monitor ingest URL` uses
them.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from workers.urls import URLError, article_key, canonical_url, is_article_url, is_http_url

if TYPE_CHECKING:
    from workers.settings import Settings
    from workers.sources.config import SourceConfig

# What a URL may be: a source kind, or one article page.
KINDS = ("site", "wordpress", "sitemap", "feed", "listing", "article", "wayback")


def has_urls(args: tuple[str, ...], kind: str | None = None) -> bool:
    """URLs to fetch (a wayback backfill also takes a bare site name: `jamestown.org`)."""
    return kind == "wayback" or any(is_http_url(a) for a in args)


def classify(url: str) -> tuple[str, str]:
    """(kind, url) of a URL given on the command line, by its path."""
    parts = urlsplit(url)
    path = parts.path
    if "rest_route=" in parts.query or path.startswith("/wp-json/"):
        return "wordpress", url
    if path in ("", "/"):
        return "site", url
    if path.endswith("/feed/"):
        return "feed", url
    if path.endswith(".xml"):
        return "sitemap", url
    for prefix in ("/publications/", "/program-name/"):
        if path.startswith(prefix):
            first = path.split("/page/", 1)[0]  # any page of a listing means the listing
            return "listing", canonical_url(urlunsplit((parts.scheme, parts.netloc, first, "", "")))
    if is_article_url(url) or article_key(url) != url:
        return "article", url
    raise URLError(
        f"cannot tell what {url} is (not an article, listing, feed, sitemap or the REST API); "
        f"say it with --kind {'/'.join(KINDS)}"
    )


def source_for(
    kind: str, url: str, settings: Settings, *, years: tuple[int | None, int | None] = (None, None)
) -> SourceConfig:
    """A configured source with this kind and URL (its checkpoint is shared), or an ad-hoc
    one; a wayback source's years are part of what it is."""
    # Imported here: `monitor` reads KINDS on every start, and the sources file's
    # pydantic models would cost more than the rest of `monitor --help`.
    from workers.sources.config import SourceConfig, SourceConfigError, load_sources

    try:
        configured = load_sources(settings, include_disabled=True)
    except SourceConfigError:
        configured = []
    for source in configured:
        if source.kind == kind and source.url == url and years in ((None, None), source.years):
            return source
    fields: dict[str, Any] = {"kind": kind, "url": url}
    if kind == "wayback":
        fields.update(from_year=years[0], to_year=years[1])
        url = f"{url} {years}"  # another range is another walk, with its own checkpoint
    if kind == "wordpress":
        parts = urlsplit(url)
        given = dict(parse_qsl(parts.query)).get("rest_route", "") or parts.path
        route = given.removeprefix("/wp-json").strip("/")
        fields.update(url=f"{parts.scheme}://{parts.netloc}/", route=route or "wp/v2/posts")
    digest = hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:10]
    return SourceConfig(name=f"adhoc-{kind}-{digest}", **fields)
