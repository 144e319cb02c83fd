"""A source's state between runs, kept in the cache: its checkpoint and the record of
its last run.

Apart from `crawl.py`, which writes them, so that the commands that only read them
(`monitor status`, `monitor sources`) do not import the sources, the extractor and
trafilatura behind a run: about half a second of start-up per command.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from workers.cache import Cache

# Checkpoints outlive any sensible schedule; the cache requires a TTL on every key.
CHECKPOINT_TTL_S = 400 * 86400


def checkpoint_of(cache: Cache, name: str) -> str | None:
    return cache.get(f"checkpoint:{name}")


def save_checkpoint(cache: Cache, name: str, checkpoint: str) -> None:
    cache.set(f"checkpoint:{name}", checkpoint, ttl_s=CHECKPOINT_TTL_S)


def last_run_of(cache: Cache, name: str) -> dict[str, object] | None:
    value = cache.get(f"lastrun:{name}")
    return None if value is None else dict(json.loads(value))


def save_last_run(cache: Cache, name: str, record: dict[str, object]) -> None:
    cache.set(f"lastrun:{name}", json.dumps(record), ttl_s=CHECKPOINT_TTL_S)


def failure_cause(errors: Sequence[Sequence[str]]) -> str:
    """A run's cause in one line: its first error and where, and how many more (also
    what `monitor sources` shows from a stored run record)."""
    if not errors or len(errors[0]) != 2:
        return "no request answered"
    origin, reason = errors[0]
    more = len(errors) - 1
    return f"{reason} ({origin})" + (f", and {more} more error(s)" if more else "")
