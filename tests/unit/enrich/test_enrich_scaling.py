"""Enrichment stays linear on adversarial text (issue 11).

Each input is built at a size where a quadratic path would not finish in the test
run (tens of thousands of spans or openers: hundreds of millions of steps), and each
test checks what comes out, not how long it took; `bench/enrich.py` prints the
timings as a size series.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from workers.enrich import citations, dates, ner
from workers.enrich.enrichers import Entities
from workers.enrich.entities import resolve
from workers.enrich.ner import NerSpan
from workers.model import RawArticle
from workers.pipeline import Pipeline

ANCHOR = dates.Anchor(on=date(2001, 1, 22), latest=date(2001, 1, 22))


def _name(i: int) -> str:
    """A distinct capitalized word per number ("Kab", "Kac", ...): letters only."""
    letters = "bcdfghjklmnpqrstvwz"
    word = ""
    while True:
        word += letters[i % 19]
        i //= 19
        if not i:
            return "K" + word


def test_thousands_of_recognized_names_resolve_each_once() -> None:
    words = [f"the {_name(i)} Company" for i in range(30_000)]  # about 550 KB
    text = " and ".join(words) + "."
    spans, cursor = [], 0
    for word in words:
        start = text.index(word, cursor) + 4
        spans.append(NerSpan(start, start + len(word) - 4, "ORG"))
        cursor = start
    found = resolve(text, spans)
    assert len(found) == 30_000
    assert all(e.type == "organization" and e.mentions == 1 for e in found)


def test_long_whitespace_runs() -> None:
    text = "Talks in Moscow" + " " * 500_000 + "ended January 17 (Izvestia, January 19)."
    assert [c.source for c in citations.extract(text, ANCHOR)] == ["Izvestia"]
    assert [m.start for m in dates.find_dates(text, ANCHOR).mentions] == [
        "2001-01-17",
        "2001-01-19",
    ]
    assert [e.name for e in resolve(text, [])] == ["Moscow", "Izvestia"]


def test_repeated_citation_openers() -> None:
    text = "(Izvestia, " * 40_000 + "January 19)."
    found = citations.extract(text, ANCHOR)
    assert len(found) <= 1  # one closing parenthesis: at most one citation
    assert resolve(text, []) != ()


def test_thousands_of_acronym_pairs() -> None:
    pairs = [f"the {_name(i)} Vrab Trust (K{_name(i)[1:].upper()}VT)" for i in range(5_000)]
    text = "; ".join(pairs) + "."
    found = resolve(text, [])
    assert found == ()  # no recognizer spans: acronyms alone invent nothing
    spans, cursor = [], 0
    for pair in pairs:
        start = text.index(pair, cursor) + 4
        end = text.index(" (", start)
        spans.append(NerSpan(start, end, "ORG"))
        cursor = end
    found = resolve(text, spans)
    assert len(found) == 5_000
    assert all(len(e.aliases) == 2 for e in found)  # the expansion and its acronym


def test_a_huge_article_is_recognized_up_to_the_budget_and_says_so(
    monkeypatch: pytest.MonkeyPatch, nlp: Any
) -> None:
    monkeypatch.setattr(ner, "MAX_CHARS", 2_000)
    paragraph = "Eduard Shevardnadze met Igor Ivanov in Tbilisi on Monday.\n\n"
    tail = "Later the Georgian Foreign Ministry thanked Moscow.\n\n"
    body = paragraph * 60 + tail
    entities = Pipeline((Entities(),))
    article = entities.build(RawArticle(text=body, origin="x", published_at="2001-01-22"))
    (done,) = entities.enrich_batch([article])
    found = {e.name for e in done.entities}
    assert {"Eduard Shevardnadze", "Igor Ivanov", "Tbilisi"} <= found  # NER and gazetteer
    assert {"Ministry of Foreign Affairs of Georgia", "Moscow"} <= found  # gazetteer past it
    assert any(n.startswith("entities: names recognized in the first") for n in done.enrich_notes)
