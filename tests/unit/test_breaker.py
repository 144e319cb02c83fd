"""The block circuit breaker (issue 16: repeated Cloudflare challenges pause a host)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workers.cache import MemoryCache
from workers.fetching.breaker import BlockBreaker

NOW = datetime.now(UTC).replace(microsecond=0)


def test_pauses_after_the_threshold_and_doubles_then_clears() -> None:
    breaker = BlockBreaker(MemoryCache(), threshold=3, pause_s=600)
    for _ in range(2):
        state = breaker.blocked("jamestown.org", "cf-mitigated", now=NOW)
    assert state.paused_until is None and state.blocks == 2
    third = breaker.blocked("jamestown.org", "cf-mitigated", now=NOW)
    assert third.paused_until == (NOW + timedelta(seconds=600)).isoformat(timespec="seconds")
    fourth = breaker.blocked("jamestown.org", "cf-mitigated", now=NOW)
    assert fourth.pause_left_s(NOW) == 1200  # doubled
    assert "PAUSED" in fourth.describe() and "MONITOR_HTTP_PROXY" in fourth.describe()
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
