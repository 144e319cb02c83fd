"""The Elasticsearch store, against a real cluster (MONITOR_TEST_ELASTICSEARCH_URL) or,
when none is configured, against FakeElasticsearch over real HTTP (tests/fakes)."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from tests.fakes.es_cluster import Cluster, cluster, needs_fake
from tests.support.articles import KeywordEnricher, indexable
from workers.stores import elasticsearch as es_module
from workers.stores import open_store
from workers.stores.base import SearchQuery, StoreUnavailable
from workers.stores.elasticsearch import ElasticsearchStore

pytestmark = pytest.mark.integration
__all__ = ["cluster"]


@pytest.fixture
def store(cluster: Cluster) -> ElasticsearchStore:
    opened = open_store(cluster.settings())
    assert isinstance(opened, ElasticsearchStore)
    yield opened
    opened.close()


def test_first_setup_puts_template_and_creates_v1_behind_the_alias(
    cluster: Cluster, store: ElasticsearchStore
) -> None:
    infos = store.indices.indices()
    assert [(i.name, i.aliased) for i in infos] == [(f"{cluster.alias}-v1", True)]
    assert infos[0].mapping_version == store.indices.wanted_version
    # Setting up again (every worker start does) changes nothing.
    assert store.setup() == f"{cluster.alias}-v1"
    assert len(store.indices.indices()) == 1
    if cluster.fake:
        template = cluster.fake.templates[cluster.alias]
        assert template["index_patterns"] == [f"{cluster.alias}-v*"]
        assert cluster.fake.alias_calls[0] == [
            {
                "add": {
                    "index": f"{cluster.alias}-v1",
                    "alias": cluster.alias,
                    "is_write_index": True,
                }
            }
        ]


def test_ingest_then_get_search_and_stats(cluster: Cluster, store: ElasticsearchStore) -> None:
    items = [indexable(7), indexable(8), indexable(9, publication="China Brief")]
    outcomes = store.write(items)
    assert [o.status for o in outcomes] == ["created"] * 3
    cluster.refresh()

    stored = store.get(items[0].article.id)
    assert stored is not None
    expected = items[0].article.to_document()
    got = stored.to_document()
    assert got.pop("indexed_at") and expected.pop("indexed_at") is None
    # Kibana's time field, set by the store (tests/integration/test_time_field.py).
    assert (got.pop("time"), got.pop("time_source")) == ("2001-01-22", "published_at")
    assert got == expected
    assert store.get("no-such-id") is None

    by_outlet = store.search(SearchQuery("Kommersant"))
    assert [h.id for h in by_outlet.hits] == [items[0].article.id]
    hit = by_outlet.hits[0]
    assert hit.publication == "Monitor" and hit.published_at == "2001-01-22"
    assert hit.title == "Test article 7" and hit.score > 0
    # The canonical name is found even where the text only says "Putin".
    assert {h.id for h in store.search(SearchQuery('"Vladimir Putin"')).hits} == {
        items[0].article.id,
        items[2].article.id,
    }
    moscow = store.search(SearchQuery("Moscow", date_from="2001-01-23"))
    assert [h.id for h in moscow.hits] == [items[1].article.id]
    assert [moscow.hits[0].snippet[a:b] for a, b in moscow.hits[0].highlights] == ["Moscow"]
    assert store.search(SearchQuery("Putin", publication="china brief")).total == 1
    assert store.search(SearchQuery("Putin NOT Kommersant")).total == 1
    assert store.search(SearchQuery("Kommersant OR Interfax")).total == 2
    assert store.search(SearchQuery("   ")).total == 3  # no words: the newest
    assert store.search(SearchQuery("!! ?")).total == 0  # nothing searchable

    stats = store.stats()
    assert stats.documents == 3
    assert stats.publications == {"Monitor": 2, "China Brief": 1}
    assert stats.newest is not None and stats.newest["published_at"] == "2001-01-24"
    if "@" in cluster.url:  # credentials in the URL never reach what users see
        assert "***@" in stats.location
    else:
        assert stats.location.startswith(cluster.url)


def test_reingest_unchanged_sends_no_writes(cluster: Cluster, store: ElasticsearchStore) -> None:
    items = [indexable(7), indexable(8)]
    store.write(items)
    cluster.refresh()
    before = store.get(items[0].article.id)
    bulks = len(cluster.fake.bulk_bodies) if cluster.fake else 0

    again = store.write([indexable(7), indexable(8)])

    assert [o.status for o in again] == ["unchanged", "unchanged"]
    assert store.get(items[0].article.id) == before  # indexed_at untouched: not rewritten
    if cluster.fake:
        assert len(cluster.fake.bulk_bodies) == bulks
    changed = store.write([indexable(7, KeywordEnricher(tag=" (v2)"))])
    assert [o.status for o in changed] == ["updated"]


def test_bulk_body_is_action_plus_source_with_stable_id(
    cluster: Cluster, store: ElasticsearchStore
) -> None:
    item = indexable(7)
    store.write([item])
    if cluster.fake is None:
        pytest.skip("the wire format is only visible through the fake")
    action, source = cluster.fake.bulk_bodies[-1]
    assert action == {"index": {"_index": cluster.alias, "_id": item.article.id}}
    assert source["raw"] == item.raw.to_dict()
    assert source["people"] == ["Vladimir Putin"] and source["outlets"] == ["Kommersant", "Monitor"]
    assert source["dates"][0]["range"] == {"gte": "2001-03-01", "lte": "2001-03-31"}


def test_mapping_conflict_fails_that_item_with_the_server_reason(
    cluster: Cluster, store: ElasticsearchStore
) -> None:
    good, other = indexable(7), indexable(8)
    bad = indexable(9)
    bad = dataclasses.replace(
        bad, article=dataclasses.replace(bad.article, extra={"unmapped_field": "x"})
    )
    outcomes = store.write([good, bad, other])
    assert [o.status for o in outcomes] == ["created", "failed", "created"]
    assert outcomes[1].id == bad.article.id
    assert "strict_dynamic_mapping_exception" in (outcomes[1].reason or "")
    assert "unmapped_field" in (outcomes[1].reason or "")
    cluster.refresh()
    assert store.stats().documents == 2


@needs_fake
def test_one_failed_bulk_item_comes_back_failed_and_the_rest_land(
    cluster: Cluster, store: ElasticsearchStore
) -> None:
    items = [indexable(7), indexable(8), indexable(9)]
    assert cluster.fake is not None
    cluster.fake.fail_items[items[1].article.id] = (
        400,
        {"type": "illegal_argument_exception", "reason": "field too large"},
    )
    outcomes = store.write(items)
    assert [o.status for o in outcomes] == ["created", "failed", "created"]
    assert outcomes[1].reason == "illegal_argument_exception: field too large"
    cluster.refresh()
    assert store.stats().documents == 2
    # The failed one is not lost: a retry of the same batch writes it.
    assert [o.status for o in store.write(items)] == ["unchanged", "created", "unchanged"]


@needs_fake
def test_429_then_success(cluster: Cluster, store: ElasticsearchStore) -> None:
    assert cluster.fake is not None
    items = [indexable(7), indexable(8)]
    cluster.fake.reject_next_bulk(429)
    cluster.fake.fail_items[items[1].article.id] = (
        429,
        {"type": "es_rejected_execution_exception", "reason": "queue full"},
    )
    outcomes = store.write(items)
    assert [o.status for o in outcomes] == ["created", "created"]
    # The retried request carried only the item that was rejected.
    assert len(cluster.fake.bulk_bodies[-1]) == 2
    assert cluster.fake.bulk_bodies[-1][0]["index"]["_id"] == items[1].article.id


@needs_fake
def test_persistent_overload_raises_unavailable_so_the_task_retries(
    cluster: Cluster, store: ElasticsearchStore
) -> None:
    assert cluster.fake is not None
    cluster.fake.reject_next_bulk(429, times=50)
    with pytest.raises(StoreUnavailable, match="429"):
        store.write([indexable(7)])


def test_unreachable_cluster_raises_unavailable_without_leaking_credentials(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.redis_server import free_port

    caplog.set_level(logging.DEBUG)
    url = f"http://elastic:s3cret-pw@127.0.0.1:{free_port()}"
    settings = cluster.settings(elasticsearch_url=url, elasticsearch_password="other-s3cret")  # noqa: S106
    with pytest.raises(StoreUnavailable, match="ConnectionError") as raised:
        open_store(settings)
    shown = str(raised.value) + caplog.text
    assert "s3cret" not in shown and "***@127.0.0.1" in str(raised.value)


def test_find_ids_and_cited_by(cluster: Cluster, store: ElasticsearchStore) -> None:
    target = indexable(8)
    citing = indexable(7, KeywordEnricher(internal_target=target.article.id))
    store.write([target, citing, indexable(9)])
    cluster.refresh()
    assert store.find_ids(publication="Monitor", published_on="2001-01-23") == [target.article.id]
    assert len(store.find_ids(publication="monitor", published_on="2001-01")) == 3
    assert store.find_ids(publication="Monitor", published_on="2002") == []
    assert store.cited_by(target.article.id) == [citing.article.id]
    assert store.cited_by(citing.article.id) == []


def test_list_ids_pages_through_everything(
    cluster: Cluster, store: ElasticsearchStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(es_module, "_PAGE", 2)
    items = [indexable(7), indexable(8), indexable(9), indexable(10, body="Tenth article text.")]
    store.write(items)
    cluster.refresh()
    ids = sorted(i.article.id for i in items)
    assert store.list_ids() == ids
    by_id = {i.article.id: i.raw.origin for i in items}
    assert {by_id[i] for i in store.list_ids(since="2001-01-24")} == {"test-9", "test-10"}
    raws = store.raw_by_ids([items[0].article.id, "missing"])
    assert list(raws) == [items[0].article.id] and raws[items[0].article.id] == items[0].raw


@needs_fake
def test_refused_credentials_name_the_settings_to_check(
    cluster: Cluster, store: ElasticsearchStore
) -> None:
    assert cluster.fake is not None
    cluster.fake.forbidden = (f"/{cluster.alias}/_search",)
    with pytest.raises(StoreUnavailable, match="MONITOR_ELASTICSEARCH_API_KEY"):
        store.search(SearchQuery("Moscow"))
