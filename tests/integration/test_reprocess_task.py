"""The reprocess Celery task is a thin wrapper: same counts as the in-process run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import KeywordEnricher, indexable
from workers import pipeline
from workers.stores.embedded import EmbeddedStore

pytestmark = pytest.mark.integration


def test_task_reprocesses_a_batch_of_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks.app
    from tasks.reprocess import reprocess_ids_task

    store = EmbeddedStore(tmp_path / "monitor.sqlite3")
    items = [indexable(7, KeywordEnricher()), indexable(8, KeywordEnricher())]
    store.write(items)
    monkeypatch.setattr(tasks.app, "_store", store)
    # Stored with the test enricher; the task runs the real pipeline, so all change.
    ids = [i.article.id for i in items] + ["gone"]
    result = reprocess_ids_task.apply(args=[ids]).get()
    assert (result["rewritten"], result["unchanged"], result["failed"]) == (2, 0, 1)
    article = store.get(items[0].article.id)
    assert article is not None
    assert article.entities == pipeline.process(items[0].raw).entities
    assert reprocess_ids_task.apply(args=[ids[:2]]).get()["unchanged"] == 2
    store.close()
