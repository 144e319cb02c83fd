"""Source runs and URL batches: discovery under a lock, fetch + dedupe + ingest.

`run_source` is what a beat tick does: under the source's lock (so overlapping ticks
or two beat processes cannot double-fetch), read the checkpoint, discover, hand the
new URLs to `submit` in batches, then save the checkpoint and a last-run record.
`ingest_urls` is what an ingest task does with one batch: fetch each URL (in
parallel, politely), skip what has not changed, and run the rest through
`workers.ingest.ingest_raw`.

Dedupe happens twice, cheaply first: a conditional GET answered 304 is "unchanged"
without reading a byte; a 200 whose extracted text hashes to what was indexed last
time is "unchanged" without parsing, enriching or writing. Validators and hashes are
saved only after the store accepted the article, so a failed write is refetched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial

from workers.cache import Cache, LockHeld
from workers.fetch import Fetcher, FetchResult, PermanentFetchError, TransientFetchError
from workers.ingest import BatchReport, ItemResult, ingest_raw
from workers.model import InputError, RawArticle
from workers.settings import Settings
from workers.sources.base import Source
from workers.sources.config import SourceConfig
from workers.sources.feed import FeedSource
from workers.sources.html import article_from_html
from workers.sources.listing import ListingSource
from workers.sources.wordpress import WordPressSource
from workers.stores.base import Store

# Checkpoints outlive any sensible schedule; the cache requires a TTL on every key.
CHECKPOINT_TTL_S = 400 * 86400


@dataclass(frozen=True, slots=True)
class SourceRun:
    """The record of one run, kept in the cache as the source's 'last run'."""

    source: str
    started_at: str
    finished_at: str
    discovered: int
    batches: int
    checkpoint: str | None
    requests: int
    errors: list[tuple[str, str]] = field(default_factory=list)
    locked: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def build_source(
    config: SourceConfig, *, fetcher: Fetcher, cache: Cache, settings: Settings
) -> Source:
    if config.kind == "feed":
        return FeedSource(config, fetcher=fetcher)
    if config.kind == "wordpress":
        return WordPressSource(config, fetcher=fetcher)
    return ListingSource(
        config,
        fetcher=fetcher,
        is_known=partial(is_known, cache),
        max_pages=settings.listing_max_pages,
    )


def is_known(cache: Cache, url: str) -> bool:
    """Indexed before, or already handed to an ingest batch by a source run."""
    return cache.get(f"seen:{url}") is not None or cache.get(f"queued:{url}") is not None


def checkpoint_of(cache: Cache, name: str) -> str | None:
    return cache.get(f"checkpoint:{name}")


def last_run_of(cache: Cache, name: str) -> dict[str, object] | None:
    value = cache.get(f"lastrun:{name}")
    return None if value is None else dict(json.loads(value))


def run_source(
    source: Source,
    *,
    cache: Cache,
    submit: Callable[[list[list[str]]], None],
    batch_size: int,
    backfill: bool = False,
    lock_ttl_s: int = 1800,
    ttl_s: int = 90 * 86400,
) -> SourceRun:
    """Discover and submit one source's new items; a run already in progress wins.

    `submit` receives all batches at once (enqueue them, or ingest them in-process).
    Returns a run with `locked=True` (and nothing done) when another holder has the
    lock. The checkpoint is saved only after `submit` returned.
    """
    started = _now()
    try:
        with cache.lock(f"source:{source.name}", ttl_s=lock_ttl_s):
            since = checkpoint_of(cache, source.name)
            found = source.discover(since=None if backfill else since, backfill=backfill)
            urls = [item.url for item in found.items]
            batches = [urls[i : i + batch_size] for i in range(0, len(urls), batch_size)]
            if batches:
                submit(batches)
            for url in urls:
                cache.set(f"queued:{url}", "1", ttl_s=ttl_s)
            for done in found.on_submitted:
                done()
            if found.checkpoint is not None:
                cache.set(f"checkpoint:{source.name}", found.checkpoint, ttl_s=CHECKPOINT_TTL_S)
            run = SourceRun(
                source=source.name,
                started_at=started,
                finished_at=_now(),
                discovered=len(urls),
                batches=len(batches),
                checkpoint=found.checkpoint or since,
                requests=found.requests,
                errors=found.errors,
            )
            cache.set(f"lastrun:{source.name}", json.dumps(run.to_dict()), ttl_s=CHECKPOINT_TTL_S)
            return run
    except LockHeld:
        return SourceRun(source.name, started, _now(), 0, 0, None, 0, locked=True)


@dataclass(slots=True)
class UrlBatch:
    """The outcome of one batch: per-item report, plus URLs worth retrying later."""

    report: BatchReport
    retry: list[str] = field(default_factory=list)
    retry_after_s: float | None = None


def ingest_urls(
    urls: Sequence[str], *, fetcher: Fetcher, cache: Cache, store: Store, ttl_s: int
) -> UrlBatch:
    """Fetch, dedupe and ingest a batch of article URLs (see the module docstring)."""
    urls = list(dict.fromkeys(urls))  # one id written twice in one bulk write is a bug
    with ThreadPoolExecutor(max_workers=fetcher.policy.concurrency) as pool:
        outcomes = list(pool.map(partial(_fetch, fetcher), urls))
    batch = UrlBatch(BatchReport())
    loads: list[tuple[str, Callable[[], RawArticle]]] = []
    fresh: dict[str, tuple[FetchResult, str]] = {}
    for url, outcome in zip(urls, outcomes, strict=True):
        if isinstance(outcome, TransientFetchError):
            batch.retry.append(url)
            if outcome.retry_after_s is not None:
                batch.retry_after_s = max(batch.retry_after_s or 0.0, outcome.retry_after_s)
            continue
        if isinstance(outcome, InputError):
            loads.append((url, partial(_raise, outcome)))
            continue
        if outcome.not_modified:
            batch.report.items.append(ItemResult(url, "unchanged"))
            continue
        try:
            # The page's own address is its identity: an old slug redirecting to the
            # new one must not index the article twice under two ids.
            raw = article_from_html(
                outcome.text(), url=outcome.final_url, fetched_at=outcome.fetched_at
            )
        except InputError as exc:
            loads.append((url, partial(_raise, exc)))
            continue
        digest = hashlib.sha256(raw.text.encode("utf-8")).hexdigest()
        if cache.get(f"seen:{url}") == digest:
            fetcher.save_validators(outcome)
            batch.report.items.append(ItemResult(url, "unchanged"))
            continue
        fresh[url] = (outcome, digest)
        loads.append((url, partial(_value, raw)))
    report = ingest_raw(loads, store=store, cache=cache)
    for item in report.items:
        if item.status != "failed" and item.origin in fresh:
            result, digest = fresh[item.origin]
            fetcher.save_validators(result)
            cache.set(f"seen:{item.origin}", digest, ttl_s=ttl_s)
    batch.report.extend(report)
    return batch


def _fetch(fetcher: Fetcher, url: str) -> FetchResult | InputError | TransientFetchError:
    try:
        return fetcher.get(url)
    except (PermanentFetchError, InputError, TransientFetchError) as exc:
        return exc


def _raise(exc: Exception) -> RawArticle:
    raise exc


def _value(raw: RawArticle) -> RawArticle:
    return raw


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
