"""`monitor reprocess`: rebuild documents from their stored raw payloads."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

import click

from tasks.cli.base import (
    EXIT_ITEMS_FAILED,
    Progress,
    chunks,
    date_bound,
    echo_json,
    fail,
    format_option,
    main,
    open_runtime,
    read_ids,
    require_broker,
    warn,
)
from workers.errors import UsageError

if TYPE_CHECKING:  # the workers load when the command runs, not when `monitor` starts
    from workers import reprocess as rp
    from workers.runtime import Runtime

EXIT_BUSY = 4


@main.command()
@click.option("--publication", "-p", help="Only articles of this publication.")
@click.option("--since", help="Only articles published on or after: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--until", help="Only articles published on or before: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option(
    "--ids",
    "ids_file",
    type=click.File("r"),
    help="Only these article ids, one per line, from FILE or '-' for stdin.",
)
@click.option(
    "--async",
    "enqueue",
    is_flag=True,
    help="Enqueue in-place batches for Celery workers (needs MONITOR_BROKER_URL).",
)
@click.option(
    "--new-index/--in-place",
    "new_index",
    default=None,
    help="Elasticsearch: build the next versioned index and swap the alias (default when "
    "the mapping version changed), or rewrite in place. The embedded store is always "
    "rewritten in place.",
)
@click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(0),
    default=0,
    help="Seconds to wait for another run's lock instead of refusing at once.",
)
@click.option("--batch-size", type=click.IntRange(1, 1000), help="Articles per batch.")
@format_option
def reprocess(
    publication: str | None,
    since: str | None,
    until: str | None,
    ids_file: IO[str] | None,
    enqueue: bool,
    new_index: bool | None,
    wait_s: float,
    batch_size: int | None,
    fmt: str,
) -> None:
    """Re-run normalize + enrich on stored raw payloads and rewrite the documents.

    No re-fetch is needed: every store keeps the raw payload. Without options the whole
    index is reprocessed. The run can be interrupted (Ctrl-C) and started again with the
    same options: it resumes after the last finished batch. Only one run at a time:
    a second one refuses (exit 4) unless --wait is given.
    """
    from workers import reprocess as rp
    from workers.cache import LockHeld

    rt = open_runtime()  # builds each part when first used; `with rt` closes them
    settings = rt.settings
    ids = None
    if ids_file is not None:
        ids = tuple(read_ids(ids_file))
        if not ids:
            fail("--ids: no article ids given")
    selection = rp.Selection(
        publication=publication,
        since=date_bound(since, "--since", end=False),
        until=date_bound(until, "--until", end=True),
        ids=ids,
    )
    size = batch_size or settings.batch_size
    if enqueue:
        if new_index:
            fail("--async rewrites in place; run --new-index without --async (it swaps the alias)")
        _enqueue(rt, selection, size)
        return
    bar: Progress | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = Progress("reprocess", total)
            bar.done = done
        bar.advance(done - bar.done)

    try:
        report = rp.run(
            rt.store,
            cache=rt.cache,
            selection=selection,
            pipeline=rt.pipeline,
            new_index=new_index,
            batch_size=size,
            wait_s=wait_s,
            progress=progress,
        )
    except LockHeld:
        fail(
            "another reprocess run holds the lock; wait for it to finish or pass --wait SECONDS",
            EXIT_BUSY,
        )
    except UsageError as exc:  # RebuildRefused, a selection --new-index cannot take
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted: run the same command again to resume after the last batch", 130)
    finally:
        rt.close()
    _print(report, fmt)
    if report.failed:
        raise SystemExit(EXIT_ITEMS_FAILED)


def _enqueue(rt: Runtime, selection: rp.Selection, size: int) -> None:
    from tasks.dispatch import dispatch
    from tasks.reprocess import reprocess_ids_task
    from workers import reprocess as rp

    settings = rt.settings
    broker = require_broker(settings)
    with rt:
        ids = selection.ids_in(rt.store)
        batches = chunks(ids, size)
        run = rp.start_async_run(rt.cache, articles=len(ids), batches=len(batches))
    sent = dispatch(reprocess_ids_task, batches, queue=settings.ingest_queue, run=run)
    click.echo(
        f"enqueued {len(ids)} article(s) in {sent} batch(es) at {broker} (progress: monitor status)"
    )


def _print(report: rp.ReprocessReport, fmt: str) -> None:
    if fmt == "json":
        echo_json(report.to_dict())
        return
    for doc_id, reason in report.failures:
        warn(f"{doc_id}: {reason}")
    if report.resumed_from:
        click.echo(f"resumed after {report.resumed_from}")
    click.echo(
        f"rewritten {report.rewritten}, unchanged {report.unchanged}, failed {report.failed}"
    )
    if report.caught_up:
        click.echo(f"caught up {report.caught_up} document(s) written during the rebuild")
    if report.index:
        click.echo(
            f"alias now points at {report.index} (was {report.previous_index}); "
            "`monitor es prune --yes` deletes the old index"
        )
