"""The Celery app: broker, queues, serialization and delivery guarantees.

With `MONITOR_BROKER_URL` unset the app runs eagerly (tasks execute in the calling
process), which is how the CLI and a laptop work with no servers. With a broker,
tasks go to Redis and `celery -A tasks.app worker` processes consume them.

Delivery: tasks are acknowledged after they finish (`acks_late`) and requeued if the
worker process dies, so a batch is delivered at least once; writes upsert by a
deterministic id, so delivering it twice changes nothing. Batch tasks have soft and
hard time limits above the longest legitimate batch (`Settings.task_soft_time_limit_s`),
and tasks/delivery.py bounds how often one batch may come back (split, then
dead-letter), so a poison batch cannot loop.

Shutdown: Celery 5.x's plain SIGTERM is a warm shutdown that waits for running tasks
without any limit; `worker_soft_shutdown_timeout` applies to the cold shutdown, which
SIGTERM starts only with `REMAP_SIGTERM=SIGQUIT` in the worker's environment (Celery's
Workers Guide, "Soft Shutdown"). infra/Dockerfile and the compose file set it; a worker
started without it logs a warning.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import redis
from celery import Celery
from celery.signals import (
    setup_logging,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
)

from tasks.schedule import beat_schedule, schedule_file
from workers import logs
from workers.runtime import Runtime
from workers.settings import Settings, get_settings

log = logging.getLogger(__name__)
# The tasks that carry a batch (a list of files, URLs or ids) and get time limits.
BATCH_TASKS = ("monitor.ingest_files", "monitor.ingest_urls", "monitor.reprocess_ids")


def make_app(settings: Settings) -> Celery:
    eager = settings.broker_url is None
    broker = "memory://" if eager else settings.broker_url.get_secret_value()  # type: ignore[union-attr]
    app = Celery(
        "monitor", broker=broker, include=["tasks.ingest", "tasks.sources", "tasks.reprocess"]
    )
    app.conf.update(
        task_always_eager=eager,
        task_eager_propagates=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_max_memory_per_child=settings.worker_max_memory_mb * 1024 or None,  # in KiB
        task_default_queue=settings.ingest_queue,
        # Redis redelivers an unacknowledged batch after this long; it must exceed the
        # longest batch, or a batch still running is delivered again (harmless, since
        # writes are idempotent, but wasted work). Set for producers and workers alike.
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            # How soon a batch abandoned by a dead worker is seen: sweep for expired
            # unacknowledged messages every tenth of the timeout (1–60 s), every sweep.
            "unacked_restore_interval": max(1, min(60, settings.visibility_timeout_s // 10)),
            "unacked_restore_throttle": 1,
            # A worker killed during a sweep leaves the sweep mutex behind; it must not
            # block redelivery for longer than the visibility timeout itself.
            "unacked_mutex_expire": min(300, max(5, settings.visibility_timeout_s)),
        },
        result_backend_transport_options={"visibility_timeout": settings.visibility_timeout_s},
        worker_soft_shutdown_timeout=settings.soft_shutdown_timeout_s,
        # Above the longest legitimate batch (batch_size x MONITOR_TASK_ITEM_BUDGET_S);
        # discovery (`monitor.run_source`) ends before its source lock expires, so two
        # runs of one source never overlap (a REST walk stops itself earlier, at
        # MONITOR_DISCOVERY_MAX_S, and its posts have left in batches as it went).
        task_annotations={
            **{
                name: {
                    "soft_time_limit": settings.task_soft_time_limit_s,
                    "time_limit": settings.task_time_limit_s,
                }
                for name in BATCH_TASKS
            },
            "monitor.run_source": {
                "soft_time_limit": max(5, settings.source_lock_ttl_s - 60),
                "time_limit": settings.source_lock_ttl_s,
            },
        },
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # ride out a Redis restart, however long
        # A batch running when the broker connection drops cannot be acknowledged; it is
        # cancelled and redelivered rather than finished twice.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,
        beat_schedule=beat_schedule(settings),
        beat_scheduler="tasks.schedule:DataDirScheduler",
        beat_schedule_filename=str(schedule_file(settings)),
    )
    return app


app = make_app(get_settings())
# This process's parts (store, cache, pipeline, fetcher, archive, dead letters, broker
# client): the one per-process cache of the Celery face. Read it through `runtime()`.
_runtime: Runtime | None = None


def runtime() -> Runtime:
    """This process's runtime, made from `get_settings()` on first use; each part is
    built when first asked for, i.e. after the worker forks. Tests put their own in
    `_runtime` (monkeypatch) to run a task on a store of theirs."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_settings(get_settings())
    return _runtime


@setup_logging.connect
def _configure_logging(**_: Any) -> None:
    """Workers log through workers.logs (JSON lines when not on a terminal)."""
    logs.configure(runtime().settings.log_level)


@worker_init.connect
def _check_shutdown_signal(**_: Any) -> None:
    if os.environ.get("REMAP_SIGTERM") != "SIGQUIT":
        log.warning(
            "REMAP_SIGTERM=SIGQUIT is not set: SIGTERM will wait for running batches "
            "without limit instead of MONITOR_SOFT_SHUTDOWN_TIMEOUT_S (README: Operations)"
        )


@worker_process_init.connect
def _warm_up(**_: Any) -> None:
    """Each worker process loads the spaCy model as it starts, not in its first batch."""
    started = time.perf_counter()
    try:
        runtime().pipeline.warm_up()
    except Exception as exc:  # the enrichers note it on every document; keep consuming
        log.warning("warm-up failed: %s: %s", type(exc).__name__, exc)
        return
    log.info("warm-up done", extra={"duration_ms": round((time.perf_counter() - started) * 1000)})


@worker_process_shutdown.connect
def _close_runtime(**_: Any) -> None:
    """Close what this process opened (store, fetchers, cache) as it exits."""
    if _runtime is not None:
        _runtime.close()


def queue_depths(settings: Settings) -> dict[str, int] | None:
    """Messages waiting per queue, or None in eager mode (there is no queue).

    Asked of Redis directly with a short connect timeout, so `monitor status` with the
    broker down answers in a second or two (kombu would retry its connection first).
    """
    if settings.broker_url is None:
        return None
    client = redis.Redis.from_url(
        settings.broker_url.get_secret_value(), socket_connect_timeout=2, socket_timeout=5
    )
    try:
        return {settings.ingest_queue: int(client.llen(settings.ingest_queue))}
    finally:
        client.close()


def workers_seen(settings: Settings, timeout_s: float = 0.5) -> list[str]:
    """Names of workers answering a ping within `timeout_s` (empty in eager mode)."""
    if settings.broker_url is None:
        return []
    replies = app.control.ping(timeout=timeout_s) or []
    return sorted(name for reply in replies for name in reply)
