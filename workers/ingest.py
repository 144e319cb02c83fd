"""Ingest a batch: raw inputs → pipeline → one bulk write, with a per-item report.

This is the body every ingest path shares: the Celery task, the in-process CLI run
and reprocessing. Bad input fails only its own item; a store error (transient) fails
the whole batch by raising, so the task retries it and nothing is half-acknowledged.
Writes upsert by id, so running a batch twice leaves the store as the first run did.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal, Protocol

from workers.enrich.publications import family_names
from workers.errors import is_transient
from workers.model import Article, InputError, NotAnArticle, RawArticle
from workers.normalize import migrated_from
from workers.pipeline import DEFAULT_PIPELINE, Pipeline
from workers.sources.files import read_article
from workers.stores.base import Indexable, Store, WriteOutcome, WriteStatus

# An item's outcome: the store's write, or `skipped` (it holds no article: never
# written, never dead-lettered; `reason` says why).
ItemStatus = WriteStatus | Literal["skipped"]


@dataclass(frozen=True, slots=True)
class ItemResult:
    origin: str
    status: ItemStatus
    id: str | None = None
    reason: str | None = None
    stage: str | None = None  # where a failed item failed: read, parse, pipeline, index
    error_type: str | None = None
    notes: tuple[str, ...] = ()  # the article's enrich_notes (e.g. no spaCy model)


@dataclass(slots=True)
class BatchReport:
    """The outcome of one batch, item by item (the task's result, the DLQ's input)."""

    items: list[ItemResult] = field(default_factory=list)
    # Entries a source run left out before any fetch (a feed's books), per reason:
    # counted with the skipped items, never listed one by one (a Wayback walk skips
    # thousands).
    discovery_skips: Counter[str] = field(default_factory=Counter)

    @property
    def counts(self) -> dict[str, int]:
        counts: Counter[str] = Counter(item.status for item in self.items)
        counts["skipped"] += sum(self.discovery_skips.values())
        kinds = ("created", "updated", "unchanged", "failed", "skipped")
        return {s: counts.get(s, 0) for s in kinds}

    @property
    def failures(self) -> list[ItemResult]:
        return [item for item in self.items if item.status == "failed"]

    @property
    def skipped(self) -> list[ItemResult]:
        return [item for item in self.items if item.status == "skipped"]

    def skip_reasons(self) -> dict[str, int]:
        """Skipped entries and items per reason, most frequent first (ties by name)."""
        reasons = Counter(item.reason or "unknown" for item in self.skipped)
        reasons.update(self.discovery_skips)
        return dict(sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0])))

    def extend(self, other: BatchReport) -> None:
        self.items.extend(other.items)
        self.discovery_skips.update(other.discovery_skips)

    def to_dict(self) -> dict[str, object]:
        return {
            "counts": self.counts,
            "failed": [
                {"origin": i.origin, "reason": i.reason, "stage": i.stage} for i in self.failures
            ],
            "skipped": [{"origin": i.origin, "reason": i.reason} for i in self.skipped],
            "skipped_reasons": self.skip_reasons(),
            "notes": dict(Counter(note for item in self.items for note in item.notes)),
        }


class FindIds(Protocol):
    def __call__(self, *, publication: str, published_on: str) -> list[str]: ...


def resolve_targets(article: Article, find_ids: FindIds) -> Article:
    """Point internal citations ("see the Monitor, January 17") at the cited article.

    `find_ids` is the store's lookup (plus the batch being written). A target is set
    only when exactly one article of that series (under any of its names) has that
    date: several articles share an issue of the daily Monitor, and a wrong link is
    worse than none. Already-set targets are kept.
    """
    changed = False
    resolved = []
    for citation in article.citations:
        if citation.kind == "internal" and citation.date and citation.target_id is None:
            target = target_of(citation.source, citation.date, article.id, find_ids)
            if target is not None:
                citation = dataclasses.replace(citation, target_id=target)
                changed = True
        resolved.append(citation)
    return dataclasses.replace(article, citations=tuple(resolved)) if changed else article


def target_of(source: str, date: str, citing_id: str, find_ids: FindIds) -> str | None:
    """The one article of `source`'s series dated `date`, other than the citing one."""
    ids = {
        doc_id
        for name in family_names(source)
        for doc_id in find_ids(publication=name, published_on=date)
    } - {citing_id}
    return ids.pop() if len(ids) == 1 else None


def _batch_lookup(articles: Sequence[Article], store: Store) -> FindIds:
    """The store's `find_ids`, plus the articles of this batch (not yet written)."""
    local: dict[tuple[str, str], set[str]] = defaultdict(set)
    for article in articles:
        if article.published_at:
            for prefix in (
                article.published_at,
                article.published_at[:7],
                article.published_at[:4],
            ):
                local[(article.publication.casefold(), prefix)].add(article.id)

    def find_ids(*, publication: str, published_on: str) -> list[str]:
        found = set(store.find_ids(publication=publication, published_on=published_on))
        return sorted(found | local.get((publication.casefold(), published_on), set()))

    return find_ids


def ingest_raw(
    loads: Iterable[tuple[str, Callable[[], RawArticle]]],
    *,
    store: Store,
    pipeline: Pipeline = DEFAULT_PIPELINE,
    same_id: bool = False,
) -> BatchReport:
    """Load, process and write one batch. `loads` pairs an origin with its loader.

    The batch goes through `pipeline` together (one NER pass; by default the full
    enricher set, no cache); internal citations are resolved against the store and
    the batch itself just before the write. With `same_id` (reprocessing: the origin
    is the stored id) an article whose id comes out different fails instead of being
    written: two copies of one article would be worse than a maintainer's decision.
    The one exception is the id scheme's own migration (`normalize.migrated_from`: a
    URL's id without the publication guessed): the article is written under its new
    id and the old one deleted, so two old ids of one URL become one document.
    Raises whatever the store raises (e.g. `StoreUnavailable`) with nothing written.
    """
    report = BatchReport()
    raws: list[RawArticle] = []
    loaded: list[str] = []
    for origin, load in loads:
        try:
            raws.append(load())
        except Exception as exc:
            if is_transient(exc):
                raise  # the whole batch retries; nothing of it is written yet
            # Bad input, or a bug this input exposes: it fails alone, the batch goes on.
            report.items.append(_failed(origin, "read", exc))
            continue
        loaded.append(origin)
    pending: list[Indexable] = []
    origins: list[str] = []
    results = pipeline.process_batch(raws)
    for origin, raw, result in zip(loaded, raws, results, strict=True):
        if isinstance(result, Exception):
            report.items.append(_failed(origin, "parse", result))
            continue
        if same_id and result.id != origin and not migrated_from(origin, result.id):
            reason = f"reprocessing gives a different id ({result.id})"
            report.items.append(ItemResult(origin, "failed", reason=reason, stage="parse"))
            continue
        pending.append(Indexable(result, raw))
        origins.append(origin)
    if pending:
        lookup = _batch_lookup([p.article for p in pending], store)
        pending = [Indexable(resolve_targets(p.article, lookup), p.raw) for p in pending]
        outcomes = store.write(pending)
        report.items.extend(
            ItemResult(
                origin,
                outcome.status,
                outcome.id,
                outcome.reason,
                stage="index" if outcome.status == "failed" else None,
                error_type="IndexRejected" if outcome.status == "failed" else None,
                notes=item.article.enrich_notes,
            )
            for origin, outcome, item in zip(origins, outcomes, pending, strict=True)
        )
        if same_id:  # migrated ids: the new document is written, the old one goes
            moved = [o for o, w in zip(origins, outcomes, strict=True) if _moved(o, w)]
            if moved:
                store.delete(moved)
    return report


def _moved(origin: str, outcome: WriteOutcome) -> bool:
    return outcome.status != "failed" and outcome.id is not None and origin != outcome.id


def _failed(origin: str, stage: str, exc: Exception) -> ItemResult:
    """The item's failure; a page that holds no article is `skipped` instead."""
    if isinstance(exc, NotAnArticle):
        return ItemResult(origin, "skipped", reason=str(exc), stage=stage)
    if not isinstance(exc, InputError):
        stage = "pipeline" if stage == "parse" else stage
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = str(exc)
    return ItemResult(origin, "failed", reason=reason, stage=stage, error_type=type(exc).__name__)


def ingest_files(
    paths: Iterable[str],
    *,
    store: Store,
    max_bytes: int,
    pipeline: Pipeline = DEFAULT_PIPELINE,
    allow_headerless: bool = False,
) -> BatchReport:
    """Ingest a batch of article files (the unit of work of the ingest task); files
    without a Publication header fail unless `allow_headerless`."""
    load = partial(read_article, max_bytes=max_bytes, allow_headerless=allow_headerless)
    return ingest_raw(
        ((p, partial(load, Path(p))) for p in paths),
        store=store,
        pipeline=pipeline,
    )
