"""The one retry policy, as pure functions: batch retries and HTTP fetch retries.

`backoff_delay` is the wait before any retry in the app (a Celery batch after a
transient error, an HTTP request after a 5xx). `retry_delay` is the per-request
decision for fetches. Transient failures (connection errors, timeouts, 429, 5xx) are retried with
exponential backoff and full jitter, a bounded number of times; a server's
`Retry-After` wins over our own backoff because the server knows when it will be
ready. A wait longer than `max_delay_s` is not slept in a worker: the fetch gives up
with a transient error and the Celery task retries the item later instead, so a
worker slot is never parked for minutes. Everything else (404, 410, other 4xx) is
permanent and never retried.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# The HTTP statuses that mean "try again later", one home for each use:
# a fetched page: the server may answer a later request (timeouts, too early, 5xx).
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# A service request (Elasticsearch): overloaded, or its proxy cannot reach it; the
# request failed, not the data, so the task retries the whole batch later.
UNAVAILABLE_STATUSES = frozenset({429, 502, 503, 504})
# Bulk items the cluster rejected as overloaded: retried inside the bulk call.
OVERLOADED_ITEM_STATUSES = (429, 503)


def is_transient_status(status: int | None) -> bool:
    """A fetch that failed with `status` (None: connection error or timeout) may succeed
    on a later run: a retryable status, or any 5xx (the server failed, not the page)."""
    return status is None or status in RETRY_STATUSES or status >= 500


def retry_delay(
    *,
    attempt: int,
    status: int | None,
    retry_after: str | None = None,
    max_attempts: int,
    base_s: float,
    max_delay_s: float,
    now: datetime | None = None,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None to stop retrying.

    `attempt` counts from 1 (the attempt that just failed); `status` is None for a
    connection error or timeout. Stops when attempts are used up, when the status is
    not retryable, or when the server asks for a wait longer than `max_delay_s`.
    """
    if attempt >= max_attempts:
        return None
    if status is not None and status not in RETRY_STATUSES:
        return None
    asked = parse_retry_after(retry_after, now=now)
    if asked is not None:
        return asked if asked <= max_delay_s else None
    return backoff_delay(attempt=attempt - 1, base_s=base_s, cap_s=max_delay_s, rand=rand)


def backoff_delay(
    *, attempt: int, base_s: float, cap_s: float, rand: Callable[[], float] = random.random
) -> float:
    """Seconds before retry number `attempt` (0-based): exponential and capped, with
    jitter so workers that failed together do not retry together, yet never less than
    half the step so a struggling service really gets its pause."""
    return float(backoff_ceiling(attempt=attempt, base_s=base_s, cap_s=cap_s) * (0.5 + rand() / 2))


def backoff_ceiling(*, attempt: int, base_s: float, cap_s: float) -> float:
    """The exponential step for retry number `attempt` (0-based), capped: `base_s`
    doubled per retry, never above `cap_s`."""
    return float(min(cap_s, base_s * 2**attempt))


def countdown_cap(*, visibility_timeout_s: float) -> float:
    """The longest delay a retry may be scheduled with on the Redis broker.

    A delayed task is held unacknowledged by the worker that received it; if the delay
    reaches the visibility timeout, Redis delivers it a second time (Celery's documented
    double-execution trap). Half the timeout leaves the other half as margin for the
    run itself.
    """
    return max(1.0, visibility_timeout_s / 2)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date), None if absent or bad."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
