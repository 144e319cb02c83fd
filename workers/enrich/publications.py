"""Jamestown publications, and publication dates estimated from volume and issue.

Many archive pages carry "Publication: Monitor Volume: 7 Issue: 14" and no date. Each
series numbers one volume per calendar year from its first year, so the volume gives
the year exactly; the issue number gives the place in that year only roughly
(holidays, skipped or double issues). The estimate is therefore an interval
(`Estimate.gte`/`lte`) with a point inside it, and `refine` pulls the interval forward
when the text itself cites a later date: an article cannot predate its sources.

Where in its year an issue falls comes from the series' own issue calendar when it has
one (`data/issue_calendars.json`: known (volume, issue, date) points): today's series
do not keep a nominal cadence (*Eurasia Daily Monitor* ran about 240 issues in 2010
and about 190 in 2023), so the days per issue are fitted per volume on those points
and interpolated between volumes, and the interval widens with the distance from the
nearest point. Series without one (the 1995-2003 *Monitor*) use their cadence.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Literal

Cadence = Literal["daily", "weekly", "biweekly", "monthly"]


@dataclass(frozen=True, slots=True)
class Publication:
    name: str
    cadence: Cadence
    first_year: int
    aliases: tuple[str, ...] = ()
    # The same series under its later/earlier name: volume numbering continues.
    family: tuple[str, ...] = ()


# First volume years as printed on jamestown.org (volume 1 = first year). The daily
# Monitor (1995-2003) was succeeded by Eurasia Daily Monitor (2004-); Chechnya Weekly
# (2000-) continues as North Caucasus Weekly with the same volume numbers.
REGISTRY: tuple[Publication, ...] = (
    Publication("Monitor", "daily", 1995, ("The Monitor", "Jamestown Monitor")),
    Publication("Eurasia Daily Monitor", "daily", 2004, ("EDM", "Eurasia Daily")),
    Publication("Fortnight in Review", "biweekly", 1995, ("Jamestown Fortnight in Review",)),
    Publication("Prism", "monthly", 1995, ("Jamestown Prism",)),
    Publication(
        "Chechnya Weekly",
        "weekly",
        2000,
        ("Jamestown Chechnya Weekly",),
        ("North Caucasus Weekly",),
    ),
    Publication(
        "North Caucasus Weekly",
        "weekly",
        2000,
        ("North Caucasus Analysis", "NCW"),
        ("Chechnya Weekly",),
    ),
    Publication("China Brief", "biweekly", 2001, ("CB",)),
    Publication("Terrorism Monitor", "biweekly", 2003, ("TM",)),
    Publication("Terrorism Focus", "weekly", 2004),
    Publication("Russia and Eurasia Review", "biweekly", 2002),
    Publication("Militant Leadership Monitor", "monthly", 2010, ("MLM",)),
    Publication("Global Terrorism Analysis", "biweekly", 2003),
)

# Aliases that are too ambiguous on their own inside running text ("TM", "CB") are
# still fine for header lines; citations only accept names of three letters or more.
_BY_KEY = {k.casefold(): p for p in REGISTRY for k in (p.name, *p.aliases)}
_WORDS = re.compile(r"[\w-]+")
_PER_YEAR = {"daily": 250, "weekly": 52, "biweekly": 24, "monthly": 12}
# Working days lost to holidays: an issue may fall this many weekdays after its
# nominal day (about ten holidays a year spread over the issues so far).
_DAILY_BASE_SLACK = 2


def lookup(name: str | None) -> Publication | None:
    """The registry entry for a publication name or alias ("EDM", "the Monitor")."""
    if not name:
        return None
    key = " ".join(name.split()).casefold()
    return _BY_KEY.get(key) or _BY_KEY.get(key.removeprefix("the "))


def lookup_header(name: str | None) -> Publication | None:
    """Like `lookup`, also for decorated header names ("Jamestown Foundation Monitor",
    "Eurasia Daily Monitor (EDM)"): the longest registry name inside them wins."""
    found = lookup(name)
    if found is not None or not name:
        return found
    words = " ".join(_WORDS.findall(name.casefold()))
    text = f" {words} "
    inside = [k for k in _BY_KEY if len(k) > 4 and f" {k} " in text]
    return _BY_KEY[max(inside, key=len)] if inside else None


def family_names(name: str) -> tuple[str, ...]:
    """All names one series has gone by (for finding cited articles in the store)."""
    pub = lookup(name)
    if pub is None:
        return (name,)
    return (pub.name, *pub.family)


def unknown_hint(name: str, stored: Iterable[str]) -> str | None:
    """None when `name` is a registry name or code, or a publication the index holds
    (`stored`, as written there); else the one line saying it is not known, with the
    nearest known names first and the codes they also answer to.

    A `--publication` typo would otherwise read as "no articles match", as if the
    archive had nothing on the subject.
    """
    key = " ".join(name.split()).casefold()
    if lookup(name) is not None or key in {s.casefold() for s in stored}:
        return None
    known = [p.name for p in REGISTRY] + sorted(set(stored) - {p.name for p in REGISTRY})
    spellings = {k.casefold(): k for p in REGISTRY for k in (p.name, *p.aliases)}
    spellings.update((s.casefold(), s) for s in stored)
    close = difflib.get_close_matches(key, list(spellings), n=3, cutoff=0.6)
    near = [spellings[c] for c in close]
    guess = f" (did you mean {' or '.join(repr(n) for n in near)}?)" if near else ""
    codes = {p.name: [a for a in p.aliases if a.isupper()] for p in REGISTRY}
    listed = ", ".join(f"{n} ({', '.join(codes[n])})" if codes.get(n) else n for n in known)
    return f"unknown publication {name!r}{guess}; known publications: {listed}"


@dataclass(frozen=True, slots=True)
class Estimate:
    value: date
    gte: date
    lte: date

    def range(self) -> dict[str, str]:
        return {"gte": self.gte.isoformat(), "lte": self.lte.isoformat()}


def volume_year(pub: Publication, volume: int) -> int:
    return pub.first_year + volume - 1


@dataclass(frozen=True, slots=True)
class Calendar:
    """A series' known issue dates: (volume, issue, date) points."""

    first_issue: tuple[int, int]  # (month, day) of a year's first issue
    points: tuple[tuple[int, int, date], ...]

    def start(self, year: int) -> date:
        return date(year, *self.first_issue)

    def days_per_issue(self, volume: int, *, default: float) -> float:
        """The volume's pace: from its own points, else interpolated between the
        nearest volumes that have points, else `default`."""
        pace: dict[int, list[float]] = {}
        for v, issue, day in self.points:
            if issue > 1:
                pace.setdefault(v, []).append((day - self.start(day.year)).days / (issue - 1))
        if not pace:
            return default
        known = {v: sum(p) / len(p) for v, p in pace.items()}
        if volume in known:
            return known[volume]
        below = [v for v in known if v < volume]
        above = [v for v in known if v > volume]
        if not below or not above:
            return known[max(below) if below else min(above)]
        lo, hi = max(below), min(above)
        share = (volume - lo) / (hi - lo)
        return known[lo] + share * (known[hi] - known[lo])


# Half-width of an estimate: a floor per cadence, plus this share of the days between
# the issue and the nearest known point (the volume's start when none is nearer).
_SPREAD_FLOOR = {"daily": 5, "weekly": 10, "biweekly": 14, "monthly": 20}
_SPREAD_SHARE = 0.2


@lru_cache(maxsize=1)
def calendars() -> dict[str, Calendar]:
    """The issue calendars of `data/issue_calendars.json`, by series name."""
    data = json.loads(
        resources.files("workers.enrich")
        .joinpath("data/issue_calendars.json")
        .read_text(encoding="utf-8")
    )
    out = {}
    for name, item in data["publications"].items():
        month, day = (int(n) for n in item["first_issue"].split("-"))
        points = tuple((int(v), int(i), date.fromisoformat(d)) for v, i, d, *_ in item["points"])
        out[name] = Calendar(first_issue=(month, day), points=points)
    return out


def _from_calendar(cal: Calendar, pub: Publication, *, volume: int, issue: int) -> Estimate:
    year = volume_year(pub, volume)
    first, last = date(year, 1, 1), date(year, 12, 31)
    pace = cal.days_per_issue(volume, default=365 / _PER_YEAR[pub.cadence])
    # Knots: the volume's start and its known points; the issue lies on the line
    # through the nearest knot below it at the volume's pace, bent toward the next
    # knot above when there is one.
    knots = sorted({(1, cal.start(year)), *((i, d) for v, i, d in cal.points if v == volume)})
    below = max((k for k in knots if k[0] <= issue), default=knots[0])
    above = min((k for k in knots if k[0] > issue), default=None)
    if above is not None:
        share = (issue - below[0]) / (above[0] - below[0])
        nominal = below[1] + timedelta(days=round(share * (above[1] - below[1]).days))
        distance = min(issue - below[0], above[0] - issue) * pace
    else:
        nominal = below[1] + timedelta(days=round((issue - below[0]) * pace))
        distance = (issue - below[0]) * pace
    half = timedelta(days=round(_SPREAD_FLOOR[pub.cadence] + _SPREAD_SHARE * distance))
    gte, lte = _clip(nominal - half, first, last), _clip(nominal + half, first, last)
    return Estimate(value=_clip(nominal, gte, lte), gte=gte, lte=lte)


def estimate(pub: Publication, *, volume: int, issue: int | None) -> Estimate:
    """Where issue `issue` of volume `volume` falls, from the series' issue calendar or
    else its cadence.

    Always inside the volume's year: the year is the one certain part of the estimate.
    """
    year = volume_year(pub, volume)
    first, last = date(year, 1, 1), date(year, 12, 31)
    if issue is None:
        return Estimate(value=first, gte=first, lte=last)
    cal = calendars().get(pub.name)
    if cal is not None:
        return _from_calendar(cal, pub, volume=volume, issue=issue)
    if pub.cadence == "daily":
        # Issue N appears no earlier than the Nth weekday of the year.
        nominal = _nth_weekday(first, issue)
        slack = _DAILY_BASE_SLACK + issue * 10 // _PER_YEAR["daily"]
        gte, lte = nominal, _add_weekdays(nominal, slack)
    else:
        period = 365 / _PER_YEAR[pub.cadence]
        nominal = first + timedelta(days=round((issue - 1) * period))
        half = timedelta(days=round(period))
        gte, lte = nominal - half // 2, nominal + half
    gte, lte = _clip(gte, first, last), _clip(lte, first, last)
    return Estimate(value=_clip(nominal, gte, lte), gte=gte, lte=lte)


def refine(est: Estimate, *, latest_cited: date | None) -> Estimate:
    """Never earlier than the day after the latest date the text cites as past.

    When the evidence lies beyond the estimated interval the text wins (issue numbers
    are sometimes wrong, cited dates rarely), but the year stays the volume's year.
    """
    if latest_cited is None:
        return est
    floor = min(latest_cited + timedelta(days=1), date(est.value.year, 12, 31))
    if floor <= est.gte:
        return est
    lte = max(est.lte, floor)
    return Estimate(value=max(est.value, floor), gte=floor, lte=lte)


def _nth_weekday(first: date, n: int) -> date:
    day = first
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return _add_weekdays(day, n - 1)


def _add_weekdays(day: date, count: int) -> date:
    weeks, rest = divmod(max(count, 0), 5)
    day += timedelta(weeks=weeks)
    while rest:
        day += timedelta(days=1)
        if day.weekday() < 5:
            rest -= 1
    return day


def _clip(day: date, low: date, high: date) -> date:
    return max(low, min(day, high))
