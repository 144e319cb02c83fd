"""Reprocessing on both stores: in place, into a new index with an alias swap, under a
real Redis lock, interrupted and resumed."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.es_cluster import Cluster, cluster, needs_fake
from tests.support.articles import KeywordEnricher, indexable
from tests.support.redis_server import private_redis
from workers import reprocess as rp
from workers.cache import Cache, LockHeld, MemoryCache, RedisCache
from workers.pipeline import Pipeline
from workers.stores import es_rebuild, open_store
from workers.stores.base import Indexable, RebuildRefused, SearchQuery, Store
from workers.stores.elasticsearch import ElasticsearchStore
from workers.stores.embedded import EmbeddedStore
from workers.stores.es_indices import IndexRefused

pytestmark = pytest.mark.integration
__all__ = ["cluster"]
V1 = KeywordEnricher()
V2 = KeywordEnricher(version="2", tag=" (v2)")
P1, P2 = Pipeline((V1,)), Pipeline((V2,))  # the code as stored, and the changed code
ISSUES = (7, 8, 9)


@pytest.fixture
def es_store(cluster: Cluster) -> Iterator[ElasticsearchStore]:
    store = open_store(cluster.settings())
    assert isinstance(store, ElasticsearchStore)
    store.write([indexable(i, V1) for i in ISSUES])
    cluster.refresh()
    yield store
    store.close()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "monitor.sqlite3")
    store.write([indexable(i, V1) for i in ISSUES])
    yield store
    store.close()


@pytest.fixture
def redis_cache(tmp_path: Path) -> Iterator[RedisCache]:
    with private_redis(tmp_path) as url:
        cache = RedisCache.from_url(url)
        yield cache
        cache.client.close()


def _reprocess(
    store: Store,
    *,
    cache: Cache | None = None,
    selection: rp.Selection | None = None,
    **options: Any,
) -> rp.ReprocessReport:
    """`rp.run` over the whole store on a cache of its own, unless the test shares one
    or narrows the selection: tests name only the options they vary."""
    return rp.run(
        store,
        cache=MemoryCache() if cache is None else cache,
        selection=rp.Selection() if selection is None else selection,
        **options,
    )


def _interrupt_after_one_batch(
    store: Store, cache: Cache, *, seen: list[tuple[int, int]] | None = None, **options: Any
) -> None:
    """Stop a run of one document a batch (Ctrl-C) once its first batch is written, as
    an operator would: where the resume tests start. `seen` collects its progress."""

    def interrupt(done: int, total: int) -> None:
        if seen is not None:
            seen.append((done, total))
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _reprocess(store, cache=cache, batch_size=1, progress=interrupt, pipeline=P2, **options)


def _names(store: EmbeddedStore | ElasticsearchStore, issue: int) -> set[str]:
    article = store.get(indexable(issue).article.id)
    assert article is not None
    return {e.name for e in article.entities}


def test_embedded_unchanged_pipeline_rewrites_nothing(embedded: EmbeddedStore) -> None:
    report = _reprocess(embedded, pipeline=P1)
    assert (report.rewritten, report.unchanged, report.failed) == (0, 3, 0)


def test_embedded_changed_enricher_rewrites_in_place(embedded: EmbeddedStore) -> None:
    report = _reprocess(embedded, pipeline=P2)
    assert (report.rewritten, report.unchanged, report.failed) == (3, 0, 0)
    assert _names(embedded, 7) == {"Vladimir Putin (v2)", "Moscow (v2)"}
    # Selections narrow the run; unknown ids are reported, not invented.
    again = _reprocess(
        embedded, selection=rp.Selection(ids=(indexable(8).article.id, "nope")), pipeline=P1
    )
    assert (again.rewritten, again.unchanged, again.failed) == (1, 0, 1)
    assert again.failures == [("nope", "not in the store")]
    with pytest.raises(RebuildRefused, match="needs Elasticsearch"):
        _reprocess(embedded, new_index=True)


def test_interrupted_run_resumes_after_the_last_batch(embedded: EmbeddedStore) -> None:
    cache = MemoryCache()
    seen: list[tuple[int, int]] = []

    _interrupt_after_one_batch(embedded, cache, seen=seen)
    report = _reprocess(
        embedded, cache=cache, batch_size=1, progress=lambda d, t: seen.append((d, t)), pipeline=P2
    )
    first = sorted(indexable(i).article.id for i in ISSUES)[0]
    assert report.resumed_from == first
    assert (report.rewritten, report.unchanged) == (3, 0)  # counts carried over the restart
    assert seen[2:] == [(1, 3), (2, 3), (3, 3)]  # the second run started at 1 of 3
    # Finished: the checkpoint is gone, a new run starts from the top.
    fresh = _reprocess(embedded, cache=cache, pipeline=P2)
    assert fresh.resumed_from is None and fresh.unchanged == 3


def test_new_index_swaps_the_alias_and_searches_keep_working(
    cluster: Cluster, es_store: ElasticsearchStore
) -> None:
    during: list[int] = []

    def search_while_filling(done: int, total: int) -> None:
        during.append(es_store.search(SearchQuery("Moscow")).total)

    report = _reprocess(
        es_store, new_index=True, batch_size=1, progress=search_while_filling, pipeline=P2
    )

    assert during and all(total == 2 for total in during)  # the old index served throughout
    assert (report.rewritten, report.unchanged, report.failed) == (3, 0, 0)
    assert report.index == f"{cluster.alias}-v2"
    assert report.previous_index == f"{cluster.alias}-v1"
    assert es_store.indices.current_index() == f"{cluster.alias}-v2"
    cluster.refresh()
    assert es_store.search(SearchQuery("Moscow")).total == 2
    assert _names(es_store, 7) == {"Vladimir Putin (v2)", "Moscow (v2)"}
    assert es_store.indices.prunable() == [f"{cluster.alias}-v1"]  # kept until prune
    if cluster.fake:
        swap = cluster.fake.alias_calls[-1]
        assert swap == [
            {"remove": {"index": f"{cluster.alias}-v1", "alias": cluster.alias}},
            {
                "add": {
                    "index": f"{cluster.alias}-v2",
                    "alias": cluster.alias,
                    "is_write_index": True,
                }
            },
            # The rebuild marker goes in the same atomic call (prune may now delete v1).
            {"remove": {"index": f"{cluster.alias}-v2", "alias": f"{cluster.alias}-rebuilding"}},
        ]
    es_store.indices.delete(f"{cluster.alias}-v1")
    assert [i.name for i in es_store.indices.indices()] == [f"{cluster.alias}-v2"]
    with pytest.raises(IndexRefused, match="behind the alias"):
        es_store.indices.delete(f"{cluster.alias}-v2")


def test_new_index_with_unchanged_pipeline_still_copies_everything(
    cluster: Cluster, es_store: ElasticsearchStore
) -> None:
    report = _reprocess(es_store, new_index=True, pipeline=P1)
    assert (report.rewritten, report.unchanged) == (0, 3)
    assert es_store.indices.count(f"{cluster.alias}-v2") == 3


def test_mapping_version_change_defaults_to_a_new_index(
    cluster: Cluster, es_store: ElasticsearchStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not rp.wants_new_index(es_store)
    bumped = dict(es_store.indices.template, _meta={"mapping_version": 99})
    monkeypatch.setattr(es_store.indices, "template", bumped)
    assert rp.wants_new_index(es_store)
    report = _reprocess(es_store, pipeline=P1)
    assert report.index == f"{cluster.alias}-v2"


def test_two_concurrent_runs_one_refuses_then_one_waits(
    embedded: EmbeddedStore, redis_cache: RedisCache, tmp_path: Path
) -> None:
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold(done: int, total: int) -> None:
        inside.set()
        release.wait(10)

    def first() -> None:
        other = EmbeddedStore(embedded.path)
        try:
            _reprocess(other, cache=redis_cache, progress=hold, pipeline=P2)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            other.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    with pytest.raises(LockHeld):
        _reprocess(embedded, cache=redis_cache, pipeline=P2)
    threading.Timer(0.3, release.set).start()
    waited = _reprocess(embedded, cache=redis_cache, wait_s=10, pipeline=P2)
    thread.join(10)
    assert errors == []
    assert waited.unchanged == 3  # ran after the first one, not interleaved with it


# -- a rebuild loses nothing (issue 12, item 5) ----------------------------------------


def _body(issue: int, version: int) -> str:
    return f"Talks in Moscow, round {version} of issue {issue} (Interfax, January 22)."


def _article(issue: int, version: int = 0) -> Indexable:
    body = None if version == 0 and issue in ISSUES else _body(issue, version)
    return indexable(issue, V2, body=body)


def _live_hashes(store: ElasticsearchStore, cluster: Cluster) -> dict[str, str]:
    cluster.refresh()
    found: dict[str, str] = {}
    for doc_id in store.list_ids():
        article = store.get(doc_id)
        assert article is not None
        found[doc_id] = article.content_hash
    return found


def test_a_failed_write_during_a_rebuild_is_retried_before_the_swap(
    cluster: Cluster, es_store: ElasticsearchStore
) -> None:
    if cluster.fake is None:
        pytest.skip("fault injection needs FakeElasticsearch")
    victim = indexable(8).article.id
    cluster.fake.fail_items[victim] = (
        400,
        {"type": "document_parsing_exception", "reason": "transient mapper failure"},
    )
    report = _reprocess(es_store, new_index=True, pipeline=P2)
    assert report.failed == 0 and report.previous_index == f"{cluster.alias}-v1"
    assert es_store.index_ids(f"{cluster.alias}-v2") == {indexable(i).article.id for i in ISSUES}


def test_a_rebuild_that_cannot_copy_everything_refuses_the_swap_and_names_the_ids(
    cluster: Cluster, es_store: ElasticsearchStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = indexable(9).article.id
    real = rp.reprocess_batch

    def refuse_one(ids: list[str], **kw: Any) -> rp.ReprocessReport:
        report = real([i for i in ids if i != victim], **kw)
        if victim in ids:
            report.fail(victim, "mapper_parsing_exception: always")
        return report

    monkeypatch.setattr(rp, "reprocess_batch", refuse_one)
    cache = MemoryCache()
    with pytest.raises(RebuildRefused, match=victim) as refused:
        _reprocess(es_store, cache=cache, new_index=True, pipeline=P2)
    assert f"the alias stays on {cluster.alias}-v1" in str(refused.value)
    assert es_store.indices.current_index() == f"{cluster.alias}-v1"
    # The half-built index is being filled: prune keeps it; the next run resumes into it.
    assert es_store.indices.prunable() == []
    with pytest.raises(IndexRefused, match="being filled by a rebuild"):
        es_store.indices.delete(f"{cluster.alias}-v2")
    monkeypatch.setattr(rp, "reprocess_batch", real)
    report = _reprocess(es_store, cache=cache, new_index=True, pipeline=P2)
    assert report.index == f"{cluster.alias}-v2" and report.failed == 0
    assert es_store.indices.current_index() == f"{cluster.alias}-v2"


def test_a_write_between_the_last_catch_up_and_the_swap_is_not_lost_nor_a_newer_one_overwritten(
    cluster: Cluster, es_store: ElasticsearchStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    straggler, newer = _article(7, 1), _article(8, 2)
    real_swap = es_store.indices.swap

    def swap_with_writes(index: str) -> str | None:
        es_store.write([straggler, _article(8, 1)])  # into the old index, just too late
        old = real_swap(index)
        es_store.write([newer])  # through the alias, now the new index: the newest
        return old

    monkeypatch.setattr(es_store.indices, "swap", swap_with_writes)
    _reprocess(es_store, new_index=True, pipeline=P2)
    live = _live_hashes(es_store, cluster)
    assert live[straggler.article.id] == straggler.article.content_hash
    assert live[newer.article.id] == newer.article.content_hash


@pytest.mark.parametrize("seed", range(6))
def test_after_any_writes_during_a_rebuild_the_alias_serves_the_newest_of_everything(
    cluster: Cluster, es_store: ElasticsearchStore, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """The property of issue 12: ingest, update and failing writes during a rebuild,
    at random points (seeded), end with the alias serving exactly the newest version."""
    rng = random.Random(seed)
    newest = {indexable(i).article.id: indexable(i, V1).article.content_hash for i in ISSUES}
    issues = list(ISSUES)
    versions: dict[int, int] = {}

    def some_write() -> None:
        kind = rng.choice(["ingest", "update", "update", "fail"])
        if kind == "ingest":
            issues.append(max(issues) + 1)
            issue = issues[-1]
        else:
            issue = rng.choice(issues)
        versions[issue] = versions.get(issue, 0) + 1
        item = _article(issue, versions[issue])
        if kind == "fail" and cluster.fake is not None:
            cluster.fake.fail_items[item.article.id] = (
                400,
                {"type": "document_parsing_exception", "reason": "injected"},
            )
        [outcome] = es_store.write([item])
        if outcome.status != "failed":
            newest[item.article.id] = item.article.content_hash

    def during(done: int, total: int) -> None:
        for _ in range(rng.randint(0, 2)):
            some_write()

    real_swap = es_store.indices.swap

    def swap(index: str) -> str | None:
        if rng.random() < 0.5:
            some_write()  # lands in the old index after the last catch-up
        old = real_swap(index)
        if rng.random() < 0.5:
            some_write()  # lands in the new index: must survive the straggler copy
        return old

    monkeypatch.setattr(es_store.indices, "swap", swap)
    _reprocess(es_store, new_index=True, batch_size=1, progress=during, pipeline=P2)
    assert es_store.indices.current_index() == f"{cluster.alias}-v2"
    assert _live_hashes(es_store, cluster) == newest


def test_a_resumed_rebuild_still_copies_a_late_write_of_a_document_copied_before(
    cluster: Cluster, es_store: ElasticsearchStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first process copies one document and is interrupted; a second process
    # (which never wrote that document itself) resumes. A write of that document
    # just before the swap must still reach the new index.
    # No look-back margin, and the archive written a second before the rebuild began:
    # the resumed process's catch-up finds nothing, so it never rewrites that document.
    monkeypatch.setattr(es_rebuild, "CATCH_UP_MARGIN_S", 0)
    time.sleep(1.1)
    cache = MemoryCache()
    first = sorted(indexable(i).article.id for i in ISSUES)[0]
    first_issue = next(i for i in ISSUES if indexable(i).article.id == first)
    _interrupt_after_one_batch(es_store, cache, new_index=True)
    resumed = open_store(cluster.settings())
    assert isinstance(resumed, ElasticsearchStore)
    late = _article(first_issue, 1)
    real_swap = resumed.indices.swap

    def swap_after_a_late_write(index: str) -> str | None:
        resumed.write([late])
        return real_swap(index)

    monkeypatch.setattr(resumed.indices, "swap", swap_after_a_late_write)
    report = _reprocess(resumed, cache=cache, new_index=True, pipeline=P2)
    assert report.resumed_from == first and report.caught_up == 1
    assert _live_hashes(resumed, cluster)[first] == late.article.content_hash
    resumed.close()


@needs_fake
def test_a_writer_key_rewrites_in_place_but_may_not_rebuild(
    cluster: Cluster, es_store: ElasticsearchStore
) -> None:
    assert cluster.fake is not None
    writer = open_store(
        cluster.settings(elasticsearch_api_key=cluster.fake.api_keys.create("writer"))
    )
    assert isinstance(writer, ElasticsearchStore)
    assert not rp.wants_new_index(writer)  # no metadata call: in place by default
    report = _reprocess(writer, pipeline=P2)
    assert (report.rewritten, report.failed, report.index) == (3, 0, None)
    with pytest.raises(RebuildRefused, match="--new-index needs an admin key"):
        _reprocess(writer, new_index=True)
    assert [i.name for i in es_store.indices.indices()] == [f"{cluster.alias}-v1"]
    writer.close()
