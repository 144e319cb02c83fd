"""The Internet Archive's Wayback Machine as a second road to every article.

Discovery reads the archive's CDX server (`<MONITOR_WAYBACK_URL>/cdx/search/cdx`):
`url=<site>/*` (a prefix query), `output=json`, `fl=timestamp,original`,
`filter=statuscode:200`, `filter=mimetype:text/html`, `collapse=urlkey` (one capture
per URL), `from`/`to` (years), in pages of `PAGE_ROWS` rows chained by the server's
resumption key (`showResumeKey=true`, then `resumeKey=`), as the wayback CDX server
README describes (internetarchive/wayback, wayback-cdx-server/README.md). The
resumption key is the checkpoint while a walk is under way, so a backfill that is
stopped resumes where it was; a finished walk leaves the newest capture time, and the
next run asks only `from` there.

A capture is fetched raw, `<base>/web/<timestamp>id_/<original>` (the page as
captured, without the archive's toolbar), through its own `Fetcher`: the archive's
host only, one request at a time, at `MONITOR_WAYBACK_RATE_PER_S`, backing off on
429/503 like every fetch. Captures never change, so one fetched capture is
remembered in the cache (`capture:<url>`) and never fetched again.

Identity. The capture's article gets the id its live page has. `/program/<slug>/`
and `/<slug>/` captures are one already (`urls.article_key`). A 2000s
`publications_details.php?…&article_id=N` page has no slug: its identity URL is
`/program/<slug>/` with the slug WordPress makes from the article's title
(`wp_slug`, WordPress's `sanitize_title_with_dashes`), which is how the site's posts
were named when it moved to WordPress. A title edited since then gives another slug
and so a second document; docs/fetching.md "Wayback" says how to spot one. Table
layouts of those years are narrowed to the cell holding the header line before the
usual extraction (`article_region`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from workers.cache import Cache
from workers.fetching.fetch import Fetcher, PermanentFetchError, TransientFetchError
from workers.fetching.urls import (
    PRODUCTION_HOST,
    URLError,
    article_key,
    canonical_url,
    host_of,
    is_article_url,
)
from workers.model import InputError, RawArticle
from workers.settings import Settings
from workers.sources import html
from workers.sources.base import Discovery
from workers.sources.config import SourceConfig

CDX_PATH = "/cdx/search/cdx"
PAGE_ROWS = 5000  # rows per CDX request: the server's own cap is 150,000
MAX_PAGES = 50  # CDX requests per run (a source's max_pages overrides); then resumed
OLD_ARTICLE_PAGE = "/publications_details.php"
# Captures are immutable: a fetched one is remembered for as long as checkpoints.
CAPTURE_TTL_S = 400 * 86400
_TIMESTAMP = re.compile(r"^\d{14}$")
_GENERIC_SLUGS = frozenset({"", "jamestown-foundation", "the-jamestown-foundation", "jamestown"})
_HEADER_LINE = re.compile(r"Publication:\s*\S", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Capture:
    """One archived copy of one URL: when (14 digits, UTC) and what was captured."""

    timestamp: str
    original: str

    def raw_url(self, base: str) -> str:
        """The capture as it was served, without the archive's toolbar (`id_`)."""
        return f"{base.rstrip('/')}/web/{self.timestamp}id_/{self.original}"

    @property
    def captured_at(self) -> str:
        moment = datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        return moment.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class CdxPage:
    captures: list[Capture]
    resume_key: str | None = None


def cdx_query(
    base: str,
    *,
    url: str,
    prefix: bool = True,
    from_: str | None = None,
    to: str | None = None,
    resume_key: str | None = None,
    limit: int = PAGE_ROWS,
) -> str:
    """The CDX request for 200 HTML captures of `url` (`url/*` when `prefix`)."""
    params: list[tuple[str, str]] = [
        ("url", f"{url.rstrip('/')}/*" if prefix else url),
        ("output", "json"),
        ("fl", "timestamp,original"),
        ("filter", "statuscode:200"),
        ("filter", "mimetype:text/html"),
    ]
    if prefix:
        params.append(("collapse", "urlkey"))
        params.append(("showResumeKey", "true"))
    params += [(k, v) for k, v in (("from", from_), ("to", to)) if v]
    params.append(("limit", str(limit)))
    if resume_key:
        params.append(("resumeKey", resume_key))
    return f"{base.rstrip('/')}{CDX_PATH}?{urlencode(params)}"


def parse_cdx(body: bytes) -> CdxPage:
    """A CDX JSON answer: a header row naming the fields, capture rows, and, when more
    rows remain, an empty row followed by `[resumeKey]`. No captures is `[]`.
    Rows that are not captures (a wrong length, a malformed timestamp) are skipped;
    an answer that is not this shape at all is an `InputError`."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"CDX answer is not JSON: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise InputError("CDX answer is not a list of rows")
    if not data:
        return CdxPage([])
    header = data[0]
    if "timestamp" not in header or "original" not in header:
        raise InputError(f"CDX answer has no timestamp/original columns: {header!r:.80}")
    at, orig = header.index("timestamp"), header.index("original")
    rows, resume = data[1:], None
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
        resume = rows[-1][0] if isinstance(rows[-1][0], str) and rows[-1][0] else None
        rows = rows[:-2]
    captures = [
        Capture(row[at], row[orig])
        for row in rows
        if len(row) == len(header)
        and _is_timestamp(row[at])
        and isinstance(row[orig], str)
        and row[orig]
    ]
    return CdxPage(captures, resume)


def parse_capture_url(url: str, base: str) -> Capture | None:
    """The capture a raw capture URL names, or None for any other URL."""
    prefix = f"{base.rstrip('/')}/web/"
    if not url.startswith(prefix):
        return None
    stamp, _, original = url[len(prefix) :].partition("id_/")
    return Capture(stamp, original) if _is_timestamp(stamp) and original else None


def is_old_article_page(url: str) -> bool:
    """A 2000s article page: `publications_details.php?…&article_id=N`."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    return parts.path.endswith(OLD_ARTICLE_PAGE) and query.get("article_id", "").isdigit()


def is_archived_article(original: str) -> bool:
    """Whether a captured URL is an article page of any site generation."""
    try:
        url = canonical_url(original)
    except URLError:
        return False
    return is_article_url(url) or is_old_article_page(url)


def wp_slug(title: str) -> str:
    """The post slug WordPress makes from a title (`sanitize_title_with_dashes`):
    accents removed, lower case, dashes and spaces to `-`, other punctuation dropped,
    at most 200 characters."""
    text = re.sub("[\u2013\u2014]", "-", title)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = text.lower()
    text = re.sub(r"[^a-z0-9 _-]", "", text)
    text = re.sub(r"\s+", "-", text.strip())
    return re.sub(r"-+", "-", text).strip("-")[:200].strip("-")


def identity_url(original: str, title: str | None) -> str:
    """The URL the capture's article is known by on the live site (module docstring).

    jamestown.org answers only https today, so a capture of an `http://` page is the
    https page's article. An old page whose title is only the site's name (or missing)
    keeps its own URL as its identity: one slug for every such page would merge them.
    """
    url = canonical_url(original)
    parts = urlsplit(url)
    if parts.netloc == PRODUCTION_HOST:
        parts = parts._replace(scheme="https")
        url = urlunsplit(parts)
    if not is_old_article_page(url):
        return url
    slug = wp_slug(title or "")
    if slug in _GENERIC_SLUGS:
        return url
    return f"{parts.scheme}://{parts.netloc}/program/{slug}/"


def article_from_capture(
    page: str, capture: Capture, *, base: str, fetched_at: str | None = None
) -> RawArticle:
    """The article in a captured page, under its live identity, flagged as archived."""
    if not is_archived_article(capture.original):
        raise InputError(f"capture of {capture.original} is not an article page")
    try:
        region = article_region(page)
        raw = html.article_from_html(
            region, url=canonical_url(capture.original), fetched_at=fetched_at
        )
    except RecursionError as exc:  # a hostile or broken capture, not our failure
        raise InputError("captured page nested too deeply to read") from exc
    url = identity_url(capture.original, raw.title)
    return dataclasses.replace(
        raw,
        url=url,
        origin=capture.raw_url(base),
        source="wayback",
        fetched_from=archived(capture, base),
    )


def article_region(page: str) -> str:
    """The page narrowed to the table cell that holds the Monitor's header line, for
    the site's table layouts (1990s-2000s), which have no article or main element: read
    whole, their navigation column and copyright footer would join the body. Pages
    with an article, `.entry-content` or main element are returned as they are."""
    tree = LexborHTMLParser(page)
    if tree.css_first("article, .entry-content, main") is not None:
        return page
    cells = [td for td in tree.css("td") if _HEADER_LINE.search(td.text() or "")]
    if not cells:
        return page
    cell = min(cells, key=lambda td: len(td.text() or ""))  # the innermost
    head = tree.head.html if tree.head is not None else ""
    # The cell's content alone, as an entry's content: kept inside its table row, the
    # extractor reads it as a table (one line, cells joined by bars).
    inner = cell.inner_html or ""
    return (
        f'<html>{head}<body><article><div class="entry-content">{inner}</div>'
        "</article></body></html>"
    )


def archived(capture: Capture, base: str) -> dict[str, str]:
    """The document's `fetched_from` for text read from a capture."""
    return {
        "kind": "archive",
        "captured_at": capture.captured_at,
        "capture": capture.raw_url(base),
    }


LIVE: dict[str, str] = {"kind": "live"}


class Archive:
    """The archive's fetcher and base URL, built from the settings (module docstring)."""

    def __init__(self, *, fetcher: Fetcher, base: str, fallback_after_s: int) -> None:
        self.fetcher = fetcher
        self.base = base.rstrip("/")
        self.fallback_after_s = fallback_after_s

    @classmethod
    def from_settings(cls, settings: Settings, *, cache: Cache) -> Archive:
        polite = settings.model_copy(
            update={
                "allowed_hosts": host_of(settings.wayback_url),
                "host_rate_per_s": settings.wayback_rate_per_s,
                "host_burst": 1,
                "fetch_concurrency": 1,  # no parallel hammering of the archive
            }
        )
        return cls(
            fetcher=Fetcher.from_settings(polite, cache=cache),
            base=settings.wayback_url,
            fallback_after_s=settings.wayback_fallback_after_s,
        )

    def close(self) -> None:
        self.fetcher.close()

    def capture_of(self, url: str) -> Capture | None:
        return parse_capture_url(url, self.base)

    def newest(self, url: str) -> Capture | None:
        """The newest 200 HTML capture of one article URL, under either of its
        /program/ and root spellings (`limit=-1`: the last row, CDX README)."""
        for spelling in dict.fromkeys([url, article_key(url)]):
            query = cdx_query(self.base, url=_cdx_url(spelling), prefix=False, limit=-1)
            captures = parse_cdx(self.fetcher.get(query, conditional=False, exact=True).body)
            if captures.captures:
                return max(captures.captures, key=lambda c: c.timestamp)
        return None


def fetched_key(capture_url: str) -> str:
    return f"capture:{capture_url}"


def indexed_key(url: str) -> str:
    """Where an indexed article's text came from ("live" or "archive"), by article:
    a capture never replaces live text, and an article is read from one capture."""
    return f"article:{article_key(url)}"


class WaybackSource:
    """Discovery of a site's archived article pages (module docstring)."""

    def __init__(self, config: SourceConfig, *, archive: Archive, cache: Cache) -> None:
        self.name = config.name
        self.config = config
        self.archive = archive
        self.cache = cache
        self.max_pages = config.max_pages or MAX_PAGES

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        """New captures of article pages, resuming an unfinished walk. A backfill run is
        given no checkpoint (`crawl.run_source`), so it walks from the start again; the
        captures fetched before are skipped without a request."""
        state = _state(since)
        resume = state.get("resume")
        newest = state.get("newest")
        start = _year(self.config.from_year)
        if resume is None and newest and not backfill:
            start = max(start or "", _timestamp(newest))
        found = Discovery()
        keys: set[str] = set()
        for _ in range(self.max_pages):
            query = cdx_query(
                self.archive.base,
                url=_cdx_url(self.config.url),
                from_=start,
                to=_year(self.config.to_year),
                resume_key=resume,
            )
            try:
                body = self.archive.fetcher.get(query, conditional=False, exact=True).body
                page = parse_cdx(body)
            except (TransientFetchError, PermanentFetchError, InputError) as exc:
                found.errors.append((query, str(exc)))
                break
            finally:
                found.requests += 1
            for capture in page.captures:
                self._consider(capture, found, keys)
                stamp = capture.captured_at
                newest = stamp if newest is None else max(newest, stamp)
            resume = page.resume_key
            if resume is None:
                break
        found.checkpoint = json.dumps(
            {k: v for k, v in (("resume", resume), ("newest", newest)) if v}, sort_keys=True
        )
        return found

    def _consider(self, capture: Capture, found: Discovery, keys: set[str]) -> None:
        """Add a capture worth fetching: an article page, not fetched before, whose
        live page is not indexed, one per article and run."""
        if not is_archived_article(capture.original):
            found.skip("not an article (archived page)")
            return
        url = identity_url(capture.original, None)  # an old page's is known once read
        key = article_key(url)
        raw = capture.raw_url(self.archive.base)
        if key in keys or self.cache.get(fetched_key(raw)) or self.cache.get(indexed_key(url)):
            return
        keys.add(key)
        found.add(raw, capture.captured_at)


def _is_timestamp(value: object) -> bool:
    """14 digits that are a real time (a row with day 00 is not a capture we can name)."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return False
    try:
        datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


def _cdx_url(url: str) -> str:
    """A site or page URL as the CDX server takes it: host and path, no scheme."""
    parts = urlsplit(url)
    path = parts.path if parts.path != "/" else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.netloc}{path}{query}"


def _timestamp(iso: str) -> str:
    """An ISO time as the CDX server's 14 digits (`from=` takes 1 to 14)."""
    return re.sub(r"\D", "", iso)[:14]


def _year(year: int | None) -> str | None:
    return None if year is None else f"{year:04d}"


def _state(since: str | None) -> dict[str, str]:
    try:
        data = json.loads(since) if since else {}
    except json.JSONDecodeError:
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
