"""Bad input never crashes enrichment: a valid document, maybe empty, maybe with a note."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from workers.model import Article, InputError, RawArticle
from workers.pipeline import DEFAULT_PIPELINE, ENRICHER_SETS, Pipeline

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/schema/article.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
GOLD = Path(__file__).resolve().parents[2] / "fixtures" / "gold"
HEADER = "Publication: Monitor Volume: 7 Issue: 14\n\n"
NO_NER = Pipeline(ENRICHER_SETS["no-entities"])


def _valid(article: Article) -> dict[str, Any]:
    doc = article.to_document()
    VALIDATOR.validate(doc)
    return doc


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("Putin (Interfax, March 4 said ((( and ) ) (", id="unbalanced-parentheses"),
        pytest.param("Путин встретился с Коно в Москве 17 января 2001 года.", id="cyrillic"),
        pytest.param("普京与河野洋平在莫斯科会面。", id="chinese"),
        pytest.param(
            "Der Vertrag vom 17. Januar (dpa, 18. Januar) wurde unterzeichnet.", id="german"
        ),
        pytest.param(
            "The talks set for February 30 (Kyodo, February 30) failed.", id="february-30"
        ),
        pytest.param("(((((((((( ))))))) 1999-2000 2000-1999 May May May", id="noise"),
    ],
)
def test_odd_text_gives_a_valid_document(body: str, nlp: Any) -> None:
    doc = _valid(DEFAULT_PIPELINE.process(RawArticle(text=HEADER + body, origin="odd.txt")))
    assert doc["body"] == body


def test_february_30_is_noted() -> None:
    raw = RawArticle(text=HEADER + "The talks set for February 30 failed.", origin="x")
    article = NO_NER.process(raw)
    assert article.dates == ()
    assert any("February 30" in note for note in article.enrich_notes)


@pytest.mark.parametrize("text", ["", "   \n\n", HEADER, "Title\n\nPublication: EDM Volume: 2\n"])
def test_empty_or_header_only_is_bad_input_not_a_crash(text: str) -> None:
    with pytest.raises(InputError):
        DEFAULT_PIPELINE.process(RawArticle(text=text, origin="empty.txt"))


def test_enrichers_accept_an_empty_body(nlp: Any) -> None:
    article = Article(
        id="x", publication="Monitor", body="", content_hash="h", pipeline_version="v"
    )
    doc = _valid(DEFAULT_PIPELINE.enrich(article))
    assert doc["entities"] == doc["citations"] == doc["dates"] == []


def test_no_date_and_no_volume_is_a_note() -> None:
    raw = RawArticle(text="On January 17 Putin met Kono (Kyodo, January 18).", origin="x")
    article = NO_NER.process(raw)
    _valid(article)
    assert article.published_at is None
    assert any(note.startswith("published_at:") for note in article.enrich_notes)
    assert article.dates == ()  # year-less dates cannot be resolved without a date


def test_a_megabyte_of_text() -> None:
    """1 MB of real prose through dates and citations (NER chunking of long texts is
    tested in test_enrich_entities; a megabyte of it takes minutes on one core)."""
    seed = (GOLD / "seeds" / "monitor-v7-i14.txt").read_text(encoding="utf-8")
    body = seed.split("\n", 1)[1].strip()
    copies = 1_000_000 // len(body) + 1
    raw = RawArticle(text=HEADER + "\n\n".join([body] * copies), origin="big.txt")
    article = NO_NER.process(raw)
    assert len(article.body) >= 1_000_000
    assert len(article.citations) == 6 * copies
    assert article.published_at == "2001-01-22"
    doc = article.to_document()
    doc["dates"], doc["citations"] = doc["dates"][:200], doc["citations"][:200]
    VALIDATOR.validate(doc)


def test_non_latin_text_skips_ner_with_a_note(nlp: Any) -> None:
    raw = RawArticle(text=HEADER + "Путин встретился с Коно в Москве.", origin="ru.txt")
    article = DEFAULT_PIPELINE.process(raw)
    assert article.entities == ()
    assert any(note.startswith("entities: skipped") for note in article.enrich_notes)
    mixed = DEFAULT_PIPELINE.process(
        RawArticle(text=HEADER + "Putin (Путин) met Kono.", origin="x")
    )
    assert "Vladimir Putin" in {e.name for e in mixed.entities}
