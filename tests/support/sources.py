"""A source run in-process, for the integration tests that point a source at a site."""

from __future__ import annotations

from collections.abc import Callable

from devsupport.runs import run_in_process
from workers.cache import Cache
from workers.crawl import SourceRun
from workers.fetching.fetch import Fetcher
from workers.ingest import BatchReport
from workers.settings import Settings
from workers.sources.config import SourceConfig

RunSource = Callable[..., tuple[SourceRun, BatchReport]]


def run_source(
    url: str,
    *,
    name: str,
    kind: str,
    settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    backfill: bool = False,
) -> tuple[SourceRun, BatchReport]:
    """One source run with its batches ingested in-process (what eager mode does): one
    place for the config-and-run every site test's `run` fixture does."""
    config = SourceConfig(name=name, kind=kind, url=url)  # type: ignore[arg-type]
    return run_in_process(
        config, settings=settings, fetcher=fetcher, cache=cache, backfill=backfill
    )
