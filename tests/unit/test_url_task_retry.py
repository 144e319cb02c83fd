"""How long a URL batch waits before it is retried (issue 11: below the visibility
timeout; Celery's docs on the Redis transport: a countdown longer than the visibility
timeout is redelivered early, so the item runs twice)."""

from __future__ import annotations

import pytest

from tasks.sources import retry_countdown


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [
        (0, None, 30),  # our own backoff
        (3, None, 240),
        (0, 120.0, 120),  # the server's Retry-After (or a block's pause) wins
        (0, 86400.0, 2880),  # a day's pause: capped below the timeout
        (10, None, 2880),
    ],
)
def test_countdowns_stay_below_the_visibility_timeout(
    attempt: int, retry_after: float | None, expected: int
) -> None:
    assert retry_countdown(attempt=attempt, retry_after_s=retry_after, cap_s=3600 * 0.8) == expected
