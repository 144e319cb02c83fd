"""Every stored document has a value in Kibana's time field (issue 25, point 4):
`time` is the publication date, else the start of the estimated range, else when it
was indexed, and `time_source` says which. On both stores."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.fakes.es_cluster import Cluster, cluster
from tests.support.articles import indexable
from workers.stores import open_store
from workers.stores.base import Indexable
from workers.stores.embedded import EmbeddedStore

pytestmark = pytest.mark.integration
__all__ = ["cluster"]


def _three() -> list[Indexable]:
    dated = indexable(7)
    ranged, undated = indexable(8), indexable(9)
    return [
        dated,
        Indexable(
            dataclasses.replace(
                ranged.article,
                published_at=None,
                published_at_source=None,
                published_at_range={"gte": "2001-03-01", "lte": "2001-03-31"},
            ),
            ranged.raw,
        ),
        Indexable(
            dataclasses.replace(
                undated.article,
                published_at=None,
                published_at_source=None,
                published_at_range=None,
            ),
            undated.raw,
        ),
    ]


def _check(documents: list[dict[str, object]], dated_on: str) -> None:
    dated, ranged, undated = documents
    assert (dated["time"], dated["time_source"]) == (dated_on, "published_at")
    assert (ranged["time"], ranged["time_source"]) == ("2001-03-01", "published_at_range")
    assert undated["published_at"] is None
    assert (undated["time"], undated["time_source"]) == (undated["indexed_at"], "indexed_at")


def test_the_embedded_store_gives_every_document_a_time(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "monitor.sqlite3")
    items = _three()
    store.write(items)
    found = [store.get(i.article.id) for i in items]
    _check([a.to_document() for a in found if a is not None], str(items[0].article.published_at))
    # The time field is derived: rewriting the same article is still "unchanged".
    assert [o.status for o in store.write(items)] == ["unchanged"] * 3
    store.close()


def test_a_store_written_before_the_time_field_gets_it_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "monitor.sqlite3"
    store = EmbeddedStore(path)
    items = _three()
    store.write(items)
    store._db.execute("UPDATE articles SET document = json_remove(document, '$.time')")
    store._db.execute("DELETE FROM meta WHERE key = 'time_fields'")
    store.close()
    reopened = EmbeddedStore(path)
    found = [reopened.get(i.article.id) for i in items]
    _check([a.to_document() for a in found if a is not None], str(items[0].article.published_at))
    reopened.close()


def test_elasticsearch_documents_carry_the_time_field(cluster: Cluster) -> None:
    store = open_store(cluster.settings())
    items = _three()
    store.write(items)
    with cluster.client() as client:
        sources = [client.get(index=cluster.alias, id=i.article.id)["_source"] for i in items]
    _check(sources, str(items[0].article.published_at))
    store.close()
