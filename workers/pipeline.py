"""The ordered stages, in one place: parse → normalize → enrich.

`process(raw)` is the whole per-article pipeline; indexing is the caller's (see
`workers.ingest`), because writes are batched. Every enricher has the same shape
(`Enricher`) and is listed once, in order, in `ENRICHERS`. An enricher that raises
leaves a note on the document (`enrich_notes`) and the others still run: a broken
enricher must not cost the article its place in the index. Parse errors are bad
input and propagate as `InputError`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from workers import normalize
from workers.model import Article, InputError, RawArticle
from workers.parse import parse

NORMALIZE_VERSION = "1"


class Enricher(Protocol):
    """A pure `Article -> Article` step; `version` changes whenever its output may."""

    name: str
    version: str

    def __call__(self, article: Article) -> Article: ...


ENRICHERS: tuple[Enricher, ...] = ()


def pipeline_version(enrichers: Sequence[Enricher] = ENRICHERS) -> str:
    """Changes whenever normalize or any enricher changes: documents with an older
    value are what `monitor reprocess` rewrites."""
    parts = [f"normalize{NORMALIZE_VERSION}", *(f"{e.name}{e.version}" for e in enrichers)]
    return "+".join(parts)


def build(raw: RawArticle, *, enrichers: Sequence[Enricher] = ENRICHERS) -> Article:
    """Parse and normalize `raw` into an un-enriched article."""
    parsed = parse(raw)
    body = normalize.normalize_text(parsed.body)
    if not body:
        raise InputError("no article body after normalization")
    publication = normalize.normalize_field(parsed.publication) or "Unknown"
    title = normalize.normalize_field(parsed.title)
    url = normalize.normalize_field(raw.url)
    body_hash = normalize.content_hash(body)
    return Article(
        id=normalize.article_id(
            url=url,
            publication=publication,
            volume=parsed.volume,
            issue=parsed.issue,
            title=title,
            body_hash=body_hash,
        ),
        source=raw.source,
        url=url,
        publication=publication,
        volume=parsed.volume,
        issue=parsed.issue,
        title=title,
        authors=tuple(a for a in map(normalize.normalize_field, parsed.authors) if a),
        published_at=raw.published_at,
        published_at_source="metadata" if raw.published_at else None,
        body=body,
        word_count=normalize.word_count(body),
        content_hash=body_hash,
        pipeline_version=pipeline_version(enrichers),
        fetched_at=raw.fetched_at,
    )


def enrich(article: Article, *, enrichers: Sequence[Enricher] = ENRICHERS) -> Article:
    """Run every enricher in order, containing failures as notes on the document."""
    for enricher in enrichers:
        try:
            article = enricher(article)
        except Exception as exc:
            note = f"{enricher.name}: {type(exc).__name__}: {exc}"
            article = dataclasses.replace(article, enrich_notes=(*article.enrich_notes, note))
    return article


def process(raw: RawArticle, *, enrichers: Sequence[Enricher] = ENRICHERS) -> Article:
    """The whole per-article pipeline: parse → normalize → enrich."""
    return enrich(build(raw, enrichers=enrichers), enrichers=enrichers)
