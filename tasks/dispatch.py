"""Enqueue a task once per batch: the one loop behind `--async` commands and the
fan-out of a source run (`monitor.run_source`).

Free of Celery imports, so the CLI can use it without loading Celery for commands
that never enqueue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class Enqueueable(Protocol):
    """A Celery task, as far as `dispatch` needs it."""

    def apply_async(self, *args: Any, **kwargs: Any) -> Any: ...


def dispatch(task: Enqueueable, batches: Iterable[list[Any]], *, queue: str, **kwargs: Any) -> int:
    """Enqueue `task` once per batch (with `kwargs`) on `queue`; returns how many."""
    sent = 0
    for batch in batches:
        task.apply_async(args=[batch], kwargs=kwargs or None, queue=queue)
        sent += 1
    return sent
