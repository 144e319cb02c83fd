"""Normalization rules, and the stable id every run and worker must agree on."""

from __future__ import annotations

import time
import unicodedata

import pytest

from workers import normalize


def test_nfc_and_invisible_characters() -> None:
    decomposed = unicodedata.normalize("NFD", "Losyukov’s café\u200b")
    assert normalize.normalize_text(decomposed) == "Losyukov’s café"


def test_paragraphs_are_separated_by_one_blank_line() -> None:
    text = "First  line\nwrapped here.\n\n\n\nSecond\tparagraph.\r\n"
    assert normalize.normalize_text(text) == "First line wrapped here.\n\nSecond paragraph."


def test_text_without_blank_lines_has_a_paragraph_per_line() -> None:
    assert normalize.normalize_text("One.\nTwo.") == "One.\n\nTwo."


def test_typographic_dashes_and_quotes_are_kept() -> None:
    text = "in 1997–negotiations “shocking failure”"
    assert normalize.normalize_text(text) == text


def test_word_count_splits_en_dashes_but_not_hyphens() -> None:
    # "1997–negotiations" is two words; "Putin-Mori’s" is one.
    assert normalize.word_count("in 1997–negotiations, Putin-Mori’s summit") == 5


def test_content_hash_changes_only_with_text() -> None:
    a = normalize.content_hash("text")
    assert a == normalize.content_hash("text")
    assert a != normalize.content_hash("text.")


def _id(**overrides: object) -> str:
    fields: dict[str, object] = {
        "url": None,
        "publication": "Monitor",
        "volume": 7,
        "issue": 14,
        "title": None,
        "body_hash": "abc",
    }
    fields.update(overrides)
    return normalize.article_id(**fields)  # type: ignore[arg-type]


def test_article_id_is_stable_and_readable() -> None:
    assert _id() == _id()
    assert _id().startswith("monitor-")


def test_url_identifies_an_article_whatever_its_text() -> None:
    url = "https://jamestown.org/program/a/"
    assert _id(url=url, body_hash="x") == _id(url=url, body_hash="y")


def test_untitled_articles_of_one_issue_get_different_ids() -> None:
    assert _id(body_hash="one") != _id(body_hash="two")


def test_titled_article_keeps_its_id_when_text_is_corrected() -> None:
    assert _id(title="T", body_hash="one") == _id(title="T", body_hash="two")


def test_control_characters_are_dropped_but_tabs_and_newlines_are_whitespace() -> None:
    assert normalize.normalize_text("a\x00b\x07c\x9f\td\r\ne") == "abc d\n\ne"


# Titles (issue 21): one cleaning for every road, so one article has one title.
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # Yoast's JSON-LD headline: get_the_title() with tags stripped, never decoded.
        ("Why Moscow doesn&#8217;t Blink", "Why Moscow doesn’t Blink"),
        # og:title encoded twice (`&amp;#8217;`), and three times.
        ("Why Moscow doesn&amp;#8217;t Blink", "Why Moscow doesn’t Blink"),
        ("Why Moscow doesn&amp;amp;#8217;t Blink", "Why Moscow doesn’t Blink"),
        ("Russia&#8217;s <em>New</em> Line", "Russia’s New Line"),
        ("Russia<em>’</em>s Line<br/>Two", "Russia’s Line Two"),
        ("  Line\n\tbroken&nbsp;here\u200b ", "Line broken here"),
        ("Russia <> Ukraine: a &lt; b", "Russia <> Ukraine: a < b"),
        ("Cafe\u0301 Society", "Caf\u00e9 Society"),
        ("Bell\x07 and \x00NUL", "Bell and NUL"),
        ("&#8203;&nbsp;", None),
        ("", None),
        (None, None),
    ],
)
def test_titles_are_decoded_tag_free_and_single_spaced(
    given: str | None, expected: str | None
) -> None:
    assert normalize.normalize_title(given) == expected


def test_a_cleaned_title_cleans_to_itself() -> None:
    for title in ("Why Moscow doesn&amp;#8217;t Blink", "a &lt;b&gt; c", "AT&amp;T"):
        once = normalize.normalize_title(title)
        assert normalize.normalize_title(once) == once


def test_a_huge_title_is_cut_at_a_word_in_bounded_time() -> None:
    hostile = ("word&amp;amp; " * 200_000) + "<" * 100_000
    started = time.perf_counter()
    title = normalize.normalize_title(hostile)
    assert time.perf_counter() - started < 2
    assert title is not None and len(title) <= normalize.MAX_TITLE_CHARS + 1
    assert title.endswith("…") and "amp;" not in title


def test_a_url_is_one_id_whatever_publication_a_road_guessed() -> None:
    """Issue 21: REST said "Eurasia Daily Monitor", the page said nothing; one URL
    became two documents (`eurasia-daily-monitor-…`, `unknown-…`)."""
    url = "https://jamestown.org/program/a/"
    rest = _id(url=url, publication="Eurasia Daily Monitor")
    page = _id(url=url, publication="Unknown")
    assert rest == page == _id(url="https://jamestown.org/a/", publication="China Brief")


def test_an_old_url_id_is_recognized_as_migrated_to_the_new_one() -> None:
    url = "https://jamestown.org/a/"
    new = _id(url=url)
    digest = new.rsplit("-", 1)[1]
    assert normalize.migrated_from(f"eurasia-daily-monitor-{digest}", new)
    assert normalize.migrated_from(f"unknown-{digest}", new)
    assert not normalize.migrated_from(f"unknown-{'0' * 20}", new)
    assert not normalize.migrated_from(_id(), _id(title="another"))  # no URL: no migration
