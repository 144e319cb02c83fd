"""samples/ is honest: excerpts end at a sentence and are labelled, URLs are the
article's own (issue 13, item 7). The labels live in samples/README.md and, for
JSON inputs, in an `"excerpt": true` field the pipeline ignores."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
README = (SAMPLES / "README.md").read_text(encoding="utf-8")
ARTICLES = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".txt", ".json"))
# A sentence ends with . ! ? (then closing quotes/brackets), or with a citation
# parenthesis, the Monitor's way of closing a paragraph: "... demands. (BBC, March 27)".
_SENTENCE_END = re.compile(r"(?:[.!?][\"”’)\]]*|\([^()]*\))\s*$")


def _body(path: Path) -> str:
    if path.suffix == ".json":
        return str(json.loads(path.read_text(encoding="utf-8"))["body"])
    return path.read_text(encoding="utf-8")


def _label(path: Path) -> str:
    row = re.search(rf"^\| {re.escape(path.name)} \| (.+) \|$", README, re.MULTILINE)
    assert row is not None, f"{path.name} is not listed in samples/README.md"
    return row.group(1)


def test_there_are_ten_and_each_is_listed() -> None:
    assert len(ARTICLES) == 10
    for path in ARTICLES:
        _label(path)


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_every_sample_ends_at_a_sentence(path: Path) -> None:
    body = _body(path).rstrip()
    assert _SENTENCE_END.search(body), body[-80:]
    assert not body.endswith(("MORE", "...", "…"))


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_excerpts_are_labelled_as_such(path: Path) -> None:
    label = _label(path)
    assert label.startswith(("excerpt", "full article"))
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data.get("excerpt") is label.startswith("excerpt")


@pytest.mark.parametrize("path", [p for p in ARTICLES if p.suffix == ".json"], ids=lambda p: p.name)
def test_json_samples_carry_the_article_url_or_none(path: Path) -> None:
    url = json.loads(path.read_text(encoding="utf-8")).get("url")
    if url is not None:
        # An article page, not a program listing ("/program-name/edm/page/492").
        assert re.match(r"^https://jamestown\.org/program/[a-z0-9-]+/?$", url), url
