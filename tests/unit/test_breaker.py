"""The block circuit breaker (issue 16: repeated Cloudflare challenges pause a host)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workers.cache import MemoryCache
from workers.fetching.breaker import BlockBreaker

# A fixed moment, passed to every call that would otherwise read the clock: the
# answers cannot depend on when the suite reaches this file (issue 25 point 11: at
# import time, a pause of 20 minutes had expired by the time a slow suite got here).
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_pauses_after_the_threshold_and_doubles_then_clears() -> None:
    breaker = BlockBreaker(MemoryCache(), threshold=3, pause_s=600)
    for _ in range(2):
        state = breaker.blocked("jamestown.org", "cf-mitigated", now=NOW)
    assert state.paused_until is None and state.blocks == 2
    third = breaker.blocked("jamestown.org", "cf-mitigated", now=NOW)
    assert third.paused_until == (NOW + timedelta(seconds=600)).isoformat(timespec="seconds")
    fourth = breaker.blocked("jamestown.org", "cf-mitigated", now=NOW)
    assert fourth.pause_left_s(NOW) == 1200  # doubled
    assert "PAUSED" in fourth.describe(NOW) and "MONITOR_HTTP_PROXY" in fourth.describe(NOW)
    assert "PAUSED" not in fourth.describe(NOW + timedelta(seconds=1200))
    breaker.cleared("jamestown.org")
    assert breaker.state("jamestown.org") is None


def test_the_pause_is_capped_at_a_day() -> None:
    breaker = BlockBreaker(MemoryCache(), threshold=1, pause_s=3600)
    for _ in range(10):
        state = breaker.blocked("jamestown.org", "x", now=NOW)
    assert state.pause_left_s(NOW) == 86400


def test_hosts_are_separate() -> None:
    breaker = BlockBreaker(MemoryCache(), threshold=1, pause_s=60)
    breaker.blocked("jamestown.org", "x", now=NOW)
    assert breaker.state("example.org") is None
