"""Reprocess task: a thin wrapper around `workers.reprocess` for one batch of ids.

`monitor reprocess --async` enqueues these (in-place rewrites through the alias); the
new-index build runs in the CLI process because the alias swap must follow the last
batch, and the app keeps no result backend to learn when that is. Each batch adds its
counts to its run in the cache instead, which `monitor status` shows.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from tasks.app import app, runtime
from tasks.delivery import run_batch
from workers.reprocess import count_async_batch, reprocess_ids

log = logging.getLogger(__name__)


@app.task(name="monitor.reprocess_ids", bind=True)
def reprocess_ids_task(self: Task, ids: list[str], run: str | None = None) -> dict[str, Any]:
    """Re-run the pipeline on the stored raw payloads of `ids` and rewrite them; count
    the outcome into the `--async` run `run` for `monitor status`."""
    rt = runtime()
    result = run_batch(
        self,
        items=ids,
        kind="article",
        body=lambda: reprocess_ids(ids, store=rt.store, pipeline=rt.pipeline),
    )
    if run is not None:
        try:
            count_async_batch(rt.cache, run, dict(result.get("counts") or {}))
        except Exception as exc:  # the batch is done; only its count in `status` is lost
            log.warning("reprocess run %s: batch not counted: %s", run, exc)
    return result
