"""Date mentions in article text, resolved against the publication date.

News prose mostly omits the year ("on January 17", "(Kyodo, December 26)"), so every
mention is resolved against an `Anchor`: the publication date and the latest day it
can be (the same day when the source gave the date; the top of the interval when it
was estimated). A year-less date in a source citation is never later than the
article; one in running text may lie a little ahead (a summit "scheduled for February
25-26"), but anything beyond `FUTURE_WINDOW` belongs to the previous year.

One compiled regex scans the text once (dates are on the hot path of every article);
numbers that only look like years ("US$2000", "Article 1999", "2000 troops") are
rejected by their neighbours.
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from workers.model import DateMention, Granularity, Span

FUTURE_WINDOW = timedelta(days=60)

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("January", "Jan."),
            ("February", "Feb."),
            ("March", "Mar."),
            ("April", "Apr."),
            ("May",),
            ("June",),
            ("July",),
            ("August", "Aug."),
            ("September", "Sept.", "Sep."),
            ("October", "Oct."),
            ("November", "Nov."),
            ("December", "Dec."),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        ("a", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"),
        start=1,
    )
}
_NUMBER_WORDS["twelve"] = 12
_NUMBER_WORDS["one"] = _NUMBER_WORDS["an"] = 1

M = r"(?:" + "|".join(re.escape(m) for m in sorted(MONTHS, key=len, reverse=True)) + r")(?![\w])"
DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d])"
YEAR = r"(?:1[89]\d\d|20\d\d)(?![\d])"
_DAYRANGE = rf"{DAY}(?:\s*[-–]\s*{DAY})?"
_GROUP = rf"{M}\s+{_DAYRANGE}(?:(?:\s*,\s*|\s*,?\s+and\s+){_DAYRANGE})*"
CHAIN = rf"{_GROUP}(?:(?:\s*,\s*|\s*,?\s+and\s+){_GROUP})*(?:,?\s+{YEAR})?"

_PATTERN = re.compile(
    rf"""
    (?P<chain>\b{CHAIN})
  | (?P<dayfirst>\b{DAY}\s+{M}(?:,?\s+{YEAR})?)
  | (?P<monthrel>\b{M}\s+(?:of\s+)?(?:this|last|next)\s+year\b)
  | (?P<monthyear>\b{M},?\s+(?:of\s+)?{YEAR})
  | (?P<modmonth>\b(?i:mid-|(?:early|mid|late|last|this|next)\s+){M}(?:,?\s+{YEAR})?)
  | (?P<season>\b(?i:spring|summer|autumn|fall|winter)\s+(?:of\s+)?{YEAR})
  | (?P<month>\b{M})
  | (?P<theyear>\b(?i:the\s+year)\s+{YEAR})
  | (?P<decade>\b(?:1[89]|20)\d0s\b)
  | (?P<yearrange>(?<![\w$.,/-]){YEAR}\s*[-–]\s*(?:{YEAR}|\d\d(?!\d))(?![-–]\d))
  | (?P<year>(?<![\w$€£#./,]){YEAR}(?![\w%]|[.,]\d))
  | (?P<rel>\b(?i:(?:(?:earlier|later|early|late)\s+)?(?:this|last|next|the\s+past)\s+
        (?:week|month|year)|yesterday|today|tomorrow|last\s+night|tonight)\b)
  | (?P<ago>\b(?i:(?:\d{{1,2}}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven
        |twelve)\s+(?:day|week|month|year)s?\s+ago)\b)
  | (?P<weekday>\b(?:(?i:last|next|this)\s+)?(?:{"|".join(_WEEKDAYS)})\b)
    """,
    re.VERBOSE,
)
# Every alternative above starts a word, and with one of these characters: digits, the
# months (capitalised), and the first letters of the case-insensitive words (mid, early,
# late, last, this, next, spring, summer, autumn, fall, winter, the, earlier, later,
# yesterday, today, tomorrow, tonight, a, an, one … twelve) and the weekdays.
# `_matches` tries `_PATTERN` only there: three times faster than `finditer`, which
# tries all fourteen alternatives at every character. Extend this set with any new
# alternative's first letter; a test checks both scans agree on every text we have.
_STARTS = re.compile(r"(?<!\w)[0-9AaDEeFfJLlMmNnOoSsTtWwYy]")
_CHAIN_TOKEN = re.compile(rf"(?P<m>{M})|(?P<y>{YEAR})|(?P<d>{DAY})(?:\s*[-–]\s*(?P<d2>{DAY}))?")
_NOT_A_YEAR_BEFORE = re.compile(
    r"(?:US|No\.|Nos\.|[Aa]rticle|[Rr]esolution|[Nn]umber|[Pp]aragraph|[Dd]ecree|[Ff]light|"
    r"[Rr]oute|[Rr]oom|[Oo]rder|[Ll]aw|[Uu]nit|[Bb]rigade|[Rr]egiment|[Dd]ivision)\s*$"
)
_NOT_A_YEAR_AFTER = re.compile(
    r"\s*(?:percent|per\s+cent|troops|soldiers|servicemen|people|persons|men|women|members|"
    r"hours|km|kilometers|kilometres|miles|tons|tonnes|units|votes|deputies|residents|"
    r"refugees|families|houses|cases|dollars|rubles|roubles|euros|meters|metres|delegates|"
    r"participants|students|employees|workers|fighters|militants|policemen|officers|times|"
    r"rounds|tanks|aircraft|vehicles|prisoners|hostages|pages|copies|signatures)\b"
)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Anchor:
    """The publication date to resolve against, and the latest the article can be."""

    on: date
    latest: date


@dataclass(frozen=True, slots=True)
class Scan:
    mentions: tuple[DateMention, ...]
    notes: tuple[str, ...] = ()


def find_dates(text: str, anchor: Anchor | None, *, past_spans: Sequence[Span] = ()) -> Scan:
    """Every date mention in `text`; year-less ones need an anchor (skipped without).

    `past_spans` are regions (source citations) whose dates cannot postdate the
    article. Impossible dates ("February 30") are skipped with a note, never raised.
    """
    mentions: list[DateMention] = []
    notes: list[str] = []
    regions = sorted(past_spans)
    starts = [a for a, _ in regions]
    for match in _matches(text):
        kind = match.lastgroup
        assert kind is not None
        at = bisect.bisect_right(starts, match.start()) - 1
        past = at >= 0 and match.start() < regions[at][1]
        try:
            found = _HANDLERS[kind](text, match, anchor, past)
        except ValueError:
            notes.append(f"dates: skipped impossible date {match.group()!r}")
            continue
        mentions.extend(found)
    return Scan(tuple(mentions), tuple(notes))


def _matches(text: str) -> Iterator[re.Match[str]]:
    """What `_PATTERN.finditer(text)` yields, trying only where a match can start."""
    pos = 0
    while (start := _STARTS.search(text, pos)) is not None:
        match = _PATTERN.match(text, start.start())
        if match is None:
            pos = start.end()
        else:
            yield match
            pos = match.end()


def resolve_day(month: int, day: int, anchor: Anchor, *, past: bool) -> date:
    """The year for a year-less day: the latest one not beyond what is allowed."""
    limit = anchor.latest if past else anchor.on + FUTURE_WINDOW
    for year in (anchor.on.year + 1, anchor.on.year, anchor.on.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            if month == 2 and day == 29:
                continue  # only exists in leap years; try the next year down
            raise
        if candidate <= limit:
            return candidate
    return date(anchor.on.year - 2, month, day)  # Feb 29 with no leap year nearby


def _chain(text: str, match: re.Match[str], anchor: Anchor | None, past: bool) -> list[DateMention]:
    """'January 19, 21' / 'April 17 and 24, May 1 and 8' / 'October 2 and 21, 2004'."""
    base = match.start()
    days: list[tuple[int, int, int, int, int | None]] = []
    month = 0
    month_start = -1
    year: int | None = None
    for tok in _CHAIN_TOKEN.finditer(match.group()):
        if tok["m"]:
            month, month_start = MONTHS[tok["m"]], tok.start()
        elif tok["y"]:
            year = int(tok["y"])
        elif month:
            start = month_start if month_start >= 0 else tok.start()
            month_start = -1
            d1 = int(_DIGITS.match(tok["d"]).group())  # type: ignore[union-attr]
            d2 = int(_DIGITS.match(tok["d2"]).group()) if tok["d2"] else None  # type: ignore[union-attr]
            days.append((base + start, base + tok.end(), month, d1, d2))
    if year is not None and len(days) == 1:
        # "December 17, 1999" is one mention; in a list the year is shared, not owned.
        days[0] = (days[0][0], match.end(), *days[0][2:])
    out: list[DateMention] = []
    for start, end, month, d1, d2 in days:
        if year is not None:
            first = date(year, month, d1)
        elif anchor is not None:
            first = resolve_day(month, d1, anchor, past=past)
        else:
            continue
        last = first.replace(day=d2) if d2 else first
        if last < first:
            last = first
        out.append(
            DateMention(
                text[start:end],
                first.isoformat(),
                last.isoformat(),
                "day",
                year is None,
                (start, end),
            )
        )
    return out


def _dayfirst(
    text: str, match: re.Match[str], anchor: Anchor | None, past: bool
) -> list[DateMention]:
    tokens = list(_CHAIN_TOKEN.finditer(match.group()))
    day = int(_DIGITS.match(tokens[0]["d"]).group())  # type: ignore[union-attr]
    month = MONTHS[tokens[1]["m"]]
    if len(tokens) > 2:
        first = date(int(tokens[2]["y"]), month, day)
    elif anchor is not None:
        first = resolve_day(month, day, anchor, past=past)
    else:
        return []
    return [_mention(match, first, first, "day", relative=len(tokens) == 2)]


def _monthrel(
    text: str, match: re.Match[str], anchor: Anchor | None, past: bool
) -> list[DateMention]:
    if anchor is None:
        return []
    words = match.group().split()
    shift = {"this": 0, "last": -1, "next": 1}[words[-2].lower()]
    return [_month_mention(match, anchor.on.year + shift, MONTHS[words[0]], relative=True)]


def _monthyear(
    text: str, match: re.Match[str], anchor: Anchor | None, past: bool
) -> list[DateMention]:
    month = MONTHS[_CHAIN_TOKEN.match(match.group())["m"]]  # type: ignore[index]
    year = int(match.group()[-4:])
    return [_month_mention(match, year, month, relative=False)]


def _modmonth(
    text: str, match: re.Match[str], anchor: Anchor | None, past: bool
) -> list[DateMention]:
    found = re.search(M, match.group())
    assert found is not None
    month = MONTHS[found.group()]
    modifier = match.group()[: found.start()].strip().lower()
    year_match = re.search(YEAR, match.group())
    if year_match:
        return [_month_mention(match, int(year_match.group()), month, relative=False)]
    if anchor is None:
        return []
    if modifier == "last":
        year = anchor.on.year if month < anchor.on.month else anchor.on.year - 1
    elif modifier == "next":
        year = anchor.on.year if month > anchor.on.month else anchor.on.year + 1
    else:
        year = _month_year(month, anchor, past)
    return [_month_mention(match, year, month, relative=True)]


def _month(text: str, match: re.Match[str], anchor: Anchor | None, past: bool) -> list[DateMention]:
    if anchor is None:
        return []
    if match.group() == "May" and not re.search(
        r"(?i:\b(?:in|since|until|till|by|of|during|before|after|from|through|to|early|late|mid)\s*-?)$",
        text[max(0, match.start() - 10) : match.start()],
    ):
        return []  # the modal verb at the start of a sentence
    month = MONTHS[match.group()]
    return [_month_mention(match, _month_year(month, anchor, past), month, relative=True)]


def _season(
    text: str, match: re.Match[str], anchor: Anchor | None, past: bool
) -> list[DateMention]:
    season = match.group().split()[0].lower()
    year = int(match.group()[-4:])
    first_month = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}[season]
    first = date(year, first_month, 1)
    last_year, last_month = (year + 1, 2) if season == "winter" else (year, first_month + 2)
    last = date(last_year, last_month, calendar.monthrange(last_year, last_month)[1])
    return [_mention(match, first, last, "month", relative=False)]


def _theyear(
    text: str, match: re.Match[str], anchor: Anchor | None, past: bool
) -> list[DateMention]:
    return [_year_mention(match, int(match.group()[-4:]), int(match.group()[-4:]))]


def _decade(
    text: str, match: re.Match[str], anchor: Anchor | None, past: bool
) -> list[DateMention]:
    start = int(match.group()[:4])
    return [_year_mention(match, start, start + 9)]


def _yearrange(
    text: str, match: re.Match[str], anchor: Anchor | None, past: bool
) -> list[DateMention]:
    first_text, last_text = re.split(r"\s*[-–]\s*", match.group())
    first = int(first_text)
    last = int(last_text) if len(last_text) == 4 else first // 100 * 100 + int(last_text)
    if last < first:
        return []  # "1998-12": not a range of years
    return [_year_mention(match, first, last)]


def _year(text: str, match: re.Match[str], anchor: Anchor | None, past: bool) -> list[DateMention]:
    before = text[max(0, match.start() - 12) : match.start()]
    after = text[match.end() : match.end() + 20]
    if _NOT_A_YEAR_BEFORE.search(before) or _NOT_A_YEAR_AFTER.match(after):
        return []
    year = int(match.group())
    return [_year_mention(match, year, year)]


def _rel(text: str, match: re.Match[str], anchor: Anchor | None, past: bool) -> list[DateMention]:
    if anchor is None or _quoted(text, match.start()):
        return []
    words = match.group().lower().split()
    on = anchor.on
    if words[-1] in ("yesterday", "today", "tomorrow", "tonight", "night"):
        shift = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1, "night": -1}[words[-1]]
        day = on + timedelta(days=shift)
        return [_mention(match, day, day, "day", relative=True)]
    unit = words[-1]
    shift = {"this": 0, "last": -1, "next": 1, "past": -1}[words[-2]]
    if unit == "week":
        monday = on - timedelta(days=on.weekday()) + timedelta(weeks=shift)
        return [_mention(match, monday, monday + timedelta(days=6), "week", relative=True)]
    if unit == "month":
        year, month = divmod(on.year * 12 + on.month - 1 + shift, 12)
        return [_month_mention(match, year, month + 1, relative=True)]
    return [_year_mention(match, on.year + shift, on.year + shift, relative=True)]


def _quoted(text: str, at: int) -> bool:
    """`at` lies inside a quotation opened in its paragraph: a speaker's "today" is
    the day of the speech, not of the article, so it is not resolved against it."""
    start = text.rfind("\n", 0, at) + 1
    before = text[start:at]
    return before.count("“") > before.count("”") or before.count('"') % 2 == 1


def _ago(text: str, match: re.Match[str], anchor: Anchor | None, past: bool) -> list[DateMention]:
    if anchor is None:
        return []
    count_word, unit = match.group().lower().split()[:2]
    count = int(count_word) if count_word.isdigit() else _NUMBER_WORDS[count_word]
    unit = unit.rstrip("s")
    on = anchor.on
    if unit == "day":
        day = on - timedelta(days=count)
        return [_mention(match, day, day, "day", relative=True)]
    if unit == "week":
        monday = on - timedelta(days=on.weekday(), weeks=count)
        return [_mention(match, monday, monday + timedelta(days=6), "week", relative=True)]
    if unit == "month":
        year, month = divmod(on.year * 12 + on.month - 1 - count, 12)
        return [_month_mention(match, year, month + 1, relative=True)]
    return [_year_mention(match, on.year - count, on.year - count, relative=True)]


def _weekday(
    text: str, match: re.Match[str], anchor: Anchor | None, past: bool
) -> list[DateMention]:
    if anchor is None:
        return []
    words = match.group().split()
    target = _WEEKDAYS.index(words[-1])
    on = anchor.on
    if len(words) == 2 and words[0].lower() == "next":
        day = on + timedelta(days=(target - on.weekday()) % 7 or 7)
    else:
        # News reports past days: "on Tuesday" is the latest Tuesday up to the issue.
        day = on - timedelta(days=(on.weekday() - target) % 7)
        if len(words) == 2 and words[0].lower() == "last" and day == on:
            day -= timedelta(weeks=1)
    return [_mention(match, day, day, "day", relative=True)]


def _month_year(month: int, anchor: Anchor, past: bool) -> int:
    limit = anchor.latest if past else anchor.on + FUTURE_WINDOW
    year = anchor.on.year + 1
    while date(year, month, 1) > limit:
        year -= 1
    return year


def _mention(
    match: re.Match[str], first: date, last: date, granularity: Granularity, *, relative: bool
) -> DateMention:
    return DateMention(
        text=match.group(),
        start=first.isoformat(),
        end=last.isoformat(),
        granularity=granularity,
        relative=relative,
        span=(match.start(), match.end()),
    )


def _month_mention(match: re.Match[str], year: int, month: int, *, relative: bool) -> DateMention:
    last = calendar.monthrange(year, month)[1]
    return _mention(
        match, date(year, month, 1), date(year, month, last), "month", relative=relative
    )


def _year_mention(
    match: re.Match[str], first: int, last: int, *, relative: bool = False
) -> DateMention:
    return _mention(match, date(first, 1, 1), date(last, 12, 31), "year", relative=relative)


_HANDLERS = {
    "chain": _chain,
    "dayfirst": _dayfirst,
    "monthrel": _monthrel,
    "monthyear": _monthyear,
    "modmonth": _modmonth,
    "season": _season,
    "month": _month,
    "theyear": _theyear,
    "decade": _decade,
    "yearrange": _yearrange,
    "year": _year,
    "rel": _rel,
    "ago": _ago,
    "weekday": _weekday,
}
