"""spaCy named-entity recognition: loaded once per process, only the `ner` component.

The small English pipeline's `ner` has its own embedding layer, so the tagger, parser,
lemmatizer and shared tok2vec are excluded at load time: they cost most of the time
and nothing here uses them. Batches go through one `nlp.pipe` call, inside a memory
zone once the process is warm, so a long-lived worker's vocabulary does not grow with
every new text. Texts longer than spaCy's limit are cut at paragraph breaks and the
offsets put back together.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from workers.errors import UsageError

# What recognition needs; everything else in the package is excluded.
_EXCLUDE = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC"})
# Long texts are recognized in paragraph-aligned pieces of at most this many
# characters, and one `nlp.pipe` batch holds at most `_BATCH` pieces and about
# `_BATCH_CHARS` characters: spaCy's memory grows with the characters of a batch
# (a 250 KB article in 100,000-character pieces peaked at 854 MB; in batches of
# 100,000 characters at about 200 MB, and its NER ran no slower).
CHUNK_CHARS = 10_000
# NER's cost per character is the enrich stage's whole cost (about 20 s a megabyte on
# one busy core): past this many characters (some 80,000 words, ten times a long
# Monitor article) a text is recognized up to a paragraph break before it, and the
# gazetteer alone names the rest, with a note, so one huge page cannot hold a worker.
MAX_CHARS = 500_000
_BATCH = 32
_BATCH_CHARS = 100_000
# Every new word a text brings is added to the model's vocabulary for good: a worker
# reading new articles for weeks would grow without bound (about 10 MB per 200
# articles with many unseen names). A memory zone drops what a batch added once it is
# done. But spaCy 3.8 fills its tokenizer cache only outside zones, and NER in zones
# from the start measured 5% slower; so the first texts a process reads run outside a
# zone (filling the cache with the common words, and the vocabulary once), the rest
# inside. See docs/adr/0004.
UNZONED_TEXTS = 500
_texts_seen = 0  # by this process


class ModelMissing(UsageError):
    """The configured spaCy model is not installed (a note on the document, not a crash).

    A usage error: the setup is wrong (install the model or name an installed one in
    MONITOR_SPACY_MODEL), no input is to blame, and waiting does not install it."""


@dataclass(frozen=True, slots=True)
class NerSpan:
    start: int
    end: int
    label: str


@lru_cache(maxsize=2)
def load(model: str) -> Any:
    """The spaCy pipeline `model` with only `ner`, loaded once per process."""
    import spacy

    try:
        return spacy.load(model, exclude=list(_EXCLUDE))
    except (OSError, ImportError) as exc:
        # The pipeline logs it (once per process) and notes it on every document.
        raise ModelMissing(
            f"spaCy model {model!r} unavailable ({type(exc).__name__})",
            hint="pip install it, or set MONITOR_SPACY_MODEL to an installed one",
        ) from exc


def recognize(texts: Sequence[str], *, model: str) -> list[list[NerSpan]]:
    """Entity spans (character offsets) for each text, all through one `nlp.pipe`."""
    global _texts_seen
    nlp = load(model)
    pieces: list[tuple[int, int, str]] = []  # (text index, offset, piece)
    for index, text in enumerate(texts):
        pieces.extend((index, offset, piece) for offset, piece in _chunks(text))
    results: list[list[NerSpan]] = [[] for _ in texts]
    zone = nlp.memory_zone() if _texts_seen >= UNZONED_TEXTS else contextlib.nullcontext()
    _texts_seen += len(texts)
    with zone:
        for batch in _batches(pieces):
            docs = nlp.pipe((piece for _, _, piece in batch), batch_size=len(batch))
            for (index, offset, _), doc in zip(batch, docs, strict=True):
                results[index].extend(
                    NerSpan(offset + ent.start_char, offset + ent.end_char, str(ent.label_))
                    for ent in doc.ents
                    if ent.label_ in _LABELS
                )
    return results


def budget(text: str) -> int:
    """How much of `text` NER reads: all of it, or up to a paragraph break before
    `MAX_CHARS`."""
    if len(text) <= MAX_CHARS:
        return len(text)
    cut = text.rfind("\n", 0, MAX_CHARS)
    return cut if cut > MAX_CHARS // 2 else MAX_CHARS


def _batches(pieces: list[tuple[int, int, str]]) -> Iterator[list[tuple[int, int, str]]]:
    """Consecutive pieces, at most `_BATCH` of them and about `_BATCH_CHARS` characters."""
    batch: list[tuple[int, int, str]] = []
    chars = 0
    for piece in pieces:
        if batch and (len(batch) >= _BATCH or chars + len(piece[2]) > _BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(piece)
        chars += len(piece[2])
    if batch:
        yield batch


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    while start < len(text):
        end = min(start + CHUNK_CHARS, len(text))
        if end < len(text):
            cut = text.rfind("\n", start, end)
            if cut <= start:
                cut = text.rfind(" ", start, end)
            end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end
