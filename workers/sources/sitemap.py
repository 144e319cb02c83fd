"""XML sitemaps: robots.txt `Sitemap:` lines, WordPress's `wp-sitemap.xml`, Yoast's
`sitemap_index.xml`; per-URL `lastmod` says what changed without fetching pages.

A sitemap is either an index (`<sitemapindex>` of `<sitemap><loc>`) or a URL set
(`<urlset>` of `<url><loc><lastmod>`), per sitemaps.org. From an index only the
*post* sitemaps are read (`wp-sitemap-posts-post-N.xml`, Yoast `post-sitemapN.xml`):
pages, books, reports, users and taxonomies have their own sitemaps and are not
articles. An index of another generator, whose children cannot be told apart, is
read whole and filtered by URL (`workers.urls.is_article_url`); what the
filter leaves out is counted in the run's skips.

Incremental runs fetch the index conditionally (an unchanged index is one 304),
skip children whose own `lastmod` is not newer than the checkpoint, fetch the rest
conditionally, and hand on the URLs whose `lastmod` is newer than the checkpoint.

The parser is ours, on defusedxml (entity declarations and external references
refused): the two element shapes are small, and the packaged sitemap libraries
fetch by themselves, which would bypass our fetcher's robots, rate limit, size
cap and conditional GETs (docs/adr/0006-sitemaps-parsed-here.md).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from workers.fetching.decode import STEP, decoded
from workers.fetching.fetch import Fetcher, FetchResult, PermanentFetchError, TransientFetchError
from workers.model import InputError
from workers.sources.base import Discovery, later
from workers.sources.config import SourceConfig
from workers.urls import canonical_url, is_post_url, listed_url, not_article_reason

# Where WordPress core and Yoast put the index when robots.txt names none.
WELL_KNOWN = ("/wp-sitemap.xml", "/sitemap_index.xml")
_POST_SITEMAP = re.compile(r"/(?:wp-sitemap-posts-post-\d+|post-sitemap\d*)\.xml(?:\.gz)?$")
_ANY_KNOWN = re.compile(r"/(?:wp-sitemap-[a-z]+-|[a-z_-]+-sitemap\d*\.xml(?:\.gz)?$)")
# sitemaps.org: a sitemap file may be gzip-compressed (`sitemap.xml.gz`, served as a
# gzip file, not with Content-Encoding) and is at most 50 MB uncompressed.
_GZIP_MAGIC = b"\x1f\x8b"
MAX_UNPACKED_BYTES = 52_428_800
MAX_ENTRIES = 50_000  # sitemaps.org: at most 50,000 URLs per sitemap file


@dataclass(frozen=True, slots=True)
class Entry:
    url: str
    lastmod: str | None


@dataclass(frozen=True, slots=True)
class Sitemap:
    is_index: bool
    entries: list[Entry]
    errors: list[str]


def parse_sitemap(data: bytes, *, base_url: str, max_entries: int = MAX_ENTRIES) -> Sitemap:
    """An index or a URL set, plain or gzip-compressed; `InputError` when the document
    is unsafe, too large once unpacked, or neither.

    Read as a stream (each entry dropped once read) and only up to `max_entries`
    entries, the protocol's own limit: a 49 MB file of 877,000 URLs held whole took
    111 s and 492 MB (issue 22). The entries past the limit are reported, not read."""
    entries: list[Entry] = []
    errors: list[str] = []
    kind = child = ""
    depth = number = 0
    root: Element | None = None
    try:
        for event, node in safe_xml.iterparse(_Stream(_unpacking(data)), ("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root, kind = node, _local(node.tag)
                    if kind not in ("sitemapindex", "urlset"):
                        raise InputError(f"not a sitemap (root element <{kind}>)")
                    child = "sitemap" if kind == "sitemapindex" else "url"
                continue
            depth -= 1
            if depth != 1 or _local(node.tag) != child:
                continue
            number += 1
            if number > max_entries:
                errors.append(
                    f"more than {max_entries:,} entries (the sitemaps.org limit per file); "
                    "the rest are not read"
                )
                break
            _read_entry(node, f"{child} {number}", base_url, entries, errors)
            assert root is not None  # set at the first start event
            root.clear()  # what was read is dropped: memory stays flat
    except DefusedXmlException as exc:
        raise InputError(f"sitemap refused: {type(exc).__name__} (unsafe XML)") from exc
    except ParseError as exc:
        raise InputError(f"sitemap is not well-formed XML: {exc}") from exc
    except (LookupError, UnicodeError) as exc:
        raise InputError(f"sitemap has an unusable encoding: {exc}") from exc
    return Sitemap(kind == "sitemapindex", entries, errors)


def _read_entry(
    node: Element, entry: str, base_url: str, entries: list[Entry], errors: list[str]
) -> None:
    """One `<url>`/`<sitemap>` as an entry, or its reason in `errors`."""
    fields = {_local(part.tag): (part.text or "").strip() for part in node}
    url = listed_url(
        fields.get("loc"), base=base_url, entry=entry, missing="has no <loc>", errors=errors
    )
    if url is None:
        return
    try:
        entries.append(Entry(url, lastmod(fields.get("lastmod"))))
    except InputError as exc:
        errors.append(f"{entry}: {exc}")


def _unpacking(data: bytes, *, max_bytes: int = MAX_UNPACKED_BYTES) -> Iterator[bytes]:
    """`data` in pieces, inflated when it is a gzip file. Inflated in bounded steps
    and counted, so a compression bomb stops at `max_bytes`."""
    if not data.startswith(_GZIP_MAGIC):
        yield from (data[i : i + STEP] for i in range(0, len(data), STEP))
        return
    size = 0
    for piece in decoded([data], ["gzip"]):
        size += len(piece)
        if size > max_bytes:
            raise InputError(f"sitemap larger than {max_bytes:,} bytes once unpacked")
        yield piece


class _Stream(io.RawIOBase):
    """Pieces of bytes as a file, for the streaming parser."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._left = piece
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def lastmod(value: str | None) -> str | None:
    """A W3C datetime (`2025-10-01`, `…T10:00:00+03:00`, `…Z`) as UTC ISO seconds;
    None when absent or not a date. `InputError` when it is a date that has no UTC
    time (`0001-01-01T00:00:00+01:00` is in year 0): that entry's error alone."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value[:64].replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).isoformat(timespec="seconds")
    except (OverflowError, ValueError) as exc:
        raise InputError(f"<lastmod> {value[:64]!r} is out of range") from exc


def post_sitemaps(entries: list[Entry]) -> tuple[list[Entry], bool]:
    """The children of an index that list posts, and whether they could be told apart."""
    posts = [e for e in entries if _POST_SITEMAP.search(urlsplit(e.url).path)]
    if posts:
        return posts, True
    known = [e for e in entries if _ANY_KNOWN.search(urlsplit(e.url).path)]
    return (entries, False) if not known else ([], True)


class SitemapSource:
    """`url` is a sitemap (index or URL set), or a site root to find them from."""

    def __init__(self, config: SourceConfig, *, fetcher: Fetcher) -> None:
        self.name = config.name
        self.config = config
        self.fetcher = fetcher
        self.available: bool | None = None  # after `discover`, as for WordPressSource
        self._transient = False

    def candidates(self) -> list[str]:
        url = self.config.url
        if urlsplit(url).path not in ("", "/"):
            return [url]
        listed = self.fetcher.robots.sitemaps(url)
        return list(dict.fromkeys([*listed, *(canonical_url(p, base=url) for p in WELL_KNOWN)]))

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        found = Discovery(checkpoint=since)
        self.available, self._transient = None, False
        try:
            candidates = self.candidates()
        except TransientFetchError as exc:
            found.errors.append((self.config.url, exc.reason))
            return found
        since = None if backfill else since
        for url in candidates:
            # The index is read whole every run: WordPress's own index has no
            # lastmod and does not change when a post does, so its 304 proves nothing.
            outcome = self._read(url, found, conditional=False)
            if outcome is None or outcome[1] is None:
                continue  # not there, or not a sitemap: the next candidate
            self.available = True
            sitemap = outcome[1]
            if sitemap.is_index:
                self._walk_index(sitemap, found, since=since)
            else:
                self._take(sitemap, found, since=since, known_posts=False)
            return found
        if not self._transient:
            self.available = False  # absent for sure, not merely unreachable now
        found.errors.append((self.config.url, "no readable sitemap (robots.txt, well-known)"))
        return found

    def _walk_index(self, index: Sitemap, found: Discovery, *, since: str | None) -> None:
        children, told_apart = post_sitemaps(index.entries)
        for child in children:
            if since is not None and child.lastmod is not None and child.lastmod <= since:
                continue  # nothing in it changed since the last run
            outcome = self._read(child.url, found, conditional=since is not None)
            if outcome is not None and outcome[1] is not None:
                self._take(outcome[1], found, since=since, known_posts=told_apart)

    def _take(
        self, sitemap: Sitemap, found: Discovery, *, since: str | None, known_posts: bool
    ) -> None:
        for entry in sitemap.entries:
            # A post sitemap needs no headline guess, but its entries must still be
            # post URLs: Yoast lists the home (or posts) page first among the posts.
            if known_posts:
                reason = None if is_post_url(entry.url) else not_article_reason(entry.url)
            else:
                reason = not_article_reason(entry.url)
            if reason is not None:
                found.skip(reason)
                continue
            if since is None or entry.lastmod is None or entry.lastmod > since:
                found.add(entry.url, entry.lastmod)
            found.checkpoint = later(found.checkpoint, entry.lastmod)

    def _read(
        self, url: str, found: Discovery, *, conditional: bool
    ) -> tuple[FetchResult, Sitemap | None] | None:
        """(result, sitemap): sitemap None when unchanged or unreadable; None when absent."""
        try:
            result = self.fetcher.get(url, conditional=conditional)
        except PermanentFetchError as exc:
            if exc.status in (404, 410):
                return None
            found.errors.append((url, exc.reason))
            return None
        except TransientFetchError as exc:
            self._transient = True
            found.errors.append((url, exc.reason))
            return None
        found.requests += result.attempts
        if result.not_modified:
            return result, None
        try:
            sitemap = parse_sitemap(result.body, base_url=result.final_url)
        except InputError as exc:
            found.errors.append((url, str(exc)))
            return result, None
        found.errors.extend((url, e) for e in sitemap.errors)
        found.on_submitted.append(partial(self.fetcher.save_validators, result))
        return result, sitemap
