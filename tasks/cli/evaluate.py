"""`monitor eval GOLD.json`: how well enrichment matches hand-annotated articles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tasks.cli.base import aligned, echo_json, fail, format_option, main, open_runtime

if TYPE_CHECKING:
    from workers.evaluate import Report


@main.command(name="eval")
@click.argument("gold", type=click.Path(path_type=Path, dir_okay=False))
@format_option
def eval_command(gold: Path, fmt: str) -> None:
    """Score the pipeline against GOLD, a gold file like tests/fixtures/gold/*-gold.json.

    Runs parse → normalize → enrich on every file the gold names (paths relative to
    GOLD) and prints precision, recall and F1 for citation (source, date) pairs, date
    mentions (correct start/end, or for gold files with an `items` object the
    (text, value) pairs), persons, locations and organizations, plus the
    publication-year accuracy of the date estimates. Locations, organizations and
    dates are also counted per kind of error (fragment, wrong type, split, missed,
    wrong value). Nothing is indexed. Exits 2 when the gold file or an input it
    names cannot be read.
    """
    from workers.evaluate import GoldError, evaluate

    rt = open_runtime(enrich_cache=False)  # scored afresh: no cached enrichment
    try:
        report = evaluate(gold, pipeline=rt.pipeline)
    except GoldError as exc:
        fail(str(exc))
        return
    if fmt == "json":
        echo_json(report.to_dict())
        return
    _print_table(report)


def _print_table(report: Report) -> None:
    click.echo(f"{report.articles} article(s)")
    click.echo(
        f"{'measure':<22}{'precision':>10}{'recall':>10}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}"
    )
    rows = (
        ("citation pairs", report.citations),
        ("dates", report.dates),
        ("persons", report.persons),
        ("locations", report.locations),
        ("organizations", report.organizations),
    )
    for label, score in rows:
        p, r, f = (
            (f"{score.precision:.3f}", f"{score.recall:.3f}", f"{score.f1:.3f}")
            if score.has_gold
            else ("n/a", "n/a", "n/a")  # no gold items of this kind: nothing to score
        )
        click.echo(f"{label:<22}{p:>10}{r:>10}{f:>8}{score.tp:>6}{score.fp:>6}{score.fn:>6}")
    accuracy = f"{report.year_accuracy:.3f}" if report.years_total else "n/a"
    click.echo(f"publication year      {accuracy} ({report.years_correct}/{report.years_total})")
    for measure, kinds in report.error_kinds.items():
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()) if n)
        click.echo(f"  {measure} errors: {counts or 'none'}")
    for error in report.errors:
        click.echo(f"  {error['file']}")
        measures = [(k, v) for k, v in error.items() if k != "file"]
        for line in aligned([(f"    {k.replace('_', ' ')}", _miss(v)) for k, v in measures]):
            click.echo(line)


def _miss(found: object) -> str:
    """One measure's errors in words: "unexpected: asia; missing: Kyiv" (the lists a
    gold file's reader looks for), "expected 1998, got 1999" for a year."""
    if not isinstance(found, dict):
        return str(found)
    if "expected" in found:
        return f"expected {found['expected']}, got {found.get('got') or 'none'}"
    return "; ".join(
        f"{kind}: {', '.join(map(str, items))}" for kind, items in found.items() if items
    )
