"""The REST API source's pure parts. Parameters and headers per the WordPress REST API
handbook (developer.wordpress.org/rest-api: "Posts", "Global Parameters" for `_fields`
with `_embed`, which must name `_links` and `_embedded`, "Pagination")."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from workers.model import InputError
from workers.sources.config import SourceConfig
from workers.sources.wordpress import Checkpoint, Post, api_url, parse_posts, slim

CONFIG = SourceConfig(name="wp", kind="wordpress", url="https://jamestown.org/")


def test_a_page_asks_for_100_posts_with_content_and_embeds_since_the_checkpoint() -> None:
    url = api_url(CONFIG, page=3, since="2025-10-01T00:00:00")
    parts = urlsplit(url)
    assert parts.path == "/wp-json/wp/v2/posts"
    query = parse_qs(parts.query)
    assert query["per_page"] == ["100"] and query["page"] == ["3"]
    assert query["modified_after"] == ["2025-10-01T00:00:00"]
    assert query["orderby"] == ["modified"] and query["order"] == ["asc"]
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
    assert errors == ["post 2 has no 'link'", "post 3 has no 'link'"]


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


def post(post_id: int, modified: str) -> Post:
    return Post(post_id, f"https://jamestown.org/p-{post_id}/", modified, {})


def test_the_checkpoint_overlaps_and_dedupes_by_id() -> None:
    state = Checkpoint()
    for item in (post(1, "2025-10-01T10:00:00"), post(2, "2025-10-01T10:05:00")):
        state.advance(item)
    assert state.since == "2025-10-01T10:05:00"
    assert state.query_since() == "2025-10-01T10:03:00"  # two minutes of overlap
    again = Checkpoint.parse(state.dump())
    assert again.handled(post(2, "2025-10-01T10:05:00"))  # seen: not handed on twice
    assert not again.handled(post(2, "2025-10-01T10:05:30"))  # changed since
    assert not again.handled(post(3, "2025-10-01T10:05:00"))  # same second, new post
    assert "1" not in again.seen  # older than the overlap window: forgotten


def test_a_plain_old_checkpoint_still_reads() -> None:
    state = Checkpoint.parse("2025-10-01T10:00:00")
    assert state.since == "2025-10-01T10:00:00" and state.seen == {}
