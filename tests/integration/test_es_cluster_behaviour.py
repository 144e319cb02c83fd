"""The Elasticsearch store where a real cluster differs from a naive one (issue 12):
refresh, privileges, concurrent first setup, bulk retries. Against a real cluster when
MONITOR_TEST_ELASTICSEARCH_URL is set, else against FakeElasticsearch, which enforces
the same rules (tests/fakes/fake_es_rules.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fakes.es_cluster import Cluster, cluster, needs_fake
from tests.integration.test_es_cli import MONITOR, run
from tests.support.articles import KeywordEnricher, indexable, raw_article
from workers.ingest import ingest_raw
from workers.model import RawArticle
from workers.pipeline import Pipeline
from workers.stores import open_store
from workers.stores.base import RebuildRefused, SearchQuery, StoreUnavailable
from workers.stores.elasticsearch import ElasticsearchStore
from workers.stores.es_indices import SetupRefused, load_template, mapping_version

pytestmark = pytest.mark.integration
__all__ = ["cluster"]


def _open(cluster: Cluster, **overrides: object) -> ElasticsearchStore:
    store = open_store(cluster.settings(**overrides))
    assert isinstance(store, ElasticsearchStore)
    return store


def _paths(cluster: Cluster) -> list[str]:
    assert cluster.fake is not None
    return [path for _, path in cluster.fake.requests]


def test_citation_of_an_article_written_a_moment_ago_resolves(cluster: Cluster) -> None:
    # Issue 12 item 1: the cited article was written by the previous batch, less than
    # a refresh interval ago; nobody refreshed. "(see the Monitor, January 17)" in
    # article 7 must still find it.
    store = _open(cluster)
    cited = RawArticle(
        text="Publication: Monitor Volume: 7 Issue: 11\n\nThe Duma met in Moscow.",
        origin="cited",
        title="The article of January 17",
        published_at="2001-01-17",
    )
    keywords = Pipeline((KeywordEnricher(),))
    first = ingest_raw([("cited", lambda: cited)], store=store, pipeline=keywords)
    [written] = first.items
    second = ingest_raw([("citing", lambda: raw_article(7))], store=store, pipeline=keywords)
    citing = store.get(second.items[0].id or "")
    assert citing is not None
    [internal] = [c for c in citing.citations if c.kind == "internal"]
    assert internal.target_id == written.id
    store.close()


@needs_fake
def test_a_read_only_key_searches_the_alias_with_no_metadata_call(cluster: Cluster) -> None:
    admin = _open(cluster)
    admin.write([indexable(7), indexable(8)])
    admin.close()
    assert cluster.fake is not None
    cluster.fake.requests.clear()
    reader = _open(cluster, elasticsearch_api_key=cluster.fake.api_keys.create("reader"))
    assert reader.search(SearchQuery("Moscow")).total == 2
    assert reader.get(indexable(7).article.id) is not None
    assert reader.stats().documents == 2
    # No GET /_alias, no template, no index metadata: `read` alone is enough.
    assert not [p for p in _paths(cluster) if "_alias" in p or "_index_template" in p]
    assert all(p.endswith(("/_search", "/_mget", "/_has_privileges")) for p in _paths(cluster)), (
        _paths(cluster)
    )
    with pytest.raises(StoreUnavailable, match="HTTP 403"):
        reader.write([indexable(9, KeywordEnricher(tag=" (v2)"))])
    reader.close()


@needs_fake
def test_setup_without_privileges_creates_nothing_however_often_it_is_retried(
    cluster: Cluster,
) -> None:
    assert cluster.fake is not None
    key = cluster.fake.api_keys.create("writer")
    for _ in range(3):  # a worker's task retries
        writer = _open(cluster, elasticsearch_api_key=key)  # opens: setup is not its job
        with pytest.raises(StoreUnavailable, match="run `monitor es setup` with an admin key"):
            writer.write([indexable(7)])
        with pytest.raises(SetupRefused, match="cluster:manage_index_templates"):
            writer.setup()
        writer.close()
    assert cluster.fake.indices == {} and cluster.fake.templates == {}
    # The CLI says it once, as a user error, and leaves nothing behind either.
    result = run(["es", "setup"], {**cluster.env(), "MONITOR_ELASTICSEARCH_API_KEY": key})
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("monitor: error: these credentials may not set up")
    assert cluster.fake.indices == {}
    # An admin sets up; then the writer writes.
    admin = _open(cluster, elasticsearch_api_key=cluster.fake.api_keys.create("admin"))
    assert admin.setup() == f"{cluster.alias}-v1"
    writer = _open(cluster, elasticsearch_api_key=key)
    assert [o.status for o in writer.write([indexable(7)])] == ["created"]
    writer.close()
    admin.close()


def test_first_setup_from_several_processes_makes_one_write_index(
    cluster: Cluster, tmp_path: Path
) -> None:
    env = cluster.env()
    procs = [
        subprocess.Popen(
            [MONITOR, "es", "setup"],
            env={**_clean_env(), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(60), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], [err for _, _, err in results]
    assert {out.splitlines()[1] for _, out, _ in results} == {
        f"alias {cluster.alias} -> {cluster.alias}-v1 "
        f"(mapping version {mapping_version(load_template(cluster.alias))})"
    }
    store = _open(cluster)
    infos = store.indices.indices()
    assert [(i.name, i.aliased) for i in infos] == [(f"{cluster.alias}-v1", True)]
    assert store.write([indexable(7)])[0].status == "created"  # one write index, writable
    store.close()


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}


@needs_fake
def test_bulk_retries_belong_to_one_layer(cluster: Cluster) -> None:
    # Issue 12 item 7: the transport used to retry a whole-bulk 429 twice, at once,
    # before streaming_bulk saw it. Now the configured retries (with backoff) are all.
    assert cluster.fake is not None
    store = _open(cluster, elasticsearch_bulk_retries=1)

    def bulks() -> int:
        return sum(1 for p in _paths(cluster) if p.endswith("/_bulk"))

    before = bulks()
    cluster.fake.reject_next_bulk(429, times=2)
    with pytest.raises(StoreUnavailable, match="429"):
        store.write([indexable(7)])
    assert bulks() - before == 2  # the first try and one retry, nothing hidden
    store.close()

    patient = _open(cluster, elasticsearch_bulk_retries=3)
    before = bulks()
    cluster.fake.reject_next_bulk(429, times=2)
    assert [o.status for o in patient.write([indexable(7)])] == ["created"]
    assert bulks() - before == 3
    patient.close()


@needs_fake
def test_es_commands_with_a_reader_key_fail_in_one_line(cluster: Cluster) -> None:
    assert cluster.fake is not None
    assert run(["es", "setup"], cluster.env()).returncode == 0
    reader = {
        **cluster.env(),
        "MONITOR_ELASTICSEARCH_API_KEY": cluster.fake.api_keys.create("reader"),
    }
    for args in (["es", "indices"], ["es", "prune", "--yes"]):
        result = run(args, reader)
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
        assert "HTTP 403: security_exception" in result.stderr


def test_prune_never_deletes_an_index_a_rebuild_is_filling(cluster: Cluster) -> None:
    store = _open(cluster)
    filling = store.indices.create_next()  # what `reprocess --new-index` starts with
    pruned = run(["es", "prune", "--yes"], cluster.env())
    assert pruned.returncode == 0, pruned.stderr
    assert f"kept {filling}: a rebuild is filling it" in pruned.stdout
    assert "nothing to prune" in pruned.stdout
    assert [i.name for i in store.indices.indices()] == [f"{cluster.alias}-v1", filling]
    store.close()


def test_setup_takes_the_index_an_interrupted_setup_left_instead_of_another(
    cluster: Cluster,
) -> None:
    # What a refused `_aliases` call used to leave behind on every task retry: an
    # unaliased -v1. Setup now adopts it; there is never a -v2 nobody serves.
    with cluster.client() as client:
        store = ElasticsearchStore(client, alias=cluster.alias, location=cluster.url)
        template = store.indices.template
        client.indices.put_index_template(
            name=cluster.alias,
            index_patterns=template["index_patterns"],
            priority=template["priority"],
            meta=template["_meta"],
            template=template["template"],
        )
        client.indices.create(index=f"{cluster.alias}-v1")
        assert store.setup() == f"{cluster.alias}-v1"
        assert store.setup() == f"{cluster.alias}-v1"
        assert [(i.name, i.aliased) for i in store.indices.indices()] == [
            (f"{cluster.alias}-v1", True)
        ]


@needs_fake
def test_a_cluster_with_security_off_is_set_up_with_any_credentials(cluster: Cluster) -> None:
    # Issue 25 point 3: security off answers the privilege API with a 500, which means
    # "nothing is enforced", not "down".
    assert cluster.fake is not None
    cluster.fake.security_enabled = False
    store = _open(cluster)
    assert store.indices.missing_privileges() == []
    assert store.indices.current_index() == f"{cluster.alias}-v1"
    store.close()


@needs_fake
@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_privilege_check_is_not_taken_for_security_off(
    cluster: Cluster, status: int
) -> None:
    # Issue 25 point 3: a 429/503 while asking is a busy cluster. The old check took
    # any non-401 error for "security disabled" and kept "nothing missing", so a
    # reader key then tried to set up the index and was refused mid-way.
    assert cluster.fake is not None
    key = cluster.fake.api_keys.create("reader")
    cluster.fake.security_failures = [status]
    with pytest.raises(StoreUnavailable, match=f"HTTP {status}"):
        _open(cluster, elasticsearch_api_key=key)
    assert cluster.fake.templates == {} and cluster.fake.indices == {}
    # The busy answer was not remembered: the next question gets the real one.
    reader = ElasticsearchStore.from_settings(
        cluster.settings(elasticsearch_api_key=key), setup=False
    )
    cluster.fake.security_failures = [status]
    with pytest.raises(Exception, match=str(status)):
        reader.indices.missing_privileges()
    assert "cluster:manage_index_templates" in reader.indices.missing_privileges()
    reader.close()


@needs_fake
def test_a_role_without_the_rebuild_marker_is_refused_a_new_index_up_front(
    cluster: Cluster,
) -> None:
    # Issue 25 point 6: a role on the alias and its -vN indices only; a rebuild also
    # names `<alias>-rebuilding`. The privilege check says so before anything is made.
    assert cluster.fake is not None
    admin = _open(cluster)
    admin.write([indexable(7)])
    admin.close()
    key = cluster.fake.api_keys.create("admin", names=(cluster.alias, f"{cluster.alias}-v*"))
    narrow = ElasticsearchStore.from_settings(
        cluster.settings(elasticsearch_api_key=key), setup=False
    )
    assert narrow.indices.missing_privileges() == [f"{cluster.alias}-*:manage"]
    with pytest.raises(RebuildRefused, match="--new-index needs an admin key"):
        narrow.begin_rebuild(None)
    assert sorted(cluster.fake.indices) == [f"{cluster.alias}-v1"]
    narrow.close()
