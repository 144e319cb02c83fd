"""A whole WordPress site from its root, read the cheapest way that answers.

In order: the REST API (100 posts with their content per request), else the XML
sitemaps (one request per 2,000 URLs, `lastmod` says what changed), else the main
feed (the newest items only). The first that *answers* is used for the run; one
that is merely unreachable now (a timeout, a Cloudflare challenge) ends the run
with its error instead of falling through, so a blocked API does not turn into a
sitemap crawl of the whole archive. Listings are not tried here: they are per
publication, configured as their own sources.

The checkpoint is a JSON object with one checkpoint per way, so a site that
switches from REST to sitemaps (or back) resumes each from its own place.
"""

from __future__ import annotations

import json

from workers.fetch import Fetcher
from workers.sources.base import Discovery
from workers.sources.config import SourceConfig
from workers.sources.feed import FeedSource
from workers.sources.sitemap import SitemapSource
from workers.sources.wordpress import WordPressSource


class SiteSource:
    def __init__(self, config: SourceConfig, *, fetcher: Fetcher) -> None:
        self.name = config.name
        self.config = config
        self.fetcher = fetcher

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        state = _state(since)
        rest = WordPressSource(self._as("wordpress", self.config.url), fetcher=self.fetcher)
        found = rest.discover(since=state.get("wordpress"), backfill=backfill)
        tried = found.requests
        via = "wordpress"
        if rest.available is False:
            sitemaps = SitemapSource(self._as("sitemap", self.config.url), fetcher=self.fetcher)
            found = sitemaps.discover(since=state.get("sitemap"), backfill=backfill)
            tried += found.requests
            via = "sitemap"
            if sitemaps.available is False:
                feed = FeedSource(self._as("feed", self.config.url + "feed/"), fetcher=self.fetcher)
                found = feed.discover(since=state.get("feed"), backfill=backfill)
                tried += found.requests
                via = "feed"
        found.requests = tried
        found.via = via
        if found.checkpoint is not None:
            state[via] = found.checkpoint
        found.checkpoint = json.dumps(state, sort_keys=True) if state else since
        return found

    def _as(self, kind: str, url: str) -> SourceConfig:
        return self.config.model_copy(update={"kind": kind, "url": url})


def _state(since: str | None) -> dict[str, str]:
    if not since:
        return {}
    try:
        data = json.loads(since)
    except json.JSONDecodeError:
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
