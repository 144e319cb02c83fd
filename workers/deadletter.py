"""The dead-letter queue: every item that could not be processed, with its reason.

Durable on purpose. With a broker configured, entries live on the *broker* Redis (one
hash), which is configured `noeviction` with AOF: unlike the cache Redis, nothing there
may be evicted, and every worker on every machine can reach it. Without a broker (the
embedded mode, one machine) they live in a SQLite file in `MONITOR_DATA_DIR`.

An entry is keyed by what failed (`kind` + `ref`: a file path, a URL, an article id),
so the same item failing again updates its attempts and last time instead of adding a
second entry, and `monitor dlq retry` knows how to run it again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

import redis

from workers.settings import Settings, redact_text

ItemKind = Literal["file", "url", "article"]
_REDIS_KEY = "monitor:dlq"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: str
    kind: ItemKind
    ref: str
    stage: str
    error_type: str
    message: str
    attempts: int
    first_seen: str
    last_seen: str


def letter_id(kind: str, ref: str) -> str:
    return hashlib.sha256(f"{kind}\x1f{ref}".encode()).hexdigest()[:16]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class DeadLetterQueue(Protocol):
    def get(self, letter_id: str) -> DeadLetter | None: ...

    def put(self, letter: DeadLetter) -> None: ...

    def all(self) -> list[DeadLetter]: ...

    def remove(self, letter_ids: list[str]) -> int: ...

    def size(self) -> int: ...


def record(
    queue: DeadLetterQueue,
    *,
    kind: ItemKind,
    ref: str,
    stage: str,
    error_type: str,
    message: str,
    attempts: int = 1,
) -> DeadLetter:
    """Add or update the entry for (kind, ref): attempts add up, first_seen is kept.
    The message is stored without credentials (`redact_text`); the ref stays as it
    is, since `monitor dlq retry` runs it again."""
    now = _now()
    message = redact_text(message)
    lid = letter_id(kind, ref)
    existing = queue.get(lid)
    if existing is None:
        letter = DeadLetter(lid, kind, ref, stage, error_type, message, attempts, now, now)
    else:
        letter = replace(
            existing,
            stage=stage,
            error_type=error_type,
            message=message,
            attempts=existing.attempts + attempts,
            last_seen=now,
        )
    queue.put(letter)
    return letter


def purge(queue: DeadLetterQueue, *, older_than: datetime | None = None) -> int:
    """Drop entries last seen before `older_than` (all of them when None)."""
    doomed = [
        letter.id
        for letter in queue.all()
        if older_than is None or datetime.fromisoformat(letter.last_seen) < older_than
    ]
    return queue.remove(doomed) if doomed else 0


class RedisDeadLetters:
    def __init__(self, client: redis.Redis[str]) -> None:
        self.client = client

    def get(self, letter_id: str) -> DeadLetter | None:
        value = self.client.hget(_REDIS_KEY, letter_id)
        return None if value is None else DeadLetter(**json.loads(value))

    def put(self, letter: DeadLetter) -> None:
        self.client.hset(_REDIS_KEY, letter.id, json.dumps(asdict(letter)))

    def all(self) -> list[DeadLetter]:
        entries = [DeadLetter(**json.loads(v)) for v in self.client.hvals(_REDIS_KEY)]
        return sorted(entries, key=lambda e: (e.last_seen, e.id))

    def remove(self, letter_ids: list[str]) -> int:
        return int(self.client.hdel(_REDIS_KEY, *letter_ids)) if letter_ids else 0

    def size(self) -> int:
        return int(self.client.hlen(_REDIS_KEY))


class SqliteDeadLetters:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS dead_letters (id TEXT PRIMARY KEY, entry TEXT NOT NULL)"
        )

    def get(self, letter_id: str) -> DeadLetter | None:
        row = self._db.execute(
            "SELECT entry FROM dead_letters WHERE id = ?", (letter_id,)
        ).fetchone()
        return None if row is None else DeadLetter(**json.loads(row[0]))

    def put(self, letter: DeadLetter) -> None:
        self._db.execute(
            "INSERT INTO dead_letters (id, entry) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET entry = excluded.entry",
            (letter.id, json.dumps(asdict(letter))),
        )

    def all(self) -> list[DeadLetter]:
        rows = self._db.execute("SELECT entry FROM dead_letters").fetchall()
        return sorted(
            (DeadLetter(**json.loads(r[0])) for r in rows), key=lambda e: (e.last_seen, e.id)
        )

    def remove(self, letter_ids: list[str]) -> int:
        removed = 0
        for lid in letter_ids:
            removed += self._db.execute("DELETE FROM dead_letters WHERE id = ?", (lid,)).rowcount
        return removed

    def size(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM dead_letters").fetchone()[0])


def open_dead_letters(settings: Settings) -> DeadLetterQueue:
    """On the broker Redis when there is a broker, else a SQLite file in data_dir."""
    if settings.broker_url is not None:
        url = settings.broker_url.get_secret_value()
        client = redis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=5, socket_timeout=30
        )
        return RedisDeadLetters(client)
    return SqliteDeadLetters(settings.data_dir / "deadletter.sqlite3")
