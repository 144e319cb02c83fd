"""The WordPress REST API (`/wp-json/wp/v2/posts`, or a custom post type's route).

The cheapest way to read the site: one request returns 100 posts *with* their
content, author and terms (`_embed=author,wp:term`), so a post is indexed from the
payload (`workers.sources.html.article_from_rest`) without fetching its page, and a
50,000-post archive is 500 requests. Only what indexing needs is asked for
(`_fields`, which must name `_links` and `_embedded` for embedding to survive it),
oldest change first (`orderby=modified&order=asc`), paged with `X-WP-TotalPages`.
Ascending order makes a partial run safe: when page 3 fails, the checkpoint is the
newest item of pages 1-2 and nothing is skipped.

Incremental runs ask for `modified_after=<checkpoint - OVERLAP_S>`: WordPress's
`modified_after` is exclusive and a post saved in the same second as the checkpoint
(or committed late) would be missed at an exact boundary. The overlap makes the
window inclusive; posts already handed on with the same `modified` are recognized by
id (the checkpoint remembers the ids in the overlap window) and skipped, so an idle
tick is one request that discovers nothing.

Sites without pretty permalinks answer only the `?rest_route=/wp/v2/posts` form:
`api_url` builds either, and `WordPressSource` falls back to the second when the
first does not answer a post list (a 404 page, the home page).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from workers.fetching.fetch import Fetcher, TransientFetchError
from workers.fetching.urls import URLError, canonical_url
from workers.model import InputError
from workers.sources.base import Discovery
from workers.sources.config import SourceConfig

OVERLAP_S = 120
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
    """One page of the collection; `full` asks for content and embeds (to index from),
    else only what discovery needs."""
    params = {
        "per_page": str(config.per_page),
        "page": str(page),
        "orderby": "modified",
        "order": "asc",
    }
    if full:
        params["_embed"] = "author,wp:term"
        params["_fields"] = ",".join((*POST_FIELDS, "_links", "_embedded"))
    else:
        params["_fields"] = "id,link,modified,type"
    if since is not None:
        params["modified_after"] = since
    root = config.url.rstrip("/")
    route = "/" + config.route.strip("/")
    if pretty:
        return f"{root}/wp-json{route}?{urlencode(params)}"
    return f"{root}/?{urlencode({'rest_route': route, **params})}"


@dataclass(frozen=True, slots=True)
class Post:
    id: int | None
    url: str
    modified: str | None
    data: dict[str, Any]


def parse_posts(data: bytes | str, *, base_url: str) -> tuple[list[Post], list[str]]:
    """The posts of one page and per-post errors; `InputError` if not a post list.

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
    posts: list[Post] = []
    errors: list[str] = []
    for number, post in enumerate(decoded, 1):
        link = post.get("link") if isinstance(post, dict) else None
        if not isinstance(link, str) or not link:
            errors.append(f"post {number} has no 'link'")
            continue
        if post.get("type", "post") != "post":
            continue  # a page, a book or a report exposed on this route: not an article
        try:
            url = canonical_url(link, base=base_url)
        except URLError as exc:
            errors.append(f"post {number}: {exc}")
            continue
        # `modified` (site-local time), not `modified_gmt`: WordPress compares
        # `modified_after` with the post_modified column, which is local time.
        modified = post.get("modified")
        post_id = post.get("id")
        posts.append(
            Post(
                id=post_id if isinstance(post_id, int) else None,
                url=url,
                modified=modified if isinstance(modified, str) else None,
                data=slim(post),
            )
        )
    return posts, errors


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
    """The newest `modified` handed on, and the ids (with their `modified`) seen in the
    overlap window before it, so the overlap is not handed on twice."""

    since: str | None = None
    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, value: str | None) -> Checkpoint:
        if not value:
            return cls()
        if not value.startswith("{"):
            return cls(since=value)  # a checkpoint written before the overlap existed
        data = json.loads(value)
        return cls(since=data.get("since"), seen=dict(data.get("seen") or {}))

    def dump(self) -> str:
        return json.dumps({"since": self.since, "seen": self.seen}, sort_keys=True)

    def query_since(self) -> str | None:
        return None if self.since is None else shift(self.since, -OVERLAP_S)

    def handled(self, post: Post) -> bool:
        return post.id is not None and self.seen.get(str(post.id)) == post.modified

    def advance(self, post: Post) -> None:
        if post.modified is None:
            return
        if self.since is None or post.modified > self.since:
            self.since = post.modified
        if post.id is not None:
            self.seen[str(post.id)] = post.modified
        floor = shift(self.since, -OVERLAP_S)
        self.seen = {key: when for key, when in self.seen.items() if when >= floor}


def shift(stamp: str, seconds: int) -> str:
    """An ISO timestamp moved by `seconds`, in the same form (no zone: site-local)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return (moment + timedelta(seconds=seconds)).isoformat(timespec="seconds")


class WordPressSource:
    def __init__(self, config: SourceConfig, *, fetcher: Fetcher) -> None:
        self.name = config.name
        self.config = config
        self.fetcher = fetcher
        # After `discover`: whether the API answered (None: unknown, a transient error).
        self.available: bool | None = None

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        found = Discovery()
        state = Checkpoint() if backfill else Checkpoint.parse(since)
        after = state.query_since()
        pretty = True
        page, pages = 1, 1
        self.available = None
        while page <= pages:
            url = api_url(self.config, page=page, since=after, pretty=pretty)
            try:
                result = self.fetcher.get(url, conditional=False)
                found.requests += result.attempts
                posts, errors = parse_posts(result.body, base_url=self.config.url)
            except InputError as exc:
                if page == 1 and pretty:
                    pretty = False  # no pretty permalinks? the ?rest_route= form
                    continue
                if page == 1:
                    self.available = False
                found.errors.append((url, getattr(exc, "reason", str(exc))))
                break
            except TransientFetchError as exc:
                # Later pages cannot be trusted to line up; stop, keep what was read.
                found.errors.append((url, exc.reason))
                break
            self.available = True
            found.errors.extend((url, e) for e in errors)
            for post in posts:
                if not state.handled(post):
                    found.add(post.url, post.modified, post=post.data)
                state.advance(post)
            pages = _int(result.headers.get("x-wp-totalpages"), default=page)
            page += 1
        found.checkpoint = state.dump() if state.since else since
        return found


def _int(value: str | None, *, default: int) -> int:
    return int(value) if value is not None and value.strip().isdigit() else default
