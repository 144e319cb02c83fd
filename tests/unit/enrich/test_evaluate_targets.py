"""The dev-set targets of issues 3, 15 and 28: this test fails when enrichment quality drops.

Runs the real pipeline (spaCy included) over the gold files in tests/fixtures/gold
through the same scorer as `monitor eval`. real-articles-gold-extra.json (issue 15)
adds hand-checked places, organizations and dates to the eight real articles; its
measures are checked on their own below, at the levels reached (dev set: the held-out
set decides).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workers.evaluate import Report, evaluate

GOLD = Path(__file__).resolve().parents[2] / "fixtures" / "gold"
GOLD_FILES = ("seeds-gold.json", "real-articles-gold.json")
EXTRA = "real-articles-gold-extra.json"


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


@pytest.fixture(scope="module")
def extra(nlp: Any) -> Report:
    return evaluate(GOLD / EXTRA)


def test_extra_organizations_f1(extra: Report) -> None:
    assert extra.organizations.tp + extra.organizations.fn == 29  # every gold item counted
    assert extra.organizations.f1 >= 0.90, extra.errors  # issue 15 target: 0.85


def test_extra_locations_f1(extra: Report) -> None:
    assert extra.locations.tp + extra.locations.fn == 22
    assert extra.locations.f1 >= 0.95, extra.errors


def test_extra_dates_f1(extra: Report) -> None:
    assert extra.dates.tp + extra.dates.fn == 33
    assert extra.dates.f1 >= 0.95, extra.errors


def test_extra_publication_dates(extra: Report) -> None:
    assert extra.years_correct == extra.years_total == 8, extra.errors


def test_seed_organizations_f1(reports: dict[str, Report]) -> None:
    assert reports["seeds-gold.json"].organizations.f1 >= 0.95, reports["seeds-gold.json"].errors


# Issue 28: today's series (EDM, Terrorism Monitor, China Brief, North Caucasus Weekly
# of 2010-2025), tests/fixtures/gold/modern-gold.json. Targets of the issue; reached:
# 1.00 except locations 0.99 ("Gramsci", a typo for Gramsh, is not guessed).
MODERN = GOLD / "modern-gold.json"


@pytest.fixture(scope="module")
def modern(nlp: Any) -> Report:
    return evaluate(MODERN)


def test_modern_citation_pairs(modern: Report) -> None:
    assert modern.citations.tp + modern.citations.fn == 30  # every gold pair counted
    assert modern.citations.f1 >= 0.95, modern.errors


def test_modern_persons(modern: Report) -> None:
    assert modern.persons.tp + modern.persons.fn == 20
    assert modern.persons.f1 >= 0.95, modern.errors


def test_modern_organizations(modern: Report) -> None:
    assert modern.organizations.tp + modern.organizations.fn == 43
    assert modern.organizations.f1 >= 0.85, modern.errors


def test_modern_locations(modern: Report) -> None:
    assert modern.locations.tp + modern.locations.fn == 50
    assert modern.locations.f1 >= 0.95, modern.errors


def test_modern_dates_without_citation_dates(modern: Report) -> None:
    assert modern.dates.tp + modern.dates.fn == 42
    assert modern.dates.f1 >= 0.93, modern.errors


def test_modern_publication_years(modern: Report) -> None:
    assert modern.years_correct == modern.years_total == 12, modern.errors
