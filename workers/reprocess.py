"""Reprocessing: re-run parse → normalize → enrich on stored raw payloads and rewrite.

Maintainers run it after changing an enricher (`pipeline_version` moves) or the index
mapping (`mapping_version` moves). Two modes:

- in place (both stores): each document is rewritten where it is; a document whose
  new form equals the stored one is reported "unchanged" and not written.
- new index (Elasticsearch; the default when the live index has an older mapping
  version): the next `<alias>-vN` is filled while the alias keeps serving the old one,
  and the alias moves in one atomic `_aliases` call. The old index stays until
  `monitor es prune`. Searches never see a half-built index.

A rebuild loses nothing (issue 12). Ingestion goes on through the alias, into the old
index, while the new one fills; so after the main pass, catch-up passes copy every
document written into the old index since the rebuild began (by `indexed_at`, after an
explicit refresh, with a margin for writes in flight), until a pass finds nothing new.
Failed items are retried once. The swap happens only when every id of the old index is
in the new one; otherwise it is refused and the ids are listed. Writes that reach the
old index between the last catch-up and the swap are copied afterwards, each only if
nobody wrote that document through the alias since (optimistic concurrency), so a
newer document is never overwritten by an older one.

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
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeGuard

from workers import pipeline
from workers.cache import Cache
from workers.ingest import BatchReport, ingest_raw
from workers.model import InputError, RawArticle
from workers.stores.base import Store

if TYPE_CHECKING:
    from workers.stores.elasticsearch import ElasticsearchStore, Expected

LOCK_NAME = "reprocess"
# A crashed run must not block the next one forever, but a healthy one must keep the
# lock for the whole archive: hours, not minutes.
LOCK_TTL_S = 6 * 3600
CHECKPOINT_TTL_S = 7 * 86400
LAST_RUN_KEY = "reprocess:last"
LAST_RUN_TTL_S = 365 * 86400
# Catch-up passes look this far before the previous pass began: a writer stamps
# `indexed_at` before its bulk request, which may land (after retries) much later.
CATCH_UP_MARGIN_S = 600
MAX_CATCH_UP_PASSES = 5
SHOWN_IDS = 20

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
    caught_up: int = 0  # documents written during a rebuild and copied after the main pass

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
    return is_elasticsearch(store) and store.outdated()


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
            index, fresh = store.begin_rebuild(state.get("index"))
            if fresh:
                state = {"index": index, "started_at": _ago(CATCH_UP_MARGIN_S)}
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
        _walk(
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
            assert is_elasticsearch(store) and is_elasticsearch(target)
            rebuild = _Rebuild(
                store, target, report, cache=cache, batch_size=batch_size, enrichers=enrichers
            )
            rebuild.finish(since=state.get("started_at") or _ago(CATCH_UP_MARGIN_S))
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
) -> None:
    """Reprocess `ids` in batches into `target`; checkpoint after each unless `key` is ""."""
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
        if key:
            cache.set(key, json.dumps(state), ttl_s=CHECKPOINT_TTL_S)
        done += len(batch)
        if progress:
            progress(done, len(ids))


def _ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")


@dataclass
class _Rebuild:
    """The end of a new-index run: catch up, retry, verify, swap, copy the stragglers."""

    store: ElasticsearchStore
    target: ElasticsearchStore
    report: ReprocessReport
    cache: Cache
    batch_size: int
    enrichers: Sequence[pipeline.Enricher]
    copied: dict[str, str] = field(default_factory=dict)

    def finish(self, *, since: str) -> None:
        live = self.store.live_index()
        assert self.report.index is not None
        if live is not None:
            since = self._catch_up(live, since)
        self._retry_failures()
        self._verify(live, self.report.index)
        self.report.previous_index, boundary = self.store.swap_to(self.report.index)
        if live is not None:
            self._after_swap(live, since, boundary)

    def _copy(self, ids: list[str], target: Store, report: ReprocessReport) -> None:
        _walk(
            sorted(ids),
            target,
            report=report,
            state={},
            cache=self.cache,
            key="",
            batch_size=self.batch_size,
            progress=None,
            enrichers=self.enrichers,
        )

    def _catch_up(self, live: str, since: str) -> str:
        """Copy what was written into `live` since `since` until a pass finds nothing
        new; returns where the last pass started looking."""
        for _ in range(MAX_CATCH_UP_PASSES):
            next_since = _ago(CATCH_UP_MARGIN_S)
            written = self.store.written_since(live, since)
            todo = [i for i, version in written.items() if self.copied.get(i) != version]
            if not todo:
                break
            self._copy_late(todo, self.target)
            self.copied.update(written)
            since = next_since
        return since

    def _retry_failures(self) -> None:
        failed = sorted({doc_id for doc_id, _ in self.report.failures})
        if not failed:
            return
        again = ReprocessReport()
        self._copy(failed, self.target, again)
        self.report.rewritten += again.rewritten
        self.report.unchanged += again.unchanged
        self.report.failed, self.report.failures = again.failed, again.failures

    def _verify(self, live: str | None, new: str) -> None:
        """Every id of the live index must be in the new one (one more try for those
        missing); else the swap is refused, naming them."""
        expected = self.store.index_ids(live) if live else set()
        missing = sorted(expected - self.store.index_ids(new))
        if missing:
            self._copy(missing, self.target, self.report)
            missing = sorted(expected - self.store.index_ids(new))
        failed = sorted({doc_id for doc_id, _ in self.report.failures} | set(missing))
        if failed:
            shown = ", ".join(failed[:SHOWN_IDS]) + (" ..." if len(failed) > SHOWN_IDS else "")
            raise ReprocessError(
                f"{len(failed)} document(s) of {live} are not in {new}: {shown}; the alias "
                f"stays on {live}. Fix or remove them, then run again to resume"
            )

    def _after_swap(self, old: str, since: str, boundary: int | None) -> None:
        """Copy what reached `old` after the last catch-up, unless newer is in place."""
        written = self.store.written_since(old, since)
        todo = sorted(i for i, version in written.items() if self.copied.get(i) != version)
        if not todo:
            return
        # Only where the new index still holds what the rebuild wrote (or nothing):
        # anything else was written through the alias after the swap, and is newer.
        # The rebuild's writes are known by their sequence numbers: all at most
        # `boundary` (also those of an earlier, interrupted process), or recorded.
        now = self.store.versions(todo)

        def rebuilt(doc_id: str) -> bool:
            version = now.get(doc_id)
            if version is None or version == self.target.written.get(doc_id):
                return True
            return boundary is not None and version[0] <= boundary

        expected: dict[str, Expected] = {i: now.get(i) for i in todo if rebuilt(i)}
        if expected:
            self._copy_late(sorted(expected), self.store.conditional(old, expected))

    def _copy_late(self, ids: list[str], target: Store) -> None:
        """Copy documents written during the rebuild: counted apart (`caught_up`), so
        the report's rewritten/unchanged still describe the archive once."""
        late = ReprocessReport()
        self._copy(ids, target, late)
        self.report.caught_up += len(ids) - late.failed
        self.report.failed += late.failed
        self.report.failures.extend(late.failures)
