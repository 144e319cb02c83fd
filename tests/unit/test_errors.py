"""The one retry decision and its backoff."""

from __future__ import annotations

import random

import pytest
import redis

from workers.errors import PermanentError, TransientError, backoff_delay, is_transient
from workers.model import InputError
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


def test_backoff_ceiling_doubles_up_to_the_cap() -> None:
    rng = random.Random(1)
    for attempt in range(12):
        ceiling = min(10, 2**attempt)
        delays = [backoff_delay(attempt=attempt, base_s=1, cap_s=10, rng=rng) for _ in range(50)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # the range is used, not just its bottom


def test_backoff_is_jittered() -> None:
    rng = random.Random(2)
    delays = {backoff_delay(attempt=5, base_s=1, cap_s=60, rng=rng) for _ in range(20)}
    assert len(delays) == 20
