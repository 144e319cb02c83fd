"""`monitor ingest | search | enrich | status`: the everyday commands.

Each command imports the workers it runs in its body: `monitor --help` and every
other command must not pay for spaCy, trafilatura, Redis or the store at start.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tasks.cli.base import (
    EXIT_ITEMS_FAILED,
    Progress,
    chunks,
    date_bound,
    echo_json,
    fail,
    format_option,
    issue_label,
    main,
    open_runtime,
    print_report,
    require_broker,
    warn,
)
from tasks.cli.sources import ingest_urls_command, source_rows, url_options
from tasks.export import SEARCH_COLUMNS, search_rows, write_csv
from workers.errors import UsageError

if TYPE_CHECKING:
    from workers.ingest import BatchReport
    from workers.stores.base import Facets, SearchHit


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--async",
    "enqueue",
    is_flag=True,
    help="Enqueue batches for Celery workers and return (needs MONITOR_BROKER_URL).",
)
@click.option("--batch-size", type=click.IntRange(1, 1000), help="Files per batch/task.")
@click.option(
    "--allow-headerless",
    is_flag=True,
    help="Also ingest files with no 'Publication: …' header (refused by default, so a "
    "stray README in a folder is not indexed).",
)
@url_options
@format_option
def ingest(
    paths: tuple[str, ...],
    enqueue: bool,
    batch_size: int | None,
    allow_headerless: bool,
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
    from workers.sources.kinds import has_urls

    if has_urls(paths, kind):
        ingest_urls_command(
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
    from workers.ingest import BatchReport, ItemResult, ingest_files
    from workers.sources.files import expand_paths

    rt = open_runtime()  # builds each part when first used; `with rt` closes them
    settings = rt.settings
    files, errors = expand_paths(paths)
    _refuse_missing(errors)
    report = BatchReport([ItemResult(path, "failed", reason=why) for path, why in errors])
    size = batch_size or settings.batch_size
    batches = chunks([str(f) for f in files], size)
    if enqueue:
        _enqueue(batches, report, allow_headerless=allow_headerless)
        return
    with rt:
        bar = Progress("ingest", len(files))
        for batch in batches:
            report.extend(
                ingest_files(
                    batch,
                    store=rt.store,
                    max_bytes=settings.max_article_bytes,
                    # Cached enrichment: a later reprocess of these articles skips NER.
                    pipeline=rt.pipeline,
                    allow_headerless=allow_headerless,
                )
            )
            bar.advance(len(batch))
    print_report(report, fmt)
    if report.failures:
        raise SystemExit(EXIT_ITEMS_FAILED)


def _refuse_missing(errors: list[tuple[str, str]]) -> None:
    """A path that does not exist is a typo: one error line, exit 2, nothing ingested."""
    from workers.sources.files import MISSING

    missing = [given for given, why in errors if why == MISSING]
    if missing:
        fail(f"{MISSING}: {', '.join(missing)}")


def _enqueue(batches: list[list[str]], report: BatchReport, *, allow_headerless: bool) -> None:
    from tasks.dispatch import dispatch
    from tasks.ingest import ingest_files_task  # Celery loads only when a command needs it
    from workers.settings import get_settings

    settings = get_settings()
    broker = require_broker(settings)

    queue = settings.ingest_queue
    dispatch(ingest_files_task, batches, queue=queue, allow_headerless=allow_headerless)
    files = sum(map(len, batches))
    click.echo(
        f"enqueued {files} file(s) in {len(batches)} batch(es) on queue '{queue}' at {broker}"
    )
    for failure in report.failures:
        warn(f"{failure.origin}: {failure.reason}")
    if report.failures:
        raise SystemExit(EXIT_ITEMS_FAILED)


@main.command()
@click.argument("words", nargs=-1)
@click.option(
    "--publication",
    "-p",
    help="Only this publication: code or name, e.g. EDM, edm, 'Eurasia Daily Monitor'.",
)
@click.option("--from", "date_from", help="Published on or after: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--to", "date_to", help="Published on or before: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--person", help="Mentions this person: name, any spelling, or Wikidata id.")
@click.option("--place", help="Mentions this place: name, any spelling, or Wikidata id.")
@click.option("--org", help="Mentions this organization: name, any spelling, or Wikidata id.")
@click.option(
    "--mentions-from",
    help="Talks about a date lying on or after this (YYYY, YYYY-MM or YYYY-MM-DD): dates "
    "in the text, resolved against the publication date; not the publication date.",
)
@click.option(
    "--mentions-to", help="Talks about a date lying on or before this (see --mentions-from)."
)
@click.option("--cites", help="Cites this outlet (any spelling), e.g. Interfax, 'Itar-Tass'.")
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option(
    "--explain",
    is_flag=True,
    help="Under each hit, what of the query it matched: the words as typed, other "
    "spellings of a known name, synonyms, and names matched by their romanization.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="A table to read, JSON with highlights and facets, or CSV for a spreadsheet "
    f"(columns {', '.join(SEARCH_COLUMNS)}).",
)
def search(
    words: tuple[str, ...],
    publication: str | None,
    date_from: str | None,
    date_to: str | None,
    person: str | None,
    place: str | None,
    org: str | None,
    mentions_from: str | None,
    mentions_to: str | None,
    cites: str | None,
    limit: int,
    explain: bool,
    fmt: str,
) -> None:
    """Search the archive: words, "quoted phrases", people, places and cited outlets.

    One or two terms must all match, of three or more most (all-term matches rank
    first); write OR between terms for either, NOT before a term to exclude it
    (monitor search Putin OR Yeltsin: several words are one query; quote a phrase as
    '"Kuril Islands"'). A term naming a known person, place or organization by any
    spelling (Kiriyenko, Eltsin, U.S.) also finds the other spellings. Results are
    ranked by relevance (BM25); with no words, the newest articles the options let
    through are listed (bare `monitor search`: the newest in the index). Facets come
    with them: counts by publication, year, people, places, organizations and cited
    outlets (the table shows the top few, --format json all of them, with highlight
    offsets). See docs/search.md.
    """
    from workers.enrich import publications
    from workers.stores import search_terms
    from workers.stores.base import SearchQuery

    query = " ".join(words)
    request = SearchQuery(
        text=query,
        publication=publication,
        date_from=date_bound(date_from, "--from", end=False),
        date_to=date_bound(date_to, "--to", end=True),
        person=person,
        place=place,
        org=org,
        mentions_from=date_bound(mentions_from, "--mentions-from", end=False),
        mentions_to=date_bound(mentions_to, "--mentions-to", end=True),
        cites=cites,
        limit=limit,
        facets=fmt != "csv",
        explain=explain,
    )
    rt = open_runtime()
    try:
        store = rt.store
        if publication is not None and publications.lookup(publication) is None:
            _refuse_unknown_publication(publication, store.stats().publications)
        result = store.search(request)
    except UsageError as exc:  # the query as written: too long, or refused by the store
        fail(str(exc))
    finally:
        rt.close()
    if fmt == "csv":
        write_csv(search_rows(result), SEARCH_COLUMNS, sys.stdout)
        return
    if fmt == "json":
        echo_json(
            {
                "total": result.total,
                "hits": [_hit_json(h) for h in result.hits],
                "facets": result.facets,
                "facets_over": result.facets_over,
            }
        )
        return
    asked = repr(query) if query.strip() else "the filters" if request.filtered else None
    if not result.hits:
        click.echo(f"no articles match {asked}" if asked else "the index holds no articles")
        return
    if asked:
        click.echo(f"{result.total} article(s) match {asked}; showing {len(result.hits)}")
    else:
        click.echo(f"{result.total} article(s) in the index; showing the newest {len(result.hits)}")
    for line in search_terms.widened(query):  # what each term was widened to
        click.echo(f"  ({line})")
    # Highlights: bold on a terminal, **stars** in a pipe or file; never [brackets],
    # which the Monitor itself uses for editorial insertions.
    marks = ("\x1b[1m", "\x1b[0m") if sys.stdout.isatty() else ("**", "**")
    for rank, hit in enumerate(result.hits, 1):
        when = hit.published_at or "undated"
        lead = " (lead)" if hit.headline_synthesized else ""
        click.echo(f"\n{rank:>2}. {hit.headline or hit.title or '(untitled)'}{lead}")
        score = f" · score {hit.score:.3g}" if query.strip() else ""
        click.echo(f"    {hit.publication}, {when}{score} · {hit.id}")
        click.echo(f"    {search_terms.mark(hit.snippet, hit.highlights, *marks)}")
        if explain:
            click.echo(f"    matched: {'; '.join(hit.matched) or 'the filters only'}")
    _print_facets(result.facets or {}, over=result.facets_over, total=result.total)


def _refuse_unknown_publication(name: str, stored: dict[str, int]) -> None:
    """`--publication` must name a known series (a code, a name) or one the index holds:
    a typo is one error line with hints, not "no articles match"."""
    from workers.enrich import publications

    hint = publications.unknown_hint(name, stored)
    if hint is not None:
        fail(hint)


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    data = asdict(hit)
    data["highlights"] = [list(span) for span in hit.highlights]
    return data


def _print_facets(facets: Facets, *, over: int | None, total: int, top: int = 5) -> None:
    lines = [
        f"  {name:<14}"
        + ", ".join(f"{value} ({count})" for value, count in list(values.items())[:top])
        for name, values in facets.items()
        if values and name != "year"
    ]
    years = facets.get("year") or {}
    if years:
        lines.insert(1, f"  {'years':<14}" + ", ".join(f"{y} ({n})" for y, n in years.items()))
    if lines:
        sampled = over is not None and over < total
        click.echo(
            f"\nin a sample of {over} of these results:" if sampled else "\nin these results:"
        )
        click.echo("\n".join(lines))


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
    from workers.model import InputError
    from workers.sources.files import expand_paths, read_file

    rt = open_runtime(enrich_cache=False)  # nothing is indexed, nothing cached
    settings, pipeline = rt.settings, rt.pipeline
    paths, errors = expand_paths(files)
    _refuse_missing(errors)
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
            f"{path.name}: {article.publication}{issue_label(article.volume, article.issue)}, "
            f"published {article.published_at or 'unknown'}, {article.word_count} words, "
            f"{len(article.entities)} entities, {len(article.citations)} citations, "
            f"{len(article.dates)} dates, id {article.id}"
        )
        for note in article.enrich_notes:
            click.echo(f"  note: {note}")
    if failed:
        raise SystemExit(EXIT_ITEMS_FAILED)


def spacy_model_installed(name: str) -> bool:
    """Whether spaCy could load `name` (an installed model package or a model
    directory), found without loading it: `status` stays fast."""
    try:
        if importlib.util.find_spec("spacy") is None:
            return False
        return Path(name).is_dir() or importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a dotted or otherwise odd name
        return False


@main.command()
@format_option
def status(fmt: str) -> None:
    """What the index holds and, with a broker, how much work is waiting."""
    from workers.reprocess import async_run as async_reprocess
    from workers.reprocess import last_run as last_reprocess
    from workers.settings import redact
    from workers.sources.config import SourceConfigError

    with open_runtime() as rt:
        settings = rt.settings
        stats = rt.store.stats()
        queues = None
        workers: list[str] = []
        if settings.broker_url is not None:
            from tasks.app import queue_depths, workers_seen  # Celery loads only when needed

            queues = queue_depths(settings)
            workers = workers_seen(settings)
        try:
            source_states = [
                {k: r[k] for k in ("name", "checkpoint", "last_run", "blocked")}
                for r in source_rows(rt, include_disabled=False)
            ]
        except SourceConfigError as exc:
            warn(f"sources file: {exc}")
            source_states = []
        dead_letters = rt.dead_letters.size()
        last_run, async_run = last_reprocess(rt.cache), async_reprocess(rt.cache)
        pipeline_version = rt.pipeline.version
    data = {
        "documents": stats.documents,
        "dead_letters": dead_letters,
        "store": {"backend": stats.backend, "location": redact(stats.location)},
        "publications": stats.publications,
        "newest": stats.newest,
        "pipeline_version": pipeline_version,
        "queues": queues,
        "workers": workers,
        "sources": source_states,
        "last_reprocess": last_run,
        "reprocess_async": async_run,
        "broker": redact(settings.broker_url.get_secret_value()) if settings.broker_url else None,
        "spacy_model": {
            "name": settings.spacy_model,
            "installed": spacy_model_installed(settings.spacy_model),
        },
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
    if data["spacy_model"]["installed"]:  # type: ignore[index]
        click.echo(f"ner         spaCy model {settings.spacy_model}")
    else:
        click.echo(
            f"ner         spaCy model {settings.spacy_model} NOT INSTALLED: named-entity "
            "recognition is off and each article gets a note (install it, or set "
            "MONITOR_SPACY_MODEL)"
        )
    click.echo(f"dlq         {data['dead_letters']} item(s) (monitor dlq list)")
    reprocess_line = _reprocess_line(data["last_reprocess"], data["reprocess_async"])
    if reprocess_line:
        click.echo(f"reprocess   {reprocess_line}")
    for source in source_states:
        last = source["last_run"]
        when = last.get("finished_at", "?") if isinstance(last, dict) else "never"
        click.echo(f"source      {source['name']:<22} last run {when}")
        if isinstance(last, dict) and last.get("status") == "failed":
            from workers.source_state import failure_cause

            click.echo(f"            FAILED: {failure_cause(last.get('errors') or [])}")
        if source["blocked"]:
            click.echo(f"            {source['blocked']}")
    if queues is None:
        click.echo("broker      none (tasks run in-process)")
    else:
        click.echo(f"broker      {data['broker']}")
        for name, depth in queues.items():
            click.echo(f"  queue {name:<24} {depth} waiting")
        click.echo(f"workers     {', '.join(workers) if workers else 'none answering'}")


def _reprocess_line(done: object, queued: object) -> str | None:
    """The newer of the last in-process run and the last `--async` run, in one line."""
    sync = done if isinstance(done, dict) else None
    run = queued if isinstance(queued, dict) else None
    if run is not None and (sync is None or run["enqueued_at"] >= sync["finished_at"]):
        counts = (
            f"rewritten {run['rewritten']}, unchanged {run['unchanged']}, failed {run['failed']}"
        )
        if run["finished"]:
            return f"{run['last_batch_at']} (--async, enqueued {run['enqueued_at']}): {counts}"
        return (
            f"--async since {run['enqueued_at']}: {run['done']} of {run['articles']} "
            f"article(s) done ({counts})"
        )
    if sync is not None:
        return (
            f"{sync['finished_at']}: rewritten {sync['rewritten']}, "
            f"unchanged {sync['unchanged']}, failed {sync['failed']}"
        )
    return None
