"""The reprocess Celery task is a thin wrapper: same counts as the in-process run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.articles import KeywordEnricher, indexable
from workers.cache import MemoryCache
from workers.deadletter import SqliteDeadLetters
from workers.pipeline import DEFAULT_PIPELINE
from workers.runtime import Runtime
from workers.settings import get_settings
from workers.stores.embedded import EmbeddedStore

pytestmark = pytest.mark.integration


def test_task_reprocesses_a_batch_of_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks.app
    from tasks.reprocess import reprocess_ids_task

    store = EmbeddedStore(tmp_path / "monitor.sqlite3")
    items = [indexable(7, KeywordEnricher()), indexable(8, KeywordEnricher())]
    store.write(items)
    dead_letters = SqliteDeadLetters(tmp_path / "dlq.sqlite3")
    runtime = Runtime.from_settings(
        get_settings(),
        store=store,
        dead_letters=dead_letters,
        cache=MemoryCache(),  # not the repo's var/ cache
    )
    monkeypatch.setattr(tasks.app, "_runtime", runtime)
    # Stored with the test enricher; the task runs the real pipeline, so all change.
    ids = [i.article.id for i in items] + ["gone"]
    counts = reprocess_ids_task.apply(args=[ids]).get()["counts"]
    assert (counts["updated"], counts["unchanged"], counts["failed"]) == (2, 0, 1)
    [letter] = dead_letters.all()
    assert (letter.kind, letter.ref, letter.message) == ("article", "gone", "not in the store")
    article = store.get(items[0].article.id)
    assert article is not None
    assert article.entities == DEFAULT_PIPELINE.process(items[0].raw).entities
    assert reprocess_ids_task.apply(args=[ids[:2]]).get()["counts"]["unchanged"] == 2
    store.close()
