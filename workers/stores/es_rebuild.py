"""Rebuilding the Elasticsearch index into the next `<alias>-vN`, then swapping the alias.

`ElasticsearchStore.rebuild()` returns an `IndexRebuild` over itself; `workers.reprocess`
drives it without knowing the backend: `start` picks the index to fill, the main pass writes into
`target`, and `verify_and_swap` ends the run.

A rebuild loses nothing. Ingestion goes on through the alias, into the old index, while
the new one fills; so after the main pass, catch-up passes copy every document written
into the old index since the rebuild began (by `indexed_at`, after an explicit refresh,
with a margin for writes in flight), until a pass finds nothing new. Failed items are
retried once. The swap happens only when every id of the old index is in the new one;
otherwise it is refused (`RebuildRefused`) and the ids are listed. Writes that reach the
old index between the last catch-up and the swap are copied afterwards, each only if
nobody wrote that document through the alias since (optimistic concurrency), so a newer
document is never overwritten by an older one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from workers.stores.base import RebuildRefused, RebuildTally, Rewrite, Store

# (seq_no, primary_term) a conditional write expects the document to still have, or
# None for "must not exist yet" (Elasticsearch's optimistic concurrency control).
Expected = tuple[int, int] | None

# Catch-up passes look this far before the previous pass began: a writer stamps
# `indexed_at` before its bulk request, which may land (after retries) much later.
CATCH_UP_MARGIN_S = 600
MAX_CATCH_UP_PASSES = 5
SHOWN_IDS = 20


def _ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")


class RebuildIndex(Store, Protocol):
    """What a rebuild asks of the Elasticsearch store. The store hands itself in
    (`ElasticsearchStore.rebuild()`), so this module never imports elasticsearch.py: the
    two stay one arrow apart (elasticsearch.py → es_rebuild.py)."""

    # (seq_no, primary_term) of each document this store wrote.
    written: dict[str, tuple[int, int]]

    def begin_rebuild(self, resume: str | None) -> tuple[str, bool]: ...

    def migrating_to(self, index: str) -> RebuildIndex: ...

    def conditional(self, read_index: str, expected: dict[str, Expected]) -> Store: ...

    def live_index(self) -> str | None: ...

    def swap_to(self, index: str) -> tuple[str | None, int | None]: ...

    def index_ids(self, index: str) -> set[str]: ...

    def written_since(self, index: str, since: str) -> dict[str, str]: ...

    def versions(self, ids: Sequence[str]) -> dict[str, tuple[int, int]]: ...


@dataclass
class IndexRebuild:
    """One rebuild of `store`'s alias into a new index."""

    store: RebuildIndex
    index: str = ""
    started_at: str = ""
    _target: RebuildIndex | None = None
    copied: dict[str, str] = field(default_factory=dict)

    def start(self, resume: str | None) -> bool:
        """Pick the index to fill (`resume` while it exists); True when it is fresh."""
        self.index, fresh = self.store.begin_rebuild(resume)
        self.started_at = _ago(CATCH_UP_MARGIN_S)
        self._target = self.store.migrating_to(self.index)
        return fresh

    @property
    def target(self) -> Store:
        """Where the main pass writes: the new index (fingerprints read via the alias)."""
        return self._new_index

    @property
    def _new_index(self) -> RebuildIndex:
        if self._target is None:
            raise RuntimeError("IndexRebuild.start() was not called")
        return self._target

    def verify_and_swap(self, tally: RebuildTally, rewrite: Rewrite, *, since: str | None) -> None:
        """Catch up, retry, verify, swap, copy the stragglers; `since` is when the
        rebuild began (None: `CATCH_UP_MARGIN_S` ago)."""
        since = since or _ago(CATCH_UP_MARGIN_S)
        live = self.store.live_index()
        if live is not None:
            since = self._catch_up(live, since, tally, rewrite)
        self._retry_failures(tally, rewrite)
        self._verify(live, tally, rewrite)
        tally.previous_index, boundary = self.store.swap_to(self.index)
        if live is not None:
            self._after_swap(live, since, boundary, tally, rewrite)

    def _catch_up(self, live: str, since: str, tally: RebuildTally, rewrite: Rewrite) -> str:
        """Copy what was written into `live` since `since` until a pass finds nothing
        new; returns where the last pass started looking."""
        for _ in range(MAX_CATCH_UP_PASSES):
            next_since = _ago(CATCH_UP_MARGIN_S)
            written = self.store.written_since(live, since)
            todo = [i for i, version in written.items() if self.copied.get(i) != version]
            if not todo:
                break
            self._copy_late(todo, self.target, tally, rewrite)
            self.copied.update(written)
            since = next_since
        return since

    def _retry_failures(self, tally: RebuildTally, rewrite: Rewrite) -> None:
        failed = sorted({doc_id for doc_id, _ in tally.failures})
        if not failed:
            return
        again = rewrite(failed, self.target)
        tally.rewritten += again.rewritten
        tally.unchanged += again.unchanged
        tally.failed, tally.failures = again.failed, again.failures

    def _verify(self, live: str | None, tally: RebuildTally, rewrite: Rewrite) -> None:
        """Every id of the live index must be in the new one (one more try for those
        missing); else the swap is refused, naming them."""
        new = self.index
        expected = self.store.index_ids(live) if live else set()
        missing = sorted(expected - self.store.index_ids(new))
        if missing:
            tally.add(rewrite(missing, self.target))
            missing = sorted(expected - self.store.index_ids(new))
        failed = sorted({doc_id for doc_id, _ in tally.failures} | set(missing))
        if failed:
            shown = ", ".join(failed[:SHOWN_IDS]) + (" ..." if len(failed) > SHOWN_IDS else "")
            raise RebuildRefused(
                f"{len(failed)} document(s) of {live} are not in {new}: {shown}; the alias "
                f"stays on {live}. Fix or remove them, then run again to resume"
            )

    def _after_swap(
        self,
        old: str,
        since: str,
        boundary: int | None,
        tally: RebuildTally,
        rewrite: Rewrite,
    ) -> None:
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
        ours = self._new_index.written

        def rebuilt(doc_id: str) -> bool:
            version = now.get(doc_id)
            if version is None or version == ours.get(doc_id):
                return True
            return boundary is not None and version[0] <= boundary

        expected: dict[str, Expected] = {i: now.get(i) for i in todo if rebuilt(i)}
        if expected:
            self._copy_late(sorted(expected), self.store.conditional(old, expected), tally, rewrite)

    def _copy_late(
        self, ids: list[str], target: Store, tally: RebuildTally, rewrite: Rewrite
    ) -> None:
        """Copy documents written during the rebuild: counted apart (`caught_up`), so
        the report's rewritten/unchanged still describe the archive once."""
        late = rewrite(ids, target)
        tally.caught_up += len(ids) - late.failed
        tally.failed += late.failed
        tally.failures.extend(late.failures)
