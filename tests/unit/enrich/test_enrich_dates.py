"""Date mentions: sentence in, (text, start, end, granularity) out, worked out by hand."""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import pytest

from workers.enrich import dates
from workers.enrich.dates import Anchor, find_dates

ROOT = Path(__file__).resolve().parents[3]

JAN_22_2001 = Anchor(date(2001, 1, 22), date(2001, 1, 22))  # a Monday
JAN_27_2000 = Anchor(date(2000, 1, 27), date(2000, 1, 27))
MAY_13_2008 = Anchor(date(2008, 5, 13), date(2008, 5, 13))

MAR_5_2003 = Anchor(date(2003, 3, 5), date(2003, 3, 5))
OCT_2_1999 = Anchor(date(1999, 10, 2), date(1999, 10, 2))

CASES = [
    # (sentence, anchor, [(text, start, end, granularity), ...])
    # Issue 15: a famous date in a later year's article resolves by the anchor
    # (the text may mean last September), unless the text gives the year.
    (
        "Since September 11, security at the border has tightened.",
        MAR_5_2003,
        [("September 11", "2002-09-11", "2002-09-11", "day")],
    ),
    (
        "the attacks of September 11, 2001, changed Central Asia",
        MAR_5_2003,
        [("September 11, 2001", "2001-09-11", "2001-09-11", "day")],
    ),
    # A range starts on its first day (the gold's value for "September 27-28").
    (
        "talks held on September 27-28 in Tbilisi",
        OCT_2_1999,
        [("September 27-28", "1999-09-27", "1999-09-28", "day")],
    ),
    (
        "Putin refused on January 17 to meet Kono.",
        JAN_22_2001,
        [("January 17", "2001-01-17", "2001-01-17", "day")],
    ),
    (
        "a Putin-Mori summit for February 25-26",
        JAN_22_2001,
        [("February 25-26", "2001-02-25", "2001-02-26", "day")],
    ),
    (
        "sometime in March of this year",
        JAN_22_2001,
        [("March of this year", "2001-03-01", "2001-03-31", "month")],
    ),
    (
        "a commitment for a February summit meeting",
        JAN_22_2001,
        [("February", "2001-02-01", "2001-02-28", "month")],
    ),
    (
        "Japan moved in December to harden its position",
        JAN_27_2000,
        [("December", "1999-12-01", "1999-12-31", "month")],
    ),
    ("(Kyodo, December 26)", JAN_27_2000, [("December 26", "1999-12-26", "1999-12-26", "day")]),
    (
        "(Ukrayinska pravda, October 2 and 21, 2004)",
        MAY_13_2008,
        [
            ("October 2", "2004-10-02", "2004-10-02", "day"),
            ("21", "2004-10-21", "2004-10-21", "day"),
        ],
    ),
    (
        "(see Chechnya Weekly, April 17 and 24, May 1 and 8)",
        MAY_13_2008,
        [
            ("April 17", "2008-04-17", "2008-04-17", "day"),
            ("24", "2008-04-24", "2008-04-24", "day"),
            ("May 1", "2008-05-01", "2008-05-01", "day"),
            ("8", "2008-05-08", "2008-05-08", "day"),
        ],
    ),
    (
        "(The Japan Times, January 19, 21)",
        JAN_22_2001,
        [
            ("January 19", "2001-01-19", "2001-01-19", "day"),
            ("21", "2001-01-21", "2001-01-21", "day"),
        ],
    ),
    (
        "his November 1998 summit meeting",
        JAN_27_2000,
        [("November 1998", "1998-11-01", "1998-11-30", "month")],
    ),
    (
        "the September, 1992, and March, 1997, agreements",
        JAN_27_2000,
        [
            ("September, 1992", "1992-09-01", "1992-09-30", "month"),
            ("March, 1997", "1997-03-01", "1997-03-31", "month"),
        ],
    ),
    (
        "(Kyodo, December 17, 1999)",
        JAN_27_2000,
        [("December 17, 1999", "1999-12-17", "1999-12-17", "day")],
    ),
    (
        "looking anew at a 1956 Soviet-Japanese declaration",
        JAN_22_2001,
        [("1956", "1956-01-01", "1956-12-31", "year")],
    ),
    (
        "a peace treaty by the year 2000",
        JAN_27_2000,
        [("the year 2000", "2000-01-01", "2000-12-31", "year")],
    ),
    (
        "negotiating a peace treaty in 1997–negotiations which",
        JAN_22_2001,
        [("1997", "1997-01-01", "1997-12-31", "year")],
    ),
    (
        "As reported last week, the talks",
        JAN_22_2001,
        [("last week", "2001-01-15", "2001-01-21", "week")],
    ),
    (
        "This week, however, Russian statements",
        JAN_22_2001,
        [("This week", "2001-01-22", "2001-01-28", "week")],
    ),
    (
        "as he said earlier this month",
        JAN_22_2001,
        [("earlier this month", "2001-01-01", "2001-01-31", "month")],
    ),
    (
        "Izvestia wrote yesterday that today",
        JAN_22_2001,
        [
            ("yesterday", "2001-01-21", "2001-01-21", "day"),
            ("today", "2001-01-22", "2001-01-22", "day"),
        ],
    ),
    (
        "a friendship treaty sometime later this year",
        JAN_22_2001,
        [("later this year", "2001-01-01", "2001-12-31", "year")],
    ),
    (
        "kidnapped early last year",
        MAY_13_2008,
        [("early last year", "2007-01-01", "2007-12-31", "year")],
    ),
    ("On May 5, several policemen", MAY_13_2008, [("May 5", "2008-05-05", "2008-05-05", "day")]),
    (
        "in summer 2000 between Kuchma and Yanukovych",
        MAY_13_2008,
        [("summer 2000", "2000-06-01", "2000-08-31", "month")],
    ),
    ("since the 1990s", MAY_13_2008, [("1990s", "1990-01-01", "1999-12-31", "year")]),
    (
        "the 17 January 2001 decree",
        MAY_13_2008,
        [("17 January 2001", "2001-01-17", "2001-01-17", "day")],
    ),
    ("reforms planned since mid-2000", MAY_13_2008, [("2000", "2000-01-01", "2000-12-31", "year")]),
    ("the 2018-19 budget", MAY_13_2008, [("2018-19", "2018-01-01", "2019-12-31", "year")]),
    (
        "since mid-March and in late April 2007",
        MAY_13_2008,
        [
            ("mid-March", "2008-03-01", "2008-03-31", "month"),
            ("late April 2007", "2007-04-01", "2007-04-30", "month"),
        ],
    ),
    (
        "the elections last November",
        MAY_13_2008,
        [("last November", "2007-11-01", "2007-11-30", "month")],
    ),
    # Year-less and more than the look-ahead window after the issue: the previous year.
    ("the June 20 vote", JAN_22_2001, [("June 20", "2000-06-20", "2000-06-20", "day")]),
    # February 29 exists only in leap years: the nearest earlier one.
    (
        "on February 29",
        Anchor(date(2001, 3, 10), date(2001, 3, 10)),
        [("February 29", "2000-02-29", "2000-02-29", "day")],
    ),
]

NOT_DATES = [
    "The Duma voted 98 to 52 for the bill.",
    "a loan of US$200 million",
    "under Article 19 of the constitution",
    "He paid US$2000 for it.",
    "Moscow sent 2000 troops to the border.",
    "May I ask a question?",
    "the 19th National Congress",
    "Resolution 1244 of the Security Council",
]


@pytest.mark.parametrize(("sentence", "anchor", "expected"), CASES)
def test_date_mentions(sentence: str, anchor: Anchor, expected: list[tuple[str, ...]]) -> None:
    found = find_dates(sentence, anchor).mentions
    assert [(m.text, m.start, m.end, m.granularity) for m in found] == expected
    for mention in found:
        assert mention.span is not None
        assert sentence[mention.span[0] : mention.span[1]] == mention.text


@pytest.mark.parametrize("sentence", NOT_DATES)
def test_numbers_that_are_not_dates(sentence: str) -> None:
    assert find_dates(sentence, JAN_22_2001).mentions == ()


def test_impossible_date_is_a_note_not_a_crash() -> None:
    scan = find_dates("The talks set for February 30 and on March 3.", JAN_22_2001)
    assert [m.text for m in scan.mentions] == ["March 3"]
    assert any("February 30" in note for note in scan.notes)


def test_yearless_date_in_a_citation_never_postdates_the_article() -> None:
    text = "(Interfax, January 25)"
    inside = find_dates(text, JAN_22_2001, past_spans=[(0, len(text))]).mentions
    running = find_dates(text, JAN_22_2001).mentions
    assert inside[0].start == "2000-01-25"  # a source cannot be three days ahead
    assert running[0].start == "2001-01-25"  # prose may talk about the coming days


def test_yearless_dates_relative_flag() -> None:
    found = find_dates("On January 17 and on December 3, 1999", JAN_22_2001).mentions
    assert [m.relative for m in found] == [True, False]


def test_without_anchor_only_absolute_dates() -> None:
    found = find_dates("On January 17, last week, in November 1998", None).mentions
    assert [m.text for m in found] == ["November 1998"]


def _spans(matches: object) -> list[tuple[int, int, str | None]]:
    return [(m.start(), m.end(), m.lastgroup) for m in matches]  # type: ignore[attr-defined]


def test_fast_scan_finds_what_the_plain_regex_finds() -> None:
    """`_matches` skips positions where no date can start; it must never skip a date.
    Checked on every real text we have and on a shuffle of the pattern's own words."""
    texts = [p.read_text("utf-8") for p in (ROOT / "samples").iterdir()]
    texts += [p.read_text("utf-8") for p in (ROOT / "tests/fixtures/gold").rglob("item*")]
    texts += [case[0] for case in CASES] + NOT_DATES
    words = set(re.findall(r"[A-Za-z]+\.?", dates._PATTERN.pattern))
    vocabulary = [form for w in words for form in (w, w.lower(), w.upper(), w.title())]
    vocabulary += ["1999", "17", "3rd", "1990s", "2000-01", "2000–2001", ",", "of", "ago", "US$"]
    rng = random.Random(7)
    texts += [" ".join(rng.choices(vocabulary, k=400)) for _ in range(50)]
    for text in texts:
        assert _spans(dates._matches(text)) == _spans(dates._PATTERN.finditer(text))
