"""Publication listings: `/publications/<code>/page/N/` (before the 2025 rebuild
`/program-name/<pub>/page/N`), newest first, ten-odd teasers a page.

Incremental runs walk from page 1 and stop after the first page that links to an
article already known (fetched before, or discovered by an earlier run): everything
older has been seen. Page 1 is fetched conditionally, so a quiet listing costs one
304. A backfill walks to the end (a 404 or a page without article links), capped by
`max_pages` when set. Article links are found with selectolax (`a[href]`), kept when
they are on the listing's host and are articles: `workers.urls.is_article_url`
(root-level slugs and `/program/<slug>/`; never books, reports, analysts or
publication pages), or `<article_prefix><slug>/` when the source sets a prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from workers.extract.html import check_parsable
from workers.fetching.fetch import Fetcher, PermanentFetchError, TransientFetchError
from workers.model import InputError
from workers.sources.base import Discovery
from workers.sources.config import SourceConfig
from workers.urls import URLError, canonical_url, is_article_url

# Backfill without a configured cap still stops somewhere (EDM has ~500 pages).
BACKFILL_PAGE_CAP = 5000


def listing_page_url(first: str, page: int) -> str:
    """Page N of a listing whose first page is `first` (WordPress `/page/N/`)."""
    return first if page == 1 else canonical_url(f"{first.rstrip('/')}/page/{page}/")


def article_links(html: str, *, base_url: str, prefix: str | None = None) -> list[str]:
    """Canonical article URLs linked from a listing page, in page order, deduplicated;
    `InputError` for a page the parser must not see (nested too deep, too large)."""
    check_parsable(html)
    tree = LexborHTMLParser(html)
    host = urlsplit(base_url).netloc
    links: list[str] = []
    for anchor in tree.css("a[href]"):
        href = anchor.attributes.get("href")
        if not href:
            continue
        try:
            url = canonical_url(href, base=base_url)
        except URLError:
            continue
        if urlsplit(url).netloc == host and _is_article(url, prefix):
            links.append(url)
    return list(dict.fromkeys(links))


def _is_article(url: str, prefix: str | None) -> bool:
    if prefix is None:
        return is_article_url(url)
    parts = urlsplit(url)
    slug = parts.path[len(prefix) :].strip("/")
    return parts.path.startswith(prefix) and bool(slug) and "/" not in slug and not parts.query


class ListingSource:
    def __init__(
        self,
        config: SourceConfig,
        *,
        fetcher: Fetcher,
        is_known: Callable[[str], bool],
        max_pages: int,
    ) -> None:
        self.name = config.name
        self.config = config
        self.fetcher = fetcher
        self.is_known = is_known
        self.max_pages = config.max_pages or max_pages

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        found = Discovery(checkpoint=since)
        cap = (self.config.max_pages or BACKFILL_PAGE_CAP) if backfill else self.max_pages
        first_result = None
        for page in range(1, cap + 1):
            url = listing_page_url(self.config.url, page)
            try:
                # Only page 1 can be a 304 worth trusting: deeper pages shift as
                # articles are published, and a 304 carries no links to walk.
                result = self.fetcher.get(url, conditional=page == 1 and not backfill)
            except PermanentFetchError as exc:
                if exc.status in (404, 410) and page > 1:
                    break  # past the last page
                found.errors.append((url, exc.reason))
                break
            except TransientFetchError as exc:
                # What was found so far is submitted; older pages wait for the next run.
                found.errors.append((url, exc.reason))
                break
            found.requests += result.attempts
            if result.not_modified:
                break
            if page == 1:
                first_result = result
            try:
                links = article_links(
                    result.text(), base_url=url, prefix=self.config.article_prefix
                )
            except InputError as exc:
                found.errors.append((url, str(exc)))
                break
            if not links:
                if page == 1:
                    found.errors.append((url, "listing page has no article links"))
                break
            known = [link for link in links if self.is_known(link)]
            for link in links:
                if backfill or link not in known:
                    found.add(link)
            if known and not backfill:
                break
        if first_result is not None:
            found.checkpoint = first_result.fetched_at
            if not found.errors:
                found.on_submitted.append(partial(self.fetcher.save_validators, first_result))
        return found
