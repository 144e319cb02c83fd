"""The REST API source's pure parts. Parameters and headers per the WordPress REST API
handbook (developer.wordpress.org/rest-api: "Posts", "Global Parameters" for `_fields`
with `_embed`, which must name `_links` and `_embedded`, "Pagination")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from workers.model import InputError
from workers.sources.config import SourceConfig
from workers.sources.wordpress import Checkpoint, Post, api_url, parse_posts, shift, slim

CONFIG = SourceConfig(name="wp", kind="wordpress", url="https://jamestown.org/")


def test_a_page_asks_for_100_posts_with_content_and_embeds_since_the_checkpoint() -> None:
    url = api_url(CONFIG, page=3, since="2025-10-01T00:00:00")
    parts = urlsplit(url)
    assert parts.path == "/wp-json/wp/v2/posts"
    query = parse_qs(parts.query)
    assert query["per_page"] == ["100"] and query["page"] == ["3"]
    assert query["modified_after"] == ["2025-10-01T00:00:00"]
    # id is unique: offset paging over `modified` skips posts sharing a second (issue 21)
    assert query["orderby"] == ["id"] and query["order"] == ["asc"]
    assert query["_embed"] == ["author,wp:term"]
    fields = query["_fields"][0].split(",")
    assert {"content", "title", "date_gmt", "_links", "_embedded"} <= set(fields)
    assert "modified_after" not in api_url(CONFIG, page=1, since=None)


def test_the_rest_route_form() -> None:
    url = api_url(CONFIG, page=1, since=None, pretty=False)
    parts = urlsplit(url)
    assert parts.path == "/" and parse_qs(parts.query)["rest_route"] == ["/wp/v2/posts"]


def test_posts_are_parsed_and_slimmed() -> None:
    post = {
        "id": 11,
        "type": "post",
        "link": "https://jamestown.org/kremlin-tightens-control/",
        "modified": "2025-10-01T10:00:00",
        "title": {"rendered": "Kremlin"},
        "content": {"rendered": "<p>Text</p>"},
        "guid": {"rendered": "dropped"},
        "_links": {"self": []},
        "_embedded": {
            "author": [{"id": 7, "name": "Paul Goble", "avatar_urls": {}}],
            "wp:term": [[{"id": 3, "name": "Eurasia Daily Monitor", "taxonomy": "category"}]],
            "wp:featuredmedia": [{"huge": "dropped"}],
        },
    }
    text = json.dumps([post, {"id": 2}, "not a post", {**post, "id": 12, "type": "page"}])
    posts, errors = parse_posts(text, base_url="https://jamestown.org/")
    assert [p.id for p in posts] == [11]  # the page is not an article
    assert posts[0].url == "https://jamestown.org/kremlin-tightens-control/"
    assert posts[0].data == slim(post)
    assert posts[0].data["_embedded"] == {
        "author": [{"name": "Paul Goble"}],
        "wp:term": [[{"name": "Eurasia Daily Monitor", "taxonomy": "category"}]],
    }
    assert "guid" not in posts[0].data and "_links" not in posts[0].data
    assert errors == ["post 2: has no 'link'", "post 3: has no 'link'"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('[{"link": ', "invalid JSON"),
        ('{"code": "rest_no_route"}', "expected a JSON list"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),  # issue 11: RecursionError
        (b"\xff\xfe[]", "invalid JSON"),
    ],
)
def test_malformed_or_hostile_json_is_an_input_error(data: str | bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_posts(data, base_url="https://jamestown.org/")


def post(post_id: int, gmt: str, local: str | None = None) -> Post:
    return Post(post_id, f"https://jamestown.org/p-{post_id}/", local or gmt, {}, changed=gmt)


def test_the_checkpoint_overlaps_and_dedupes_by_id() -> None:
    state = Checkpoint()
    for item in (post(1, "2025-10-01T10:00:00"), post(2, "2025-10-01T10:05:00")):
        state.advance(item)
    assert state.since == "2025-10-01T10:05:00"
    # two minutes of overlap, and the hour local time may run back at a DST change
    assert state.query_since() == "2025-10-01T09:03:00"
    again = Checkpoint.parse(state.dump())
    assert again.handled(post(2, "2025-10-01T10:05:00"))  # seen: not handed on twice
    assert again.handled(post(1, "2025-10-01T10:00:00"))  # older than the overlap
    assert not again.handled(post(2, "2025-10-01T10:05:30"))  # changed since
    assert not again.handled(post(3, "2025-10-01T10:05:00"))  # same second, new post
    assert "1" not in again.seen  # older than the overlap window: forgotten


def test_an_edit_in_the_repeated_dst_hour_is_not_handled_yet() -> None:
    """America/New_York, the night DST ends: 05:30 UTC is 01:30 EDT, 06:10 UTC is
    01:10 EST. The second save is later, though its local time is earlier."""
    state = Checkpoint()
    state.advance(post(5, "2026-11-01T05:30:00", local="2026-11-01T01:30:00"))
    assert state.query_since() is not None
    assert state.query_since() < "2026-11-01T01:10:00"  # asked for: within the window
    later = post(6, "2026-11-01T06:10:00", local="2026-11-01T01:10:00")
    assert not Checkpoint.parse(state.dump()).handled(later)


def test_a_far_future_post_never_becomes_the_checkpoint() -> None:
    now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    state = Checkpoint()
    state.advance(post(1, "2026-12-01T10:00:00"), now=now)
    state.advance(post(2, "9999-12-31T23:59:59"), now=now)
    assert state.since == "2026-12-01T10:00:00"
    assert state.handled(post(2, "9999-12-31T23:59:59"))  # not handed on every run


def test_old_checkpoints_still_read() -> None:
    state = Checkpoint.parse("2025-10-01T10:00:00")
    assert state.local == "2025-10-01T10:00:00" and state.seen == {}
    old = Checkpoint.parse(json.dumps({"since": "2025-10-01T10:00:00", "seen": {"3": "x"}}))
    assert old.query_since() == "2025-10-01T08:58:00" and not old.handled(post(3, "x"))


GOOD = {
    "id": 1,
    "type": "post",
    "link": "https://jamestown.org/a-good-post/",
    "modified": "2025-10-01T10:00:00",
    "modified_gmt": "2025-10-01T14:00:00",
}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"link": "http://[::1/x/"}, "bad link"),  # urlsplit: ValueError (issue 22)
        ({"modified": "0001-01-01T00:00:00+01:00"}, "modified"),  # overflowed `shift`
        ({"modified_gmt": "yesterday"}, "modified_gmt"),
        ({"link": "https://evil.example/program/x/"}, "another site"),
        ({"link": "https://jamestown.org:8443/x/"}, "another site"),  # the port counts
    ],
)
def test_a_bad_post_is_skipped_with_its_reason_and_the_rest_are_read(bad, reason) -> None:
    text = json.dumps([{**GOOD, "id": 2, **bad}, GOOD])
    posts, errors = parse_posts(text, base_url="https://jamestown.org/")
    assert [p.id for p in posts] == [1]
    assert len(errors) == 1 and errors[0].startswith("post 1:") and reason in errors[0]


def test_a_spoofed_production_link_from_another_source_is_refused() -> None:
    """Issue 22: from a REST source on 127.0.0.1 a post linked to jamestown.org
    overwrote the real article."""
    spoofed = {**GOOD, "link": "https://jamestown.org/program/real-article/"}
    posts, errors = parse_posts(json.dumps([spoofed]), base_url="http://127.0.0.1:8080/")
    assert posts == [] and "another site" in errors[0]


def test_www_is_the_same_site() -> None:
    posts, errors = parse_posts(
        json.dumps([{**GOOD, "link": "https://www.jamestown.org/a-good-post/"}]),
        base_url="https://jamestown.org/",
    )
    assert [p.url for p in posts] == ["https://jamestown.org/a-good-post/"] and not errors


def test_shift_never_overflows() -> None:
    assert shift("0001-01-01T00:00:00", -3720) == "0001-01-01T00:00:00"
    assert shift("9999-12-31T23:59:59", 10) == "9999-12-31T23:59:59"
