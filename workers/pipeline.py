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
import hashlib
import json
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from workers import normalize
from workers.cache import Cache
from workers.enrich.enrichers import Citations, Dates, Entities, PublicationDate
from workers.errors import is_interrupt, is_transient
from workers.headline import headline_fields
from workers.model import Article, InputError, RawArticle
from workers.parse import parse
from workers.settings import get_settings

NORMALIZE_VERSION = "2"  # 2: documents carry a headline


class Enricher(Protocol):
    """A pure `Article -> Article` step; `version` changes whenever its output may."""

    name: str
    version: str

    def __call__(self, article: Article) -> Article: ...


@runtime_checkable
class BatchEnricher(Enricher, Protocol):
    """An enricher that is cheaper per article in batches (one `nlp.pipe` call)."""

    def batch(self, articles: Sequence[Article]) -> list[Article]: ...


# The order matters: dates and citations resolve against the (estimated) publication
# date; entities come last because they are the slow part and the most cacheable.
ENRICHERS: tuple[Enricher, ...] = (PublicationDate(), Dates(), Citations(), Entities())
_CACHE_FIELDS = (
    "published_at",
    "published_at_source",
    "published_at_range",
    "entities",
    "citations",
    "dates",
    "enrich_notes",
)


def warm_up(enrichers: Sequence[Enricher] = ENRICHERS) -> None:
    """Load now what the enrichers load on first use (the spaCy model, the gazetteer).

    A worker process calls this as it starts, so its first batch costs what every
    other batch costs. An enricher that cannot load raises here; it will then note the
    failure on each document as usual.
    """
    for enricher in enrichers:
        warm = getattr(enricher, "warm_up", None)
        if warm is not None:
            warm()


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
        extra=headline_fields(title, body),
        fetched_from=raw.fetched_from,
    )


def enrich(
    article: Article,
    *,
    enrichers: Sequence[Enricher] = ENRICHERS,
    cache: Cache | None = None,
    cache_ttl_s: int | None = None,
) -> Article:
    """Run every enricher in order, containing failures as notes on the document."""
    return enrich_batch([article], enrichers=enrichers, cache=cache, cache_ttl_s=cache_ttl_s)[0]


def enrich_batch(
    articles: Sequence[Article],
    *,
    enrichers: Sequence[Enricher] = ENRICHERS,
    cache: Cache | None = None,
    cache_ttl_s: int | None = None,
) -> list[Article]:
    """`enrich` for many articles: batch-capable enrichers see them all at once.

    With a `cache`, each enricher's result is looked up by (its name and version, the
    content hash, the publication date it starts from, the header fields) and only
    the misses are computed, so reprocessing unchanged text skips NER. A failure of a
    whole batch falls back to one call per article so one bad text costs only itself.
    """
    out = list(articles)
    ttl = 0 if cache is None else cache_ttl_s or get_settings().enrich_cache_ttl_s
    for enricher in enrichers:
        keys = [_cache_key(enricher, a) for a in out] if cache is not None else []
        cached = cache.get_many(keys) if cache is not None else [None] * len(out)
        todo: list[int] = []
        for index, (article, hit) in enumerate(zip(out, cached, strict=True)):
            if hit is None:
                todo.append(index)
            else:
                out[index] = _apply(article, json.loads(hit))
        results = _run(enricher, [out[i] for i in todo])
        fresh: dict[str, str] = {}
        for index, (result, ok) in zip(todo, results, strict=True):
            if cache is not None and ok:  # a failure is retried next time, not cached
                fresh[keys[index]] = json.dumps(_diff(out[index], result), ensure_ascii=False)
            out[index] = result
        if cache is not None:
            cache.set_many(fresh, ttl_s=ttl)
    return out


def _run(enricher: Enricher, articles: list[Article]) -> list[tuple[Article, bool]]:
    """Each article enriched, with whether the enricher succeeded on it."""
    if not articles:
        return []
    if isinstance(enricher, BatchEnricher) and len(articles) > 1:
        try:
            return [(a, True) for a in enricher.batch(articles)]
        except Exception as exc:  # retried one by one below, where it is noted
            if is_interrupt(exc):
                raise  # the task's time limit: not this enricher's failure
    return [_contained(enricher, article) for article in articles]


def _contained(enricher: Enricher, article: Article) -> tuple[Article, bool]:
    try:
        return enricher(article), True
    except Exception as exc:
        if is_interrupt(exc):
            raise  # the task's time limit: not a note on this article
        note = f"{enricher.name}: {type(exc).__name__}: {exc}"
        return dataclasses.replace(article, enrich_notes=(*article.enrich_notes, note)), False


def _cache_key(enricher: Enricher, article: Article) -> str:
    """Everything an enricher's output depends on: text, date, header, code version."""
    basis = "\x1f".join(
        str(v)
        for v in (
            article.content_hash,
            article.published_at,
            article.published_at_range,
            article.publication,
            article.volume,
            article.issue,
        )
    )
    digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]
    return f"enrich:{enricher.name}:{enricher.version}:{digest}"


def _diff(before: Article, after: Article) -> dict[str, Any]:
    """What the enricher changed; for notes, only the ones it added."""
    changed = [k for k in _CACHE_FIELDS if getattr(after, k) != getattr(before, k)]
    diff = after.fields_json(changed)
    if "enrich_notes" in diff:
        diff["enrich_notes"] = diff["enrich_notes"][len(before.enrich_notes) :]
    return diff


def _apply(article: Article, diff: dict[str, Any]) -> Article:
    if not diff:
        return article
    notes = [*article.enrich_notes, *diff.get("enrich_notes", ())]
    return article.with_fields_json({**diff, "enrich_notes": notes})


def process(
    raw: RawArticle,
    *,
    enrichers: Sequence[Enricher] = ENRICHERS,
    cache: Cache | None = None,
    cache_ttl_s: int | None = None,
) -> Article:
    """The whole per-article pipeline: parse → normalize → enrich."""
    article = build(raw, enrichers=enrichers)
    return enrich(article, enrichers=enrichers, cache=cache, cache_ttl_s=cache_ttl_s)


def process_batch(
    raws: Sequence[RawArticle],
    *,
    enrichers: Sequence[Enricher] = ENRICHERS,
    cache: Cache | None = None,
    cache_ttl_s: int | None = None,
) -> list[Article | Exception]:
    """`process` for a batch, NER in one pass; an input that cannot be built (bad
    input, or a bug it exposes) is returned in its place so the rest go on."""
    built: list[Article | Exception] = []
    for raw in raws:
        try:
            built.append(build(raw, enrichers=enrichers))
        except Exception as exc:
            if is_transient(exc):
                raise
            built.append(exc)
    good = [a for a in built if isinstance(a, Article)]
    enriched = iter(enrich_batch(good, enrichers=enrichers, cache=cache, cache_ttl_s=cache_ttl_s))
    return [next(enriched) if isinstance(a, Article) else a for a in built]
