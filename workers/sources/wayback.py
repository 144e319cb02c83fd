"""The Internet Archive's Wayback Machine as a second road to every article.

Discovery reads the archive's CDX server (`<MONITOR_WAYBACK_URL>/cdx/search/cdx`)
through `workers.sources.cdx`: prefix queries for the site's 200 HTML captures, one
per URL, in pages chained by the server's resumption key, over date windows narrowed
where the server ends early. The resumption key and the windows left are the
checkpoint while a walk is under way, so a backfill that is stopped resumes where it
was; a finished walk leaves the newest capture time, and the next run asks only
`from` there.

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
import html as html_lib
import json
import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from workers.cache import Cache
from workers.extract import html
from workers.fetching.fetch import Fetcher, PermanentFetchError, TransientFetchError
from workers.model import InputError, RawArticle
from workers.settings import Settings
from workers.sources.base import Discovery
from workers.sources.cdx import (
    ARCHIVE_START_YEAR,
    Capture,
    Walked,
    cdx_query,
    cdx_timestamp,
    cdx_url,
    parse_capture_url,
    parse_cdx,
)
from workers.sources.config import SourceConfig
from workers.urls import (
    PRODUCTION_HOST,
    URLError,
    article_key,
    canonical_url,
    host_of,
    is_article_url,
)

MAX_PAGES = 50  # CDX requests per run (a source's max_pages overrides); then resumed
OLD_ARTICLE_PAGE = "/publications_details.php"
# Captures are immutable: a fetched one is remembered for as long as checkpoints.
CAPTURE_TTL_S = 400 * 86400
_GENERIC_SLUGS = frozenset({"", "jamestown-foundation", "the-jamestown-foundation", "jamestown"})
_HEADER_LINE = re.compile(r"Publication:\s*\S", re.IGNORECASE)
# An item title in an issue page: a bold or heading element, its text alone.
_ITEM_TITLE = re.compile(
    r"<(b|strong|h[2-4])\b[^>]*>(.{1,300}?)</\1\s*>", re.IGNORECASE | re.DOTALL
)
_TAGS = re.compile(r"<[^>]{0,2000}>")
MIN_ITEM_WORDS = 30  # an issue item's text at least (a Monitor item is 150-600 words)
MAX_ITEMS = 50  # title lines beyond this: not an issue page (a bound for hostile pages)


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


def articles_from_capture(
    page: str, capture: Capture, *, base: str, fetched_at: str | None = None
) -> list[RawArticle]:
    """The articles in a captured page: one, or each item of a daily issue page that
    holds several (`issue_items`), each under its own identity (its title's guess
    until its text matches a WordPress post, `workers.sources.identity`)."""
    try:
        items = issue_items(article_region(page))
    except RecursionError as exc:
        raise InputError("captured page nested too deeply to read") from exc
    if len(items) < 2:
        return [article_from_capture(page, capture, base=base, fetched_at=fetched_at)]
    found = []
    for title, fragment in items:
        item_page = (
            f"<html><head><title>{html_lib.escape(title)}</title></head><body><article>"
            f'<h1>{html_lib.escape(title)}</h1><div class="entry-content">{fragment}</div>'
            "</article></body></html>"
        )
        found.append(article_from_capture(item_page, capture, base=base, fetched_at=fetched_at))
    return found


def issue_items(region: str) -> list[tuple[str, str]]:
    """A daily issue page's items as (title, HTML holding the header line and the item's
    paragraphs), or [] for a page of one article.

    The 1990s-2000s issue pages put the Monitor's header line once, then each item
    under a bold or heading title line (`<b>`, `<strong>`, `<h2>`-`<h4>`) of a few
    words without a full stop, followed by its paragraphs; a title before the header
    line is the page's own. Two or more such titles after the header line, each with
    `MIN_ITEM_WORDS` of text, make an issue page."""
    header = _HEADER_LINE.search(region)
    if header is None:
        return []
    line_end = region.find("<", header.end())
    header_line = _TAGS.sub("", region[header.start() : line_end if line_end > 0 else None])
    titles = []
    for match in _ITEM_TITLE.finditer(region, line_end if line_end > 0 else header.end()):
        if _is_item_title(region, match):
            titles.append(match)
            if len(titles) > MAX_ITEMS:
                return []  # not a daily issue (it had about ten items): read whole
    if len(titles) < 2:
        return []
    items = []
    for n, match in enumerate(titles):
        end = titles[n + 1].start() if n + 1 < len(titles) else len(region)
        fragment = region[match.end() : end]
        if len(_TAGS.sub(" ", fragment).split()) < MIN_ITEM_WORDS:
            return []  # a title without an item's text: not an issue page
        title = html_lib.unescape(" ".join(_TAGS.sub("", match[2]).split()))
        items.append((title, f"<p>{html_lib.escape(header_line.strip())}</p>{fragment}"))
    return items


def _is_item_title(region: str, match: re.Match[str]) -> bool:
    """A title line: alone between tags (not a bold phrase inside a paragraph), 2 to 15
    words, no closing full stop or colon unless every word is capitalized."""
    before = region[max(0, match.start() - 200) : match.start()].rstrip()
    after = region[match.end() : match.end() + 200].lstrip()
    if not (before.endswith(">") and after[:1] in ("<", "")):
        return False
    words = html_lib.unescape(_TAGS.sub("", match[2])).split()
    if not 2 <= len(words) <= 15:
        return False
    return not words[-1].endswith((".", ":")) or all(w[:1].isupper() for w in words)


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
            query = cdx_query(self.base, url=cdx_url(spelling), prefix=False, limit=-1)
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
        """New captures of article pages, resuming an unfinished walk (module docstring,
        "Early ends"). A backfill run is given no checkpoint (`crawl.run_source`), so it
        walks from the start again; the captures fetched before are skipped without a
        request."""
        state = _state(since)
        newest = state.get("newest")
        windows = _windows(since) or [self._whole(newest, backfill=backfill)]
        resume = state.get("resume")
        found = Discovery()
        keys: set[str] = set()
        walked = Walked()
        while windows and found.requests < self.max_pages:
            low, high = windows[0]
            query = cdx_query(
                self.archive.base,
                url=cdx_url(self.config.url),
                from_=low,
                to=high,
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
                newest = capture.captured_at if newest is None else max(newest, capture.captured_at)
            step = walked.step(page, (low, high), resume)
            resume = step.resume
            if step.error is not None:
                found.errors.append((query, step.error))
            if step.replace is not None:
                windows[0:1] = step.replace
        # WordPress-generation captures first: an old page read after its article's
        # /program/ or root capture takes that URL instead of a guess (`identity`).
        found.items.sort(key=lambda item: is_old_article_page(item.url.partition("id_/")[2]))
        state_out: dict[str, object] = {"newest": newest} if newest else {}
        if windows:  # not finished: the windows left, the first one's resume key
            state_out["windows"] = windows
            if resume:
                state_out["resume"] = resume
        found.checkpoint = json.dumps(state_out, sort_keys=True)
        return found

    def _whole(self, newest: str | None, *, backfill: bool) -> tuple[str, str]:
        """The walk's first window: the configured years, or from the newest capture
        seen by the last finished walk, up to now (this month) when no end is set."""
        low = _year(self.config.from_year) or f"{ARCHIVE_START_YEAR}"
        if newest and not backfill:
            low = max(low, cdx_timestamp(newest))
        high = _year(self.config.to_year) or datetime.now(UTC).strftime("%Y%m")
        return low, max(high, low[:6])

    def _consider(self, capture: Capture, found: Discovery, keys: set[str]) -> None:
        """Add a capture worth fetching: an article page, not fetched before, whose
        live page is not indexed, one per article and run. A row whose URL cannot be
        read (`http://[::1/x/`) is that row's error alone."""
        try:
            canonical_url(capture.original)
        except (URLError, ValueError) as exc:  # ValueError: urlsplit's own refusals
            error = (capture.original, f"CDX row skipped: {exc}")
            if error not in found.errors:  # a narrowed window lists the row again
                found.errors.append(error)
            return
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


def _year(year: int | None) -> str | None:
    return None if year is None else f"{year:04d}"


def _windows(since: str | None) -> list[tuple[str, str]]:
    """The windows an unfinished walk left in its checkpoint (none: a new walk)."""
    try:
        data = json.loads(since) if since else {}
    except json.JSONDecodeError:
        return []
    windows = data.get("windows") if isinstance(data, dict) else None
    if not isinstance(windows, list):
        return []
    return [
        (w[0], w[1])
        for w in windows
        if isinstance(w, list)
        and len(w) == 2
        and all(isinstance(x, str) and x.isdigit() for x in w)
    ]


def _state(since: str | None) -> dict[str, str]:
    try:
        data = json.loads(since) if since else {}
    except json.JSONDecodeError:
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
