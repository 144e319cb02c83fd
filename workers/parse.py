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

from workers.model import InputError, RawArticle

# The header is only searched for near the top: a "Publication:" deep in the body is
# prose, not metadata.
_HEADER_SEARCH_LINES = 6
_HEADER = re.compile(
    r"^\s*Publication:\s*(?P<publication>.+?)"
    r"(?:\s+Volume:\s*(?P<volume>-?\d+))?"
    r"(?:\s+Issue:\s*(?P<issue>-?\d+))?\s*$",
    re.IGNORECASE,
)
# Markup that has no business in article text: a page or script saved by mistake.
_MARKUP = re.compile(r"<\s*(?:script|html|body|head|iframe|!doctype)\b", re.IGNORECASE)
_BYLINE = re.compile(r"^\s*By:\s*(?P<authors>.+?)\s*$", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")


@dataclass(frozen=True, slots=True)
class Parsed:
    """Header fields and the body text (not yet normalized)."""

    body: str
    title: str | None
    publication: str | None
    volume: int | None
    issue: int | None
    authors: tuple[str, ...]


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
    authors: tuple[str, ...] = ()
    if header_at is None:
        body_lines = lines
    else:
        match = _HEADER.match(lines[header_at])
        assert match is not None  # _find_header only returns matching lines
        publication = " ".join(match["publication"].split())
        volume = _positive_int(match["volume"], "volume")
        issue = _positive_int(match["issue"], "issue")
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
    )
    return _source_metadata_wins(parsed, raw)


def _find_header(lines: list[str]) -> int | None:
    for index, line in enumerate(lines[:_HEADER_SEARCH_LINES]):
        if _HEADER.match(line):
            return index
    return None


def _take_byline(lines: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Authors from a 'By:' line right after the header (blank lines allowed between)."""
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        match = _BYLINE.match(line)
        if match is None:
            return (), lines
        names = tuple(n for n in _AUTHOR_SPLIT.split(match["authors"]) if n)
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
    )
