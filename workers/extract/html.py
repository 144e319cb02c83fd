"""Article pages (HTML) → `RawArticle` fields; the pieces a WordPress REST post shares
(`workers.sources.wordpress.article_from_rest`).

The fields come from what the page states deliberately (`workers.extract.metadata`:
JSON-LD, OpenGraph, canonical and author links) and from the Jamestown header and
byline where the page shows them (`Publication: Eurasia Daily Monitor Volume: 22
Issue: 141`, `By: Paul Goble`; an empty `By:` names no one). `RawArticle.text` is the
body alone, paragraphs separated by a blank line: share bars, newsletter boxes,
related posts, breadcrumbs, sidebars and footers are never part of it.

The body comes from `workers.extract.body` (the entry content, its chrome removed,
read by trafilatura). See docs/fetching.md "Extraction".

Every failure on bad input is an `InputError`: walks over the tree are iterative, a
page or JSON-LD block over its size bound is refused or skipped, a page nested past
`workers.extract.nesting.MAX_DEPTH` is refused before it is parsed, NUL bytes dropped.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from workers.extract.body import article_paragraphs, block_texts, remove_noise
from workers.extract.bylines import analyst_names, byline_names
from workers.extract.metadata import (
    clean_name,
    guessed_meta,
    page_meta,
    strip_site,
)
from workers.extract.nesting import MAX_DEPTH, too_deep
from workers.model import InputError, NotAnArticle, RawArticle
from workers.normalize import normalize_title, word_count
from workers.parse import read_byline, read_header
from workers.urls import URLError, canonical_url, host_of

# A page this large is not an article page (fetching/fetch.py refuses bigger responses first).
MAX_HTML_CHARS = 10_000_000
# How far into the page the header and byline are looked for.
_HEADER_BLOCKS = 200
_HEADER_NODES = 20_000
# Body paragraphs this close to the top are checked for a repeated title/header/byline.
_TOP_PARAGRAPHS = 8
# What a page must hold to be an article (`refusal`). The shortest real items, the
# 1990s daily Monitor's, run to a hundred words; a broken template or an attachment
# page shows a word or a caption.
MIN_WORDS = 10
MIN_UNTITLED_WORDS = 50


@dataclass(frozen=True, slots=True)
class Top:
    """What sits above the body: the header line and the byline, as shown."""

    header_line: str | None = None
    byline: str | None = None
    line_before_header: str | None = None


def article_from_html(html: str, *, url: str, fetched_at: str | None = None) -> RawArticle:
    """The article on one page; `NotAnArticle` when the page holds none (`refusal`),
    `InputError` when it cannot be read."""
    tree = parse_html(html)
    meta = page_meta(tree)
    remove_noise(tree.root)
    top = top_lines(tree)
    body = article_paragraphs(tree)
    # Every candidate cleaned (`normalize_title`): JSON-LD keeps `&#8217;`, and the
    # title must match the body's first line to be dropped from it.
    title = _first_title(meta.title, _h1(tree), top.line_before_header, _page_title(tree))
    header = read_header(top.header_line) if top.header_line else None
    byline = byline_names(top.byline) if top.byline else None
    # The analyst, not the account that uploaded the post (workers.extract.bylines).
    analysts = analyst_names(_article_root(tree))
    authors = clean_names(byline) if byline is not None else clean_names(analysts) or meta.authors
    published_at = meta.published_at
    if not (title and published_at and (authors or byline is not None)):
        guessed = guessed_meta(html, url=url)
        title = title or normalize_title(guessed.title)
        published_at = published_at or guessed.published_at
        authors = authors if byline is not None else authors or guessed.authors
    return RawArticle(
        text=body_text(body, skip={title, top.header_line, top.byline}, title=title),
        origin=url,
        source="web",
        url=_identity(meta.canonical, url),
        title=title,
        publication=header.publication if header else meta.publication,
        volume=header.volume if header else None,
        issue=header.issue if header else None,
        published_at=published_at,
        authors=authors,
        fetched_at=fetched_at,
    )


def check_parsable(html: str) -> None:
    """`InputError` for a page the HTML parser must not see: not text, over the size
    bound, or nested past `MAX_DEPTH` (lexbor's time grows with the square of the
    depth). Called before every parse of fetched markup."""
    if not isinstance(html, str):
        raise InputError(f"a page must be text, not {type(html).__name__}")
    if len(html) > MAX_HTML_CHARS:
        raise InputError(f"page is {len(html):,} characters, over {MAX_HTML_CHARS:,}")
    if too_deep(html) is not None:
        raise InputError(f"page nests over {MAX_DEPTH:,} elements deep (not parsed)")


def parse_html(html: str) -> LexborHTMLParser:
    check_parsable(html)
    html = html.replace("\x00", "")
    if not html.strip():
        raise InputError("empty page")
    return LexborHTMLParser(html)


def top_lines(tree: LexborHTMLParser) -> Top:
    """The header line, the byline and the line before the header, near the top."""
    root = tree.body
    if root is None:
        return Top()
    blocks = list(itertools.islice(block_texts(root, max_nodes=_HEADER_NODES), _HEADER_BLOCKS))
    header_at = next((i for i, b in enumerate(blocks) if _is_header(b)), None)
    start = 0 if header_at is None else header_at + 1
    stop = len(blocks) if header_at is None else header_at + 3
    # "By:" anywhere in the window; "By Name" (no colon) only near its top.
    near = start + _TOP_PARAGRAPHS
    byline = next(
        (
            b
            for i, b in enumerate(blocks[start:stop], start)
            if byline_names(b, colonless=i < near) is not None
        ),
        None,
    )
    if header_at is None:
        return Top(byline=byline)
    before = blocks[header_at - 1] if header_at > 0 else None
    return Top(header_line=blocks[header_at], byline=byline, line_before_header=before)


def _is_header(line: str) -> bool:
    try:
        return read_header(line) is not None
    except InputError:
        return True  # a header with a bad number: read_header reports it later


def refusal(*, title: str | None, text: str) -> str | None:
    """Why an extracted page or post holds no article, or `None` when it does.

    The rule: some text (`no text`), at least `MIN_WORDS` words of it, and without a
    title at least `MIN_UNTITLED_WORDS`. The reasons are categories, not counts, so
    a run can say `skipped 3: no text, 1: too little text`.
    """
    words = word_count(text)
    if words == 0:
        return "no text"
    if words < MIN_WORDS:
        return f"too little text (under {MIN_WORDS} words)"
    if not title and words < MIN_UNTITLED_WORDS:
        return f"no title and little text (under {MIN_UNTITLED_WORDS} words)"
    return None


def body_text(paragraphs: list[str], *, skip: set[str | None], title: str | None) -> str:
    """Paragraphs joined by blank lines, without the title/header/byline repeated at
    the top or an empty 'By:'; `NotAnArticle` when what is left is no article."""
    body = [
        p
        for i, p in enumerate(paragraphs)
        if i >= _TOP_PARAGRAPHS or (p not in skip and read_byline(p) != ())
    ]
    text = "\n\n".join(body) + "\n"
    reason = refusal(title=title, text=text)
    if reason is not None:
        raise NotAnArticle(reason)
    return text


def _identity(canonical: str | None, url: str) -> str:
    """The page's canonical URL when it names the same site, else the fetched one.

    A canonical on another host is not trusted: a page must not move its article
    to an id on a site we do not fetch.
    """
    try:
        fetched = canonical_url(url)
    except URLError:
        return url  # not a web address (a file path in tests and benches)
    if canonical:
        try:
            stated = canonical_url(canonical, base=fetched)
        except URLError:
            return fetched
        if host_of(stated) == host_of(fetched):
            return stated
    return fetched


def _article_root(tree: LexborHTMLParser) -> LexborNode | None:
    """Where a byline's analyst links may be: the article, not the site's sidebar."""
    for selector in ("article", "main", ".entry-content", ".post"):
        node = tree.css_first(selector)
        if node is not None:
            return node
    return None


def _h1(tree: LexborHTMLParser) -> str | None:
    for selector in ("article h1", "h1.entry-title", "h1"):
        node = tree.css_first(selector)
        if node is not None and node.text(strip=True):
            return " ".join(node.text().split())
    return None


def _page_title(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("title")
    if node is None or not node.text(strip=True):
        return None
    return strip_site(" ".join(node.text().split()))


def _first_title(*candidates: str | None) -> str | None:
    return next((t for t in map(normalize_title, candidates) if t), None)


def clean_names(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in map(clean_name, names) if n))
