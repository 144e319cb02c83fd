"""Fetch benchmark: requests per article for a backfill and for an idle tick.

Runs against the tests' look-alike of today's jamestown.org (`Site(rebuilt=True)`:
REST API, core sitemaps, feeds, listings) on 127.0.0.1 over real HTTP, a private
redis-server on a free port (when installed; else the in-process cache) and the
embedded store in a temp dir. The rate limit is lifted (``--rate``) so the number
measured is our own cost; at the production default of 1 request/s the wall time
of a run is its request count in seconds, which is why requests are the figure.

Targets: a REST backfill of N articles <= N/50 + 10 requests, a sitemap
backfill <= N + 10, an idle incremental tick <= 5.

The Internet Archive part backfills from the tests' fake CDX and capture
server (`devsupport/archive.py`): every article captured under two URL
generations (`/program/<slug>/` and `/<slug>/`), every third also under a 2000s
`publications_details.php` page, beside non-article pages, in CDX pages of 5,000
rows. It prints requests per article and the wall time the same backfill takes at
the archive's default rate (MONITOR_WAYBACK_RATE_PER_S), for the 1995-2003 Monitor.

    python -m bench.fetch [--articles 1000] [--rate 1000] [--monitor-issues 2000]
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
from devsupport.archive import Archive, table_page, wordpress_page
from devsupport.redis_server import private_redis
from devsupport.runs import run_in_process
from devsupport.site import Site
from workers.cache import Cache, MemoryCache, RedisCache
from workers.fetching.fetch import Fetcher
from workers.ingest import BatchReport
from workers.runtime import Runtime
from workers.settings import Settings
from workers.sources.cdx import PAGE_ROWS
from workers.sources.config import SourceConfig
from workers.sources.wayback import Archive as WaybackArchive


@contextmanager
def redis_if_installed(workdir: Path) -> Iterator[str | None]:
    """A private redis-server when one is installed, else None (in-process cache)."""
    if shutil.which("redis-server") is None:
        yield None
        return
    with private_redis(workdir) as url:
        yield url


def one_run(
    config: SourceConfig,
    *,
    settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    backfill: bool,
    archive: WaybackArchive | None = None,
) -> tuple[float, BatchReport]:
    started = time.perf_counter()
    _, report = run_in_process(
        config, settings=settings, fetcher=fetcher, cache=cache, backfill=backfill, archive=archive
    )
    return time.perf_counter() - started, report


def line(label: str, seconds: float, site: Site, report: BatchReport, articles: int) -> None:
    total = site.requests()
    fetched = sum(site.article_hits().values())
    per = f"{total / articles:.3f}" if articles else "-"
    print(
        f"{label:<40} {seconds:7.2f}s  requests {total:5d} (article pages {fetched}, "
        f"other {total - fetched})  per article {per}  counts {report.counts}"
    )


def scenario(
    label: str,
    site: Site,
    kind: str,
    path: str,
    *,
    args: argparse.Namespace,
    workdir: Path,
    redis_url: str | None,
) -> None:
    """A fresh cache and store: a backfill, an idle tick, a tick with 5 new articles."""
    settings = Settings(
        redis_url=redis_url,
        data_dir=workdir / label,
        allowed_hosts="127.0.0.1:*",
        host_rate_per_s=args.rate,
        host_burst=max(1, int(args.rate / 10)),
        batch_size=25,
    )
    cache: Cache = RedisCache.from_url(redis_url) if redis_url else MemoryCache()
    if isinstance(cache, RedisCache):
        cache.client.flushdb()
    runtime = Runtime.from_settings(settings, cache=cache)
    fetcher = runtime.fetcher
    config = SourceConfig(name=f"bench-{label}", kind=kind, url=site.url(path))  # type: ignore[arg-type]
    n = len(site.pages)
    try:
        site.hits.clear()
        seconds, report = one_run(
            config, settings=settings, fetcher=fetcher, cache=cache, backfill=True
        )
        line(f"{label}: backfill of {n}", seconds, site, report, n)
        print(f"{'':<40} {n / seconds:7.1f} articles/s")
        site.hits.clear()
        seconds, report = one_run(
            config, settings=settings, fetcher=fetcher, cache=cache, backfill=False
        )
        line(f"{label}: idle tick", seconds, site, report, 0)
        new = site.add(5, start=len(site.pages) + 100_000)
        site.hits.clear()
        seconds, report = one_run(
            config, settings=settings, fetcher=fetcher, cache=cache, backfill=False
        )
        line(f"{label}: tick with 5 new", seconds, site, report, 5)
    finally:
        runtime.close()
        with site.lock:
            site.pages = [p for p in site.pages if p not in new]


def wayback(args: argparse.Namespace, *, workdir: Path, redis_url: str | None) -> None:
    """A wayback backfill, then an incremental run, against the fake archive."""
    archive = Archive(max_rows=PAGE_ROWS).start()
    n = args.articles
    for i in range(n):
        slug = f"monitor-item-number-{i}"
        page = wordpress_page(f"Monitor item number {i}", "Publication: Monitor", ["Moscow."])
        archive.capture("20100101000000", f"http://www.jamestown.org/program/{slug}/", page)
        archive.capture("20260101000000", f"https://jamestown.org/{slug}/", page)
        if i % 3 == 0:
            old = f"http://www.jamestown.org/publications_details.php?article_id={i}"
            archive.capture(
                "20050101000000",
                old,
                table_page(
                    f"Monitor item number {i}",
                    "Publication: Monitor Volume: 1 Issue: 1",
                    ["Moscow."],
                ),
            )
        archive.capture("20100101000000", f"https://jamestown.org/analyst/analyst-{i}/", "x")
    settings = Settings(
        redis_url=redis_url,
        data_dir=workdir / "wayback",
        wayback_url=archive.base,
        wayback_rate_per_s=args.rate,
        batch_size=25,
    )
    cache: Cache = RedisCache.from_url(redis_url) if redis_url else MemoryCache()
    if isinstance(cache, RedisCache):
        cache.client.flushdb()
    runtime = Runtime.from_settings(settings, cache=cache)
    client, fetcher = runtime.archive, runtime.fetcher
    config = SourceConfig(name="bench-wayback", kind="wayback", url="https://jamestown.org/")
    rows = len(archive.captures)
    default_rate = Settings().wayback_rate_per_s
    try:
        per_article = 0.0
        for label in ("backfill", "incremental run"):
            archive.hits.clear()
            seconds, report = one_run(
                config,
                settings=settings,
                fetcher=fetcher,
                cache=cache,
                backfill=False,
                archive=client,
            )
            total = sum(archive.hits.values())
            per_article = per_article or total / n
            print(
                f"wayback {label} ({rows} CDX rows, {n} articles): {seconds:6.2f}s  "
                f"requests {total} (CDX {archive.cdx_requests()}, captures "
                f"{archive.capture_requests()})  per article {total / n:.3f}  "
                f"counts {report.counts}  at the default {default_rate:g}/s: "
                f"{total / default_rate / 3600:.2f} h"
            )
        # The 1995-2003 Monitor: one page per issue, read at the measured cost per
        # article (a third also under an old URL), and at worst two captures each.
        issues = args.monitor_issues
        for label, cost in (("as measured", per_article), ("every one under two URLs", 2.0)):
            need = issues * cost
            print(
                f"wayback: the 1995-2003 Monitor, ~{issues} issues, {label}: about "
                f"{need:,.0f} requests, {need / default_rate / 3600:.1f} h at "
                f"{default_rate:g} request/s"
            )
    finally:
        runtime.close()
        archive.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1000.0, help="requests/s per host")
    parser.add_argument("--monitor-issues", type=int, default=2000)
    args = parser.parse_args()
    print(machine.describe())
    with tempfile.TemporaryDirectory() as tmp, redis_if_installed(Path(tmp)) as redis_url:
        print(
            f"cache: {'redis ' + redis_url if redis_url else 'in-process'}; "
            f"rate limit {args.rate:g}/s; {args.articles} articles"
        )
        site = Site(rebuilt=True).start()
        try:
            site.add(args.articles)
            common = {"args": args, "workdir": Path(tmp), "redis_url": redis_url}
            scenario("rest", site, "site", "/", **common)  # type: ignore[arg-type]
            site.rest = False
            scenario("sitemap", site, "site", "/", **common)  # type: ignore[arg-type]
            site.sitemaps = False
            scenario("listing", site, "listing", "/publications/edm/", **common)  # type: ignore[arg-type]
        finally:
            site.stop()
        wayback(args, workdir=Path(tmp), redis_url=redis_url)


if __name__ == "__main__":
    main()
