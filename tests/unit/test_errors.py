"""The one retry decision and its backoff."""

from __future__ import annotations

import random

import pytest
import redis

from workers.errors import PermanentError, TransientError, is_transient
from workers.model import InputError
from workers.retry import backoff_delay
from workers.stores.base import StoreUnavailable


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (StoreUnavailable("locked"), True),
        (TransientError("x"), True),
        (ConnectionRefusedError("refused"), True),
        (TimeoutError("slow"), True),
        (redis.exceptions.ConnectionError("gone"), True),
        (InputError("empty"), False),
        (PermanentError("4xx"), False),
        (KeyError("bug"), False),
    ],
)
def test_is_transient(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_backoff_doubles_up_to_the_cap_and_waits_at_least_half() -> None:
    rand = random.Random(1).random
    for attempt in range(12):
        step = min(10, 2**attempt)
        delays = [backoff_delay(attempt=attempt, base_s=1, cap_s=10, rand=rand) for _ in range(50)]
        assert all(step / 2 <= d <= step for d in delays)


def test_backoff_is_jittered() -> None:
    rand = random.Random(2).random
    delays = {backoff_delay(attempt=5, base_s=1, cap_s=60, rand=rand) for _ in range(20)}
    assert len(delays) == 20


class _Interrupt(Exception):
    """Stands in for Celery's SoftTimeLimitExceeded (an Exception subclass)."""


def test_registered_interrupts_pass_per_item_handlers() -> None:
    from workers import errors

    assert is_transient(_Interrupt()) is False
    errors.register_interrupt(_Interrupt)
    try:
        assert is_transient(_Interrupt()) is True
    finally:
        errors._INTERRUPTS.remove(_Interrupt)
