"""One retry policy and the dead-letter hand-off, for every batch task.

A batch task calls `run_batch`: the body runs; items that failed permanently go to the
dead-letter queue with their stage and reason; items that succeeded leave it (so a
retried, fixed item is indexed once and its entry disappears). A transient error
(`workers.errors.is_transient`) retries the whole batch with capped, jittered
exponential backoff, `task_max_retries` times; after that, and for any other error,
every item of the batch is dead-lettered. Nothing is dropped without an entry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from celery import Task

from tasks.app import dead_letters, settings
from workers import deadletter
from workers.deadletter import ItemKind
from workers.errors import is_transient
from workers.ingest import BatchReport
from workers.retry import backoff_delay

log = logging.getLogger(__name__)


def run_batch(
    task: Task,
    *,
    items: list[str],
    kind: ItemKind,
    body: Callable[[], BatchReport],
) -> dict[str, Any]:
    attempt = int(task.request.retries or 0)
    context = {"batch_id": task.request.id, "task": task.name, "items": len(items)}
    started = time.perf_counter()
    try:
        report = body()
    except Exception as exc:
        if is_transient(exc) and attempt < settings.task_max_retries:
            delay = backoff_delay(
                attempt=attempt,
                base_s=settings.retry_backoff_s,
                cap_s=settings.retry_backoff_max_s,
            )
            log.warning(
                "batch failed, retry %d in %.1fs: %s",
                attempt + 1,
                delay,
                exc,
                extra={**context, "stage": "task", "error_type": type(exc).__name__},
            )
            raise task.retry(
                exc=exc, countdown=delay, max_retries=settings.task_max_retries
            ) from exc
        log.error(
            "batch dead-lettered: %s",
            exc,
            extra={**context, "stage": "task", "error_type": type(exc).__name__},
        )
        for ref in items:
            deadletter.record(
                dead_letters(),
                kind=kind,
                ref=ref,
                stage="task",
                error_type=type(exc).__name__,
                message=str(exc),
                attempts=attempt + 1,
            )
        return {"counts": {"failed": len(items)}, "dead_lettered": len(items)}
    _settle_dead_letters(report, kind=kind)
    log.info(
        "batch done",
        extra={
            **context,
            "counts": report.counts,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return report.to_dict()


def _settle_dead_letters(report: BatchReport, *, kind: ItemKind) -> None:
    queue = dead_letters()
    for item in report.failures:
        deadletter.record(
            queue,
            kind=kind,
            ref=item.origin,
            stage=item.stage or "unknown",
            error_type=item.error_type or "Error",
            message=item.reason or "",
        )
    done = [deadletter.letter_id(kind, i.origin) for i in report.items if i.status != "failed"]
    if done and queue.size():
        queue.remove(done)
