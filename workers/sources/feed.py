"""RSS/Atom feeds (`https://jamestown.org/feed/`, per publication
`/publications/<code>/feed/`; `content:encoded`, the 10 newest items by default).

The feed itself is fetched with a conditional GET: an unchanged feed is a 304 and
costs nothing. Entries newer than the checkpoint (their updated or published time)
are discovered; undated entries always are (their own conditional GET makes a
repeat cheap). Only articles are taken: the main feed also carries books
(`/book/…`) and reports (`/report/…`), which `workers.urls.is_article_url` leaves
out. XML is first checked with defusedxml, which refuses entity declarations
(billion laughs) and external references, before feedparser reads it; a document
whose declared encoding is unknown (`LookupError`) or not a text encoding at all
(`idna`: `UnicodeError`) is refused as that feed's error.
"""

from __future__ import annotations

import calendar
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as safe_xml
import feedparser
from defusedxml import DefusedXmlException

from workers.fetching.fetch import Fetcher, PermanentFetchError, TransientFetchError
from workers.model import InputError
from workers.sources.base import Discovery, later
from workers.sources.config import SourceConfig
from workers.urls import listed_url, not_article_reason


@dataclass(slots=True)
class Feed:
    """A feed's article entries as (url, modified), per-entry errors, and the entries
    left out per reason (books, reports, short slugs)."""

    items: list[tuple[str, str | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def parse_feed(data: bytes, *, base_url: str) -> Feed:
    """The feed's entries (`Feed`).

    Raises `InputError` when the document is unsafe or not a feed at all; a feed that
    is not well-formed but still yields entries is read with a warning in the errors.
    """
    errors: list[str] = []
    try:
        safe_xml.fromstring(data)
    except DefusedXmlException as exc:
        raise InputError(f"feed refused: {type(exc).__name__} (unsafe XML)") from exc
    except ParseError as exc:
        errors.append(f"feed is not well-formed XML ({exc}); reading what can be read")
    except (LookupError, UnicodeError) as exc:
        raise InputError(f"feed has an unusable encoding: {exc}") from exc
    try:
        parsed = feedparser.parse(data, response_headers={"content-location": base_url})
    except (LookupError, UnicodeError, RecursionError) as exc:
        raise InputError(f"feed unreadable: {type(exc).__name__}: {exc}") from exc
    if not parsed.entries:
        if errors:
            raise InputError(errors[0].split(";")[0])
        return Feed(errors=errors)
    feed = Feed(errors=errors)
    for number, entry in enumerate(parsed.entries, 1):
        url = listed_url(
            entry.get("link"),
            base=base_url,
            entry=f"entry {number}",
            missing=f"({entry.get('title', 'untitled')!r}) has no link",
            errors=errors,
        )
        if url is None:
            continue
        reason = not_article_reason(url)
        if reason is not None:
            feed.skipped[reason] += 1
            continue
        try:
            feed.items.append((url, _entry_time(entry)))
        except InputError as exc:
            errors.append(f"entry {number}: {exc}")
    return feed


def _entry_time(entry: feedparser.FeedParserDict) -> str | None:
    # dict.get: FeedParserDict.get warns when it maps 'updated' to 'published' itself.
    stamp: time.struct_time | None = dict.get(entry, "updated_parsed") or dict.get(
        entry, "published_parsed"
    )
    if stamp is None:
        return None
    try:
        moment = datetime.fromtimestamp(calendar.timegm(stamp), UTC)
    except (OverflowError, ValueError, OSError) as exc:
        # feedparser gives year 0 for 0001-01-01T00:00:00+01:00, 10000 for 9999-12-31-05:00
        raise InputError(
            f"date {time.strftime('%Y-%m-%dT%H:%M:%S', stamp)!r} is out of range"
        ) from exc
    return moment.isoformat(timespec="seconds")


class FeedSource:
    def __init__(self, config: SourceConfig, *, fetcher: Fetcher) -> None:
        self.name = config.name
        self.config = config
        self.fetcher = fetcher
        # After `discover`: whether the feed answered (None: unknown, a transient error).
        self.available: bool | None = None

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        found = Discovery(checkpoint=since)
        self.available = None
        try:
            result = self.fetcher.get(self.config.url, conditional=not backfill)
        except (PermanentFetchError, TransientFetchError) as exc:
            # Reported on the run; the next tick tries again from the same checkpoint.
            found.errors.append((self.config.url, exc.reason))
            self.available = False if isinstance(exc, PermanentFetchError) else None
            return found
        self.available = True
        found.requests += result.attempts
        if result.not_modified:
            return found
        try:
            feed = parse_feed(result.body, base_url=result.final_url)
        except InputError as exc:
            found.errors.append((self.config.url, str(exc)))
            return found
        found.errors.extend((self.config.url, e) for e in feed.errors)
        found.skipped.update(feed.skipped)
        for url, modified in feed.items:
            if backfill or since is None or modified is None or modified > since:
                found.add(url, modified)
            found.checkpoint = later(found.checkpoint, modified)
        found.on_submitted.append(partial(self.fetcher.save_validators, result))
        return found
