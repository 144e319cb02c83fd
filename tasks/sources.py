"""Source tasks: thin wrappers around `workers.crawl`.

`monitor.run_source` is what beat calls per source: discover under the source lock,
then fan the new URLs out to the ingest queue in batches. `monitor.ingest_urls`
fetches and ingests one batch (URLs, or REST posts that carry their content); items
that failed transiently (site down, asked us to wait) are re-enqueued alone with a
delay, so one slow page never re-runs a batch. Items the site's bot protection
refused are re-enqueued too, with the block's pause as the delay, and never count
towards `MAX_URL_RETRIES`: a block is not the item's fault. Every delay stays below
the broker's visibility timeout (a longer countdown is redelivered early: Celery's
documented double-execution trap with the Redis transport).
"""

from __future__ import annotations

from typing import Any

from celery import Task

from tasks.app import app, runtime
from tasks.delivery import run_batch
from tasks.dispatch import dispatch
from workers.crawl import build_source, ingest_urls, item_url, run_source
from workers.errors import TransientError
from workers.ingest import BatchReport, ItemResult
from workers.retry import backoff_ceiling, countdown_cap
from workers.sources.base import Item
from workers.sources.config import SourceConfig, SourceConfigError, load_sources

# Re-enqueues of transiently failed URLs before they are reported as failed.
MAX_URL_RETRIES = 5
# The first re-enqueue's delay; it doubles per retry (capped below the visibility timeout).
URL_RETRY_BASE_S = 30.0


def find_source(name: str) -> SourceConfig:
    for source in load_sources(runtime().settings, include_disabled=True):
        if source.name == name:
            return source
    raise SourceConfigError(f"no source named {name!r} in the sources file")


def enqueue_batches(batches: list[list[Item]]) -> None:
    """A source run's `submit`: each batch becomes one `monitor.ingest_urls` task."""
    dispatch(ingest_urls_task, batches, queue=runtime().settings.ingest_queue)


class SourceRunFailed(TransientError):
    """A source run whose every request failed (`crawl.run_status`): the task ends as
    failed, not as a quiet "succeeded" tick. Expected (`throws`): Celery logs it
    without a traceback; `run_source` has logged the cause at WARNING. Transient (the
    sites or the network were down): the next scheduled tick is the retry."""


@app.task(name="monitor.run_source", throws=(SourceRunFailed,))
def run_source_task(
    name: str, backfill: bool = False, config: dict[str, Any] | None = None
) -> dict[str, object]:
    """Discover one source's new items and enqueue them; `config` for ad-hoc sources."""
    rt = runtime()
    settings = rt.settings
    source_config = SourceConfig.model_validate(config) if config else find_source(name)
    source = build_source(
        source_config, fetcher=rt.fetcher, cache=rt.cache, settings=settings, archive=rt.archive
    )
    run = run_source(
        source,
        cache=rt.cache,
        submit=enqueue_batches,
        batch_size=settings.batch_size,
        backfill=backfill,
        lock_ttl_s=settings.source_lock_ttl_s,
        ttl_s=settings.validators_ttl_s,
    )
    if run.status == "failed":
        raise SourceRunFailed(f"source {name} failed: {run.cause}")
    return run.to_dict()


@app.task(name="monitor.ingest_urls", bind=True)
def ingest_urls_task(self: Task, urls: list[Item], attempt: int = 0) -> dict[str, Any]:
    """Fetch and ingest a batch of article URLs; failures go to the dead-letter queue."""
    refs = [item_url(item) for item in urls]
    return run_batch(self, items=refs, kind="url", body=lambda: _ingest_urls(urls, attempt))


def retry_countdown(*, attempt: int, retry_after_s: float | None, cap_s: float) -> int:
    """The server's Retry-After (or a block's pause) if given, else our own backoff;
    never at or above `cap_s` (below the visibility timeout)."""
    backoff = backoff_ceiling(attempt=attempt, base_s=URL_RETRY_BASE_S, cap_s=cap_s)
    return int(max(1.0, min(cap_s, max(retry_after_s or 0, backoff))))


def _ingest_urls(items: list[Item], attempt: int) -> BatchReport:
    rt = runtime()
    settings = rt.settings
    batch = ingest_urls(
        items,
        fetcher=rt.fetcher,
        cache=rt.cache,
        store=rt.store,
        ttl_s=settings.validators_ttl_s,
        archive=rt.archive,
        pipeline=rt.pipeline,
    )
    cap = countdown_cap(visibility_timeout_s=settings.visibility_timeout_s)
    blocked = [i for i in batch.retry if i in batch.blocked]
    if blocked:
        ingest_urls_task.apply_async(
            args=[blocked, attempt],  # a block does not use up the item's retries
            queue=settings.ingest_queue,
            countdown=retry_countdown(
                attempt=attempt, retry_after_s=batch.retry_after_s, cap_s=cap
            ),
        )
    failing = [i for i in batch.retry if i not in batch.blocked]
    if failing and attempt < MAX_URL_RETRIES:
        ingest_urls_task.apply_async(
            args=[failing, attempt + 1],
            queue=settings.ingest_queue,
            countdown=retry_countdown(
                attempt=attempt, retry_after_s=batch.retry_after_s, cap_s=cap
            ),
        )
    elif failing:
        batch.report.items.extend(
            ItemResult(
                item_url(item),
                "failed",
                reason=f"still failing after {attempt} retries: "
                f"{batch.reasons.get(item_url(item), 'transient')}",
                stage="fetch",
                error_type="TransientFetchError",
            )
            for item in failing
        )
    return batch.report
