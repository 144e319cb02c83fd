from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from workers.model import InputError
from workers.sources.config import SourceConfig
from workers.sources.wordpress import page_url, parse_posts


def test_page_url_asks_only_for_changes_since_the_checkpoint() -> None:
    config = SourceConfig(
        name="wp",
        kind="wordpress",
        url="https://jamestown.org/",
        per_page=20,
        route="wp/v2/article",
    )
    url = page_url(config, page=3, since="2025-10-01T00:00:00")
    parts = urlsplit(url)
    assert parts.path == "/wp-json/wp/v2/article"
    query = parse_qs(parts.query)
    assert query["per_page"] == ["20"] and query["page"] == ["3"]
    assert query["modified_after"] == ["2025-10-01T00:00:00"]
    assert query["orderby"] == ["modified"] and query["order"] == ["asc"]
    assert "modified_after" not in page_url(config, page=1, since=None)


def test_posts_become_urls_with_modified_times() -> None:
    text = json.dumps(
        [
            {
                "id": 1,
                "link": "https://jamestown.org/program/a/",
                "modified": "2025-10-01T10:00:00",
            },
            {"id": 2},
            "not a post",
        ]
    )
    items, errors = parse_posts(text, base_url="https://jamestown.org/")
    assert items == [("https://jamestown.org/program/a/", "2025-10-01T10:00:00")]
    assert errors == ["post 2 has no 'link'", "post 3 has no 'link'"]


@pytest.mark.parametrize(
    ("text", "message"), [('[{"link": ', "invalid JSON"), ('{"code": "x"}', "expected a JSON list")]
)
def test_malformed_json_is_an_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_posts(text, base_url="https://jamestown.org/")
