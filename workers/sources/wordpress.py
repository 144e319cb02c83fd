"""The WordPress REST API (`/wp-json/wp/v2/posts`, or a custom post type's route).

Asks only for what discovery needs (`_fields=id,link,modified`), oldest change
first (`orderby=modified&order=asc`) from `modified_after=<checkpoint>`, and pages
with `X-WP-TotalPages`. Ascending order makes a partial run safe: when page 3
fails, the checkpoint is the newest item of pages 1-2 and nothing is skipped.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from workers.fetch import Fetcher, PermanentFetchError, TransientFetchError
from workers.model import InputError
from workers.sources.base import Discovery, later
from workers.sources.config import SourceConfig
from workers.urls import URLError, canonical_url


def page_url(config: SourceConfig, *, page: int, since: str | None) -> str:
    params = {
        "per_page": str(config.per_page),
        "page": str(page),
        "orderby": "modified",
        "order": "asc",
        "_fields": "id,link,modified",
    }
    if since is not None:
        params["modified_after"] = since
    root = config.url.rstrip("/")
    return f"{root}/wp-json/{config.route.strip('/')}?{urlencode(params)}"


def parse_posts(text: str, *, base_url: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(url, modified) per post and per-post errors; `InputError` if not a post list."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, list):
        raise InputError(f"expected a JSON list of posts, got {type(data).__name__}")
    items: list[tuple[str, str | None]] = []
    errors: list[str] = []
    for number, post in enumerate(data, 1):
        link = post.get("link") if isinstance(post, dict) else None
        if not isinstance(link, str) or not link:
            errors.append(f"post {number} has no 'link'")
            continue
        try:
            url = canonical_url(link, base=base_url)
        except URLError as exc:
            errors.append(f"post {number}: {exc}")
            continue
        # `modified` (site-local time), not `modified_gmt`: WordPress compares
        # `modified_after` with the post_modified column, which is local time.
        modified = post.get("modified")
        items.append((url, modified if isinstance(modified, str) else None))
    return items, errors


class WordPressSource:
    def __init__(self, config: SourceConfig, *, fetcher: Fetcher) -> None:
        self.name = config.name
        self.config = config
        self.fetcher = fetcher

    def discover(self, *, since: str | None, backfill: bool) -> Discovery:
        found = Discovery(checkpoint=None if backfill else since)
        after = None if backfill else since
        page, pages = 1, 1
        while page <= pages:
            url = page_url(self.config, page=page, since=after)
            try:
                result = self.fetcher.get(url, conditional=False)
                found.requests += result.attempts
                items, errors = parse_posts(result.text(), base_url=self.config.url)
            except (PermanentFetchError, TransientFetchError, InputError) as exc:
                # Later pages cannot be trusted to line up; stop, keep what was read.
                found.errors.append((url, getattr(exc, "reason", str(exc))))
                break
            found.errors.extend((url, e) for e in errors)
            for item_url, modified in items:
                found.add(item_url, modified)
                found.checkpoint = later(found.checkpoint, modified)
            pages = _int(result.headers.get("x-wp-totalpages"), default=page)
            page += 1
        return found


def _int(value: str | None, *, default: int) -> int:
    return int(value) if value is not None and value.strip().isdigit() else default
