"""Several processes write one embedded store at once (moved out of the unit tests,
issue 25 point 11: it spawns processes). The articles are built without NER: the test
is about SQLite's locking, and three processes loading spaCy on a busy machine only
made it slow."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from workers.model import RawArticle
from workers.pipeline import ENRICHER_SETS, Pipeline
from workers.stores.base import Indexable, SearchQuery
from workers.stores.embedded import EmbeddedStore

pytestmark = pytest.mark.integration
RULES = Pipeline(ENRICHER_SETS["no-entities"])


def _writer(path: str, start: int) -> None:
    store = EmbeddedStore(Path(path))
    for n in range(start, start + 20):
        raw = RawArticle(
            text=f"Publication: Monitor Volume: 7 Issue: {n}\n\nArticle number {n} about Moscow.",
            origin=f"test-{n}",
        )
        store.write([Indexable(RULES.process(raw), raw)])
    store.close()


def test_several_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"  # created by whichever process comes first
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), s)) for s in (1, 101, 201)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=600)  # a bound for a hung writer, not an expected duration
        assert proc.exitcode == 0
    store = EmbeddedStore(path)
    assert store.stats().documents == 60
    assert store.search(SearchQuery("Moscow", limit=100)).total == 60
    store.close()
