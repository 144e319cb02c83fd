"""Headlines: what a search hit is called when the source gave the article no title.

Most archive pages of the 1995-2003 *Monitor* have no title, so seven hits in ten
read "(untitled)". Every document gets a `headline`: the title when the source has
one, else a short lead made from the body's first sentence, flagged with
`headline_synthesized: true` so nobody mistakes it for the editors' own title.
"""

from __future__ import annotations

import re
from typing import Any

HEADLINE_CHARS = 110
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before
# white space and an upper-case letter, a digit or an opening quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]?(?=\s+[\"“‘(\[]?[A-Z0-9])")
# Abbreviations after which a full stop does not end the sentence ("U.S. officials",
# "Mr. Putin", "Gen. Lebed", "Jan. 17").
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|Adm|Prof|Sen|Rep|Gov|St|Jr|Sr|No|vs|"
    r"Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|etc|approx|Inc|Corp|Co)\.)$"
)


def headline(title: str | None, body: str) -> tuple[str, bool]:
    """(headline, synthesized): the title if there is one, else a lead from `body`."""
    if title and title.strip():
        return " ".join(title.split()), False
    return lead(body), True


def headline_fields(title: str | None, body: str) -> dict[str, Any]:
    """The document fields for a headline (what the pipeline adds to every article)."""
    text, synthesized = headline(title, body)
    return {"headline": text, "headline_synthesized": synthesized}


def first_sentence(text: str) -> str:
    """The first sentence of the first paragraph (the whole paragraph if none ends)."""
    paragraph = next((p for p in text.split("\n") if p.strip()), "")
    paragraph = " ".join(paragraph.split())
    for match in _SENTENCE_END.finditer(paragraph):
        candidate = paragraph[: match.end()]
        if not _ABBREVIATION.search(candidate.rstrip('"”’)]')):
            return candidate
    return paragraph


def lead(body: str, *, limit: int = HEADLINE_CHARS) -> str:
    """The body's first sentence, cut at a word boundary with '…' when longer than `limit`."""
    sentence = first_sentence(body)
    if len(sentence) <= limit:
        return sentence or "(empty)"
    cut = sentence[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(' ,;:—–-("“') + "…"
