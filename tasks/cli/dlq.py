"""`monitor dlq list | retry | purge`: what could not be processed, and why."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import click

from tasks.cli.base import (
    chunks,
    echo_json,
    fail,
    format_option,
    main,
    open_runtime,
)

# Which task runs an item of each kind again; registered by the task modules.
RETRY_TASK = {
    "file": "monitor.ingest_files",
    "url": "monitor.ingest_urls",
    "article": "monitor.reprocess_ids",
}


_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@main.group()
def dlq() -> None:
    """The dead-letter queue: items that failed for good, with stage, error and attempts."""


@dlq.command("list")
@format_option
def list_(fmt: str) -> None:
    """List dead-lettered items, oldest last-failure first."""
    with open_runtime() as rt:
        letters = rt.dead_letters.all()
    if fmt == "json":
        echo_json({"size": len(letters), "items": [asdict(letter) for letter in letters]})
        return
    if not letters:
        click.echo("the dead-letter queue is empty")
        return
    for letter in letters:
        click.echo(
            f"{letter.id}  {letter.kind}:{letter.ref}\n"
            f"    {letter.stage}: {letter.error_type}: {letter.message}\n"
            f"    attempts {letter.attempts}, first {letter.first_seen}, last {letter.last_seen}"
        )
    click.echo(f"{len(letters)} item(s)")


@dlq.command()
@click.argument("ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead-lettered item.")
def retry(ids: tuple[str, ...], retry_all: bool) -> None:
    """Run items again (by ID from `monitor dlq list`, or --all).

    With a broker the items are enqueued; without one they run here. An item that now
    succeeds leaves the queue; one that fails again stays, with its attempts counted.
    """
    if bool(ids) == retry_all:
        fail("give IDs or --all (not both)")
    from tasks.app import app, runtime  # Celery loads only when a command needs it
    from tasks.dispatch import dispatch

    app.loader.import_default_modules()  # registers every task module in `include`
    # Without a broker the tasks run here, on the Celery face's runtime: closed at the end.
    with open_runtime() as rt, runtime():
        settings = rt.settings
        queue = rt.dead_letters
        letters = queue.all()
        if not retry_all:
            known = {letter.id for letter in letters}
            missing = [i for i in ids if i not in known]
            if missing:
                fail(f"not in the dead-letter queue: {', '.join(missing)}")
            letters = [letter for letter in letters if letter.id in ids]
        by_kind: dict[str, list[str]] = defaultdict(list)
        for letter in letters:
            by_kind[letter.kind].append(letter.ref)
        sent = 0
        for kind, refs in by_kind.items():
            if kind not in RETRY_TASK:
                fail(f"no task retries items of kind {kind!r}")
            task = app.tasks[RETRY_TASK[kind]]
            sent += dispatch(task, chunks(refs, settings.batch_size), queue=settings.ingest_queue)
        left = queue.size()
    click.echo(
        f"retried {len(letters)} item(s) in {sent} batch(es); "
        f"{left} item(s) in the dead-letter queue now"
    )


@dlq.command()
@click.option(
    "--older-than",
    metavar="AGE",
    help="Only entries whose last failure is older than AGE, e.g. 30m, 12h, 7d, 2w.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge(older_than: str | None, yes: bool) -> None:
    """Delete dead-letter entries (all of them unless --older-than)."""
    from workers import deadletter

    cutoff = None
    if older_than is not None:
        match = _DURATION.match(older_than.strip())
        if match is None:
            fail(f"--older-than {older_than!r} is not an age like 30m, 12h, 7d or 2w")
        assert match is not None
        delta = timedelta(**{_UNITS[match[2]]: int(match[1])})
        cutoff = datetime.now(UTC) - delta
    if not yes:
        what = f"entries older than {older_than}" if older_than else "ALL entries"
        click.confirm(f"delete {what} from the dead-letter queue?", abort=True)
    with open_runtime() as rt:
        removed = deadletter.purge(rt.dead_letters, older_than=cutoff)
    click.echo(f"purged {removed} item(s)")
