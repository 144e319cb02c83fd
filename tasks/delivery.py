"""One retry policy and the dead-letter hand-off, for every batch task.

A batch task calls `run_batch`: the body runs; items that failed permanently go to the
dead-letter queue with their stage and reason; items that succeeded leave it (so a
retried, fixed item is indexed once and its entry disappears). A transient error
(`workers.errors.is_transient`) retries the whole batch with capped, jittered
exponential backoff, `task_max_retries` times; after that, and for any other error,
every item of the batch is dead-lettered. Nothing is dropped without an entry.

A batch that cannot finish is never redelivered forever. Three ways it may not:
its soft time limit (`SoftTimeLimitExceeded` inside the task), its hard time limit
(the process is killed; the worker's main process reports it through `task_failure`),
or its worker dying under it again and again (an out-of-memory kill: the message is
requeued by `task_reject_on_worker_lost`, and a per-delivery counter on the broker
sees it come back). Each ends in `give_up`: a batch of several items is split into
single-item tasks, so the good items still land; a single item is dead-lettered with
the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import task_failure

from tasks.app import runtime
from workers import deadletter
from workers.deadletter import ItemKind
from workers.errors import is_transient, register_interrupt
from workers.ingest import BatchReport
from workers.retry import backoff_delay, countdown_cap

log = logging.getLogger(__name__)
# Which kind of item each batch task carries (its first argument is the list of them).
KIND_OF_TASK: dict[str, ItemKind] = {
    "monitor.ingest_files": "file",
    "monitor.ingest_urls": "url",
    "monitor.reprocess_ids": "article",
}
_DELIVERIES_KEY = "monitor:deliveries:"
_DELIVERIES_TTL_S = 7 * 86400  # a requeued batch may wait behind a long backlog
_timed_out: set[str] = set()  # task ids whose hard time limit was handled (main process)

# A soft time limit interrupts the batch; per-item handlers must let it through.
register_interrupt(SoftTimeLimitExceeded)


def run_batch(
    task: Task,
    *,
    items: list[str],
    kind: ItemKind,
    body: Callable[[], BatchReport],
) -> dict[str, Any]:
    settings = runtime().settings
    attempt = int(task.request.retries or 0)
    # Celery keeps the task id across retries; a retry is a new message, counted apart.
    key = f"{task.request.id}:{attempt}"
    rest, kwargs = list(task.request.args or [])[1:], dict(task.request.kwargs or {})

    def stop(error_type: str, reason: str) -> dict[str, Any]:
        return give_up(
            task,
            task_id=task.request.id,
            items=items,
            rest=rest,
            kwargs=kwargs,
            error_type=error_type,
            reason=reason,
        )

    try:
        delivered = _count_delivery(key)
        if delivered > settings.task_max_deliveries:
            return stop(
                "DeliveryLimitExceeded",
                f"delivered {delivered - 1} times without finishing "
                "(its worker was killed each time: out of memory?)",
            )
        return _run(task, items=items, kind=kind, body=body, attempt=attempt)
    except SoftTimeLimitExceeded:
        limit = settings.task_soft_time_limit_s
        return stop("SoftTimeLimitExceeded", f"ran past its soft time limit of {limit:.0f}s")
    finally:
        _forget_delivery(key)  # not reached when the process dies: that is the point


def _run(
    task: Task,
    *,
    items: list[str],
    kind: ItemKind,
    body: Callable[[], BatchReport],
    attempt: int,
) -> dict[str, Any]:
    settings = runtime().settings
    context = {"batch_id": task.request.id, "task": task.name, "items": len(items)}
    started = time.perf_counter()
    try:
        report = body()
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        if is_transient(exc) and attempt < settings.task_max_retries:
            delay = backoff_delay(
                attempt=attempt,
                base_s=settings.retry_backoff_s,
                cap_s=min(
                    settings.retry_backoff_max_s,
                    countdown_cap(visibility_timeout_s=settings.visibility_timeout_s),
                ),
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
                runtime().dead_letters,
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
            "skipped": report.skip_reasons(),  # what held no article, per reason
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return report.to_dict()


def give_up(
    task: Task,
    *,
    task_id: str | None,
    items: Sequence[str],
    rest: Sequence[Any],
    kwargs: dict[str, Any],
    error_type: str,
    reason: str,
) -> dict[str, Any]:
    """A batch that cannot finish: split it into single-item tasks (same arguments
    otherwise), or dead-letter its one item."""
    context = {"batch_id": task_id, "task": task.name, "items": len(items)}
    if len(items) > 1:
        for item in items:
            task.apply_async(
                args=[[item], *rest], kwargs=kwargs, queue=runtime().settings.ingest_queue
            )
        log.warning(
            "batch split into %d single-item tasks: %s",
            len(items),
            reason,
            extra={**context, "stage": "task", "error_type": error_type},
        )
        return {"counts": {}, "split": len(items)}
    log.error(
        "item dead-lettered: %s",
        reason,
        extra={**context, "stage": "task", "error_type": error_type},
    )
    for ref in items:
        deadletter.record(
            runtime().dead_letters,
            kind=KIND_OF_TASK[task.name],
            ref=ref,
            stage="task",
            error_type=error_type,
            message=reason,
        )
    return {"counts": {"failed": len(items)}, "dead_lettered": len(items)}


@task_failure.connect
def _on_hard_time_limit(
    sender: Task | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Sequence[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    """The hard time limit killed a batch's process: Celery acknowledges the message
    and reports it here, in the worker's main process. Without this the batch would
    be gone with no dead-letter entry. Celery 5.7 reports a hard time limit twice
    (from its timeout handler and from the pool's result), so once per task id."""
    if sender is None or sender.name not in KIND_OF_TASK:
        return
    if not isinstance(exception, TimeLimitExceeded) or not args or task_id in _timed_out:
        return
    _timed_out.add(task_id or "")
    give_up(
        sender,
        task_id=task_id,
        items=list(args[0]),
        rest=list(args[1:]),
        kwargs=dict(kwargs or {}),
        error_type="TimeLimitExceeded",
        reason=f"killed at its hard time limit of {runtime().settings.task_time_limit_s:.0f}s",
    )


def _count_delivery(key: str) -> int:
    """How many times this message has now started (1 in eager mode, or when the
    broker cannot count: the count is a safety net, never a reason to fail a batch)."""
    client = runtime().broker
    if client is None:
        return 1
    try:
        pipe = client.pipeline()
        pipe.incr(_DELIVERIES_KEY + key)
        pipe.expire(_DELIVERIES_KEY + key, _DELIVERIES_TTL_S)
        count, _ = pipe.execute()
    except redis.RedisError as exc:
        log.warning("cannot count deliveries: %s", exc)
        return 1
    return int(count)


def _forget_delivery(key: str) -> None:
    client = runtime().broker
    if client is not None:
        try:
            client.delete(_DELIVERIES_KEY + key)
        except redis.RedisError as exc:
            log.warning("cannot clear the delivery count: %s", exc)


def _settle_dead_letters(report: BatchReport, *, kind: ItemKind) -> None:
    queue = runtime().dead_letters
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
