"""One source run as eager mode does it, for the fetching tests and `bench/fetch.py`:
discovery through `run_source`, every batch it hands on ingested in-process through
`ingest_urls` with a worker's pipeline. A batch item handed back for a retry fails
the run (an AssertionError with its reason): on the local look-alikes nothing is
transient unless a test makes it so."""

from __future__ import annotations

from workers.cache import Cache
from workers.crawl import SourceRun, build_source, ingest_urls, run_source
from workers.fetching.fetch import Fetcher
from workers.ingest import BatchReport
from workers.pipeline import Pipeline
from workers.settings import Settings
from workers.sources.base import Item
from workers.sources.config import SourceConfig
from workers.sources.wayback import Archive
from workers.stores import open_store


def run_in_process(
    config: SourceConfig,
    *,
    settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    backfill: bool = False,
    archive: Archive | None = None,
    batch_size: int | None = None,
) -> tuple[SourceRun, BatchReport]:
    report = BatchReport()
    store = open_store(settings)
    source = build_source(config, fetcher=fetcher, cache=cache, settings=settings, archive=archive)
    pipeline = Pipeline.from_settings(settings, cache)  # as `tasks.app.pipeline()`

    def submit(batches: list[list[Item]]) -> None:
        for batch in batches:
            result = ingest_urls(
                batch,
                fetcher=fetcher,
                cache=cache,
                store=store,
                ttl_s=3600,
                archive=archive,
                pipeline=pipeline,
            )
            report.extend(result.report)
            assert not result.retry, result.reasons

    try:
        outcome = run_source(
            source,
            cache=cache,
            submit=submit,
            batch_size=batch_size or settings.batch_size,
            backfill=backfill,
        )
    finally:
        store.close()
    return outcome, report
