"""Fetch benchmark: a 1,000-article listing backfill, then incremental runs.

Runs against the tests' jamestown-like site on 127.0.0.1 (real HTTP), a private
redis-server on a free port (when installed; else the in-process cache) and the
embedded store in a temp dir. The rate limit is lifted (``--rate``) so the number
measured is our own cost; at the production default of 1 request/s the wall time
of a run is simply its request count in seconds.

    python -m bench.fetch [--articles 1000] [--rate 1000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import machine
from tests.integration.site import Site
from tests.support.redis_server import private_redis
from workers.cache import Cache, MemoryCache, RedisCache
from workers.crawl import build_source, ingest_urls, run_source
from workers.fetch import Fetcher
from workers.ingest import BatchReport
from workers.settings import Settings
from workers.sources.config import SourceConfig
from workers.stores import open_store


@contextmanager
def redis_if_installed(workdir: Path) -> Iterator[str | None]:
    """A private redis-server when one is installed, else None (in-process cache)."""
    if shutil.which("redis-server") is None:
        yield None
        return
    with private_redis(workdir) as url:
        yield url


def one_run(
    config: SourceConfig, *, settings: Settings, fetcher: Fetcher, cache: Cache, backfill: bool
) -> tuple[float, BatchReport]:
    report = BatchReport()
    store = open_store(settings)

    def submit(batches: list[list[str]]) -> None:
        for batch in batches:
            report.extend(
                ingest_urls(batch, fetcher=fetcher, cache=cache, store=store, ttl_s=86400).report
            )

    source = build_source(config, fetcher=fetcher, cache=cache, settings=settings)
    started = time.perf_counter()
    try:
        run_source(
            source, cache=cache, submit=submit, batch_size=settings.batch_size, backfill=backfill
        )
    finally:
        store.close()
    return time.perf_counter() - started, report


def line(label: str, seconds: float, site: Site, report: BatchReport, articles: int) -> None:
    total = sum(site.hits.values())
    pages = sum(n for p, n in site.hits.items() if p.startswith("/program-name/"))
    fetched = sum(site.article_hits().values())
    per = f"{total / articles:.3f}" if articles else "-"
    print(
        f"{label:<34} {seconds:7.2f}s  requests {total:5d} (listing {pages}, articles "
        f"{fetched}, other {total - pages - fetched})  per new article {per}  "
        f"counts {report.counts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1000.0, help="requests/s per host")
    args = parser.parse_args()
    print(machine.describe())
    with tempfile.TemporaryDirectory() as tmp, redis_if_installed(Path(tmp)) as redis_url:
        settings = Settings(
            redis_url=redis_url,
            data_dir=Path(tmp) / "var",
            allowed_hosts="127.0.0.1",
            host_rate_per_s=args.rate,
            host_burst=max(1, int(args.rate / 10)),
            batch_size=25,
        )
        cache: Cache = RedisCache.from_url(redis_url) if redis_url else MemoryCache()
        print(
            f"cache: {'redis ' + redis_url if redis_url else 'in-process'}; "
            f"rate limit {args.rate:g}/s; concurrency {settings.fetch_concurrency}"
        )
        site = Site().start()
        fetcher = Fetcher.from_settings(settings, cache=cache)
        try:
            site.add(args.articles)
            listing = SourceConfig(
                name="bench-edm", kind="listing", url=site.url("/program-name/edm/")
            )
            feed = SourceConfig(name="bench-feed", kind="feed", url=site.url("/feed/"))
            seconds, report = one_run(
                listing, settings=settings, fetcher=fetcher, cache=cache, backfill=True
            )
            line("backfill (listing, to the end)", seconds, site, report, args.articles)
            print(f"{'':<34} {args.articles / seconds:7.1f} articles/s")
            site.hits.clear()
            seconds, report = one_run(
                feed, settings=settings, fetcher=fetcher, cache=cache, backfill=False
            )
            line("first feed run (all already known)", seconds, site, report, 0)
            for label, source in (
                ("incremental listing, nothing new", listing),
                ("incremental feed, nothing new", feed),
            ):
                site.hits.clear()
                seconds, report = one_run(
                    source, settings=settings, fetcher=fetcher, cache=cache, backfill=False
                )
                line(label, seconds, site, report, 0)
            site.add(5, start=args.articles)
            site.hits.clear()
            seconds, report = one_run(
                listing, settings=settings, fetcher=fetcher, cache=cache, backfill=False
            )
            line("incremental listing, 5 new", seconds, site, report, 5)
        finally:
            fetcher.close()
            site.stop()


if __name__ == "__main__":
    main()
