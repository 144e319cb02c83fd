"""Ingest task: a thin wrapper around `workers.ingest` for one batch of files."""

from __future__ import annotations

from tasks.app import app, settings, store
from workers.ingest import ingest_files
from workers.stores.base import StoreUnavailable


@app.task(
    name="monitor.ingest_files",
    autoretry_for=(StoreUnavailable,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
)
def ingest_files_task(paths: list[str]) -> dict[str, object]:
    """Ingest a batch of article files; returns the batch's counts and failures."""
    report = ingest_files(paths, store=store(), max_bytes=settings.max_article_bytes)
    return report.to_dict()
