"""The Celery app: broker, queues, serialization and delivery guarantees.

With `MONITOR_BROKER_URL` unset the app runs eagerly (tasks execute in the calling
process), which is how the CLI and a laptop work with no servers. With a broker,
tasks go to Redis and `celery -A tasks.app worker` processes consume them.

Delivery: tasks are acknowledged after they finish (`acks_late`) and requeued if the
worker process dies, so a batch is delivered at least once; writes upsert by a
deterministic id, so delivering it twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown

from workers.settings import Settings, get_settings
from workers.stores import open_store
from workers.stores.base import Store

# Longer than the longest batch can take: Redis redelivers an unacknowledged task
# after this many seconds, and a redelivery while the first run is still busy would
# only waste work (writes are idempotent).
VISIBILITY_TIMEOUT_S = 3600


def make_app(settings: Settings) -> Celery:
    eager = settings.broker_url is None
    broker = "memory://" if eager else settings.broker_url.get_secret_value()  # type: ignore[union-attr]
    app = Celery("monitor", broker=broker, include=["tasks.ingest", "tasks.reprocess"])
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
        task_default_queue=settings.ingest_queue,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


settings = get_settings()
app = make_app(settings)
_store: Store | None = None


def store() -> Store:
    """This process's store, opened on first use (after the worker forks)."""
    global _store
    if _store is None:
        _store = open_store(settings)
    return _store


@worker_process_shutdown.connect
def _close_store(**_: Any) -> None:
    if _store is not None:
        _store.close()


def queue_depths() -> dict[str, int] | None:
    """Messages waiting per queue, or None in eager mode (there is no queue)."""
    if settings.broker_url is None:
        return None
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        return {settings.ingest_queue: int(client.llen(settings.ingest_queue))}
