"""Publication registry and date estimates from volume/issue."""

from __future__ import annotations

from datetime import date

import pytest

from workers.enrich import publications
from workers.enrich.publications import estimate, lookup, refine


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Monitor", "Monitor"),
        ("The Monitor", "Monitor"),
        ("EDM", "Eurasia Daily Monitor"),
        ("eurasia daily monitor", "Eurasia Daily Monitor"),
        ("North Caucasus Weekly", "North Caucasus Weekly"),
        ("China Brief", "China Brief"),
        ("Terrorism Monitor", "Terrorism Monitor"),
        ("Pravda", None),
    ],
)
def test_lookup(name: str, canonical: str | None) -> None:
    pub = lookup(name)
    assert (pub.name if pub else None) == canonical


def test_successor_names_are_one_family() -> None:
    assert set(publications.family_names("Chechnya Weekly")) == {
        "Chechnya Weekly",
        "North Caucasus Weekly",
    }
    assert set(publications.family_names("EDM")) == {"Eurasia Daily Monitor"}


@pytest.mark.parametrize(
    ("publication", "volume", "issue", "year"),
    [
        ("Monitor", 1, 1, 1995),
        ("Monitor", 3, 121, 1997),
        ("Monitor", 7, 14, 2001),
        ("Monitor", 9, 250, 2003),
        ("Eurasia Daily Monitor", 2, 49, 2005),
        ("North Caucasus Weekly", 9, 19, 2008),
        ("Chechnya Weekly", 1, 1, 2000),
        ("China Brief", 17, 15, 2017),
        ("Terrorism Monitor", 1, 5, 2003),
        ("Prism", 3, 12, 1997),
        # An issue number beyond the year's working days stays in the volume's year.
        ("Monitor", 4, 400, 1998),
    ],
)
def test_year_from_volume(publication: str, volume: int, issue: int, year: int) -> None:
    pub = lookup(publication)
    assert pub is not None
    est = estimate(pub, volume=volume, issue=issue)
    assert est.value.year == est.gte.year == est.lte.year == year
    assert est.gte <= est.value <= est.lte


def test_daily_issue_is_not_before_its_nth_working_day() -> None:
    pub = lookup("Monitor")
    assert pub is not None
    # 2000-01-03 is the first weekday of 2000; the 19th weekday is Thursday January 27.
    est = estimate(pub, volume=6, issue=19)
    assert est.gte == date(2000, 1, 27)
    assert est.lte > est.gte


def test_refine_never_earlier_than_a_cited_day() -> None:
    pub = lookup("Monitor")
    assert pub is not None
    est = estimate(pub, volume=7, issue=14)  # nominal 2001-01-18
    refined = refine(est, latest_cited=date(2001, 1, 21))
    assert refined.gte == refined.value == date(2001, 1, 22)
    assert refined.lte >= refined.gte
    assert refine(est, latest_cited=date(2000, 12, 1)) == est
    # Evidence past the year end does not move the year.
    late = refine(est, latest_cited=date(2001, 12, 31))
    assert late.value.year == 2001


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Jamestown Foundation Monitor", "Monitor"),
        ("Eurasia Daily Monitor (EDM)", "Eurasia Daily Monitor"),
        ("The Jamestown Foundation's China Brief", "China Brief"),
        ("Weekly Standard", None),
    ],
)
def test_decorated_header_names(header: str, canonical: str | None) -> None:
    pub = publications.lookup_header(header)
    assert (pub.name if pub else None) == canonical


@pytest.mark.parametrize(
    "given",
    ["2016-04-14", "2016-04-14T09:30:00Z", "Thu, 14 Apr 2016 09:30:00 +0000", "April 14, 2016"],
)
def test_metadata_dates_in_common_formats(given: str) -> None:
    from workers.enrich.enrichers import PublicationDate
    from workers.model import Article

    article = Article(
        id="x",
        publication="EDM",
        body="text",
        content_hash="h",
        pipeline_version="v",
        published_at=given,
    )
    dated = PublicationDate()(article)
    assert (dated.published_at, dated.published_at_source) == ("2016-04-14", "metadata")
