"""robots.txt: fetched once per host per TTL (kept in the cache), then answered locally.

Per RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot
be fetched (5xx, connection error) means "do not crawl now", which we surface as a
transient error so the item is retried later rather than dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from workers.cache import Cache

# A robots.txt is small; anything bigger is not one we need to read to the end.
MAX_ROBOTS_BYTES = 500_000


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


class RobotsRules:
    """Answers `allowed(url)` for one user agent, caching each host's rules.

    `load(robots_url)` returns the robots.txt text ("" when the site has none) or
    raises the fetcher's transient error; it is only called on a cache miss.
    """

    def __init__(
        self, *, cache: Cache, user_agent: str, ttl_s: int, load: Callable[[str], str]
    ) -> None:
        self.cache = cache
        self.user_agent = user_agent
        self.ttl_s = ttl_s
        self.load = load
        self._parsed: dict[str, tuple[RobotFileParser, float]] = {}
        # Parallel fetches on a cold cache would each fetch robots.txt; one does.
        self._loading = threading.Lock()

    def allowed(self, url: str) -> bool:
        return self._rules(robots_url(url)).can_fetch(self.user_agent, url)

    def sitemaps(self, url: str) -> list[str]:
        """The `Sitemap:` URLs the host's robots.txt lists (sitemaps.org, RFC 9309 §2.2.4)."""
        return list(self._rules(robots_url(url)).site_maps() or [])

    def _rules(self, where: str) -> RobotFileParser:
        memo = self._parsed.get(where)
        if memo is not None and memo[1] > time.monotonic():
            return memo[0]
        with self._loading:
            memo = self._parsed.get(where)
            if memo is not None and memo[1] > time.monotonic():
                return memo[0]
            return self._load(where)

    def _load(self, where: str) -> RobotFileParser:
        key = f"robots:{where}"
        text = self.cache.get(key)
        if text is None:
            text = self.load(where)
            self.cache.set(key, text, ttl_s=self.ttl_s)
        parser = RobotFileParser(where)
        parser.parse(text.splitlines())
        # Memoized briefly in-process: the cache is the shared copy, this saves a
        # round trip to Redis per URL.
        self._parsed[where] = (parser, time.monotonic() + min(self.ttl_s, 60))
        return parser
