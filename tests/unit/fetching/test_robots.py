from __future__ import annotations

import threading

from workers.cache import MemoryCache
from workers.fetching.robots import RobotsRules, robots_url

RULES = "User-agent: *\nDisallow: /wp-admin/\n\nUser-agent: BadBot\nDisallow: /\n"


def rules(text: str, loads: list[str], cache: MemoryCache | None = None) -> RobotsRules:
    def load(where: str) -> str:
        loads.append(where)
        return text

    return RobotsRules(
        cache=cache or MemoryCache(), user_agent="MonitorIngest/0.1", ttl_s=60, load=load
    )


def test_rules_are_applied_and_loaded_once_per_host() -> None:
    loads: list[str] = []
    robots = rules(RULES, loads)
    assert robots.allowed("https://jamestown.org/program/a/")
    assert not robots.allowed("https://jamestown.org/wp-admin/edit.php")
    assert loads == ["https://jamestown.org/robots.txt"]


def test_the_shared_cache_spares_other_processes_the_fetch() -> None:
    cache = MemoryCache()
    rules(RULES, [], cache).allowed("https://jamestown.org/")
    loads: list[str] = []
    assert not rules(RULES, loads, cache).allowed("https://jamestown.org/wp-admin/")
    assert loads == []


def test_a_missing_robots_txt_allows_everything() -> None:
    assert rules("", []).allowed("https://jamestown.org/anything/")


def test_parallel_first_requests_fetch_robots_once() -> None:
    loads: list[str] = []
    robots = rules(RULES, loads)
    threads = [
        threading.Thread(target=robots.allowed, args=(f"https://jamestown.org/program/{i}/",))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1


def test_robots_url() -> None:
    assert robots_url("https://jamestown.org:8443/a/b?c") == "https://jamestown.org:8443/robots.txt"
