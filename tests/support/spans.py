"""Recognizer spans written by hand: (surface, label) pairs found in order in a text."""

from __future__ import annotations

from workers.enrich.ner import NerSpan


def labelled_spans(text: str, labelled: list[tuple[str, str]]) -> list[NerSpan]:
    """What spaCy would return for `labelled`, each surface searched after the last."""
    spans, cursor = [], 0
    for surface, label in labelled:
        start = text.index(surface, cursor)
        spans.append(NerSpan(start, start + len(surface), label))
        cursor = start + len(surface)
    return spans
