"""`Cache.add_counts`: counters several processes add to at once (the workers of one
`reprocess --async` run), the same on every cache."""

from __future__ import annotations

import threading

import pytest

from workers.cache import Cache

pytestmark = pytest.mark.integration


@pytest.fixture
def cache(every_cache: Cache) -> Cache:
    return every_cache


def test_counts_added_from_many_threads_at_once_are_all_kept(cache: Cache) -> None:
    assert cache.counts("run") == {}

    def add() -> None:
        for _ in range(20):
            cache.add_counts("run", {"unchanged": 2, "failed": 1}, ttl_s=60)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.counts("run") == {"unchanged": 160, "failed": 80}
    assert cache.counts("other") == {}
