"""A whole WordPress site from its root, read the cheapest way that answers.

In order: the REST API (100 posts with their content per request), else the XML
sitemaps (one request per 2,000 URLs, `lastmod` says what changed), else the main
feed (the newest items only). The first that *answers* is used for the run; one
that is merely unreachable now (a timeout, a Cloudflare challenge) ends the run
with its error instead of falling through, so a blocked API does not turn into a
sitemap crawl of the whole archive. Listings are not tried here: they are per
publication, configured as their own sources.

When the REST API answers but gives fewer posts than it counts (`X-WP-Total`), the
run says so and cross-checks with the sitemaps in the same run: every post-sitemap
URL the API did not hand on is fetched as a page, so a post the API walk missed is
still indexed (once: one URL is one item).

The checkpoint is a JSON object with one checkpoint per way, so a site that
switches from REST to sitemaps (or back) resumes each from its own place, and the
way that answered last (`via`, with when the cascade was last walked from the top):
incremental runs start there, so a site whose API is closed does not pay two
refused API requests every tick; once a day (`REPROBE_S`) the cascade starts from
the top again, so an API that opens is noticed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from workers.fetching.fetch import Fetcher
from workers.sources.base import Discovered, Discovery
from workers.sources.config import SourceConfig
from workers.sources.feed import FeedSource
from workers.sources.sitemap import SitemapSource
from workers.sources.wordpress import MAX_PAGES, MAX_S, WordPressSource

REPROBE_S = 86400
WAYS = ("wordpress", "sitemap", "feed")


class SiteSource:
    def __init__(
        self,
        config: SourceConfig,
        *,
        fetcher: Fetcher,
        max_pages: int = MAX_PAGES,
        max_s: float = MAX_S,
    ) -> None:
        self.name = config.name
        self.config = config
        self.fetcher = fetcher
        self.max_pages = max_pages  # REST pages per run (`WordPressSource`)
        self.max_s = max_s
        self.sink: Callable[[list[Discovered]], None] | None = None  # REST posts only
        self.stream_size = 1000

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        state = _state(since)
        now = datetime.now(UTC)
        first = 0
        remembered = state.get("via")
        probed = state.get("probed")
        if not backfill and remembered in WAYS and probed and _age_s(probed, now) < REPROBE_S:
            first = WAYS.index(remembered)
        else:
            state["probed"] = now.isoformat(timespec="seconds")
        requests = 0
        for way in WAYS[first:]:
            source = self._source(way)
            found = source.discover(since=state.get(way), backfill=backfill)
            requests += found.requests
            if source.available is not False or way == WAYS[-1]:
                break
        if found.incomplete is not None and way == "wordpress":
            requests += self._cross_check(found, state, backfill=backfill)
        found.requests = requests
        found.via = way
        state["via"] = way
        if found.checkpoint is not None:
            state[way] = found.checkpoint
        found.checkpoint = json.dumps(state, sort_keys=True)
        return found

    def _cross_check(self, found: Discovery, state: dict[str, str], *, backfill: bool) -> int:
        """Add the sitemaps' URLs the REST walk did not hand on; their requests."""
        sitemaps = SitemapSource(self._as("sitemap", self.config.url), fetcher=self.fetcher)
        extra = sitemaps.discover(since=state.get("sitemap"), backfill=backfill)
        for item in extra.items:
            found.add(item.url, item.modified)
        found.errors.extend(extra.errors)
        if extra.checkpoint is not None:
            state["sitemap"] = extra.checkpoint
        return extra.requests

    def _source(self, way: str) -> WordPressSource | SitemapSource | FeedSource:
        root = self.config.url
        if way == "wordpress":
            rest = WordPressSource(
                self._as(way, root),
                fetcher=self.fetcher,
                max_pages=self.max_pages,
                max_s=self.max_s,
            )
            rest.sink, rest.stream_size = self.sink, self.stream_size
            return rest
        if way == "sitemap":
            return SitemapSource(self._as(way, root), fetcher=self.fetcher)
        return FeedSource(self._as(way, root + "feed/"), fetcher=self.fetcher)

    def _as(self, kind: str, url: str) -> SourceConfig:
        return self.config.model_copy(update={"kind": kind, "url": url})


def _age_s(stamp: str, now: datetime) -> float:
    try:
        return (now - datetime.fromisoformat(stamp)).total_seconds()
    except (ValueError, TypeError):
        return float("inf")


def _state(since: str | None) -> dict[str, str]:
    if not since:
        return {}
    try:
        data = json.loads(since)
    except json.JSONDecodeError:
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
