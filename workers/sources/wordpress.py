"""The WordPress REST API (`/wp-json/wp/v2/posts`, or a custom post type's route).

The cheapest way to read the site: one request returns 100 posts *with* their
content, author and terms (`_embed=author,wp:term`), so a post is indexed from the
payload (`article_from_rest`) without fetching its page, and a
50,000-post archive is 500 requests. Only what indexing needs is asked for
(`_fields`, which must name `_links` and `_embedded` for embedding to survive it).

The walk is in post id order (`orderby=id&order=asc`), paged with
`X-WP-TotalPages`. The REST API pages by offset, and offset paging is only stable
over a unique sort key: over `orderby=modified`, posts that share one `modified`
second (a bulk edit, a migration) come back in an arbitrary order per page, and a
real WordPress handed 151 of 250 such posts over three pages (issue 21). When the
walk ends, the ids read are counted against `X-WP-Total`; a shortfall is reported
(and a `site` source then cross-checks with the sitemaps), never silent.

Incremental runs ask for `modified_after`, which WordPress compares with
`post_modified`, the site-*local* time. Local time runs backwards once a year: with
the site in America/New_York, a post saved at 06:10 UTC on the day daylight-saving
time ends is 01:10 local, earlier than one saved at 05:30 UTC (01:30 local). So the
checkpoint is the newest `modified_gmt` (which only moves forward) with its local
time, and a run asks from that local time less an hour (the largest DST shift) and
`OVERLAP_S` (a save in the checkpoint's second, or committed late). What the wider
window brings back and was handed on already is recognized by its GMT time: older
than the overlap, or an id the checkpoint remembers with the same time. An idle tick
is one request that discovers nothing. A post stamped in the future (a broken
clock, a hostile server) is handed on but never moves the checkpoint past now +
`CLOCK_SKEW_S`.

Every post is checked alone: a link that is not a URL, or on another site than the
source's (REST links are as untrusted as redirects), or a `modified` that is not a
time, skips that post with its reason; the others are indexed and the checkpoint
moves. A run is bounded in pages (`max_pages`) and wall time (`max_s`), and a server
that answers every page with posts already read (ignoring `page`) ends the walk.

Sites without pretty permalinks answer only the `?rest_route=/wp/v2/posts` form:
`api_url` builds either, and `WordPressSource` falls back to the second when the
first does not answer a post list (a 404 page, the home page). When both fail, the
first form's error is the one reported: it is the real one.
"""

from __future__ import annotations

import html as html_lib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from workers.extract.body import fragment_paragraphs, remove_noise
from workers.extract.bylines import analyst_names, byline_names
from workers.extract.html import body_text, clean_names, parse_html, top_lines
from workers.extract.metadata import iso_date, publication_of
from workers.fetching.fetch import Fetcher, TransientFetchError
from workers.model import InputError, NotAnArticle, RawArticle
from workers.normalize import normalize_title
from workers.parse import read_header
from workers.sources.base import Discovered, Discovery
from workers.sources.config import SourceConfig
from workers.urls import URLError, canonical_url

OVERLAP_S = 120
# The largest change of a UTC offset at a daylight-saving transition (an hour nearly
# everywhere): how far local time can run backwards.
DST_S = 3600
# How far a post's time may be ahead of ours before it is treated as a wrong clock.
CLOCK_SKEW_S = 600
# Defaults of `MONITOR_REST_MAX_PAGES` / `MONITOR_DISCOVERY_MAX_S` (workers/settings.py).
MAX_PAGES = 1000
MAX_S = 1200.0
# The fields a post keeps on its way to an ingest batch (messages stay small).
POST_FIELDS = (
    "id",
    "link",
    "type",
    "date",
    "date_gmt",
    "modified",
    "modified_gmt",
    "title",
    "content",
    "excerpt",
)
_EMBEDDED_FIELDS = {"author": ("name", "link"), "wp:term": ("name", "slug", "taxonomy")}


def api_url(
    config: SourceConfig, *, page: int, since: str | None, pretty: bool = True, full: bool = True
) -> str:
    """One page of the collection in id order (unique: offset paging cannot skip or
    repeat); `full` asks for content and embeds (to index from), else only what
    discovery needs."""
    params = {
        "per_page": str(config.per_page),
        "page": str(page),
        "orderby": "id",
        "order": "asc",
    }
    if full:
        params["_embed"] = "author,wp:term"
        params["_fields"] = ",".join((*POST_FIELDS, "_links", "_embedded"))
    else:
        params["_fields"] = "id,link,modified,modified_gmt,type"
    if since is not None:
        params["modified_after"] = since
    root = config.url.rstrip("/")
    route = "/" + config.route.strip("/")
    if pretty:
        return f"{root}/wp-json{route}?{urlencode(params)}"
    return f"{root}/?{urlencode({'rest_route': route, **params})}"


@dataclass(frozen=True, slots=True)
class Post:
    """`modified` is site-local (what `modified_after` compares); `changed` is
    `modified_gmt` when the post says it, the moment the checkpoint follows."""

    id: int | None
    url: str
    modified: str | None
    data: dict[str, Any]
    changed: str | None = None

    @property
    def when(self) -> str | None:
        return self.changed or self.modified


@dataclass(slots=True)
class Page:
    """One page of the collection: its posts, per-entry errors, every entry's id
    (posts of other types included: `X-WP-Total` counts them)."""

    posts: list[Post] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ids: set[int] = field(default_factory=set)


def parse_posts(data: bytes | str, *, base_url: str) -> tuple[list[Post], list[str]]:
    """The posts of one page and per-post errors; `InputError` if not a post list."""
    page = parse_page(data, base_url=base_url)
    return page.posts, page.errors


def parse_page(data: bytes | str, *, base_url: str) -> Page:
    """One page of posts, each checked alone (`post_of`); `InputError` if the page is
    not a post list.

    Hostile JSON fails alone: nesting deep enough to exhaust the parser's recursion
    is refused like any other malformed page."""
    try:
        decoded: Any = json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} at line {exc.lineno}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid JSON: not UTF-8 ({exc.reason})") from exc
    except RecursionError as exc:
        raise InputError("invalid JSON: nested too deeply") from exc
    if not isinstance(decoded, list):
        raise InputError(f"expected a JSON list of posts, got {type(decoded).__name__}")
    page = Page()
    site = _site(base_url)
    for number, entry in enumerate(decoded, 1):
        post_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(post_id, int) and not isinstance(post_id, bool):
            page.ids.add(post_id)
        try:
            post = post_of(entry, site=site, base_url=base_url)
        except InputError as exc:
            page.errors.append(f"post {number}: {exc}")
            continue
        if post is not None:
            page.posts.append(post)
    return page


def post_of(entry: Any, *, site: str, base_url: str) -> Post | None:
    """One entry as a post; None for another type (a page, a book, a report exposed on
    this route: not an article); `InputError` naming what is wrong with it."""
    link = entry.get("link") if isinstance(entry, dict) else None
    if not isinstance(link, str) or not link:
        raise InputError("has no 'link'")
    if entry.get("type", "post") != "post":
        return None
    try:
        url = canonical_url(link, base=base_url)
    except (URLError, ValueError) as exc:  # urlsplit's "Invalid IPv6 URL" is a ValueError
        raise InputError(f"bad link {link[:200]!r}: {exc}") from exc
    if _site(url) != site:
        raise InputError(f"link {url[:200]!r} is on another site than the source ({site})")
    post_id = entry.get("id")
    return Post(
        id=post_id if isinstance(post_id, int) and not isinstance(post_id, bool) else None,
        url=url,
        modified=_stamp(entry.get("modified"), "modified"),
        data=slim(entry),
        changed=_stamp(entry.get("modified_gmt"), "modified_gmt", utc=True),
    )


def _site(url: str) -> str:
    """Host and port of a URL in canonical form (`www.` is the apex)."""
    try:
        return urlsplit(canonical_url(url)).netloc
    except (URLError, ValueError):
        return ""


def _stamp(value: Any, name: str, *, utc: bool = False) -> str | None:
    """A post's time as `YYYY-MM-DDTHH:MM:SS` (None when absent); `InputError` when it
    is not a time, or one the checkpoint's arithmetic cannot move (year 1)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value)[:64])
        if utc and moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        moment = moment.replace(tzinfo=None)
        if moment < datetime.min + timedelta(seconds=DST_S + OVERLAP_S):
            raise OverflowError("too early for the overlap window")
    except (ValueError, OverflowError) as exc:
        raise InputError(f"{name} {str(value)[:64]!r} is not a usable time ({exc})") from exc
    return moment.isoformat(timespec="seconds")


def slim(post: Mapping[str, Any]) -> dict[str, Any]:
    """The post with only what indexing reads (`POST_FIELDS`, embedded names)."""
    kept = {key: post[key] for key in POST_FIELDS if key in post}
    embedded = post.get("_embedded")
    if isinstance(embedded, dict):
        kept["_embedded"] = {
            rel: _slim_embedded(embedded.get(rel), names)
            for rel, names in _EMBEDDED_FIELDS.items()
            if rel in embedded
        }
    return kept


def _slim_embedded(value: Any, names: tuple[str, ...]) -> Any:
    if isinstance(value, list):
        return [_slim_embedded(item, names) for item in value]
    if isinstance(value, dict):
        return {key: value[key] for key in names if key in value}
    return None


@dataclass(slots=True)
class Checkpoint:
    """The newest change handed on (`since`, GMT, with its site-local `local`), and the
    ids (with their GMT time) seen in the overlap before it, so the overlap is not
    handed on twice."""

    since: str | None = None
    local: str | None = None
    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, value: str | None) -> Checkpoint:
        """Also the checkpoints of earlier versions (a local time; `since` local with
        local `seen`): their window is asked again and nothing is taken as seen."""
        if not value:
            return cls()
        if not value.startswith("{"):
            return cls(local=value)
        data = json.loads(value)
        if "local" not in data:
            return cls(local=data.get("since"))
        return cls(since=data.get("since"), local=data.get("local"), seen=dict(data["seen"]))

    def dump(self) -> str:
        floor = self._floor()
        seen = {k: v for k, v in self.seen.items() if floor is None or v >= floor}
        return json.dumps({"since": self.since, "local": self.local, "seen": seen}, sort_keys=True)

    def query_since(self) -> str | None:
        """The `modified_after` to ask: local time can be an hour behind (DST)."""
        return None if self.local is None else shift(self.local, -(DST_S + OVERLAP_S))

    def handled(self, post: Post) -> bool:
        """Handed on by an earlier run: older than the overlap, or seen as it is."""
        when, floor = post.when, self._floor()
        if when is None or self.since is None:
            return False
        if floor is not None and when < floor:
            return True
        return post.id is not None and self.seen.get(str(post.id)) == when

    def advance(self, post: Post, *, now: datetime | None = None) -> None:
        when = post.when
        if when is None:
            return
        if post.id is not None:
            self.seen[str(post.id)] = when
        limit = (now or datetime.now(UTC)).replace(tzinfo=None) + timedelta(seconds=CLOCK_SKEW_S)
        if when > limit.isoformat(timespec="seconds"):
            return  # a wrong clock: remembered by id, but never the checkpoint
        if self.since is None or when > self.since:
            self.since, self.local = when, post.modified or when

    def _floor(self) -> str | None:
        return None if self.since is None else shift(self.since, -OVERLAP_S)


def shift(stamp: str, seconds: int) -> str:
    """An ISO timestamp moved by `seconds`, in the same form (no zone); unchanged when
    it is not a time or the move leaves the calendar."""
    try:
        moment = datetime.fromisoformat(stamp)
        return (moment + timedelta(seconds=seconds)).isoformat(timespec="seconds")
    except (ValueError, OverflowError):
        return stamp


class WordPressSource:
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
        self.max_pages = max_pages
        self.max_s = max_s
        # After `discover`: whether the API answered (None: unknown, a transient error).
        self.available: bool | None = None
        self.sink: Callable[[list[Discovered]], None] | None = None  # `Discovery.sink`
        self.stream_size = 1000

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        found = Discovery(sink=self.sink, stream_size=self.stream_size)
        # What earlier runs handed on is judged by the checkpoint they left, never by
        # this walk's: in id order an older change can follow a newer one.
        before = Checkpoint() if backfill else Checkpoint.parse(since)
        state = Checkpoint(before.since, before.local, dict(before.seen))
        walk = _Walk(self, before.query_since())
        self.available = None
        for page in walk.pages(found):
            self.available = True
            found.errors.extend((walk.url, e) for e in page.errors)
            for post in page.posts:
                if not before.handled(post):
                    found.add(post.url, post.modified, post=post.data)
                state.advance(post)
        if walk.failed_first:
            self.available = False
        if walk.short is not None:
            found.errors.append((walk.url, walk.short))
            found.incomplete = walk.short
        # In id order a walk cut short has not read all changes before its newest one.
        found.checkpoint = state.dump() if walk.finished and state.since else since
        return found


class _Walk:
    """The pages of one run, in id order, within the source's bounds."""

    def __init__(self, source: WordPressSource, after: str | None) -> None:
        self.source = source
        self.after = after
        self.url = ""
        self.finished = False
        self.failed_first = False
        self.short: str | None = None  # why the walk read fewer posts than the API counts
        self.ids: set[int] = set()

    def pages(self, found: Discovery) -> Iterator[Page]:
        source, config = self.source, self.source.config
        started = time.monotonic()
        pretty, page, pages, total = True, 1, 1, None
        first: tuple[str, str] | None = None  # the /wp-json/ form's failure
        while page <= pages:
            if page > source.max_pages or time.monotonic() - started > source.max_s:
                bound = (
                    f"{source.max_pages} pages (MONITOR_REST_MAX_PAGES)"
                    if page > source.max_pages
                    else f"{source.max_s:.0f} s (MONITOR_DISCOVERY_MAX_S)"
                )
                cut = f"stopped at the bound of {bound}; page {page} of {pages} not read"
                found.errors.append((self.url, cut))
                return
            self.url = api_url(config, page=page, since=self.after, pretty=pretty)
            try:
                result = source.fetcher.get(self.url, conditional=False)
                found.requests += result.attempts
                parsed = parse_page(result.body, base_url=config.url)
            except InputError as exc:
                reason = getattr(exc, "reason", str(exc))
                if page == 1 and pretty:
                    pretty, first = False, (self.url, reason)
                    continue  # no pretty permalinks? the ?rest_route= form
                if page == 1:
                    self.failed_first = True
                    if first is not None:  # the real error; the fallback's after it
                        found.errors.append((first[0], f"{first[1]} (?rest_route=: {reason})"))
                        return
                found.errors.append((self.url, reason))
                return
            except TransientFetchError as exc:
                found.errors.append((self.url, exc.reason))  # later pages cannot line up
                return
            if parsed.ids and parsed.ids <= self.ids:
                found.errors.append(
                    (self.url, f"page {page} repeats posts already read: the API is not paging")
                )
                return
            self.ids |= parsed.ids
            yield parsed
            total = _int(result.headers.get("x-wp-total"), default=total)
            pages = _int(result.headers.get("x-wp-totalpages"), default=page) or page
            page += 1
        self.finished = True
        if total is not None and len(self.ids) < total:
            self.short = f"the API counts {total} posts (X-WP-Total) but {len(self.ids)} were read"


def _int(value: str | None, *, default: int | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else default


def article_from_rest(post: Mapping[str, Any], *, fetched_at: str | None = None) -> RawArticle:
    """One `wp/v2/posts` item (with `_embed`) as a `RawArticle`.

    Fields as the WordPress REST API handbook documents them (Posts reference):
    `title.rendered`, `content.rendered` (HTML), `date_gmt`, `link`, `type`, and with
    `_embed`, `_embedded.author[].name` and `_embedded["wp:term"]` (one list of terms
    per taxonomy, categories first). A header or byline inside the content wins over
    the embedded author and categories, as on the page.
    """
    if not isinstance(post, Mapping):
        raise InputError(f"a REST post must be a JSON object, not {type(post).__name__}")
    kind = post.get("type", "post")
    if kind != "post":
        raise NotAnArticle(f"not an article ({str(kind)[:40]})")
    link = post.get("link")
    if not isinstance(link, str) or not link.strip():
        raise InputError("REST post has no 'link'")
    content = _rendered(post, "content")
    if content is None:
        raise NotAnArticle("no text")
    tree = parse_html(f"<html><body><div class='entry-content'>{content}</div></body></html>")
    remove_noise(tree.root)
    top = top_lines(tree)
    container = tree.css_first(".entry-content")
    if container is None:  # pragma: no cover - the wrapper is ours
        raise InputError("REST post content could not be read")
    body = fragment_paragraphs(container)
    title = normalize_title(_rendered(post, "title"))
    header = read_header(top.header_line) if top.header_line else None
    byline = byline_names(top.byline) if top.byline else None
    embedded = post.get("_embedded")
    embedded = embedded if isinstance(embedded, Mapping) else {}
    return RawArticle(
        text=body_text(body, skip={title, top.header_line, top.byline}, title=title),
        origin=link,
        source="web",
        url=canonical_url(link),
        title=title,
        publication=header.publication if header else publication_of(_term_names(embedded)),
        volume=header.volume if header else None,
        issue=header.issue if header else None,
        published_at=_rest_date(post),
        # The byline in the content, else its analyst links, else the embedded author
        # unless that is an account name (`admin`): see workers.extract.bylines.
        authors=clean_names(byline)
        if byline is not None
        else clean_names(analyst_names(container)) or _rest_authors(embedded),
        fetched_at=fetched_at,
    )


def _rendered(post: Mapping[str, Any], key: str) -> str | None:
    value = post.get(key)
    text = value.get("rendered") if isinstance(value, Mapping) else None
    return text if isinstance(text, str) and text.strip() else None


def _rest_date(post: Mapping[str, Any]) -> str | None:
    for key in ("date_gmt", "date"):
        value = post.get(key)
        if isinstance(value, str) and iso_date(value):
            return iso_date(value)
    return None


def _rest_authors(embedded: Mapping[str, Any]) -> tuple[str, ...]:
    authors = embedded.get("author")
    names = (
        [a.get("name") for a in authors if isinstance(a, Mapping)]
        if isinstance(authors, list)
        else []
    )
    return clean_names(tuple(n for n in names if isinstance(n, str)))


def _term_names(embedded: Mapping[str, Any]) -> list[str]:
    """Category names first, then tags: the publication is usually a category."""
    groups = embedded.get("wp:term")
    terms = [
        t
        for group in (groups if isinstance(groups, list) else [])
        if isinstance(group, list)
        for t in group
        if isinstance(t, Mapping) and isinstance(t.get("name"), str)
    ]
    terms.sort(key=lambda t: t.get("taxonomy") != "category")
    return [html_lib.unescape(t["name"]) for t in terms]
