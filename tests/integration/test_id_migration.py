"""Issue 21: ids made from a URL no longer start with the publication's slug. Documents
indexed under the old ids are moved by `monitor reprocess` (CHANGELOG "Upgrading")."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.support.articles import KeywordEnricher, raw_article
from workers import reprocess as rp
from workers.cache import MemoryCache
from workers.pipeline import Pipeline
from workers.stores.base import Indexable
from workers.stores.embedded import EmbeddedStore

pytestmark = pytest.mark.integration
PIPELINE = Pipeline((KeywordEnricher(),))
URL = "https://jamestown.org/program/putin-meets-officials-in-moscow/"


def legacy(publication: str) -> Indexable:
    """The article as the old scheme stored it: `<publication slug>-<digest>`, built by
    the pipeline of that time (normalize2: the id scheme came with normalize3, so
    reprocess never takes such a document for settled)."""
    raw = dataclasses.replace(raw_article(7, publication=publication), url=URL)
    article = PIPELINE.process(raw)
    digest = article.id.rsplit("-", 1)[1]
    old_id = f"{publication.casefold().replace(' ', '-')}-{digest}"
    old_version = article.pipeline_version.replace("normalize3", "normalize2")
    assert old_version != article.pipeline_version
    return Indexable(dataclasses.replace(article, id=old_id, pipeline_version=old_version), raw)


def test_reprocess_moves_both_old_ids_of_one_url_to_one_document(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "monitor.sqlite3")
    try:
        store.write([legacy("Eurasia Daily Monitor"), legacy("Unknown")])
        assert len(store.list_ids()) == 2  # the duplicate issue 21 found
        report = rp.run(store, cache=MemoryCache(), selection=rp.Selection(), pipeline=PIPELINE)
        assert report.failed == 0 and report.rewritten == 2
        [only] = store.list_ids()
        assert only.startswith("article-")
        article = store.get(only)
        assert article is not None and article.url == URL
    finally:
        store.close()
