"""Citations: parenthetical in, (source, date, kind) pairs out, worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from workers.enrich.citations import canonical_source, extract
from workers.enrich.dates import Anchor


def _on(day: date) -> Anchor:
    return Anchor(day, day)


JAN_22_2001 = _on(date(2001, 1, 22))

CASES = [
    (
        "the summit (Izvestia, AFP, January 19; The Japan Times, January 19, 21).",
        JAN_22_2001,
        [
            ("Izvestia", "2001-01-19", "press"),
            ("AFP", "2001-01-19", "press"),
            ("The Japan Times", "2001-01-19", "press"),
            ("The Japan Times", "2001-01-21", "press"),
        ],
    ),
    (
        "progress (see the Monitor, January 17).",
        JAN_22_2001,
        [("Monitor", "2001-01-17", "internal")],
    ),
    (
        "this year (New York Times, January 14).",
        JAN_22_2001,
        [("The New York Times", "2001-01-14", "press")],
    ),
    (
        "Council (Itar-Tass, November 13, 1998).",
        JAN_22_2001,
        [("ITAR-TASS", "1998-11-13", "press")],
    ),
    (
        "this stance (Kyodo, December 26), it",
        _on(date(2000, 1, 27)),
        [("Kyodo", "1999-12-26", "press")],
    ),
    (
        "structures (see EDM, April 7, 11).",
        _on(date(2016, 4, 14)),
        [
            ("Eurasia Daily Monitor", "2016-04-07", "internal"),
            ("Eurasia Daily Monitor", "2016-04-11", "internal"),
        ],
    ),
    (
        "significance (China Brief, February 15, 2013; January 9, 2015).",
        _on(date(2017, 10, 1)),
        [("China Brief", "2013-02-15", "internal"), ("China Brief", "2015-01-09", "internal")],
    ),
    (
        "brothers (Chechnya Weekly, April 17).",
        _on(date(2008, 5, 13)),
        [("Chechnya Weekly", "2008-04-17", "internal")],
    ),
    (
        "(see the Monitor, November 22; the Fortnight in Review, December 3, 1999)",
        _on(date(2000, 2, 9)),
        [("Monitor", "1999-11-22", "internal"), ("Fortnight in Review", "1999-12-03", "internal")],
    ),
    (
        "statements (Russian TV and agencies, March 4)",
        _on(date(1998, 3, 5)),
        [("Russian TV and agencies", "1998-03-04", "press")],
    ),
    (
        "(Ukrayinska pravda, October 2 and 21, 2004)",
        _on(date(2005, 3, 10)),
        [
            ("Ukrayinska pravda", "2004-10-02", "press"),
            ("Ukrayinska pravda", "2004-10-21", "press"),
        ],
    ),
    (
        "the decree (kremlin.ru, October 15).",
        _on(date(2008, 11, 1)),
        [("kremlin.ru", "2008-10-15", "web")],
    ),
    (
        "the text is at http://www.kremlin.ru/news/123 today",
        _on(date(2008, 11, 1)),
        [("kremlin.ru", None, "web")],
    ),
    ("was said (Interfax).", JAN_22_2001, [("Interfax", None, "press")]),
    (
        "(Itar-Tass, Interfax, June 3-4)",
        _on(date(1997, 6, 5)),
        [
            ("ITAR-TASS", "1997-06-03", "press"),
            ("Interfax", "1997-06-03", "press"),
            ("ITAR-TASS", "1997-06-04", "press"),
            ("Interfax", "1997-06-04", "press"),
        ],
    ),
    (
        "(Interfax, March 3; see EDM, February 25)",
        _on(date(2019, 3, 5)),
        [("Interfax", "2019-03-03", "press"), ("Eurasia Daily Monitor", "2019-02-25", "internal")],
    ),
    (
        "(al-Hayat, May 5; Al-Masry al-Youm, June 4)",
        _on(date(2012, 6, 7)),
        [("al-Hayat", "2012-05-05", "press"), ("Al-Masry al-Youm", "2012-06-04", "press")],
    ),
    (
        "(Kommersant, January 27, 2001; see Prism, January 2001)",
        _on(date(2001, 2, 1)),
        [("Kommersant", "2001-01-27", "press"), ("Prism", "2001-01", "internal")],
    ),
    (
        "(Interfax, 3 March; Kommersant, 4 March 2019)",
        _on(date(2019, 3, 5)),
        [("Interfax", "2019-03-03", "press"), ("Kommersant", "2019-03-04", "press")],
    ),
    (
        "(Huanqiu Shibao, June 23; Liberty Times, June 23; Zimbabwejournalists.com, June 20)",
        _on(date(2022, 7, 1)),
        [
            ("Huanqiu Shibao", "2022-06-23", "press"),
            ("Liberty Times", "2022-06-23", "press"),
            ("zimbabwejournalists.com", "2022-06-20", "web"),
        ],
    ),
    (
        "(Interfax, citing the Defense Ministry, March 3)",
        _on(date(2019, 3, 5)),
        [("Interfax", "2019-03-03", "press")],
    ),
    (
        "(Nezavisimaya gazeta, Moskovskie novosti, May 5)",
        _on(date(1999, 5, 6)),
        [
            ("Nezavisimaya Gazeta", "1999-05-05", "press"),
            ("Moskovskie novosti", "1999-05-05", "press"),
        ],
    ),
    # A source dated after a metadata publication date is last year's issue.
    ("(Interfax, January 25)", JAN_22_2001, [("Interfax", "2000-01-25", "press")]),
]

NOT_CITATIONS = [
    "The Organization for Security and Cooperation in Europe (OSCE) and the West",
    "paid 850,000 hryvni (approximately $70,000) for an analysis",
    "copies of the tapes (Melnychenko kept the originals) that concluded",
    "Five organizations (Reporters Without Frontiers, the British National Union of "
    "Journalists, Article 19, and the Institute of Mass Media) condemned the results",
    "the accord (signed on March 4) was void",
    "(Putin said in Moscow, March 3)",
    "(the agreement was signed in Moscow, March 3)",
    "Independent Television (NTV) showed footage",
    "an unbalanced (Interfax, March 4 aside",
    "(Kommersant, February 30)",
    "((((",
]


@pytest.mark.parametrize(("text", "anchor", "expected"), CASES)
def test_citation_pairs(text: str, anchor: Anchor, expected: list[tuple[str, str, str]]) -> None:
    found = extract(text, anchor)
    assert [(c.source, c.date, c.kind) for c in found] == expected
    for citation in found:
        assert citation.span is not None
        assert text[citation.span[0] : citation.span[1]] == citation.raw


@pytest.mark.parametrize("text", NOT_CITATIONS)
def test_parentheses_that_are_not_citations(text: str) -> None:
    assert extract(text, JAN_22_2001) == ()


@pytest.mark.parametrize(
    ("written", "canonical", "kind"),
    [
        ("Itar-Tass", "ITAR-TASS", "press"),
        ("New York Times", "The New York Times", "press"),
        ("the New York Times", "The New York Times", "press"),
        ("EDM", "Eurasia Daily Monitor", "internal"),
        ("the Monitor", "Monitor", "internal"),
        ("North Caucasus Weekly", "North Caucasus Weekly", "internal"),
        ("Ukrainska Pravda", "Ukrayinska pravda", "press"),
        ("www.president.gov.ua", "president.gov.ua", "web"),
        ("Some Local Paper", "Some Local Paper", "press"),
    ],
)
def test_outlet_names_are_canonical(written: str, canonical: str, kind: str) -> None:
    assert canonical_source(written) == (canonical, kind)
