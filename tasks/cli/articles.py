"""`monitor ingest | search | enrich | status`: the everyday commands."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from tasks.cli import sources
from tasks.cli.base import (
    EXIT_ITEMS_FAILED,
    Progress,
    date_bound,
    echo_json,
    fail,
    format_option,
    handle_service_errors,
    main,
    warn,
)
from workers import pipeline
from workers.cache import open_cache
from workers.deadletter import open_dead_letters
from workers.ingest import BatchReport, ItemResult, ingest_files
from workers.model import InputError
from workers.reprocess import last_run as last_reprocess
from workers.settings import get_settings, redact
from workers.sources.config import SourceConfigError
from workers.sources.files import expand_paths, read_file
from workers.stores import open_store
from workers.stores.base import SearchQuery


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--async",
    "enqueue",
    is_flag=True,
    help="Enqueue batches for Celery workers and return (needs MONITOR_BROKER_URL).",
)
@click.option("--batch-size", type=click.IntRange(1, 1000), help="Files per batch/task.")
@sources.url_options
@format_option
@handle_service_errors
def ingest(
    paths: tuple[str, ...],
    enqueue: bool,
    batch_size: int | None,
    fmt: str,
    kind: str | None,
    backfill: bool,
    from_year: int | None,
    to_year: int | None,
) -> None:
    """Ingest article files: .txt in the seed format or .json with the input fields.

    PATHS are files or directories (searched recursively for .txt and .json). Bad
    files are reported one per line and the good ones are still ingested; the exit
    code is 1 when any file failed. Re-ingesting an unchanged article changes nothing.

    PATHS may instead be http(s) URLs: a site root, a feed, a program listing
    (/program-name/edm/) or an article page; see docs/fetching.md.
    """
    if sources.has_urls(paths, kind):
        sources.ingest_urls_command(
            paths,
            kind=kind,
            backfill=backfill,
            enqueue=enqueue,
            batch_size=batch_size,
            fmt=fmt,
            from_year=from_year,
            to_year=to_year,
        )
        return
    settings = get_settings()
    files, errors = expand_paths(paths)
    report = BatchReport([ItemResult(path, "failed", reason=why) for path, why in errors])
    size = batch_size or settings.batch_size
    batches = [[str(f) for f in files[i : i + size]] for i in range(0, len(files), size)]
    if enqueue:
        _enqueue(batches, report)
        return
    store, cache = open_store(settings), open_cache(settings)  # cache: a later reprocess skips NER
    try:
        bar = Progress("ingest", len(files))
        for batch in batches:
            report.extend(
                ingest_files(batch, store=store, max_bytes=settings.max_article_bytes, cache=cache)
            )
            bar.advance(len(batch))
    finally:
        store.close()
    _print_report(report, fmt)
    if report.failures:
        raise SystemExit(EXIT_ITEMS_FAILED)


def _enqueue(batches: list[list[str]], report: BatchReport) -> None:
    settings = get_settings()
    if settings.broker_url is None:
        fail("--async needs a broker: set MONITOR_BROKER_URL (or drop --async to run here)")
    from tasks.ingest import ingest_files_task  # Celery loads only when a command needs it

    for batch in batches:
        ingest_files_task.apply_async(args=[batch], queue=settings.ingest_queue)
    files = sum(map(len, batches))
    click.echo(
        f"enqueued {files} file(s) in {len(batches)} batch(es) on queue "
        f"'{settings.ingest_queue}' at {redact(settings.broker_url.get_secret_value())}"  # type: ignore[union-attr]
    )
    for failure in report.failures:
        warn(f"{failure.origin}: {failure.reason}")
    if report.failures:
        raise SystemExit(EXIT_ITEMS_FAILED)


def _print_report(report: BatchReport, fmt: str) -> None:
    counts = report.counts
    if fmt == "json":
        echo_json(report.to_dict())
        return
    for failure in report.failures:
        warn(f"{failure.origin}: {failure.reason}")
    ingested = counts["created"] + counts["updated"]
    click.echo(
        f"ingested {ingested} (new {counts['created']}, updated {counts['updated']}), "
        f"unchanged {counts['unchanged']}, failed {counts['failed']}"
    )


@main.command()
@click.argument("query")
@click.option("--publication", "-p", help="Only this publication, e.g. 'Monitor'.")
@click.option("--from", "date_from", help="Published on or after: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--to", "date_to", help="Published on or before: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True)
@format_option
@handle_service_errors
def search(
    query: str,
    publication: str | None,
    date_from: str | None,
    date_to: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Full-text search: words, "quoted phrases", people, places and cited outlets.

    Terms are AND-ed; write OR between terms for either. Results are ranked by
    relevance (BM25) with a highlighted snippet.
    """
    if not query.strip():
        fail("the search query is empty")
    request = SearchQuery(
        text=query,
        publication=publication,
        date_from=date_bound(date_from, "--from", end=False),
        date_to=date_bound(date_to, "--to", end=True),
        limit=limit,
    )
    store = open_store(get_settings())
    try:
        result = store.search(request)
    except ValueError as exc:
        fail(str(exc))
    finally:
        store.close()
    if fmt == "json":
        echo_json({"total": result.total, "hits": [asdict(h) for h in result.hits]})
        return
    if not result.hits:
        click.echo(f"no articles match {query!r}")
        return
    click.echo(f"{result.total} article(s) match {query!r}; showing {len(result.hits)}")
    # Highlights: bold on a terminal, [brackets] in a pipe or file.
    marks = ("\x1b[1m", "\x1b[0m") if sys.stdout.isatty() else ("[", "]")
    for rank, hit in enumerate(result.hits, 1):
        when = hit.published_at or "undated"
        click.echo(f"\n{rank:>2}. {hit.title or '(untitled)'}")
        click.echo(f"    {hit.publication}, {when} · score {hit.score:.3g} · {hit.id}")
        snippet = hit.snippet.replace("<em>", marks[0]).replace("</em>", marks[1])
        click.echo(f"    {snippet}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["summary", "json"]),
    default="summary",
    show_default=True,
    help="A short summary per file, or the full documents (one JSON object, or JSON "
    "Lines for several files).",
)
def enrich(files: tuple[Path, ...], fmt: str) -> None:
    """Run parse → normalize → enrich on FILES and print the documents; nothing is indexed."""
    settings = get_settings()
    paths, errors = expand_paths(files)
    for given, reason in errors:
        warn(f"{given}: {reason}")
    failed = bool(errors)
    for path in paths:
        try:
            article = pipeline.process(read_file(path, max_bytes=settings.max_article_bytes))
        except InputError as exc:
            warn(f"{path}: {exc}")
            failed = True
            continue
        doc = article.to_document()
        if fmt == "json":
            indent = 2 if len(paths) == 1 else None
            click.echo(json.dumps(doc, ensure_ascii=False, indent=indent))
            continue
        click.echo(
            f"{path.name}: {article.publication} vol {article.volume} issue {article.issue}, "
            f"published {article.published_at or 'unknown'}, {article.word_count} words, "
            f"{len(article.entities)} entities, {len(article.citations)} citations, "
            f"{len(article.dates)} dates, id {article.id}"
        )
        for note in article.enrich_notes:
            click.echo(f"  note: {note}")
    if failed:
        raise SystemExit(EXIT_ITEMS_FAILED)


@main.command()
@format_option
@handle_service_errors
def status(fmt: str) -> None:
    """What the index holds and, with a broker, how much work is waiting."""
    settings = get_settings()
    store = open_store(settings)
    try:
        stats = store.stats()
    finally:
        store.close()
    queues = None
    workers: list[str] = []
    if settings.broker_url is not None:
        from tasks.app import queue_depths, workers_seen  # Celery loads only when needed

        queues = queue_depths()
        workers = workers_seen()
    try:
        source_states = [
            {k: r[k] for k in ("name", "checkpoint", "last_run", "blocked")}
            for r in sources.source_rows(settings, include_disabled=False)
        ]
    except SourceConfigError as exc:
        warn(f"sources file: {exc}")
        source_states = []
    data = {
        "documents": stats.documents,
        "dead_letters": open_dead_letters(settings).size(),
        "store": {"backend": stats.backend, "location": redact(stats.location)},
        "publications": stats.publications,
        "newest": stats.newest,
        "pipeline_version": pipeline.pipeline_version(),
        "queues": queues,
        "workers": workers,
        "sources": source_states,
        "last_reprocess": last_reprocess(open_cache(settings)),
        "broker": redact(settings.broker_url.get_secret_value()) if settings.broker_url else None,
    }
    if fmt == "json":
        echo_json(data)
        return
    click.echo(f"store       {stats.backend} at {data['store']['location']}")  # type: ignore[index]
    click.echo(f"documents   {stats.documents}")
    for name, count in stats.publications.items():
        click.echo(f"  {name:<30} {count}")
    if stats.newest:
        click.echo(f"newest      {stats.newest['published_at']} {stats.newest['title'] or ''}")
    click.echo(f"pipeline    {data['pipeline_version']}")
    click.echo(f"dlq         {data['dead_letters']} item(s) (monitor dlq list)")
    reprocessed = data["last_reprocess"]
    if isinstance(reprocessed, dict):
        click.echo(
            f"reprocess   {reprocessed['finished_at']}: rewritten {reprocessed['rewritten']}, "
            f"unchanged {reprocessed['unchanged']}, failed {reprocessed['failed']}"
        )
    for source in source_states:
        last = source["last_run"]
        when = last.get("finished_at", "?") if isinstance(last, dict) else "never"
        click.echo(f"source      {source['name']:<22} last run {when}")
        if source["blocked"]:
            click.echo(f"            {source['blocked']}")
    if queues is None:
        click.echo("broker      none (tasks run in-process)")
    else:
        click.echo(f"broker      {data['broker']}")
        for name, depth in queues.items():
            click.echo(f"  queue {name:<24} {depth} waiting")
        click.echo(f"workers     {', '.join(workers) if workers else 'none answering'}")
