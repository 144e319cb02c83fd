"""`monitor show ID`: one document in full, with the citation graph around it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from tasks.cli.base import echo_json, fail, issue_label, main, open_runtime
from tasks.export import SHOW_COLUMNS, show_rows, write_csv

if TYPE_CHECKING:  # the store loads when the command runs, not when `monitor` starts
    from workers.model import Article, Citation
    from workers.stores.base import Store

_TYPES = (("person", "people"), ("location", "places"), ("organization", "organizations"))


@main.command()
@click.argument("doc_id", metavar="ID")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="The article to read, the document as JSON, or its entities and citations as "
    f"CSV for a spreadsheet (columns {', '.join(SHOW_COLUMNS)}).",
)
def show(doc_id: str, fmt: str) -> None:
    """Print one article: metadata, entities, citations (internal ones with the article
    they point at), the dates it talks about, its text, and "cited by": the later
    articles whose internal citations point at it.

    ID is the id `monitor search` prints.
    """
    rt = open_runtime()
    try:
        store = rt.store
        article = store.get(doc_id.strip())
        if article is None:
            fail(f"no article with id {doc_id!r} (ids are printed by `monitor search`)")
        assert article is not None
        targets = {c: _target(store, article, c) for c in article.citations if c.kind == "internal"}
        cited_by = [_summary(store.get(i), i) for i in store.cited_by(article.id)]
    finally:
        rt.close()
    if fmt == "csv":
        resolved = {i: (targets.get(c) or {}).get("id") for i, c in enumerate(article.citations)}
        write_csv(show_rows(article, resolved), SHOW_COLUMNS, sys.stdout)
        return
    if fmt == "json":
        doc = article.to_document()
        for cited, citation in zip(doc["citations"], article.citations, strict=True):
            if citation in targets:
                cited["target"] = targets[citation]
        echo_json({**doc, "cited_by": cited_by})
        return
    _print(article, targets, cited_by)


def _target(store: Store, article: Article, citation: Citation) -> dict[str, Any] | None:
    """The article an internal citation points at: resolved when written, or found now
    (it was indexed later) when it is that date's only article of the series."""
    from workers.enrich.publications import family_names

    found = citation.target_id
    if found is None and citation.date:
        ids = {
            i
            for name in family_names(citation.source)
            for i in store.find_ids(publication=name, published_on=citation.date)
        } - {article.id}
        found = ids.pop() if len(ids) == 1 else None
    return None if found is None else _summary(store.get(found), found)


def _summary(article: Article | None, doc_id: str) -> dict[str, Any]:
    from workers.headline import headline

    if article is None:
        return {"id": doc_id, "headline": None, "publication": None, "published_at": None}
    return {
        "id": article.id,
        "headline": headline(article.title, article.body)[0],
        "publication": article.publication,
        "published_at": article.published_at,
    }


def _line(summary: dict[str, Any]) -> str:
    return (
        f"{summary['id']}  {summary['publication'] or '?'}, "
        f"{summary['published_at'] or 'undated'}: {summary['headline'] or '(not found)'}"
    )


def _print(
    article: Article,
    targets: dict[Citation, dict[str, Any] | None],
    cited_by: list[dict[str, Any]],
) -> None:
    from workers.headline import headline

    title, synthesized = headline(article.title, article.body)
    click.echo(f"{title}{' (lead)' if synthesized else ''}")
    issue = issue_label(article.volume, article.issue)
    when = article.published_at or "undated"
    if article.published_at_source == "estimated" and article.published_at_range:
        span = article.published_at_range
        when += f" (estimated, {span.get('gte')} .. {span.get('lte')})"
    rows = [
        ("id", article.id),
        ("publication", f"{article.publication}{issue}"),
        ("published", when),
        ("url", article.url or "-"),
        ("authors", ", ".join(article.authors) or "-"),
        ("words", str(article.word_count)),
    ]
    for kind, label in _TYPES:
        found = sorted(
            (e for e in article.entities if e.type == kind), key=lambda e: (-e.mentions, e.name)
        )
        names = [f"{e.name}{f' [{e.wikidata}]' if e.wikidata else ''} ×{e.mentions}" for e in found]
        rows.append((label, "; ".join(names) or "-"))
    for name, value in rows:
        click.echo(f"  {name:<14}{value}")
    click.echo(f"\ncitations ({len(article.citations)})")
    for citation in article.citations:
        line = f"  {citation.source}, {citation.date or 'undated'} ({citation.kind})"
        if citation in targets:
            target = targets[citation]
            line += f" -> {_line(target)}" if target else " -> not in the index"
        click.echo(line)
    click.echo(f"\ndates talked about ({len(article.dates)})")
    for mention in article.dates:
        when = (
            mention.start if mention.start == mention.end else f"{mention.start} .. {mention.end}"
        )
        click.echo(f"  {mention.text!r}: {when} ({mention.granularity})")
    click.echo(f"\ncited by ({len(cited_by)})")
    for summary in cited_by:
        click.echo(f"  {_line(summary)}")
    click.echo(f"\n{article.body}")
