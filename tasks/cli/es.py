"""`monitor es setup | indices | prune`: the Elasticsearch template, alias and indices."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from tasks.cli.base import echo_json, fail, format_option, main
from workers.errors import UsageError

if TYPE_CHECKING:
    from workers.stores.elasticsearch import ElasticsearchStore


@main.group()
def es() -> None:
    """Elasticsearch: index template, versioned indices behind the alias, pruning."""


def _store() -> ElasticsearchStore:
    from workers.settings import get_settings

    settings = get_settings()
    if settings.elasticsearch_url is None:
        fail("monitor es needs MONITOR_ELASTICSEARCH_URL (the embedded store has no indices)")
    # Imported here: the client library costs every other command half a second.
    from workers.stores.elasticsearch import ElasticsearchStore

    return ElasticsearchStore.from_settings(settings, setup=False)


@contextmanager
def _opened() -> Iterator[ElasticsearchStore]:
    """The store, with cluster errors (down, 403) turned into one line, then closed."""
    store = _store()
    from workers.stores import es_client

    try:
        with es_client.errors(store.location):
            yield store
    finally:
        store.close()


@es.command()
def setup() -> None:
    """Apply the index template and create <alias>-v1 behind the alias if needed.

    Safe to run any number of times, also from several processes at once; the store
    also does it when it opens with credentials that may (see docs/elasticsearch.md).
    """
    with _opened() as store:
        try:
            current = store.setup()
        except UsageError as exc:  # SetupRefused: these credentials may not; nothing created
            fail(str(exc))
        live = store.indices.current_mapping_version()
        wanted = store.indices.wanted_version
    click.echo(f"template {store.indices.template_name} applied (mapping version {wanted})")
    click.echo(f"alias {store.alias} -> {current} (mapping version {live})")
    if live != wanted:
        click.echo("the live index is outdated: run `monitor reprocess --new-index`")


@es.command()
@format_option
def indices(fmt: str) -> None:
    """List the versioned indices, which one the alias serves, and their mapping versions."""
    with _opened() as store:
        found = store.indices.indices()
        counts = {i.name: store.indices.count(i.name) for i in found}
    rows = [
        {
            "index": i.name,
            "aliased": i.aliased,
            "mapping_version": i.mapping_version,
            "documents": counts[i.name],
        }
        for i in found
    ]
    if fmt == "json":
        echo_json(rows)
        return
    if not rows:
        click.echo(f"no {store.alias}-v* indices: run `monitor es setup`")
    for row in rows:
        mark = f"<- {store.alias}" if row["aliased"] else ""
        click.echo(
            f"{row['index']:<32} v{row['mapping_version']}  {row['documents']:>8} docs  {mark}"
        )


@es.command()
@click.option("--yes", is_flag=True, help="Delete without asking.")
def prune(yes: bool) -> None:
    """Delete old versioned indices the alias no longer points at.

    Reprocessing with --new-index keeps the previous index so a bad run can be undone
    by moving the alias back; prune once the new index has proved itself. An index a
    rebuild is still filling is never deleted.
    """
    with _opened() as store:
        filling = store.indices.rebuilding()
        if filling:
            click.echo(f"kept {filling}: a rebuild is filling it")
        old = store.indices.prunable()
        if not old:
            click.echo("nothing to prune")
            return
        click.echo("old indices: " + ", ".join(old))
        if not yes and not click.confirm(f"delete {len(old)} index(es)?", default=False):
            fail("nothing deleted (pass --yes to delete without asking)", 1)
        for name in old:
            store.indices.delete(name)
            click.echo(f"deleted {name}")
