"""`monitor delete ID...`: remove articles from the index, whichever store it is."""

from __future__ import annotations

import sys

import click

from tasks.cli.base import EXIT_ITEMS_FAILED, fail, main, open_runtime, read_ids, warn


@main.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(ids: tuple[str, ...], yes: bool) -> None:
    """Delete the articles IDS (as `monitor search` shows them; `-` reads ids from stdin).

    The document and its stored raw payload go; on Elasticsearch through the alias, so
    searches stop finding them at once. An id not in the index is reported and the
    exit code is 1. Ingesting the same file or URL again brings the article back.
    """
    wanted = [i for i in ids if i != "-"]
    if "-" in ids:
        wanted += read_ids(sys.stdin)
    if not wanted:
        fail("no ids given")
    if not yes:
        click.confirm(f"delete {len(wanted)} article(s) from the index?", abort=True)
    with open_runtime() as rt:
        deleted = set(rt.store.delete(wanted))
    missing = [i for i in dict.fromkeys(wanted) if i not in deleted]
    for doc_id in missing:
        warn(f"{doc_id}: not in the index")
    click.echo(f"deleted {len(deleted)} article(s)")
    if missing:
        raise SystemExit(EXIT_ITEMS_FAILED)
