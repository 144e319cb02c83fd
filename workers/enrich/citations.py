"""Source attributions: "(Izvestia, AFP, January 19; The Japan Times, January 19, 21)".

Jamestown prose closes a sentence with a parenthetical naming its sources and the
dates of the issues used: groups separated by ";", each a comma list of outlets then
a list of dates, a group with dates only reusing the previous group's outlets. Each
(source, date) pair is one `Citation`. A parenthetical only counts when it has that
shape — outlets, a comma, dates — so acronyms "(OSCE)", asides "(approximately
$70,000)" and lists of organizations without a date are left alone. The only undated
citations are a lone known outlet closing a sentence, and web addresses.

Outlet names are canonicalized with `data/outlets.json`; Jamestown's own series
("see EDM, April 7") become `kind="internal"` via the publication registry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from importlib import resources

from workers.enrich import publications
from workers.enrich.dates import CHAIN, DAY, MONTHS, YEAR, Anchor, M, resolve_day
from workers.model import Citation, CitationKind, Span

_PAREN = re.compile(r"\(([^()\n]{1,500})\)")
_LEAD = re.compile(r"^\s*(?:(?:see|also|cf\.|e\.g\.,?)\s+)+", re.IGNORECASE)
_DATES_START = re.compile(
    rf"(?:{CHAIN}|{M},?\s+{YEAR}|{YEAR}|{DAY}\s+(?:{'|'.join(map(re.escape, MONTHS))}))"
)
_DATE_TOKEN = re.compile(
    rf"(?P<m>{'|'.join(re.escape(m) for m in sorted(MONTHS, key=len, reverse=True))})(?!\w)"
    rf"|(?P<y>{YEAR})|(?P<d>{DAY})(?:\s*[-–]\s*(?P<d2>{DAY}))?"
)
_DAY_NUMBER = re.compile(r"\d+")
_URL = re.compile(r"\bhttps?://[^\s()<>\"”]+[^\s()<>\"”.,;:!?]")
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:/\S*)?$", re.I)
# Lower-case words an outlet name may contain ("Ukrayinska pravda", "Argumenty i fakty").
_PROSE = re.compile(r"\b(?!and\b)[^\W\d_]{2,}")
_NAME_WORD = re.compile(r"^[\w.&’'/@-]+$")
_MAX_NAME_WORDS = 6
_MAX_RANGE_DAYS = 6
# Lower-case words an unknown outlet name may contain ("Nezavisimaya gazeta").
_LOWER_OK = frozenset(
    [
        "and",
        "of",
        "i",
        "de",
        "la",
        "le",
        "du",
        "des",
        "the",
        "in",
        "on",
        "for",
        "y",
        "e",
        "news",
        "daily",
        "weekly",
        "times",
        "agencies",
        "agency",
        "tv",
        "radio",
        "online",
        "press",
        "service",
        "television",
        "newspaper",
        "gazeta",
        "pravda",
        "novosti",
        "vedomosti",
        "izvestiya",
        "zhizn",
        "kurier",
        "vremya",
        "vremia",
        "mir",
        "slovo",
        "vesti",
        "delo",
        "nedelya",
        "nedeli",
        "rossii",
        "segodnya",
        "ru",
        "com",
        "org",
        "net",
        "info",
        "shimbun",
        "ribao",
        "bao",
        "zhoukan",
    ]
)
# Sites where an address names an account, and the account is the source:
# "(Twitter.com/@caleb_weiss, January 17)", "(t.me/rybar, May 3)".
_SOCIAL = frozenset(
    str.split(
        """twitter.com x.com t.me telegram.me facebook.com instagram.com youtube.com
    vk.com ok.ru tiktok.com livejournal.com medium.com substack.com threads.net"""
    )
)
_ACCOUNT = re.compile(r"/(?!(?:s|channel|c|user|watch|status|p|share)/?\b)(?P<account>@?[\w.-]+)")
# Cyrillic and Greek letters that look Latin, inside an otherwise Latin address
# ("Аlbaniandailynews.com" with a Cyrillic А): the address is the Latin one.
_LOOKALIKES = str.maketrans(
    "АВЕКМНОРСТХаеорсухіјѕԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧο", "ABEKMHOPCTXaeopcyxijsdqwABEZHIKMNOPTYXo"
)
_NON_LATIN = re.compile(r"[^\x00-\u024f]")
# "(al-Naba, Issue 53, 03 November, 2016)": an issue or page number names no source.
_NUMBERING = re.compile(
    r"^(?:issue|no|nos|vol|volume|part|page|pages|pp?|episode|edition|item)\.?\s*\d", re.I
)


def _latin_lookalikes(name: str) -> str:
    """`name` with look-alike letters made Latin when that leaves it all Latin."""
    if not _NON_LATIN.search(name):
        return name
    latin = name.translate(_LOOKALIKES)
    return name if _NON_LATIN.search(latin) else latin


# Arabic article prefixes keep an outlet name proper: "(al-Hayat, May 5)".
_ARTICLE_PREFIX = re.compile(r"^(?:al|el|ad|an|ar|as|ash|at|az)-\w", re.IGNORECASE)


def extract(text: str, anchor: Anchor | None) -> tuple[Citation, ...]:
    """Every (source, date) citation in `text`, in order of appearance."""
    found: list[Citation] = []
    for match in _PAREN.finditer(text):
        found.extend(_parenthetical(text, match, anchor))
    found.extend(_bare_urls(text))
    found.sort(key=lambda c: c.span or (0, 0))
    return tuple(found)


def citation_spans(text: str) -> list[Span]:
    """Regions holding citations: their dates cannot postdate the article."""
    return [c.span for c in extract(text, None) if c.span is not None]


def canonical_source(name: str) -> tuple[str, CitationKind]:
    """('Itar-Tass' → 'ITAR-TASS', press), ('EDM' → 'Eurasia Daily Monitor', internal),
    ('https://www.kavkaz-uzel.eu/articles/200277' → 'kavkaz-uzel.eu', web),
    ('Twitter.com/@caleb_weiss' → 'twitter.com/@caleb_weiss', web): a web address
    cites its site, a social network address the account on it."""
    cleaned = _latin_lookalikes(" ".join(name.split()).strip(" .,:"))
    domain = _DOMAIN.match(cleaned)
    if domain and " " not in cleaned:
        site = domain.group(1).lower()
        account = _ACCOUNT.match(cleaned, domain.end(1))
        if account and site.removeprefix("m.").removeprefix("mobile.") in _SOCIAL:
            return f"{site}/{account['account']}", "web"
        return site, "web"
    pub = publications.lookup(cleaned)
    if pub is not None and len(cleaned) > 2:
        return pub.name, "internal"
    key = cleaned.casefold()
    canonical = _outlets().get(key) or _outlets().get(key.removeprefix("the "))
    if canonical:
        return canonical, "press"
    return (cleaned[4:] if cleaned.startswith("the ") else cleaned), "press"


@lru_cache(maxsize=1)
def _outlets() -> dict[str, str]:
    data = json.loads(resources.files("workers.enrich").joinpath("data/outlets.json").read_text())
    table: dict[str, str] = {}
    for canonical, aliases in data["outlets"].items():
        for alias in (canonical, *aliases):
            table[alias.casefold()] = canonical
    return table


def _parenthetical(text: str, match: re.Match[str], anchor: Anchor | None) -> Iterator[Citation]:
    inner = match.group(1)
    raw, span = match.group(), (match.start(), match.end())
    sources: list[tuple[str, CitationKind]] = []
    for chunk in inner.split(";"):
        lead = _LEAD.match(chunk)  # "(Interfax, March 3; see EDM, February 25)"
        chunk = chunk[lead.end() :] if lead else chunk
        dated = _DATES_START.search(chunk)
        if dated is None:
            undated = _undated(text, match, chunk, single=len(inner.split(";")) == 1)
            if undated is not None:
                yield Citation(undated[0], None, undated[1], raw, span)
            continue
        head = chunk[: dated.start()]
        if head.strip():
            if not head.rstrip().endswith(",") and not _known_source(head):
                continue  # "(signed on March 4)": prose, not an attribution
            names = [n for n in head.rstrip().rstrip(",").split(",") if n.strip()]
            if not names or not _plausible(names[0]):
                continue
            # "(Interfax, citing the Defense Ministry, March 3)": the outlet, not the aside.
            sources = [canonical_source(n) for n in names if _plausible(n)]
        if not sources:
            continue
        for day in _dates(chunk[dated.start() :], anchor):
            for source, kind in sources:
                yield Citation(source, day, kind, raw, span)


def _dates(chunk: str, anchor: Anchor | None) -> list[str]:
    """ISO dates of a date list: 'April 17 and 24, May 1 and 8', 'December 3, 1999'.

    A year applies to the items before it that have none ('October 2 and 21, 2004');
    items left without one are resolved against the anchor as past dates.
    """
    items: list[list[int | None]] = []  # [month (0: none), day or None, year or None]
    month = 0
    pending = False  # a month seen with no day yet: "November 1998"
    day_first: int | None = None  # "(Interfax, 3 March)"
    last_end = 0
    for tok in _DATE_TOKEN.finditer(chunk):
        if _PROSE.search(chunk[last_end : tok.start()]):
            break  # "(Interfax, March 4, citing the ministry)": stop at the prose
        last_end = tok.end()
        if tok["m"]:
            if pending:
                items.append([month, None, None])
            month, pending = MONTHS[tok["m"]], day_first is None
            if day_first is not None:
                items.append([month, day_first, None])
                day_first = None
        elif tok["y"]:
            if pending:
                items.append([month, None, None])
                pending = False
            if not any(item[2] is None for item in items):
                items.append([0, None, None])
            for item in items:
                if item[2] is None:
                    item[2] = int(tok["y"])
        elif not month:
            day_first = int(_DAY_NUMBER.match(tok["d"]).group())  # type: ignore[union-attr]
        else:
            first = int(_DAY_NUMBER.match(tok["d"]).group())  # type: ignore[union-attr]
            last = int(_DAY_NUMBER.match(tok["d2"]).group()) if tok["d2"] else first  # type: ignore[union-attr]
            if not first <= last <= first + _MAX_RANGE_DAYS:
                last = first
            # "(Itar-Tass, June 3-4)": the issues of both days.
            items.extend([month, day, None] for day in range(first, last + 1))
            pending = False
    if pending:
        items.append([month, None, None])
    out = (_iso(year, m or 0, d, anchor) for m, d, year in items)
    return [iso for iso in out if iso is not None]


def _iso(year: int | None, month: int, day: int | None, anchor: Anchor | None) -> str | None:
    try:
        if month == 0:
            return None if year is None else str(year)
        if day is None:
            return None if year is None else f"{year:04d}-{month:02d}"
        if year is not None:
            return date(year, month, day).isoformat()
        if anchor is None:
            return None
        return resolve_day(month, day, anchor, past=True).isoformat()
    except ValueError:
        return None  # "February 30": not a date, so not a citation date either


def _undated(
    text: str, match: re.Match[str], chunk: str, *, single: bool
) -> tuple[str, CitationKind] | None:
    """A lone web address, or a known outlet closing a sentence: '... (Interfax).'"""
    name = chunk.strip()
    source, kind = canonical_source(name)
    if kind == "web":
        return source, kind
    if not single or name.casefold().removeprefix("the ") not in _outlets():
        return None
    after = text[match.end() : match.end() + 2]
    before = text[max(0, match.start() - 2) : match.start()]
    closes = after[:1] in (".", "") or after[:1] == "\n" or before.rstrip()[-1:] in '.!?"”'
    return (source, kind) if closes else None


def _known_source(head: str) -> bool:
    """A known outlet or series, or a web address, right before the date without the
    usual comma: "(TASS February 22)"."""
    name = head.strip()
    if "," in name or not name:
        return False
    kind = canonical_source(name)[1]
    return kind != "press" or name.casefold().removeprefix("the ") in _outlets()


def _plausible(name: str) -> bool:
    """Looks like an outlet name, not prose: short, capitalized, mostly proper words."""
    words = name.split()
    if words and words[0].casefold() == "the":
        words = words[1:]
    if not words or len(words) > _MAX_NAME_WORDS or _NUMBERING.match(name.strip()):
        return False
    if len(words) == 1 and _DOMAIN.match(_latin_lookalikes(words[0])):
        return True  # "https://www.kavkaz-uzel.ru/articles/200277/"
    if not all(_NAME_WORD.match(w) for w in words):
        return False
    first = words[0]
    if canonical_source(name)[1] != "press" or name.strip().casefold() in _outlets():
        return True
    if not (first[0].isupper() or first[0].isdigit() or _ARTICLE_PREFIX.match(first)):
        return False
    return all(
        w[0].isupper() or w[0].isdigit() or w.casefold() in _LOWER_OK or _ARTICLE_PREFIX.match(w)
        for w in words
    )


def _bare_urls(text: str) -> Iterator[Citation]:
    """Web addresses in running text (those inside a citation are already counted)."""
    for match in _URL.finditer(text):
        before = text.rfind("(", 0, match.start())
        inside = before != -1 and text.find(")", before) > match.start()
        if inside and _PAREN.match(text, before):
            continue  # counted with its parenthetical
        domain = _DOMAIN.match(match.group())
        if domain:
            yield Citation(domain.group(1).lower(), None, "web", match.group(), match.span())
