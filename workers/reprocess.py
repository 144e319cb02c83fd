"""Reprocessing: re-run parse → normalize → enrich on stored raw payloads and rewrite.

Maintainers run it after changing an enricher (`pipeline_version` moves) or the index
mapping (`mapping_version` moves). Two modes:

- in place (both stores): each document is rewritten where it is; a document whose
  new form equals the stored one is reported "unchanged" and not written.
- new index (Elasticsearch; the default when the live index has an older mapping
  version): the next `<alias>-vN` is filled while the alias keeps serving the old one,
  the count is verified, and the alias moves in one atomic `_aliases` call. The old
  index stays until `monitor es prune`. Searches never see a half-built index.

Every run holds the `reprocess` lock (Redis when `MONITOR_REDIS_URL` is set), so two
runs cannot interleave. Progress is checkpointed in the cache after every batch (the
last id done, ids are walked in sorted order), so an interrupted run started again
with the same selection continues where it stopped, into the same new index.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeGuard

from workers import pipeline
from workers.cache import Cache
from workers.ingest import BatchReport, ingest_raw
from workers.model import InputError, RawArticle
from workers.stores.base import Store

if TYPE_CHECKING:
    from workers.stores.elasticsearch import ElasticsearchStore

LOCK_NAME = "reprocess"
# A crashed run must not block the next one forever, but a healthy one must keep the
# lock for the whole archive: hours, not minutes.
LOCK_TTL_S = 6 * 3600
CHECKPOINT_TTL_S = 7 * 86400
LAST_RUN_KEY = "reprocess:last"
LAST_RUN_TTL_S = 365 * 86400

ProgressFn = Callable[[int, int], None]


class ReprocessError(RuntimeError):
    """The run cannot finish safely (e.g. the new index's count does not verify)."""


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

    def key(self) -> str:
        """Stable name of the selection, so a resumed run finds its checkpoint."""
        data = json.dumps(asdict(self), sort_keys=True).encode("utf-8")
        return hashlib.sha256(data).hexdigest()[:16]


@dataclass(slots=True)
class ReprocessReport:
    rewritten: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    index: str | None = None
    previous_index: str | None = None
    resumed_from: str | None = None

    def add(self, other: ReprocessReport) -> None:
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
    enrichers: Sequence[pipeline.Enricher] = pipeline.ENRICHERS,
    cache: Cache | None = None,
) -> BatchReport:
    """Re-run the pipeline on the stored raw payloads of `ids` and rewrite them: the
    ingest batch body (`workers.ingest.ingest_raw`) with the store as the source.

    Raises what the store raises (`StoreUnavailable`), so the task retries the batch.
    """
    raws = store.raw_by_ids(ids)

    def stored(doc_id: str) -> RawArticle:
        raw = raws.get(doc_id)
        if raw is None:
            raise InputError("not in the store")
        return raw

    return ingest_raw(
        ((i, partial(stored, i)) for i in ids),
        store=store,
        enrichers=enrichers,
        cache=cache,
        same_id=True,
    )


def reprocess_batch(
    ids: Sequence[str],
    *,
    store: Store,
    enrichers: Sequence[pipeline.Enricher] = pipeline.ENRICHERS,
    cache: Cache | None = None,
) -> ReprocessReport:
    """`reprocess_ids` counted the way `monitor reprocess` reports it."""
    batch = reprocess_ids(ids, store=store, enrichers=enrichers, cache=cache)
    counts = batch.counts
    return ReprocessReport(
        rewritten=counts["created"] + counts["updated"],
        unchanged=counts["unchanged"],
        failed=counts["failed"],
        failures=[(i.origin, i.reason or "failed") for i in batch.failures],
    )


def is_elasticsearch(store: Store) -> TypeGuard[ElasticsearchStore]:
    # By backend name, so the embedded mode never imports the Elasticsearch client.
    return getattr(store, "backend", None) == "elasticsearch"


def wants_new_index(store: Store) -> bool:
    """True when the live Elasticsearch index was built from an older mapping."""
    if not is_elasticsearch(store):
        return False
    return store.indices.current_mapping_version() != store.indices.wanted_version


def run(
    store: Store,
    *,
    cache: Cache,
    selection: Selection,
    new_index: bool | None = None,
    batch_size: int = 100,
    wait_s: float = 0,
    progress: ProgressFn | None = None,
    enrichers: Sequence[pipeline.Enricher] = pipeline.ENRICHERS,
) -> ReprocessReport:
    """Reprocess `selection` under the lock; raises `LockHeld` if another run holds it."""
    with cache.lock(LOCK_NAME, ttl_s=LOCK_TTL_S, wait_s=wait_s):
        if new_index is None:
            new_index = selection.whole_index and wants_new_index(store)
        if new_index and not is_elasticsearch(store):
            raise ValueError(
                "--new-index needs Elasticsearch; the embedded store is rewritten in place"
            )
        if new_index and not selection.whole_index:
            raise ValueError("--new-index rebuilds the whole index: drop the selection options")
        key = f"reprocess:{selection.key()}:{'new-index' if new_index else 'in-place'}"
        state: dict[str, Any] = json.loads(cache.get(key) or "{}")
        report = ReprocessReport.from_dict(state.get("report") or {})
        report.resumed_from = state.get("last")
        target = store
        if new_index:
            assert is_elasticsearch(store)
            existing = {i.name for i in store.indices.indices()}
            if state.get("index") not in existing:
                state = {"index": store.indices.create_next()}
                report = ReprocessReport()
                cache.set(key, json.dumps(state), ttl_s=CHECKPOINT_TTL_S)
            report.index = state["index"]
            target = store.migrating_to(state["index"])

        ids = sorted(
            set(selection.ids)
            if selection.ids is not None
            else store.list_ids(
                publication=selection.publication, since=selection.since, until=selection.until
            )
        )
        done = _walk(
            ids,
            target,
            report=report,
            state=state,
            cache=cache,
            key=key,
            batch_size=batch_size,
            progress=progress,
            enrichers=enrichers,
        )
        if new_index:
            assert is_elasticsearch(store)
            # Articles ingested through the alias while the new index filled: one
            # catch-up pass so the swap loses nothing.
            late = sorted(set(store.list_ids()) - set(done))
            _walk(
                late,
                target,
                report=report,
                state={**state, "last": None},
                cache=cache,
                key=key,
                batch_size=batch_size,
                progress=None,
                enrichers=enrichers,
            )
            _verify_and_swap(store, report)
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


def _walk(
    ids: list[str],
    target: Store,
    *,
    report: ReprocessReport,
    state: dict[str, Any],
    cache: Cache,
    key: str,
    batch_size: int,
    progress: ProgressFn | None,
    enrichers: Sequence[pipeline.Enricher],
) -> list[str]:
    last = state.get("last")
    todo = [i for i in ids if last is None or i > last]
    done = len(ids) - len(todo)
    if progress:
        progress(done, len(ids))
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        report.add(reprocess_batch(batch, store=target, enrichers=enrichers, cache=cache))
        state["last"] = batch[-1]
        state["report"] = report.to_dict()
        cache.set(key, json.dumps(state), ttl_s=CHECKPOINT_TTL_S)
        done += len(batch)
        if progress:
            progress(done, len(ids))
    return ids


def _verify_and_swap(store: ElasticsearchStore, report: ReprocessReport) -> None:
    assert report.index is not None
    live = store.indices.current_index()
    expected = (store.indices.count(live) if live else 0) - report.failed
    found = store.indices.count(report.index)
    if found < expected:
        raise ReprocessError(
            f"{report.index} holds {found} documents, expected {expected}: the alias stays "
            f"on {live}; run again to resume, or inspect the failures"
        )
    report.previous_index = store.indices.swap(report.index)
