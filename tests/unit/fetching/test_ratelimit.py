from __future__ import annotations

import time

from workers.fetching.ratelimit import LocalTokenBucket


def test_requests_are_spaced_at_the_rate_after_the_burst() -> None:
    bucket = LocalTokenBucket(rate_per_s=50, burst=2)
    started = time.monotonic()
    for _ in range(7):
        bucket.acquire("jamestown.org")
    # 2 from the burst, then 5 at 20 ms each.
    assert 0.09 <= time.monotonic() - started < 0.5


def test_hosts_have_separate_buckets() -> None:
    bucket = LocalTokenBucket(rate_per_s=1, burst=1)
    started = time.monotonic()
    bucket.acquire("jamestown.org")
    bucket.acquire("example.org")
    assert time.monotonic() - started < 0.1
