"""Parse stage: turn a raw payload into header metadata plus body text.

Jamestown article text (the seed files, and the text of article pages) looks like:

    Optional Title Line

    Publication: Monitor Volume: 7 Issue: 14
    By: Author Name                      (newer pages only)

    First paragraph ...

The header may carry extra spaces, lack the volume or issue, or be missing entirely
(JSON inputs give the fields explicitly). Metadata given by the source wins over what
the header says: a source's JSON fields are deliberate, a header line is scraped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from workers.model import InputError, RawArticle

# The header is only searched for near the top: a "Publication:" deep in the body is
# prose, not metadata.
_HEADER_SEARCH_LINES = 6
# Matched only against a line whose whitespace runs were collapsed to one space
# (`_squeeze`): on raw text the lazy `.+?` before `\s+Volume` rescans each run of
# whitespace from every position, quadratic on a long run.
_HEADER = re.compile(
    r"Publication: ?(?P<publication>.+?)"
    r"(?: Volume: ?(?P<volume>-?\d+))?"
    r"(?: Issue: ?(?P<issue>-?\d+))?"
    r"(?:(?(issue),? (?!Date:)(?P<bare>[^:]+)|(?!))| Date: ?(?P<date>.+))?",
    re.IGNORECASE,
)
# The date a header may end with ("… Issue: 115 Date: July 26, 2023", as the site's
# article pages show it), in the forms the site and our files use.
_HEADER_DATE_FORMATS = ("%B %d, %Y", "%B %d %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%Y-%m-%d")
# Markup that has no business in article text: a page or script saved by mistake.
_MARKUP = re.compile(r"<\s*(?:script|html|body|head|iframe|!doctype)\b", re.IGNORECASE)
_BYLINE = re.compile(r"By: ?(?P<authors>.*)", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")


@dataclass(frozen=True, slots=True)
class Header:
    """The fields of one 'Publication: … Volume: … Issue: …' line."""

    publication: str
    volume: int | None
    issue: int | None
    published_at: str | None = None  # ISO date, when the line gives one


@dataclass(frozen=True, slots=True)
class Parsed:
    """Header fields and the body text (not yet normalized)."""

    body: str
    title: str | None
    publication: str | None
    volume: int | None
    issue: int | None
    authors: tuple[str, ...]
    published_at: str | None = None


def parse(raw: RawArticle) -> Parsed:
    """Split `raw.text` into header fields and body; source metadata overrides the header.

    Raises `InputError` when there is no body text left after the header.
    """
    if _MARKUP.search(raw.text):
        raise InputError("HTML markup (a page or <script>), not article text")
    lines = raw.text.splitlines()
    header_at = _find_header(lines)
    title = publication = None
    volume = issue = None
    published_at: str | None = None
    authors: tuple[str, ...] = ()
    if header_at is None:
        body_lines = lines
    else:
        header = read_header(lines[header_at])
        assert header is not None  # _find_header only returns matching lines
        publication, volume, issue = header.publication, header.volume, header.issue
        published_at = header.published_at
        title = " ".join(" ".join(lines[:header_at]).split()) or None
        rest = lines[header_at + 1 :]
        authors, rest = _take_byline(rest)
        body_lines = rest

    body = "\n".join(body_lines).strip()
    if not body:
        raise InputError("no article body after the header")
    parsed = Parsed(
        body=body,
        title=title,
        publication=publication,
        volume=volume,
        issue=issue,
        authors=authors,
        published_at=published_at,
    )
    return _source_metadata_wins(parsed, raw)


def read_header(line: str) -> Header | None:
    """The header fields of `line`, or `None` when it is not a 'Publication:' line.

    Linear in the line's length whatever its whitespace; `InputError` for a volume or
    issue that is not a positive number.
    """
    if not line.lstrip()[:12].lower().startswith("publication:"):
        return None  # cheap refusal before touching a possibly huge line
    match = _HEADER.fullmatch(_squeeze(line))
    if match is None or not match["publication"].strip():
        return None
    when = match["date"]
    if match["bare"] is not None:  # "… Issue: 17, September 16, 2025" (no label)
        try:
            when = _header_date(match["bare"])
        except InputError:
            return None  # as before dates were read: not a header line we know
    return Header(
        publication=match["publication"].strip(),
        volume=_positive_int(match["volume"], "volume"),
        issue=_positive_int(match["issue"], "issue"),
        published_at=_header_date(when) if match["date"] is not None else when,
    )


def _header_date(text: str | None) -> str | None:
    """The ISO date of a header's "Date: July 26, 2023"; `InputError` for one that is
    no date (a typo there must not silently become an estimate)."""
    if text is None:
        return None
    cleaned = text.strip(" .,")
    for fmt in _HEADER_DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    raise InputError(f"date {cleaned[:40]!r} in the header is not a date like 'July 26, 2023'")


def read_byline(line: str) -> tuple[str, ...] | None:
    """The authors of a 'By: …' line (`()` for an empty 'By:'), `None` for other lines."""
    if not line.lstrip()[:3].lower().startswith("by:"):
        return None
    match = _BYLINE.fullmatch(_squeeze(line))
    if match is None:
        return None
    return split_authors(match["authors"])


def split_authors(text: str) -> tuple[str, ...]:
    """'A, B and C' → ('A', 'B', 'C')."""
    return tuple(n for n in _AUTHOR_SPLIT.split(_squeeze(text)) if n)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _find_header(lines: list[str]) -> int | None:
    for index, line in enumerate(lines[:_HEADER_SEARCH_LINES]):
        if read_header(line) is not None:
            return index
    return None


def _take_byline(lines: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Authors from a 'By:' line right after the header (blank lines allowed between)."""
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        names = read_byline(line)
        if names is None:
            return (), lines
        return names, lines[index + 1 :]
    return (), lines


def _positive_int(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    number = int(value)
    if number < 1:
        raise InputError(f"{what} {number} in the header is not a positive number")
    return number


def _source_metadata_wins(parsed: Parsed, raw: RawArticle) -> Parsed:
    return Parsed(
        body=parsed.body,
        title=raw.title if raw.title is not None else parsed.title,
        publication=raw.publication if raw.publication is not None else parsed.publication,
        volume=raw.volume if raw.volume is not None else parsed.volume,
        issue=raw.issue if raw.issue is not None else parsed.issue,
        authors=raw.authors or parsed.authors,
        published_at=raw.published_at or parsed.published_at,
    )
