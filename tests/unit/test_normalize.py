"""Normalization rules, and the stable id every run and worker must agree on."""

from __future__ import annotations

import unicodedata

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
