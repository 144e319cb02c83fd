"""Reprocess task: a thin wrapper around `workers.reprocess` for one batch of ids.

`monitor reprocess --async` enqueues these (in-place rewrites through the alias); the
new-index build runs in the CLI process because the alias swap must follow the last
batch, and the app keeps no result backend to learn when that is.
"""

from __future__ import annotations

from typing import Any

from celery import Task

from tasks.app import app, pipeline, store
from tasks.delivery import run_batch
from workers.reprocess import reprocess_ids


@app.task(name="monitor.reprocess_ids", bind=True)
def reprocess_ids_task(self: Task, ids: list[str]) -> dict[str, Any]:
    """Re-run the pipeline on the stored raw payloads of `ids` and rewrite them."""
    return run_batch(
        self,
        items=ids,
        kind="article",
        body=lambda: reprocess_ids(ids, store=store(), pipeline=pipeline()),
    )
