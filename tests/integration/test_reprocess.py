"""Reprocessing on both stores: in place, into a new index with an alias swap, under a
real Redis lock, interrupted and resumed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.es_cluster import Cluster, cluster
from tests.support.articles import KeywordEnricher, indexable
from tests.support.redis_server import private_redis
from workers import reprocess as rp
from workers.cache import LockHeld, MemoryCache, RedisCache
from workers.stores import open_store
from workers.stores.base import SearchQuery
from workers.stores.elasticsearch import ElasticsearchStore
from workers.stores.embedded import EmbeddedStore

pytestmark = pytest.mark.integration
__all__ = ["cluster"]
V1 = KeywordEnricher()
V2 = KeywordEnricher(version="2", tag=" (v2)")
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


def _names(store: EmbeddedStore | ElasticsearchStore, issue: int) -> set[str]:
    article = store.get(indexable(issue).article.id)
    assert article is not None
    return {e.name for e in article.entities}


def test_embedded_unchanged_pipeline_rewrites_nothing(embedded: EmbeddedStore) -> None:
    report = rp.run(embedded, cache=MemoryCache(), selection=rp.Selection(), enrichers=[V1])
    assert (report.rewritten, report.unchanged, report.failed) == (0, 3, 0)


def test_embedded_changed_enricher_rewrites_in_place(embedded: EmbeddedStore) -> None:
    report = rp.run(embedded, cache=MemoryCache(), selection=rp.Selection(), enrichers=[V2])
    assert (report.rewritten, report.unchanged, report.failed) == (3, 0, 0)
    assert _names(embedded, 7) == {"Vladimir Putin (v2)", "Moscow (v2)"}
    # Selections narrow the run; unknown ids are reported, not invented.
    again = rp.run(
        embedded,
        cache=MemoryCache(),
        selection=rp.Selection(ids=(indexable(8).article.id, "nope")),
        enrichers=[V1],
    )
    assert (again.rewritten, again.unchanged, again.failed) == (1, 0, 1)
    assert again.failures == [("nope", "not in the store")]
    with pytest.raises(ValueError, match="needs Elasticsearch"):
        rp.run(embedded, cache=MemoryCache(), selection=rp.Selection(), new_index=True)


def test_interrupted_run_resumes_after_the_last_batch(embedded: EmbeddedStore) -> None:
    cache = MemoryCache()
    seen: list[tuple[int, int]] = []

    def interrupt(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rp.run(
            embedded,
            cache=cache,
            selection=rp.Selection(),
            batch_size=1,
            progress=interrupt,
            enrichers=[V2],
        )
    report = rp.run(
        embedded,
        cache=cache,
        selection=rp.Selection(),
        batch_size=1,
        progress=lambda d, t: seen.append((d, t)),
        enrichers=[V2],
    )
    first = sorted(indexable(i).article.id for i in ISSUES)[0]
    assert report.resumed_from == first
    assert (report.rewritten, report.unchanged) == (3, 0)  # counts carried over the restart
    assert seen[2:] == [(1, 3), (2, 3), (3, 3)]  # the second run started at 1 of 3
    # Finished: the checkpoint is gone, a new run starts from the top.
    fresh = rp.run(embedded, cache=cache, selection=rp.Selection(), enrichers=[V2])
    assert fresh.resumed_from is None and fresh.unchanged == 3


def test_new_index_swaps_the_alias_and_searches_keep_working(
    cluster: Cluster, es_store: ElasticsearchStore
) -> None:
    during: list[int] = []

    def search_while_filling(done: int, total: int) -> None:
        during.append(es_store.search(SearchQuery("Moscow")).total)

    report = rp.run(
        es_store,
        cache=MemoryCache(),
        selection=rp.Selection(),
        new_index=True,
        batch_size=1,
        progress=search_while_filling,
        enrichers=[V2],
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
    with pytest.raises(ValueError, match="behind the alias"):
        es_store.indices.delete(f"{cluster.alias}-v2")


def test_new_index_with_unchanged_pipeline_still_copies_everything(
    cluster: Cluster, es_store: ElasticsearchStore
) -> None:
    report = rp.run(
        es_store, cache=MemoryCache(), selection=rp.Selection(), new_index=True, enrichers=[V1]
    )
    assert (report.rewritten, report.unchanged) == (0, 3)
    assert es_store.indices.count(f"{cluster.alias}-v2") == 3


def test_mapping_version_change_defaults_to_a_new_index(
    cluster: Cluster, es_store: ElasticsearchStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not rp.wants_new_index(es_store)
    bumped = dict(es_store.indices.template, _meta={"mapping_version": 99})
    monkeypatch.setattr(es_store.indices, "template", bumped)
    assert rp.wants_new_index(es_store)
    report = rp.run(es_store, cache=MemoryCache(), selection=rp.Selection(), enrichers=[V1])
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
            rp.run(
                other, cache=redis_cache, selection=rp.Selection(), progress=hold, enrichers=[V2]
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            other.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    with pytest.raises(LockHeld):
        rp.run(embedded, cache=redis_cache, selection=rp.Selection(), enrichers=[V2])
    threading.Timer(0.3, release.set).start()
    waited = rp.run(
        embedded, cache=redis_cache, selection=rp.Selection(), wait_s=10, enrichers=[V2]
    )
    thread.join(10)
    assert errors == []
    assert waited.unchanged == 3  # ran after the first one, not interleaved with it
