"""Random token soup through dates, citations and entity resolution: never an exception,
every span inside the text."""

from __future__ import annotations

import random
from datetime import date

import pytest

from workers.enrich.citations import extract
from workers.enrich.dates import Anchor, find_dates
from workers.enrich.entities import resolve
from workers.enrich.ner import NerSpan

VOCAB = [
    "January",
    "February",
    "May",
    "June",
    "December",
    "Sept.",
    "1",
    "2",
    "17",
    "29",
    "30",
    "31",
    "99",
    "1956",
    "2000",
    "2004",
    "2099",
    "(",
    ")",
    "(",
    ")",
    ";",
    ",",
    ",",
    "-",
    "–",
    "and",
    "see",
    "the",
    "Monitor",
    "EDM",
    "Itar-Tass",
    "Putin-Mori",
    "Vladimir",
    "Putin",
    "Kono",
    "last",
    "this",
    "next",
    "week",
    "month",
    "year",
    "yesterday",
    "Tuesday",
    "of",
    "early",
    "mid-",
    "1990s",
    "US$",
    "Article",
    "kremlin.ru",
    "http://x.org/a",
    "Ivanov’s",
    "al-Baghdadi",
    "U.S.",
    "Москва",
    "北京",
    "\n\n",
]


@pytest.mark.parametrize("seed", range(60))
def test_token_soup(seed: int) -> None:
    rng = random.Random(seed)
    text = " ".join(rng.choice(VOCAB) for _ in range(rng.randint(0, 120)))
    anchor = Anchor(date(2000, 2, 29), date(2000, 3, 10))
    for mention in find_dates(text, anchor).mentions:
        assert mention.span is not None and 0 <= mention.span[0] < mention.span[1] <= len(text)
        assert mention.start <= mention.end
    for citation in extract(text, anchor):
        assert citation.span is not None and text[citation.span[0] : citation.span[1]]
    spans = []
    for _ in range(rng.randint(0, 8)):
        start = rng.randrange(len(text) + 1)
        spans.append(NerSpan(start, min(len(text), start + rng.randint(0, 20)), "PERSON"))
    for entity in resolve(text, spans):
        assert entity.mentions == len(entity.spans) >= 1
