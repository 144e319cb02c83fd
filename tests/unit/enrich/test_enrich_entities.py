"""Entity resolution: canonical names from recognizer spans, gazetteer and coreference.

Most cases give `resolve` hand-made recognizer spans (what spaCy returns, written as
(surface, label) pairs found in the text), so they test the resolution rules whatever
the statistical model does; the last ones run the real model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.spans import labelled_spans
from workers.enrich.entities import gazetteer, resolve, translit_key
from workers.enrich.gazetteer import trie_regex
from workers.enrich.ner import recognize
from workers.settings import get_settings

_spans = labelled_spans


def _people(text: str, labelled: list[tuple[str, str]]) -> dict[str, int]:
    found = resolve(text, _spans(text, labelled))
    return {e.name: e.mentions for e in found if e.type == "person"}


CASES = [
    # Title stripped, surname joined to the full name used in the article.
    (
        "Foreign Minister Yohei Kono met Igor Ivanov. Later Kono flew home; Ivanov stayed.",
        [
            ("Yohei Kono", "PERSON"),
            ("Igor Ivanov", "PERSON"),
            ("Kono", "PERSON"),
            ("Ivanov", "PERSON"),
        ],
        {"Yohei Kono": 2, "Igor Ivanov": 2},
    ),
    # A hyphenated pair is two people.
    ("a Putin-Mori summit", [("Putin-Mori", "PERSON")], {"Vladimir Putin": 1, "Yoshiro Mori": 1}),
    # The gazetteer knows the surname of a leader and fixes a wrong label.
    (
        "a meeting in Moscow with Obuchi",
        [("Moscow", "GPE"), ("Obuchi", "GPE")],
        {"Keizo Obuchi": 1},
    ),
    (
        "President Putin and Vladimir Putin’s Kremlin",
        [("Putin", "PERSON"), ("Vladimir Putin’s", "PERSON")],
        {"Vladimir Putin": 2},
    ),
    # A lone unknown word tagged PERSON is not guessed into a person.
    ("the bases at Vaziani and Gudauta", [("Vaziani", "PERSON"), ("Gudauta", "PERSON")], {}),
    # A name used as a modifier is not a mention of the person.
    ("the newly inaugurated Bush administration", [("Bush", "PERSON")], {}),
    # Two people share the surname: the bare surname is ambiguous and dropped.
    (
        "Sulim Yamadaev and Ruslan Yamadaev; the Yamadaev brothers",
        [("Sulim Yamadaev", "PERSON"), ("Ruslan Yamadaev", "PERSON"), ("Yamadaev", "PERSON")],
        {"Sulim Yamadaev": 1, "Ruslan Yamadaev": 1},
    ),
    # Transliteration variants of one name are one entity.
    (
        "Gennadi Burbulis spoke. Gennady Burbulis left.",
        [("Gennadi Burbulis", "PERSON"), ("Gennady Burbulis", "PERSON")],
        {"Gennadi Burbulis": 2},
    ),
    (
        "Alexander Lukashenko and Aleksandr Lukashenka",
        [("Alexander Lukashenko", "PERSON"), ("Aleksandr Lukashenka", "PERSON")],
        {"Aleksandr Lukashenka": 2},
    ),
    # A full name the model read as an organization, whose surname it read as a person.
    (
        "Mykola Melnychenko recorded tapes. Melnychenko kept them.",
        [("Mykola Melnychenko", "ORG"), ("Melnychenko", "PERSON")],
        {"Mykola Melnychenko": 2},
    ),
    # A surname the model read as an organization, after the full name.
    (
        "NATO chief Jens Stoltenberg came. Stoltenberg left.",
        [("NATO", "ORG"), ("Jens Stoltenberg", "PERSON"), ("Stoltenberg", "ORG")],
        {"Jens Stoltenberg": 2},
    ),
    # A title right before a name the model read as an organization.
    ("Godane’s deputy Mukhtar Robow disagreed.", [("Mukhtar Robow", "ORG")], {"Mukhtar Robow": 1}),
    # A common given name marks a person the model read as an organization.
    ("Sergei Prikhodko spoke.", [("Sergei Prikhodko", "ORG")], {"Sergei Prikhodko": 1}),
    ("at Ivan Franko University", [("Ivan Franko University", "ORG")], {}),
    # Hyphenated Arabic articles are part of a name.
    (
        "Abu Bakr al-Baghdadi spoke.",
        [("Abu Bakr al-Baghdadi", "PERSON")],
        {"Abu Bakr al-Baghdadi": 1},
    ),
    # Function words are never part of a name.
    ("Reporters Without Frontiers said", [("Without Frontiers", "PERSON")], {}),
]


@pytest.mark.parametrize(("text", "labelled", "expected"), CASES)
def test_person_resolution(
    text: str, labelled: list[tuple[str, str]], expected: dict[str, int]
) -> None:
    assert _people(text, labelled) == expected


def test_places_and_organizations_get_canonical_names_and_ids() -> None:
    text = (
        "The Russian Foreign Ministry and the UN Security Council discussed the "
        "U.S.-Japanese plan, the Habomai islets and the Asia Pacific region."
    )
    found = {(e.type, e.name): e for e in resolve(text, [])}
    assert ("organization", "Ministry of Foreign Affairs of Russia") in found
    assert ("organization", "United Nations Security Council") in found
    assert found[("location", "United States")].wikidata == "Q30"
    assert ("location", "Habomai") in found
    assert ("location", "Asia-Pacific") in found


def test_jamestown_series_are_not_listed_and_do_not_leak_places() -> None:
    text = "(see the Monitor, November 22; the Fortnight in Review, December 3, 1999)"
    assert resolve(text, _spans(text, [("Monitor", "ORG"), ("Review", "GPE")])) == ()


def test_adjectives_and_generic_nouns_are_not_entities() -> None:
    text = "the Ukrainian side and the Ministry"
    assert resolve(text, _spans(text, [("Ukrainian", "GPE"), ("Ministry", "ORG")])) == ()


def test_spans_and_aliases_point_into_the_text() -> None:
    text = "Vladimir Putin spoke. Putin left."
    (putin,) = resolve(text, _spans(text, [("Vladimir Putin", "PERSON"), ("Putin", "PERSON")]))
    assert putin.wikidata == "Q7747"
    assert [text[a:b] for a, b in putin.spans] == ["Vladimir Putin", "Putin"]
    assert set(putin.aliases) == {"Vladimir Putin", "Putin"}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Aleksandr", "Alexander"),
        ("Yeltsin", "Eltsin"),
        ("Sergei", "Sergey"),
        ("Dmitry", "Dmitri"),
        ("Kirienko", "Kiriyenko"),
    ],
)
def test_transliteration_key(a: str, b: str) -> None:
    assert translit_key(a) == translit_key(b)


def test_real_model_on_seed_prose(nlp: Any) -> None:
    text = (
        "The talks between Japanese Foreign Minister Yohei Kono and his Russian opposite "
        "number, Igor Ivanov, produced little. Kono later met Russian President Vladimir Putin."
    )
    (spans,) = recognize([text], model=get_settings().spacy_model)
    people = {e.name for e in resolve(text, spans) if e.type == "person"}
    assert people == {"Yohei Kono", "Igor Ivanov", "Vladimir Putin"}


def test_long_text_is_recognized_in_chunks(nlp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.enrich import ner

    monkeypatch.setattr(ner, "CHUNK_CHARS", 200)
    para = "Russian President Vladimir Putin met Japanese Prime Minister Yoshiro Mori in Tokyo."
    text = "\n\n".join([para] * 6)
    (spans,) = recognize([text], model=get_settings().spacy_model)
    found = {e.name: e.mentions for e in resolve(text, spans)}
    assert found["Vladimir Putin"] == 6
    assert found["Tokyo"] == 6


def test_new_words_stay_in_the_vocabulary_only_while_the_process_warms_up(
    nlp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-lived worker must not grow with every unseen name it reads; only its
    first texts (which fill spaCy's tokenizer cache) may add to the vocabulary."""
    from workers.enrich import ner

    monkeypatch.setattr(ner, "_texts_seen", 0)
    monkeypatch.setattr(ner, "UNZONED_TEXTS", 1)
    model = get_settings().spacy_model
    before = len(nlp.vocab.strings)
    recognize(["Warm-up: Zhorbatkinov met Plyushchenkova."], model=model)
    assert len(nlp.vocab.strings) > before  # the first text: outside a zone
    before = len(nlp.vocab.strings)
    text = "Zvarkinov met Pelmozhanko and Trubetskiyevich in Qaraghandyzhol on Kvetchday."
    (spans,) = recognize([text], model=model)
    assert spans  # recognized as usual, and the spans outlive the batch
    assert all(text[s.start : s.end].strip() for s in spans)
    assert len(nlp.vocab.strings) == before


def test_trie_regex_prefers_the_longest_whole_name() -> None:
    names = ["Kuril", "Kuril Islands", "Kurils", "Kuri"]
    pattern = re.compile(r"(?<!\w)" + trie_regex(names) + r"(?![\w$])")
    text = "the Kuril Islands, the Kurils, Kuril claims, Kurilsk and Kuri."
    assert [m.group() for m in pattern.finditer(text)] == [
        "Kuril Islands", "Kurils", "Kuril", "Kuri",
    ]  # fmt: skip


def test_gazetteer_trie_matches_the_plain_longest_first_alternation() -> None:
    """The factored regex is a speed-up only: on every real text we have it finds the
    same names at the same places as one alternative per name, longest first."""
    root = Path(__file__).resolve().parents[3]
    gaz = gazetteer()
    names = sorted(gaz.by_surface, key=len, reverse=True)
    plain = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?![\w$])")
    paths = [*(root / "samples").iterdir(), *(root / "tests/fixtures/gold").rglob("item*")]
    total = 0
    for path in paths:
        text = path.read_text("utf-8")
        found = [(m.span(), m.group()) for m in gaz.pattern.finditer(text)]
        assert found == [(m.span(), m.group()) for m in plain.finditer(text)], path.name
        total += len(found)
    assert total > 100  # the texts are full of known names
