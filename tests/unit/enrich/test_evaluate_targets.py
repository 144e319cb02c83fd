"""The dev-set targets of issue 3: this test fails when enrichment quality drops.

Runs the real pipeline (spaCy included) over both gold files in tests/fixtures/gold
through the same scorer as `monitor eval`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workers.evaluate import Report, evaluate

GOLD = Path(__file__).resolve().parents[2] / "fixtures" / "gold"
GOLD_FILES = ("seeds-gold.json", "real-articles-gold.json")


@pytest.fixture(scope="module")
def reports(nlp: Any) -> dict[str, Report]:
    return {name: evaluate(GOLD / name) for name in GOLD_FILES}


@pytest.fixture(scope="module")
def combined(reports: dict[str, Report]) -> Report:
    total = Report()
    for report in reports.values():
        for name in ("citations", "dates", "persons", "locations", "organizations"):
            mine, theirs = getattr(total, name), getattr(report, name)
            mine.tp, mine.fp, mine.fn = (
                mine.tp + theirs.tp,
                mine.fp + theirs.fp,
                mine.fn + theirs.fn,
            )
        total.years_correct += report.years_correct
        total.years_total += report.years_total
        total.errors.extend(report.errors)
    return total


def test_citation_pairs_f1(combined: Report) -> None:
    assert combined.citations.tp >= 29  # every gold pair is counted
    assert combined.citations.f1 >= 0.95, combined.errors


def test_dates_with_correct_start_and_end(combined: Report) -> None:
    assert combined.dates.tp + combined.dates.fn >= 25
    assert combined.dates.recall >= 0.95, combined.errors


def test_persons_f1(combined: Report) -> None:
    assert combined.persons.f1 >= 0.90, combined.errors


def test_locations_f1(combined: Report) -> None:
    assert combined.locations.tp + combined.locations.fn >= 23
    assert combined.locations.f1 >= 0.85, combined.errors


def test_publication_year_from_volume_and_issue(combined: Report) -> None:
    assert combined.years_total == 8
    assert combined.years_correct == combined.years_total, combined.errors
