"""The Elasticsearch the store tests run against: a real cluster or FakeElasticsearch.

`MONITOR_TEST_ELASTICSEARCH_URL` set (e.g. https://elastic:pw@localhost:9200): the
tests run against that cluster, each under its own alias, and every index and template
they created is deleted afterwards. Unset: a FakeElasticsearch per test, and the test
fails if the store sent anything the fake flagged (see fake_elasticsearch.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from tests.fakes.fake_elasticsearch import FakeElasticsearch
from workers.settings import Settings

REAL_URL = os.environ.get("MONITOR_TEST_ELASTICSEARCH_URL")
needs_fake = pytest.mark.skipif(
    REAL_URL is not None, reason="fault injection needs FakeElasticsearch"
)


@dataclass
class Cluster:
    url: str
    alias: str
    data_dir: Path
    fake: FakeElasticsearch | None

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "elasticsearch_url": self.url,
            "elasticsearch_alias": self.alias,
            "elasticsearch_bulk_backoff_s": 0.01,
            "elasticsearch_request_timeout_s": 10,
            "data_dir": self.data_dir,
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    def client(self) -> Elasticsearch:
        ca_certs = os.environ.get("MONITOR_ELASTICSEARCH_CA_CERTS")
        return Elasticsearch(self.url, request_timeout=10, ca_certs=ca_certs)

    def refresh(self) -> None:
        with self.client() as client:
            client.indices.refresh(index=f"{self.alias}-v*")

    def env(self) -> dict[str, str]:
        """Environment for a `monitor` subprocess against this cluster."""
        return {
            "MONITOR_ELASTICSEARCH_URL": self.url,
            "MONITOR_ELASTICSEARCH_ALIAS": self.alias,
            "MONITOR_DATA_DIR": str(self.data_dir),
        }


def clean_up(client: Elasticsearch, alias: str) -> list[str]:
    """Delete the test's indices and template; returns the indices deleted.

    By concrete name: since 8.0 `action.destructive_requires_name` refuses a pattern
    (`DELETE alias-v*` is 400), so the names are listed first (GET accepts patterns).
    """
    names = sorted(client.options(ignore_status=404).indices.get(index=f"{alias}-v*").body)
    names = [n for n in names if n.startswith(f"{alias}-v")]
    for name in names:
        client.options(ignore_status=404).indices.delete(index=name)
    client.options(ignore_status=404).indices.delete_index_template(name=alias)
    return names


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    alias = f"monitor-test-{uuid.uuid4().hex[:8]}"
    if REAL_URL:
        found = Cluster(REAL_URL, alias, tmp_path, None)
        try:
            yield found
        finally:
            with found.client() as client:
                clean_up(client, alias)
        return
    with FakeElasticsearch() as fake:
        found = Cluster(fake.url, alias, tmp_path, fake)
        yield found
        with found.client() as client:  # the same teardown as on a real cluster
            clean_up(client, alias)
        assert fake.violations == [], "FakeElasticsearch flagged requests"
