"""The `Source` protocol: discover new or changed article URLs since a checkpoint.

A source only *discovers*; fetching and ingesting the articles is the same for every
source (`workers.crawl.ingest_urls`), so politeness, dedupe and error handling are
written once. A checkpoint is an opaque string the source hands back and receives on
its next run (a modification time, a date); the crawl stores it per source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

# What an ingest batch receives per article: its URL (to fetch), or a REST post that
# already carries the content (indexed from the payload, no page fetched).
Item = str | dict[str, Any]


@dataclass(frozen=True, slots=True)
class Discovered:
    """One article URL (canonical) and, when the source says, when it last changed;
    `post` is the REST payload when the source delivered the content itself."""

    url: str
    modified: str | None = None
    post: dict[str, Any] | None = None

    @property
    def item(self) -> Item:
        return self.url if self.post is None else self.post


@dataclass(slots=True)
class Discovery:
    """What a run found: items in source order, the next checkpoint, per-item errors,
    and the entries it skipped.

    `errors` are (origin, reason) pairs: a bad feed entry or an unreadable listing
    page is reported and the rest of the run goes on. `skipped` counts entries left
    out on purpose per reason ("not an article (book)"): a feed whose every entry is
    skipped must say so, not end as "found 0".
    """

    items: list[Discovered] = field(default_factory=list)
    checkpoint: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    via: str | None = None  # the way a `site` source read the site this run
    # Why the source knows it missed items (the REST API counts more posts than it
    # gave): a `site` source then cross-checks with the sitemaps.
    incomplete: str | None = None
    # Run once the items are safely submitted (e.g. saving the feed's ETag): done
    # earlier, a failed submit would turn the next run into a 304 and lose the items.
    on_submitted: list[Callable[[], None]] = field(default_factory=list)
    # Set by the run (`crawl.run_source`): every `stream_size` items are handed to `sink` at
    # once, so a walk of 50,000 REST posts with their content never holds them all.
    sink: Callable[[list[Discovered]], None] | None = field(default=None, repr=False)
    stream_size: int = 1000
    streamed: int = 0  # items already handed to `sink`
    _urls: set[str] = field(default_factory=set, repr=False)

    def add(
        self, url: str, modified: str | None = None, *, post: dict[str, Any] | None = None
    ) -> None:
        """Add an item once (feeds and listings repeat links)."""
        if url not in self._urls:
            self._urls.add(url)
            self.items.append(Discovered(url, modified, post))
            if self.sink is not None and len(self.items) >= self.stream_size:
                self.sink(self.items)
                self.streamed += len(self.items)
                self.items = []

    def skip(self, reason: str) -> None:
        """Count one entry left out, by its reason (a short category)."""
        self.skipped[reason] += 1


class Source(Protocol):
    name: str

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        """Items new or changed after `since` (all of them when `backfill`)."""
        ...


def later(a: str | None, b: str | None) -> str | None:
    """The later of two ISO timestamps (None is 'never')."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
