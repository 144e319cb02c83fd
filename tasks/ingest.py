"""Ingest task: a thin wrapper around `workers.ingest` for one batch of files."""

from __future__ import annotations

from typing import Any

from celery import Task

from tasks.app import app, runtime
from tasks.delivery import run_batch
from workers.ingest import ingest_files


@app.task(name="monitor.ingest_files", bind=True)
def ingest_files_task(
    self: Task, paths: list[str], allow_headerless: bool = False
) -> dict[str, Any]:
    """Ingest a batch of article files; failures go to the dead-letter queue."""
    rt = runtime()
    return run_batch(
        self,
        items=paths,
        kind="file",
        body=lambda: ingest_files(
            paths,
            store=rt.store,
            max_bytes=rt.settings.max_article_bytes,
            pipeline=rt.pipeline,
            allow_headerless=allow_headerless,
        ),
    )
