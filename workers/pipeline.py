"""The ordered stages, in one place: parse → normalize → enrich.

A `Pipeline` is configured once (its enrichers, its enrichment cache and that cache's
TTL) and handed to whatever runs articles through it: `workers.ingest`,
`workers.reprocess`, `workers.evaluate`, the Celery tasks and the CLI, which get it
from their `workers.runtime.Runtime`. `Pipeline.process(raw)` is the whole per-article
pipeline; indexing is the caller's (see `workers.ingest`), because writes are batched.
Every enricher has the same shape (`Enricher`); the sets of them are named once, in
order, in `ENRICHER_SETS`. An enricher that raises leaves a note on the document
(`enrich_notes`) and the others still run: a broken enricher must not cost the
article its place in the index. Parse errors are bad input and propagate as
`InputError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from workers import normalize
from workers.cache import Cache
from workers.enrich.enrichers import Citations, Dates, Entities, PublicationDate
from workers.errors import is_interrupt, is_transient
from workers.headline import headline_fields
from workers.model import Article, InputError, RawArticle
from workers.parse import parse
from workers.settings import Settings

# 2: documents carry a headline; 3: titles entity-decoded, and ids made from a URL are
# `article-<digest>` (reprocess moves the old ones: it rewrites every article of an
# older version)
NORMALIZE_VERSION = "3"
log = logging.getLogger(__name__)
# Failures this process has logged at WARNING, as (enricher, error type, message): a
# repeat goes to DEBUG, so a missing spaCy model is one warning, not one per article.
# Forgotten when full, so a long-lived worker's memory stays bounded.
_said: set[tuple[str, str, str]] = set()
_SAID_MAX = 1000


class Enricher(Protocol):
    """A pure `Article -> Article` step; `version` changes whenever its output may."""

    name: str
    version: str

    def __call__(self, article: Article) -> Article: ...


@runtime_checkable
class BatchEnricher(Enricher, Protocol):
    """An enricher that is cheaper per article in batches (one `nlp.pipe` call)."""

    def batch(self, articles: Sequence[Article]) -> list[Article]: ...


# Named enricher sets, in the manner of Socorro's rulesets. Every set keeps one order:
# the publication date first, because dates and citations resolve against the
# (estimated) publication date; entities last, because they are the slow part and the
# most cacheable. "full" is what ingest, reprocess and `monitor eval` run (the default);
# "no-entities" skips NER, so spaCy is never loaded: for runs that need only the rules
# (the store and search tests, which give entities by hand).
_RULES: tuple[Enricher, ...] = (PublicationDate(), Dates(), Citations())
ENRICHER_SETS: Mapping[str, tuple[Enricher, ...]] = MappingProxyType(
    {"full": (*_RULES, Entities()), "no-entities": _RULES}
)


def full_set(*, spacy_model: str) -> tuple[Enricher, ...]:
    """The "full" set with NER by `spacy_model` (equal to it for the default model)."""
    return (*_RULES, Entities(model=spacy_model))


_CACHE_FIELDS = (
    "published_at",
    "published_at_source",
    "published_at_range",
    "entities",
    "citations",
    "dates",
    "enrich_notes",
)


@dataclasses.dataclass(frozen=True, slots=True)
class Pipeline:
    """parse → normalize → the `enrichers` in order, configured once.

    With a `cache`, each enricher's result is kept for `cache_ttl_s` seconds under a
    key of (its name and version, the content hash, the publication date it starts
    from, the header fields), so reprocessing unchanged text skips NER. The TTL is
    explicit: `from_settings` is the one place that reads it from the settings.
    """

    enrichers: tuple[Enricher, ...] = ENRICHER_SETS["full"]
    cache: Cache | None = None
    cache_ttl_s: int = 0

    def __post_init__(self) -> None:
        if self.cache is not None and self.cache_ttl_s <= 0:
            raise ValueError("a pipeline with a cache needs a positive cache_ttl_s")

    @classmethod
    def from_settings(cls, settings: Settings, cache: Cache | None) -> Pipeline:
        """The pipeline of a worker or a command: the full set with the spaCy model
        `MONITOR_SPACY_MODEL`, results cached in `cache` for `MONITOR_ENRICH_CACHE_TTL_S`.
        Called by `workers.runtime.Runtime` (the composition root) only."""
        ttl = settings.enrich_cache_ttl_s if cache is not None else 0
        return cls(full_set(spacy_model=settings.spacy_model), cache, ttl)

    @property
    def version(self) -> str:
        """Changes whenever normalize or any enricher changes: documents with an older
        value are what `monitor reprocess` rewrites."""
        parts = [f"normalize{NORMALIZE_VERSION}"]
        parts.extend(f"{e.name}{e.version}" for e in self.enrichers)
        return "+".join(parts)

    def warm_up(self) -> None:
        """Load now what the enrichers load on first use (the spaCy model, the gazetteer).

        A worker process calls this as it starts, so its first batch costs what every
        other batch costs. An enricher that cannot load raises here; it will then note
        the failure on each document as usual.
        """
        for enricher in self.enrichers:
            warm = getattr(enricher, "warm_up", None)
            if warm is not None:
                warm()

    def build(self, raw: RawArticle) -> Article:
        """Parse and normalize `raw` into an un-enriched article (stamped with `version`)."""
        parsed = parse(raw)
        body = normalize.normalize_text(parsed.body)
        if not body:
            raise InputError("no article body after normalization")
        publication = normalize.normalize_field(parsed.publication) or "Unknown"
        title = normalize.normalize_title(parsed.title)
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
            published_at=parsed.published_at,
            published_at_source="metadata" if parsed.published_at else None,
            body=body,
            word_count=normalize.word_count(body),
            content_hash=body_hash,
            pipeline_version=self.version,
            fetched_at=raw.fetched_at,
            extra=headline_fields(title, body),
            fetched_from=raw.fetched_from,
        )

    def enrich(self, article: Article) -> Article:
        """Run every enricher in order, containing failures as notes on the document."""
        return self.enrich_batch([article])[0]

    def enrich_batch(self, articles: Sequence[Article]) -> list[Article]:
        """`enrich` for many articles: batch-capable enrichers see them all at once.

        With the cache, only each enricher's misses are computed. A failure of a whole
        batch falls back to one call per article so one bad text costs only itself.
        """
        cache = self.cache
        out = list(articles)
        for enricher in self.enrichers:
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
                    diff = _diff(out[index], result)
                    fresh[keys[index]] = json.dumps(diff, ensure_ascii=False)
                out[index] = result
            if cache is not None:
                cache.set_many(fresh, ttl_s=self.cache_ttl_s)
        return out

    def process(self, raw: RawArticle) -> Article:
        """The whole per-article pipeline: parse → normalize → enrich."""
        return self.enrich(self.build(raw))

    def process_batch(self, raws: Sequence[RawArticle]) -> list[Article | Exception]:
        """`process` for a batch, NER in one pass; an input that cannot be built (bad
        input, or a bug it exposes) is returned in its place so the rest go on."""
        built: list[Article | Exception] = []
        for raw in raws:
            try:
                built.append(self.build(raw))
            except Exception as exc:
                if is_transient(exc):
                    raise
                built.append(exc)
        good = [a for a in built if isinstance(a, Article)]
        enriched = iter(self.enrich_batch(good))
        return [next(enriched) if isinstance(a, Article) else a for a in built]


# The full set, no cache: the default of every caller that is given no pipeline.
DEFAULT_PIPELINE = Pipeline()


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
    """The enricher's result, or the article with a note naming the enricher and the
    error type. The exception's message goes to the log, not into the document: it
    may quote the article, a path or a setting, and it is not for searchers to read."""
    try:
        return enricher(article), True
    except Exception as exc:
        if is_interrupt(exc):
            raise  # the task's time limit: not a note on this article
        note = f"{enricher.name}: {type(exc).__name__}"
        _log_failure(enricher, article, exc, note)
        return dataclasses.replace(article, enrich_notes=(*article.enrich_notes, note)), False


def _log_failure(enricher: Enricher, article: Article, exc: Exception, note: str) -> None:
    """One WARNING the first time this process sees a failure, DEBUG for its repeats."""
    key = (enricher.name, type(exc).__name__, str(exc))
    first = key not in _said
    if first:
        if len(_said) >= _SAID_MAX:
            _said.clear()
        _said.add(key)
    log.log(
        logging.WARNING if first else logging.DEBUG,
        "enricher %s failed, the document gets the note %r: %s",
        enricher.name,
        note,
        exc,
        extra={
            "article_id": article.id,
            "stage": "enrich",
            "enricher": enricher.name,
            "error_type": type(exc).__name__,
        },
    )


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
