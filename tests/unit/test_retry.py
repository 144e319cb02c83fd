from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workers.retry import is_transient_status, parse_retry_after, retry_delay

POLICY = {"max_attempts": 4, "base_s": 1.0, "max_delay_s": 30.0}


@pytest.mark.parametrize("status", [None, 429, 500, 502, 503, 504])
def test_transient_failures_are_retried_with_growing_backoff(status: int | None) -> None:
    delays = [retry_delay(attempt=n, status=status, rand=lambda: 1.0, **POLICY) for n in (1, 2, 3)]
    assert delays == [1.0, 2.0, 4.0]


def test_jitter_stays_within_half_to_full_backoff() -> None:
    low = retry_delay(attempt=3, status=503, rand=lambda: 0.0, **POLICY)
    assert low == 2.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_permanent_statuses_are_not_retried(status: int) -> None:
    assert retry_delay(attempt=1, status=status, **POLICY) is None


def test_attempts_are_bounded() -> None:
    assert retry_delay(attempt=4, status=503, **POLICY) is None


def test_retry_after_wins_over_backoff() -> None:
    assert retry_delay(attempt=1, status=429, retry_after="7", **POLICY) == 7.0


def test_retry_after_longer_than_allowed_gives_the_item_back() -> None:
    assert retry_delay(attempt=1, status=429, retry_after="3600", **POLICY) is None


def test_retry_after_as_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:10 GMT", now=now) == 10.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(("timeout", "cap"), [(3600, 1800.0), (4, 2.0)])
def test_scheduled_retries_stay_below_the_visibility_timeout(timeout: int, cap: float) -> None:
    from workers.retry import countdown_cap

    # Redis redelivers a delayed task once it has waited the visibility timeout.
    assert countdown_cap(visibility_timeout_s=timeout) == cap < timeout


@pytest.mark.parametrize(
    ("status", "transient"),
    [(None, True), (408, True), (429, True), (501, True), (599, True), (404, False), (410, False)],
)
def test_a_fetch_given_up_is_transient_for_any_5xx_and_the_retry_statuses(
    status: int | None, transient: bool
) -> None:
    # RFC 9110 (15.6): 5xx means the server failed; 501 is not retried inside the fetch
    # (not in RETRY_STATUSES) yet a later run may still succeed, so it is not permanent.
    assert is_transient_status(status) is transient
