"""One source run as eager mode does it, for the fetching tests and `bench/fetch.py`:
discovery through `run_source`, every batch it hands on ingested in-process through
`ingest_urls` with a worker's store and pipeline (from a `workers.runtime.Runtime`).
A batch item handed back for a retry fails the run (an AssertionError with its
reason): on the local look-alikes nothing is transient unless a test makes it so."""

from __future__ import annotations

from workers.cache import Cache
from workers.crawl import SourceRun, build_source, ingest_urls, run_source
from workers.fetching.fetch import Fetcher
from workers.ingest import BatchReport
from workers.runtime import Runtime
from workers.settings import Settings
from workers.sources.base import Item
from workers.sources.config import SourceConfig
from workers.sources.wayback import Archive


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
    # As a worker's runtime does, on the test's fetcher and cache (theirs to close).
    runtime = Runtime.from_settings(settings, fetcher=fetcher, cache=cache)
    store, pipeline = runtime.store, runtime.pipeline
    source = build_source(config, fetcher=fetcher, cache=cache, settings=settings, archive=archive)

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
        runtime.close()
    return outcome, report
