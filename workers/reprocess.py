"""Reprocessing: re-run parse → normalize → enrich on stored raw payloads and rewrite.

Maintainers run it after changing an enricher (`pipeline_version` moves) or the index
mapping (`mapping_version` moves). Two modes:

- in place (both stores): each document is rewritten where it is; a document whose
  new form equals the stored one is reported "unchanged" and not written.
- rebuild (`store.rebuild()`; Elasticsearch's is the default when the live index has an
  older mapping version): a new copy is filled while the live one keeps serving, then
  the store verifies it and makes it live (`Rebuild.verify_and_swap`). This module
  knows no backend: how the copy is made, caught up and swapped is the store's
  (`workers.stores.es_rebuild`).

Every run holds the `reprocess` lock (Redis when `MONITOR_REDIS_URL` is set), so two
runs cannot interleave. Progress is checkpointed in the cache after every batch (the
last id done, ids are walked in sorted order), so an interrupted run started again
with the same selection continues where it stopped, into the same new index.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from workers.cache import Cache
from workers.errors import UsageError
from workers.ingest import BatchReport, ItemResult, ingest_raw, target_of
from workers.model import InputError, RawArticle
from workers.pipeline import DEFAULT_PIPELINE, Pipeline
from workers.stores.base import RebuildTally, Store

LOCK_NAME = "reprocess"
# A crashed run must not block the next one forever, but a healthy one must keep the
# lock for the whole archive: hours, not minutes.
LOCK_TTL_S = 6 * 3600
CHECKPOINT_TTL_S = 7 * 86400
LAST_RUN_KEY = "reprocess:last"
LAST_RUN_TTL_S = 365 * 86400
# The last `reprocess --async` run: what was enqueued, and counters the workers add to
# as each batch finishes (they run with no result backend, so this is what
# `monitor status` reads).
ASYNC_RUN_KEY = "reprocess:async"

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which stored articles to reprocess; empty means the whole index."""

    publication: str | None = None
    since: str | None = None
    until: str | None = None
    ids: tuple[str, ...] | None = None

    @property
    def whole_index(self) -> bool:
        return not (self.publication or self.since or self.until or self.ids is not None)

    def ids_in(self, store: Store) -> list[str]:
        """The selected ids, sorted: the given ones, or those the store lists."""
        if self.ids is not None:
            return sorted(set(self.ids))
        listed = store.list_ids(publication=self.publication, since=self.since, until=self.until)
        return sorted(listed)

    def key(self) -> str:
        """Stable name of the selection, so a resumed run finds its checkpoint."""
        data = json.dumps(asdict(self), sort_keys=True).encode("utf-8")
        return hashlib.sha256(data).hexdigest()[:16]


@dataclass(slots=True)
class ReprocessReport:
    """The running tally of a whole run: counts, not items (a `BatchReport` holds one
    batch's items), so it fits in the checkpoint and in `monitor status`."""

    rewritten: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    index: str | None = None
    previous_index: str | None = None
    resumed_from: str | None = None
    caught_up: int = 0  # documents written during a rebuild and copied after the main pass

    def add(self, other: RebuildTally) -> None:
        self.rewritten += other.rewritten
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.failures.extend(other.failures)

    def fail(self, doc_id: str, reason: str) -> None:
        self.failed += 1
        self.failures.append((doc_id, reason))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = [{"id": i, "reason": r} for i, r in self.failures]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReprocessReport:
        failures = [(f["id"], f["reason"]) for f in data.get("failures") or ()]
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "failures": failures})


def reprocess_ids(
    ids: Sequence[str],
    *,
    store: Store,
    pipeline: Pipeline = DEFAULT_PIPELINE,
) -> BatchReport:
    """Re-run the pipeline on the stored raw payloads of `ids` and rewrite them: the
    ingest batch body (`workers.ingest.ingest_raw`) with the store as the source.

    An article the store says is settled for this pipeline (`Store.settled`: built
    by this version from its stored raw payload, no enricher failed) and with no
    internal citation that would now find its target is reported unchanged without
    running the pipeline, reading the payload or serializing a document.
    Raises what the store raises (`StoreUnavailable`), so the task retries the batch.
    """
    settled = [
        doc_id
        for doc_id, pending in store.settled(ids, pipeline.version).items()
        if not any(target_of(s, d, doc_id, store.find_ids) for s, d in pending)
    ]
    skipped = set(settled)
    ids = [i for i in ids if i not in skipped]
    raws = store.raw_by_ids(ids)

    def stored(doc_id: str) -> RawArticle:
        raw = raws.get(doc_id)
        if raw is None:
            raise InputError("not in the store")
        return raw

    report = ingest_raw(
        ((i, partial(stored, i)) for i in ids),
        store=store,
        pipeline=pipeline,
        same_id=True,
    )
    report.items.extend(ItemResult(i, "unchanged", i) for i in sorted(settled))
    return report


def reprocess_batch(
    ids: Sequence[str],
    *,
    store: Store,
    pipeline: Pipeline = DEFAULT_PIPELINE,
) -> ReprocessReport:
    """`reprocess_ids` counted the way `monitor reprocess` reports it."""
    batch = reprocess_ids(ids, store=store, pipeline=pipeline)
    counts = batch.counts
    return ReprocessReport(
        rewritten=counts["created"] + counts["updated"],
        unchanged=counts["unchanged"],
        failed=counts["failed"],
        failures=[(i.origin, i.reason or "failed") for i in batch.failures],
    )


def wants_new_index(store: Store) -> bool:
    """True when the live index was built from an older mapping."""
    return store.outdated()


def run(
    store: Store,
    *,
    cache: Cache,
    selection: Selection,
    pipeline: Pipeline = DEFAULT_PIPELINE,
    new_index: bool | None = None,
    batch_size: int = 100,
    wait_s: float = 0,
    progress: ProgressFn | None = None,
) -> ReprocessReport:
    """Reprocess `selection` under the lock; raises `LockHeld` if another run holds it.

    `cache` holds the lock, the checkpoints and the last run's report; it is passed
    on its own, not read from `pipeline.cache`, because every run needs it (two runs
    must meet at one lock) while the pipeline's enrichment cache is optional: a
    pipeline without one (a test, a recompute from scratch) still reprocesses under
    the lock. In production both are the one process cache.
    """
    with cache.lock(LOCK_NAME, ttl_s=LOCK_TTL_S, wait_s=wait_s):
        if new_index is None:
            new_index = selection.whole_index and wants_new_index(store)
        rebuild = store.rebuild() if new_index else None  # RebuildRefused: in place only
        if new_index and not selection.whole_index:
            raise UsageError("--new-index rebuilds the whole index: drop the selection options")
        key = f"reprocess:{selection.key()}:{'new-index' if new_index else 'in-place'}"
        state: dict[str, Any] = json.loads(cache.get(key) or "{}")
        report = ReprocessReport.from_dict(state.get("report") or {})
        report.resumed_from = state.get("last")
        target = store
        if rebuild is not None:
            if rebuild.start(state.get("index")):
                state = {"index": rebuild.index, "started_at": rebuild.started_at}
                report = ReprocessReport()
                cache.set(key, json.dumps(state), ttl_s=CHECKPOINT_TTL_S)
            report.index = rebuild.index
            target = rebuild.target

        def checkpoint(done: dict[str, Any]) -> None:
            cache.set(key, json.dumps(done), ttl_s=CHECKPOINT_TTL_S)

        _walk(
            selection.ids_in(store),
            target,
            report=report,
            state=state,
            pipeline=pipeline,
            batch_size=batch_size,
            progress=progress,
            checkpoint=checkpoint,
        )
        if rebuild is not None:
            rewrite = partial(_rewrite, pipeline=pipeline, batch_size=batch_size)
            rebuild.verify_and_swap(report, rewrite, since=state.get("started_at"))
        cache.delete(key)
        finished = {
            **report.to_dict(),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        cache.set(LAST_RUN_KEY, json.dumps(finished), ttl_s=LAST_RUN_TTL_S)
    return report


def last_run(cache: Cache) -> dict[str, Any] | None:
    """The report of the last finished reprocess run (`monitor status`)."""
    value = cache.get(LAST_RUN_KEY)
    return None if value is None else dict(json.loads(value))


def start_async_run(cache: Cache, *, articles: int, batches: int) -> str:
    """Record a `reprocess --async` run about to be enqueued; its id goes with every
    batch so the workers count into it."""
    run = uuid.uuid4().hex[:12]
    record = {"run": run, "enqueued_at": _now(), "articles": articles, "batches": batches}
    cache.set(ASYNC_RUN_KEY, json.dumps(record), ttl_s=LAST_RUN_TTL_S)
    return run


def count_async_batch(cache: Cache, run: str, counts: dict[str, int]) -> None:
    """Add one finished batch's counts (a `BatchReport.counts`) to run `run`. A batch
    split into single items adds nothing itself: each item adds its own."""
    tally = {
        "rewritten": counts.get("created", 0) + counts.get("updated", 0),
        "unchanged": counts.get("unchanged", 0),
        "failed": counts.get("failed", 0),
    }
    cache.add_counts(f"{ASYNC_RUN_KEY}:{run}", tally, ttl_s=LAST_RUN_TTL_S)
    cache.set(f"{ASYNC_RUN_KEY}:{run}:last", _now(), ttl_s=LAST_RUN_TTL_S)


def async_run(cache: Cache) -> dict[str, Any] | None:
    """The last `--async` run as far as the workers got: enqueued articles and batches,
    the counts so far, `done` (articles counted), the last batch's time and whether it
    has `finished` (every article counted)."""
    value = cache.get(ASYNC_RUN_KEY)
    if value is None:
        return None
    record: dict[str, Any] = dict(json.loads(value))
    counts = cache.counts(f"{ASYNC_RUN_KEY}:{record['run']}")
    record.update({k: counts.get(k, 0) for k in ("rewritten", "unchanged", "failed")})
    record["done"] = record["rewritten"] + record["unchanged"] + record["failed"]
    record["last_batch_at"] = cache.get(f"{ASYNC_RUN_KEY}:{record['run']}:last")
    record["finished"] = record["done"] >= record["articles"]
    return record


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _walk(
    ids: list[str],
    target: Store,
    *,
    report: ReprocessReport,
    state: dict[str, Any],
    pipeline: Pipeline,
    batch_size: int,
    progress: ProgressFn | None,
    checkpoint: Callable[[dict[str, Any]], None] | None,
) -> None:
    """Reprocess `ids` in batches into `target`; `checkpoint` the state after each."""
    last = state.get("last")
    todo = [i for i in ids if last is None or i > last]
    done = len(ids) - len(todo)
    if progress:
        progress(done, len(ids))
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        report.add(reprocess_batch(batch, store=target, pipeline=pipeline))
        state["last"] = batch[-1]
        state["report"] = report.to_dict()
        if checkpoint:
            checkpoint(state)
        done += len(batch)
        if progress:
            progress(done, len(ids))


def _rewrite(
    ids: list[str], target: Store, *, pipeline: Pipeline, batch_size: int
) -> ReprocessReport:
    """Reprocess `ids` into `target` with no checkpoint: a rebuild's extra copies."""
    report = ReprocessReport()
    _walk(
        sorted(ids),
        target,
        report=report,
        state={},
        pipeline=pipeline,
        batch_size=batch_size,
        progress=None,
        checkpoint=None,
    )
    return report
