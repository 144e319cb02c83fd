"""Reprocess task: a thin wrapper around `workers.reprocess` for one batch of ids.

`monitor reprocess --async` enqueues these (in-place rewrites through the alias); the
new-index build runs in the CLI process because the alias swap must follow the last
batch, and the app keeps no result backend to learn when that is.
"""

from __future__ import annotations

from tasks.app import app, store
from workers.reprocess import reprocess_batch
from workers.stores.base import StoreUnavailable


@app.task(
    name="monitor.reprocess_ids",
    autoretry_for=(StoreUnavailable,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
)
def reprocess_ids_task(ids: list[str]) -> dict[str, object]:
    """Re-run the pipeline on the stored raw payloads of `ids` and rewrite them."""
    return reprocess_batch(ids, store=store()).to_dict()
