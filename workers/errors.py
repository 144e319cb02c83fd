"""The two kinds of failure, and the one decision every retry makes.

Transient failures (a store or site that is down or overloaded, a lost connection)
retry the whole batch with backoff; permanent ones (bad input, a 4xx, a document the
index refuses) never get better by waiting and go to the dead-letter queue at once.
"""

from __future__ import annotations

# Exceptions that interrupt a whole batch rather than describe one item (a task's soft
# time limit): registered by the Celery face (workers/ never imports Celery), treated as
# transient so per-item handlers re-raise them instead of failing an innocent item.
_INTERRUPTS: list[type[BaseException]] = []


class TransientError(RuntimeError):
    """Worth retrying later: the same input may succeed when a service recovers."""


class PermanentError(ValueError):
    """Retrying cannot help: the item goes to the dead-letter queue with this reason."""


def register_interrupt(kind: type[BaseException]) -> None:
    """Mark `kind` as interrupting the batch (see `_INTERRUPTS`)."""
    if kind not in _INTERRUPTS:
        _INTERRUPTS.append(kind)


def is_interrupt(exc: BaseException) -> bool:
    """Whether `exc` interrupts the whole batch (see `register_interrupt`): even code
    that contains every other failure, like an enricher's note, must let it through."""
    return isinstance(exc, tuple(_INTERRUPTS))


def is_transient(exc: BaseException) -> bool:
    """Whether a batch that raised `exc` should be retried rather than dead-lettered.

    Connection-level errors from any client (Redis, sockets, sqlite's "database is
    locked" surfaces as `StoreUnavailable`) are transient; everything else is treated as
    permanent, because retrying a bug only delays the dead-letter entry that reports it.
    """
    if isinstance(exc, (TransientError, *_INTERRUPTS)):
        return True
    if isinstance(exc, PermanentError):
        return False
    return isinstance(exc, (ConnectionError, TimeoutError)) or _is_redis_connection_error(exc)


def _is_redis_connection_error(exc: BaseException) -> bool:
    import redis.exceptions

    return isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError))
