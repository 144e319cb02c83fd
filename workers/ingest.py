"""Ingest a batch: raw inputs → pipeline → one bulk write, with a per-item report.

This is the body every ingest path shares: the Celery task, the in-process CLI run
and reprocessing. Bad input fails only its own item; a store error (transient) fails
the whole batch by raising, so the task retries it and nothing is half-acknowledged.
Writes upsert by id, so running a batch twice leaves the store as the first run did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

from workers import pipeline
from workers.errors import is_transient
from workers.model import InputError, RawArticle
from workers.sources.files import read_file
from workers.stores.base import Indexable, Store

ItemStatus = Literal["created", "updated", "unchanged", "failed"]


@dataclass(frozen=True, slots=True)
class ItemResult:
    origin: str
    status: ItemStatus
    id: str | None = None
    reason: str | None = None
    stage: str | None = None  # where a failed item failed: read, parse, pipeline, index
    error_type: str | None = None


@dataclass(slots=True)
class BatchReport:
    items: list[ItemResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(item.status for item in self.items)
        return {s: counts.get(s, 0) for s in ("created", "updated", "unchanged", "failed")}

    @property
    def failures(self) -> list[ItemResult]:
        return [item for item in self.items if item.status == "failed"]

    def extend(self, other: BatchReport) -> None:
        self.items.extend(other.items)

    def to_dict(self) -> dict[str, object]:
        return {
            "counts": self.counts,
            "failed": [
                {"origin": i.origin, "reason": i.reason, "stage": i.stage} for i in self.failures
            ],
        }


def ingest_raw(
    loads: Iterable[tuple[str, Callable[[], RawArticle]]],
    *,
    store: Store,
    enrichers: Sequence[pipeline.Enricher] = pipeline.ENRICHERS,
) -> BatchReport:
    """Load, process and write one batch. `loads` pairs an origin with its loader.

    Raises whatever the store raises (e.g. `StoreUnavailable`) with nothing written.
    """
    report = BatchReport()
    pending: list[Indexable] = []
    origins: list[str] = []
    for origin, load in loads:
        stage = "read"
        try:
            raw = load()
            stage = "parse"
            article = pipeline.process(raw, enrichers=enrichers)
        except Exception as exc:
            if is_transient(exc):
                raise  # the whole batch retries; nothing of it is written yet
            # Bad input, or a bug this input exposes: it fails alone, the batch goes on.
            report.items.append(_failed(origin, stage, exc))
            continue
        pending.append(Indexable(article, raw))
        origins.append(origin)
    if pending:
        outcomes = store.write(pending)
        report.items.extend(
            ItemResult(
                origin,
                outcome.status,
                outcome.id,
                outcome.reason,
                stage="index" if outcome.status == "failed" else None,
                error_type="IndexRejected" if outcome.status == "failed" else None,
            )
            for origin, outcome in zip(origins, outcomes, strict=True)
        )
    return report


def _failed(origin: str, stage: str, exc: Exception) -> ItemResult:
    if not isinstance(exc, InputError):
        stage = "pipeline" if stage == "parse" else stage
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = str(exc)
    return ItemResult(origin, "failed", reason=reason, stage=stage, error_type=type(exc).__name__)


def ingest_files(paths: Iterable[str], *, store: Store, max_bytes: int) -> BatchReport:
    """Ingest a batch of article files (the unit of work of the ingest task)."""
    return ingest_raw(
        ((p, partial(read_file, Path(p), max_bytes=max_bytes)) for p in paths),
        store=store,
    )
