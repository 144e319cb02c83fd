"""Cheap looks, from the test process, at what a `monitor` command would report.

For the polls of `wait_for` while a real worker runs: a `monitor status` or `monitor
dlq list` subprocess costs a second or more of imports per poll, taken from the very
worker the test waits on (two cores). Each test still asserts the end state through
the real command once; these only tell it when to look.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import redis
from pydantic import SecretStr

from workers.cache import RedisCache
from workers.deadletter import RedisDeadLetters, open_dead_letters
from workers.reprocess import async_run
from workers.settings import Settings


def stored_count(env: Mapping[str, str]) -> int:
    """Articles in the embedded store of `env`, read from its file."""
    path = Path(env["MONITOR_DATA_DIR"]) / "monitor.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=10) as db:
        try:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
        except sqlite3.OperationalError:  # a worker is creating the schema right now
            return 0


def dead_letter_count(env: Mapping[str, str]) -> int:
    """The dead-letter queue's size, as `monitor dlq list` would count it."""
    settings = Settings(
        broker_url=SecretStr(env["MONITOR_BROKER_URL"]), data_dir=Path(env["MONITOR_DATA_DIR"])
    )
    letters = open_dead_letters(settings)
    try:
        return letters.size()
    finally:
        if isinstance(letters, RedisDeadLetters):
            letters.client.close()


def reprocess_async(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The last `reprocess --async` run as `monitor status` shows it."""
    client: redis.Redis[str] = redis.Redis.from_url(env["MONITOR_REDIS_URL"], decode_responses=True)
    try:
        return async_run(RedisCache(client))
    finally:
        client.close()
