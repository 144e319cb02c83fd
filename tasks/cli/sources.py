"""`monitor ingest URL...` (sites, REST, sitemaps, feeds, listings, articles) and
`monitor sources`.

`monitor ingest` hands http(s) arguments here (`ingest_urls_command`); the files
path stays in `articles.py`. A URL runs as an ad-hoc source of the kind its path
suggests (`workers.sources.kinds`, or `--kind`), through the same
`workers.crawl` functions the scheduled tasks run: in this process, or
enqueued with `--async`. Fetching (httpx, trafilatura) is imported by the commands
that fetch, never at start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tasks.cli.base import (
    EXIT_ITEMS_FAILED,
    Progress,
    aligned,
    chunks,
    echo_json,
    fail,
    format_option,
    main,
    open_runtime,
    print_report,
    require_broker,
    skip_summary,
    warn,
)
from workers.sources.kinds import KINDS

if TYPE_CHECKING:
    from workers.ingest import BatchReport
    from workers.runtime import Runtime
    from workers.settings import Settings
    from workers.sources.base import Item
    from workers.sources.config import SourceConfig

F = TypeVar("F", bound=Callable[..., Any])


def url_options(func: F) -> F:
    """The URL-only options of `monitor ingest`."""
    func = click.option(
        "--kind",
        type=click.Choice(KINDS),
        help="For URLs: what the URL is (default: guessed from its path). site: a site "
        "root, read by REST API, else sitemaps, else its feed; wordpress: the REST API; "
        "sitemap: a sitemap or index; feed; listing: a publication's first page; "
        "article: one article page; wayback: the site's captures in the Internet "
        "Archive (MONITOR_WAYBACK_URL), e.g. `--kind wayback jamestown.org`.",
    )(func)
    func = click.option(
        "--from",
        "from_year",
        type=click.IntRange(1996, 2100),
        help="With --kind wayback: the first year of captures to read.",
    )(func)
    func = click.option(
        "--to",
        "to_year",
        type=click.IntRange(1996, 2100),
        help="With --kind wayback: the last year of captures to read.",
    )(func)
    return click.option(
        "--backfill",
        is_flag=True,
        help="For feed/listing/WordPress URLs: take every item, not only new ones "
        "(listings are walked to the last page).",
    )(func)


def ingest_urls_command(
    args: tuple[str, ...],
    *,
    kind: str | None,
    backfill: bool,
    enqueue: bool,
    batch_size: int | None,
    fmt: str,
    from_year: int | None = None,
    to_year: int | None = None,
) -> None:
    """`monitor ingest` for http(s) arguments (all arguments must be URLs)."""
    from workers.crawl import build_source, run_source
    from workers.ingest import BatchReport, ItemResult
    from workers.sources.kinds import classify, source_for
    from workers.urls import URLError, canonical_url, check_allowed, is_http_url

    if kind == "wayback":
        args = tuple(a if is_http_url(a) else f"https://{a.strip('/')}/" for a in args)
    elif from_year or to_year:
        fail("--from/--to go with --kind wayback")
    if from_year and to_year and from_year > to_year:
        fail(f"--from {from_year} is after --to {to_year}")
    if not all(is_http_url(a) for a in args):
        fail("give either URLs or files to `monitor ingest`, not both")
    rt = open_runtime()  # builds each part when first used; `with rt` closes them
    settings = rt.settings
    articles: list[Item] = []
    sources: list[SourceConfig] = []
    for arg in args:
        try:
            url = canonical_url(arg)
            check_allowed(arg, settings.allowed_host_set)
            guessed, url = classify(url) if kind is None else (kind, url)
        except URLError as exc:
            fail(str(exc))
            return
        if guessed == "article":
            articles.append(url)
        else:
            sources.append(source_for(guessed, url, settings, years=(from_year, to_year)))
    if enqueue:
        _enqueue(articles, sources, backfill, settings)
        return
    report = BatchReport()
    with rt:
        size = batch_size or settings.batch_size
        batches = chunks(articles, size)
        if batches:
            _ingest(batches, report, rt=rt)
        for config in sources:
            source = build_source(
                config, fetcher=rt.fetcher, cache=rt.cache, settings=settings, archive=rt.archive
            )
            run = run_source(
                source,
                cache=rt.cache,
                submit=lambda found: _ingest(found, report, rt=rt),
                batch_size=size,
                backfill=backfill,
                lock_ttl_s=settings.source_lock_ttl_s,
                ttl_s=settings.validators_ttl_s,
            )
            if run.locked:
                warn(f"{config.url}: another run of this source is in progress; skipped")
            for origin, reason in run.errors:
                report.items.append(ItemResult(origin, "failed", reason=reason))
            report.discovery_skips.update(run.skipped)
    print_report(report, fmt)
    if report.failures:
        raise SystemExit(EXIT_ITEMS_FAILED)


def _ingest(batches: list[list[Item]], report: BatchReport, *, rt: Runtime) -> None:
    from workers.crawl import ingest_urls, item_url
    from workers.ingest import ItemResult

    bar = Progress("fetch", sum(map(len, batches)))
    for urls in batches:
        batch = ingest_urls(
            urls,
            fetcher=rt.fetcher,
            cache=rt.cache,
            store=rt.store,
            ttl_s=rt.settings.validators_ttl_s,
            archive=rt.archive,
            pipeline=rt.pipeline,
        )
        report.extend(batch.report)
        for note in batch.identity:  # every capture matched by text, or refused
            warn(f"identity: {note}")
        report.items.extend(
            ItemResult(
                item_url(item),
                "failed",
                reason=f"{batch.reasons.get(item_url(item), 'site unavailable')} "
                "(transient: run again later)",
            )
            for item in batch.retry
            if item_url(item) not in batch.archived  # indexed from its capture meanwhile
        )
        bar.advance(len(urls))


def _enqueue(
    articles: list[Item], sources: list[SourceConfig], backfill: bool, settings: Settings
) -> None:
    from tasks.dispatch import dispatch
    from tasks.sources import ingest_urls_task, run_source_task

    require_broker(settings)

    dispatch(ingest_urls_task, chunks(articles, settings.batch_size), queue=settings.ingest_queue)
    for config in sources:
        run_source_task.apply_async(
            kwargs={"name": config.name, "backfill": backfill, "config": config.model_dump()},
            queue=settings.ingest_queue,
        )
    click.echo(
        f"enqueued {len(articles)} article URL(s) and {len(sources)} source run(s) "
        f"on queue '{settings.ingest_queue}'"
    )


def source_rows(rt: Runtime, *, include_disabled: bool) -> list[dict[str, Any]]:
    """Each configured source with its checkpoint and last run (`sources`, `status`)."""
    from workers.fetching.breaker import BlockBreaker
    from workers.source_state import checkpoint_of, last_run_of
    from workers.sources.config import interval_of, load_sources
    from workers.urls import site_of

    settings, cache = rt.settings, rt.cache
    breaker = BlockBreaker(
        cache, threshold=settings.block_threshold, pause_s=settings.block_pause_s
    )
    rows = []
    for source in load_sources(settings, include_disabled=include_disabled):
        block = breaker.state(site_of(source.url))
        rows.append(
            {
                "name": source.name,
                "kind": source.kind,
                "url": source.url,
                "enabled": source.enabled,
                "interval_s": interval_of(source, settings),
                "checkpoint": checkpoint_of(cache, source.name),
                "last_run": last_run_of(cache, source.name),
                "blocked": block.describe() if block is not None else None,
            }
        )
    return rows


def last_run_label(last: dict[str, Any]) -> str:
    """When the last run ended and what it did: `… found 3, skipped 2, errors 1`,
    `… FAILED` for a run whose every request failed (the cause on the next line)."""
    if last.get("status") == "failed":
        return f"{last['finished_at']} FAILED"
    errors = len(last.get("errors") or [])
    skipped = sum((last.get("skipped") or {}).values())
    label = f"{last['finished_at']} found {last['discovered']}"
    label += f", skipped {skipped}" if skipped else ""
    label += f", errors {errors}"
    return label + (f", via {last['via']}" if last.get("via") else "")


def checkpoint_label(value: object) -> str:
    """The newest time in a checkpoint, which may be JSON (a site's per-way checkpoints,
    the REST API's time with its overlap ids); `--format json` shows it whole."""
    if not isinstance(value, str) or not value:
        return "-"
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        return value
    if isinstance(data, dict):
        times = [
            checkpoint_label(v)
            for k, v in data.items()
            if isinstance(v, str) and k not in ("via", "probed", "resume")
        ]
        since = data.get("since")
        if isinstance(since, str):
            times.append(since)
        newest = max(times, default="-")
        return f"{newest} (walk under way)" if data.get("resume") else newest
    return value


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Include disabled sources.")
@format_option
def sources(show_all: bool, fmt: str) -> None:
    """List the configured sources with their checkpoint and last run.

    Sources come from MONITOR_SOURCES_FILE (default: the packaged jamestown.org
    list). Checkpoints and last runs live in the cache: Redis (MONITOR_REDIS_URL), or
    without it the SQLite file cache.sqlite3 in the data directory (MONITOR_DATA_DIR),
    so runs made here or by the workers show; a source never run shows "never".
    """
    from workers.source_state import failure_cause
    from workers.sources.config import SourceConfigError

    try:
        with open_runtime() as rt:
            rows = source_rows(rt, include_disabled=show_all)
    except SourceConfigError as exc:
        fail(str(exc))
        return
    if fmt == "json":
        echo_json(rows)
        return
    table = [("name", "kind", "every", "checkpoint", "last run")]
    for row in rows:
        last = row["last_run"]
        seen = last_run_label(last) if isinstance(last, dict) else "never"
        name = str(row["name"]) + ("" if row["enabled"] else " (off)")
        checkpoint = checkpoint_label(row["checkpoint"])
        table.append((name, str(row["kind"]), f"{row['interval_s']}s", checkpoint, seen))
    header, *lines = aligned(table, right={2})
    click.echo(header)
    for row, line in zip(rows, lines, strict=True):
        click.echo(line)
        click.echo(f"  {row['url']}")
        last = row["last_run"]
        if isinstance(last, dict) and last.get("status") == "failed":
            click.echo(f"  FAILED: {failure_cause(last.get('errors') or [])}")
        elif isinstance(last, dict) and last.get("skipped"):
            click.echo(f"  {skip_summary(dict(last['skipped']))}")
        if row["blocked"]:
            click.echo(f"  {row['blocked']}")
