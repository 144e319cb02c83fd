"""The composition root: every long-lived part a run needs, built from the settings.

A `Runtime` holds the settings and builds each part the first time it is asked for,
then hands out that same object: the store, the cache, the pipeline (its enrichment
results kept in that cache), the fetcher, the Internet Archive's fetcher, the
dead-letter queue and the broker's Redis. This is the one place that decides which
store (Elasticsearch or embedded), which cache (Redis or SQLite) and which spaCy model
a run gets; nothing under `workers/` reads the settings from the environment
(`get_settings()` is for the faces).

The faces make one: a Celery worker process one for its life (`tasks.app.runtime()`),
a CLI command one for the command (`with open_runtime() as rt:` in `tasks/cli/base.py`),
`devsupport.runs` and the benchmarks one per run. `close()` closes what the runtime
built and nothing it was given: a part passed in (a test's store, a benchmark's
`MemoryCache`) stays the caller's. Building is lazy, so a command that needs only the
store never opens the cache, and a process that imports this module loads neither
httpx nor the Elasticsearch client.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from workers.settings import Settings

if TYPE_CHECKING:
    from types import TracebackType

    import redis

    from workers.cache import Cache
    from workers.deadletter import DeadLetterQueue
    from workers.fetching.fetch import Fetcher
    from workers.pipeline import Pipeline
    from workers.sources.wayback import Archive
    from workers.stores.base import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
# The parts, in the order they are closed (a part before what it was built on: the
# pipeline, fetcher and archive use the cache).
PARTS = ("pipeline", "fetcher", "archive", "store", "dead_letters", "broker", "cache")


class Runtime:
    """The parts of one process or one command, each built once on first use.

    `Runtime.from_settings(settings)` builds everything from the settings; a part given
    by keyword is used as it is (and not closed by `close`). `enrich_cache=False`
    gives a pipeline that caches nothing (`monitor enrich`, `monitor eval`: runs that
    index nothing write nothing either).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        cache: Cache | None = None,
        pipeline: Pipeline | None = None,
        fetcher: Fetcher | None = None,
        archive: Archive | None = None,
        dead_letters: DeadLetterQueue | None = None,
        enrich_cache: bool = True,
    ) -> None:
        self.settings = settings
        self.enrich_cache = enrich_cache
        given = {
            "store": store,
            "cache": cache,
            "pipeline": pipeline,
            "fetcher": fetcher,
            "archive": archive,
            "dead_letters": dead_letters,
        }
        self._parts: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        self._built: list[str] = []  # what close() closes, in the order built
        self._lock = threading.RLock()  # a part is built once, whichever thread asks

    @classmethod
    def from_settings(cls, settings: Settings, **given: Any) -> Runtime:
        """The runtime of a worker process or a command: every part from `settings`."""
        return cls(settings, **given)

    def _part(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._parts:
                self._parts[name] = build()
                self._built.append(name)
            return cast(T, self._parts[name])

    @property
    def store(self) -> Store:
        """Elasticsearch when `MONITOR_ELASTICSEARCH_URL` is set, else the embedded store."""
        from workers.stores import open_store

        return self._part("store", lambda: open_store(self.settings))

    @property
    def cache(self) -> Cache:
        """Validators, checkpoints, locks and enrichment results: Redis or SQLite."""
        from workers.cache import open_cache

        return self._part("cache", lambda: open_cache(self.settings))

    @property
    def pipeline(self) -> Pipeline:
        """The full enricher set with the configured spaCy model, its results cached in
        `cache` (unless `enrich_cache=False`)."""
        from workers.pipeline import Pipeline

        def build() -> Pipeline:
            return Pipeline.from_settings(self.settings, self.cache if self.enrich_cache else None)

        return self._part("pipeline", build)

    @property
    def fetcher(self) -> Fetcher:
        """The polite HTTP fetcher (one keep-alive client, rate limits, robots.txt)."""
        from workers.fetching.fetch import Fetcher

        return self._part("fetcher", lambda: Fetcher.from_settings(self.settings, cache=self.cache))

    @property
    def archive(self) -> Archive:
        """The Internet Archive's fetcher: its own host, rate and one request at a time."""
        from workers.sources.wayback import Archive

        return self._part("archive", lambda: Archive.from_settings(self.settings, cache=self.cache))

    @property
    def dead_letters(self) -> DeadLetterQueue:
        """The dead-letter queue: on the broker Redis with a broker, else SQLite."""
        from workers.deadletter import open_dead_letters

        return self._part("dead_letters", lambda: open_dead_letters(self.settings))

    @property
    def broker(self) -> redis.Redis[str] | None:
        """A client of the broker's Redis (None in eager mode): the Celery face counts
        batch deliveries there (tasks/delivery.py)."""
        url = self.settings.broker_url
        if url is None:
            return None

        def build() -> redis.Redis[str]:
            import redis

            return redis.Redis.from_url(
                url.get_secret_value(),
                decode_responses=True,
                socket_connect_timeout=5,
                socket_timeout=30,
            )

        return self._part("broker", build)

    def built(self) -> list[str]:
        """The names of the parts this runtime built (and `close` will close)."""
        with self._lock:
            return list(self._built)

    def close(self) -> None:
        """Close every part this runtime built that has a `close`, each even if another
        fails; the next use of a part builds it again. Parts given are left open."""
        with self._lock:
            built, self._built = self._built, []
            parts = {name: self._parts.pop(name) for name in built}
        for name in sorted(parts, key=PARTS.index):
            close = getattr(parts[name], "close", None)
            if close is None:
                continue
            try:
                close()
            except Exception as exc:  # the others still get closed
                log.warning("closing the %s failed: %s: %s", name, type(exc).__name__, exc)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
