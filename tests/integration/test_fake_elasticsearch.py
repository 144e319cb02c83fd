"""FakeElasticsearch itself: each real-cluster rule it enforces (issue 12), through the
real client over HTTP. What each rule is checked against is named in
tests/fakes/fake_es_rules.py (the Elasticsearch reference and the official API
specification, elastic/elasticsearch-specification)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from elasticsearch import ApiError, Elasticsearch

from tests.fakes import fake_es_api
from tests.fakes.fake_elasticsearch import FakeElasticsearch
from tests.support.articles import indexable
from workers.stores import es_documents
from workers.stores.es_indices import load_template

pytestmark = pytest.mark.integration
ALIAS = "fake-test"
COMPAT = {"Accept": "application/vnd.elasticsearch+json; compatible-with=8"}


@pytest.fixture
def fake() -> Iterator[FakeElasticsearch]:
    with FakeElasticsearch() as running:
        yield running


@pytest.fixture
def es(fake: FakeElasticsearch) -> Iterator[Elasticsearch]:
    client = Elasticsearch(fake.url, retry_on_status=())
    template = load_template(ALIAS)
    client.indices.put_index_template(
        name=ALIAS,
        index_patterns=template["index_patterns"],
        priority=template["priority"],
        meta=template["_meta"],
        template=template["template"],
    )
    client.indices.create(index=f"{ALIAS}-v1", aliases={ALIAS: {"is_write_index": True}})
    yield client
    client.close()


def test_privileges_are_granted_per_index_name_pattern(fake: FakeElasticsearch) -> None:
    # Issue 25 point 6: a role on the alias and its -vN indices but not on the rebuild
    # marker `<alias>-rebuilding` does not hold `manage` on `<alias>-*`, and may not
    # create an index carrying that marker alias (as on a real cluster).
    key = fake.api_keys.create("admin", names=(ALIAS, f"{ALIAS}-v*"))
    admin = Elasticsearch(fake.url, api_key=key, retry_on_status=())
    checked = admin.security.has_privileges(
        index=[{"names": [ALIAS, f"{ALIAS}-*", f"{ALIAS}-v3"], "privileges": ["manage"]}]
    )
    assert checked["index"] == {
        ALIAS: {"manage": True},
        f"{ALIAS}-*": {"manage": False},
        f"{ALIAS}-v3": {"manage": True},
    }
    assert checked["has_all_requested"] is False
    refused = _error(
        lambda: admin.indices.create(index=f"{ALIAS}-v2", aliases={f"{ALIAS}-rebuilding": {}})
    )
    assert (refused["status"], refused["type"]) == (403, "security_exception")
    assert f"{ALIAS}-rebuilding" in refused["reason"]
    assert admin.indices.create(index=f"{ALIAS}-v2")["acknowledged"] is True
    other = _error(lambda: admin.search(index="someone-else"))
    assert other["status"] == 403
    wide = Elasticsearch(fake.url, api_key=fake.api_keys.create("admin", names=(f"{ALIAS}*",)))
    assert wide.security.has_privileges(
        index=[{"names": [ALIAS, f"{ALIAS}-*"], "privileges": ["manage"]}]
    )["has_all_requested"]
    for client in (admin, wide):
        client.close()


def test_unknown_privilege_names_are_refused(fake: FakeElasticsearch) -> None:
    client = Elasticsearch(fake.url, retry_on_status=())
    cluster = _error(lambda: client.security.has_privileges(cluster=["manage_templates"]))
    assert (cluster["status"], cluster["type"]) == (400, "illegal_argument_exception")
    assert cluster["reason"].startswith("unknown cluster privilege [manage_templates]")
    index = _error(
        lambda: client.security.has_privileges(
            index=[{"names": [ALIAS], "privileges": ["read", "write_index"]}]
        )
    )
    assert index["reason"].startswith("unknown index privilege [write_index]")
    known = client.security.has_privileges(
        cluster=["manage_index_templates"],
        index=[{"names": [ALIAS], "privileges": ["view_index_metadata", "indices:data/read/*"]}],
    )
    # An action pattern is not a name and is not refused as one.
    assert known["cluster"] == {"manage_index_templates": True}
    assert known["index"][ALIAS]["view_index_metadata"] is True
    with pytest.raises(fake_es_api.Reject):
        fake.api_keys.grant("x", "odd", cluster=(), indices=(((ALIAS,), ("readonly",)),))
    client.close()


def test_security_apis_answer_as_a_cluster_with_security_off_or_busy(
    fake: FakeElasticsearch,
) -> None:
    client = Elasticsearch(fake.url, retry_on_status=())
    fake.security_enabled = False
    off = _error(lambda: client.security.has_privileges(cluster=["manage_index_templates"]))
    assert (off["status"], off["type"]) == (500, "illegal_state_exception")
    assert off["reason"] == "Security is not enabled but a security rest handler is registered"
    fake.security_enabled = True
    fake.security_failures = [429, 503]
    assert (
        _error(lambda: client.security.has_privileges(cluster=["manage_index_templates"]))["status"]
        == 429
    )
    assert (
        _error(lambda: client.security.has_privileges(cluster=["manage_index_templates"]))["status"]
        == 503
    )
    assert (
        client.security.has_privileges(cluster=["manage_index_templates"])["has_all_requested"]
        is True
    )
    client.close()


def _doc(issue: int = 7, **changes: Any) -> dict[str, Any]:
    source = es_documents.to_source(indexable(issue), indexed_at="2001-01-22T10:00:00+00:00")
    source.update(changes)
    return source


def _index(es: Elasticsearch, *sources: dict[str, Any], **params: Any) -> dict[str, Any]:
    operations: list[dict[str, Any]] = []
    for source in sources:
        operations += [{"index": {"_index": ALIAS, "_id": source["id"]}}, source]
    return dict(es.bulk(operations=operations, **params).body)


def _error(es_call: Any) -> dict[str, Any]:
    with pytest.raises(ApiError) as raised:
        es_call()
    body = raised.value.body
    assert isinstance(body, dict)
    return {"status": raised.value.status_code, **body["error"]}


def test_writes_are_searchable_only_after_a_refresh_but_gets_see_them_at_once(
    fake: FakeElasticsearch, es: Elasticsearch
) -> None:
    doc = _doc()
    _index(es, doc)
    assert es.count(index=ALIAS)["count"] == 0
    assert es.search(index=ALIAS)["hits"]["total"]["value"] == 0
    assert es.mget(index=ALIAS, ids=[doc["id"]])["docs"][0]["found"] is True
    es.indices.refresh(index=ALIAS)
    assert es.count(index=ALIAS)["count"] == 1
    # ?refresh=wait_for returns once the write is searchable.
    _index(es, _doc(8), refresh="wait_for")
    assert es.count(index=ALIAS)["count"] == 2
    # A simulated refresh interval makes writes visible without an explicit refresh.
    fake.refresh_interval_s = 0
    _index(es, _doc(9))
    assert es.count(index=ALIAS)["count"] == 3


def test_wildcard_and_alias_deletes_are_refused(es: Elasticsearch) -> None:
    for target in (f"{ALIAS}-v*", "_all"):
        error = _error(lambda t=target: es.indices.delete(index=t))
        assert (error["status"], error["type"]) == (400, "illegal_argument_exception")
        assert error["reason"] == "Wildcard expressions or all indices are not allowed"
    error = _error(lambda: es.indices.delete(index=ALIAS))
    assert "matches an alias" in error["reason"]
    assert es.indices.delete(index=f"{ALIAS}-v1")["acknowledged"] is True


def test_highest_priority_template_applies_and_equal_priorities_may_not_overlap(
    es: Elasticsearch,
) -> None:
    loose = {"mappings": {"dynamic": "strict", "properties": {"id": {"type": "keyword"}}}}
    error = _error(
        lambda: es.indices.put_index_template(
            name="other", index_patterns=[f"{ALIAS}-*"], priority=200, template=loose
        )
    )
    assert error["status"] == 400 and "same priority [200]" in error["reason"]
    es.indices.put_index_template(
        name="other", index_patterns=[f"{ALIAS}-*"], priority=10, template=loose
    )
    es.indices.create(index=f"{ALIAS}-v2")
    mappings = es.indices.get(index=f"{ALIAS}-v2")[f"{ALIAS}-v2"]["mappings"]
    assert mappings["properties"]["published_at"]["format"] == "strict_date"  # the 200 one


def test_strict_date_refuses_a_month_and_says_why_in_caused_by(es: Elasticsearch) -> None:
    month = _doc(published_at="2001-03")
    result = _index(es, month)
    item = result["items"][0]["index"]
    assert result["errors"] is True and item["status"] == 400
    assert item["error"]["type"] == "document_parsing_exception"
    assert "[published_at]" in item["error"]["reason"]
    cause = item["error"]["caused_by"]
    assert cause == {
        "type": "illegal_argument_exception",
        "reason": "failed to parse date field [2001-03] with format [strict_date]",
        "caused_by": {
            "type": "date_time_parse_exception",
            "reason": "Text '2001-03' could not be parsed",
        },
    }
    # citations.date is `strict_date||strict_year_month||strict_year`: a month fits.
    cited = _doc()
    cited["citations"] = [dict(cited["citations"][0], date="2001-03")]
    assert _index(es, cited)["errors"] is False


def test_date_range_with_gte_after_lte_is_refused(es: Elasticsearch) -> None:
    backwards = _doc(published_at_range={"gte": "2001-02-01", "lte": "2001-01-01"})
    item = _index(es, backwards)["items"][0]["index"]
    assert item["status"] == 400
    assert item["error"]["caused_by"]["reason"] == "min value must be less than max value"


def test_immense_keyword_fails_but_ignore_above_only_skips_indexing(es: Elasticsearch) -> None:
    huge = "x" * 40_000  # over Lucene's 32766-byte term limit
    item = _index(es, _doc(url=huge))["items"][0]["index"]
    assert (item["status"], item["error"]["type"]) == (400, "illegal_argument_exception")
    assert item["error"]["caused_by"] == {
        "type": "max_bytes_length_exceeded_exception",
        "reason": "bytes can be at most 32766 in length; got 40000",
    }
    # title.keyword has ignore_above 512: a long title is stored, not refused.
    assert _index(es, _doc(title="T" * 600))["errors"] is False


def test_an_alias_has_one_write_index(es: Elasticsearch) -> None:
    es.indices.create(index=f"{ALIAS}-v2")
    add = {"add": {"index": f"{ALIAS}-v2", "alias": ALIAS, "is_write_index": True}}
    error = _error(lambda: es.indices.update_aliases(actions=[add]))
    assert error["status"] == 500 and error["type"] == "illegal_state_exception"
    assert (
        error["reason"] == f"alias [{ALIAS}] has more than one write index [{ALIAS}-v1,{ALIAS}-v2]"
    )
    # Applied all or nothing: v1 is still the only write index.
    assert es.indices.get_alias(name=ALIAS).body == {
        f"{ALIAS}-v1": {"aliases": {ALIAS: {"is_write_index": True}}}
    }
    # Re-adding the same write index (what concurrent setups do) is fine.
    same = {"add": {"index": f"{ALIAS}-v1", "alias": ALIAS, "is_write_index": True}}
    assert es.indices.update_aliases(actions=[same])["acknowledged"] is True
    # An alias over two indices with no write index cannot take writes.
    es.indices.update_aliases(
        actions=[
            {"add": {"index": f"{ALIAS}-v1", "alias": ALIAS, "is_write_index": False}},
            {"add": {"index": f"{ALIAS}-v2", "alias": ALIAS}},
        ]
    )
    item = _index(es, _doc())["items"][0]["index"]
    assert item["status"] == 400 and "no write index is defined" in item["error"]["reason"]


def test_total_hits_follow_track_total_hits(es: Elasticsearch) -> None:
    _index(es, _doc(7), _doc(8), _doc(9), refresh="true")
    assert es.search(index=ALIAS, track_total_hits=2)["hits"]["total"] == {
        "value": 2,
        "relation": "gte",
    }
    assert es.search(index=ALIAS, track_total_hits=True)["hits"]["total"]["value"] == 3
    assert "total" not in es.search(index=ALIAS, track_total_hits=False)["hits"]
    # Unset, the count is exact up to 10,000 only.
    assert fake_es_api._total(10_001, None) == {"value": 10_000, "relation": "gte"}
    assert fake_es_api._total(3, None) == {"value": 3, "relation": "eq"}


def test_result_window_is_capped_at_10000(es: Elasticsearch) -> None:
    error = _error(lambda: es.search(index=ALIAS, size=10_001))
    assert (error["status"], error["type"]) == (400, "search_phase_execution_exception")
    assert error["root_cause"][0]["type"] == "illegal_argument_exception"
    assert "[10000] but was [10001]" in error["root_cause"][0]["reason"]
    assert _error(lambda: es.search(index=ALIAS, from_=9_995, size=10))["status"] == 400
    assert es.search(index=ALIAS, size=10_000)["hits"]["hits"] == []


def test_unknown_query_parameters_are_refused(fake: FakeElasticsearch, es: Elasticsearch) -> None:
    response = httpx.get(f"{fake.url}/{ALIAS}/_search?sizee=3", headers=COMPAT)
    assert response.status_code == 400
    assert response.json()["error"]["reason"] == (
        f"request [/{ALIAS}/_search] contains unrecognized parameter: [sizee]"
    )
    ok = httpx.get(f"{fake.url}/{ALIAS}/_search?size=3&pretty=true", headers=COMPAT)
    assert ok.status_code == 200


def test_api_keys_carry_privileges(fake: FakeElasticsearch, es: Elasticsearch) -> None:
    _index(es, _doc(), refresh="true")
    reader = Elasticsearch(fake.url, api_key=fake.api_keys.create("reader"))
    writer = Elasticsearch(fake.url, api_key=fake.api_keys.create("writer"))
    assert reader.search(index=ALIAS)["hits"]["total"]["value"] == 1
    error = _error(lambda: reader.indices.get_alias(name=ALIAS))
    assert (error["status"], error["type"]) == (403, "security_exception")
    assert "indices:admin/aliases/get" in error["reason"]
    assert "granted by the index privileges [all,manage,view_index_metadata]" in error["reason"]
    item = _index(reader, _doc(8))["items"][0]["index"]
    assert (item["status"], item["error"]["type"]) == (403, "security_exception")
    assert _index(writer, _doc(8))["errors"] is False
    assert _error(lambda: writer.indices.create(index=f"{ALIAS}-v9"))["status"] == 403
    checked = writer.security.has_privileges(
        cluster=["manage_index_templates"],
        index=[{"names": [ALIAS], "privileges": ["read", "index", "manage"]}],
    )
    assert checked["has_all_requested"] is False
    assert checked["cluster"] == {"manage_index_templates": False}
    assert checked["index"] == {ALIAS: {"read": True, "index": True, "manage": False}}
    stranger = Elasticsearch(fake.url, api_key="bm90Omtub3du")
    assert _error(lambda: stranger.search(index=ALIAS))["status"] == 401
    for client in (reader, writer, stranger):
        client.close()
