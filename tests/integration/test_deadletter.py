"""Dead-letter entries: one per item, attempts add up, purge by age; both back ends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from tests.support.redis_server import RedisServer
from workers import deadletter
from workers.deadletter import DeadLetterQueue, RedisDeadLetters, SqliteDeadLetters

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DeadLetterQueue]:
    if request.param == "sqlite":
        yield SqliteDeadLetters(tmp_path / "dlq.sqlite3")
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    client = server.client(5)
    client.flushdb()
    yield RedisDeadLetters(redis.Redis.from_url(server.url(5), decode_responses=True))
    client.flushdb()


def add(queue: DeadLetterQueue, ref: str, attempts: int = 1) -> deadletter.DeadLetter:
    return deadletter.record(
        queue,
        kind="file",
        ref=ref,
        stage="parse",
        error_type="InputError",
        message="file is empty",
        attempts=attempts,
    )


def test_same_item_twice_is_one_entry_with_attempts_added(queue: DeadLetterQueue) -> None:
    first = add(queue, "/in/a.txt", attempts=3)
    second = add(queue, "/in/a.txt")
    assert queue.size() == 1
    assert second.attempts == 4
    assert second.first_seen == first.first_seen
    assert queue.get(first.id) == second


def test_list_remove_and_purge(queue: DeadLetterQueue) -> None:
    a = add(queue, "/in/a.txt")
    add(queue, "/in/b.txt")
    assert sorted(e.ref for e in queue.all()) == ["/in/a.txt", "/in/b.txt"]
    assert queue.remove([a.id, "unknown"]) == 1
    future = datetime.now(UTC) + timedelta(days=1)
    past = datetime.now(UTC) - timedelta(days=1)
    assert deadletter.purge(queue, older_than=past) == 0
    assert deadletter.purge(queue, older_than=future) == 1
    assert queue.size() == 0


def test_entries_never_keep_a_credential(queue: DeadLetterQueue) -> None:
    # A client library's message may quote the URL it failed on, password included.
    letter = deadletter.record(
        queue,
        kind="url",
        ref="https://jamestown.org/program/a/",
        stage="task",
        error_type="ConnectionError",
        message="Error connecting to redis://:dlq-pw-31@broker:6379/0 (?password=dlq-pw-31)",
    )
    stored = queue.get(letter.id)
    assert stored is not None
    assert "dlq-pw-31" not in stored.message
    assert stored.ref == "https://jamestown.org/program/a/"  # kept: retry runs it again
