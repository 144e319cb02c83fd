"""Article pages (HTML) and WordPress REST posts → `RawArticle` fields.

The fields come from what the page states deliberately (`workers.sources.metadata`:
JSON-LD, OpenGraph, canonical and author links) and from the Jamestown header and
byline where the page shows them (`Publication: Eurasia Daily Monitor Volume: 22
Issue: 141`, `By: Paul Goble`; an empty `By:` names no one). `RawArticle.text` is the
body alone, paragraphs separated by a blank line: share bars, newsletter boxes,
related posts, breadcrumbs, sidebars and footers are never part of it.

The body is read from the entry content when the theme marks it (`.entry-content`
and the like) with its chrome removed, through trafilatura, the field's standard
main-content extractor; when trafilatura keeps much less than the container holds
(it judges a fragment without the page around it) or cannot read the page (libxml2
stops at 256 nested elements), the container's own paragraphs are used. Pages with
no marked container go to trafilatura whole. See docs/fetching.md "Extraction".

Every failure on bad input is an `InputError`: walks over the tree are iterative, a
page or JSON-LD block over its size bound is refused or skipped, NUL bytes dropped.
"""

from __future__ import annotations

import html as html_lib
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import trafilatura
from selectolax.lexbor import LexborHTMLParser, LexborNode

from workers.model import InputError, RawArticle
from workers.parse import read_byline, read_header
from workers.sources.metadata import (
    PageMeta,
    clean_name,
    iso_date,
    page_meta,
    publication_of,
    strip_site,
)
from workers.urls import URLError, canonical_url, host_of

# A page this large is not an article page (fetch.py refuses bigger responses first).
MAX_HTML_CHARS = 10_000_000
# Removed before reading text: never article prose. Not <form>: ASP.NET pages wrap
# the whole page in one (newsletter forms go as chrome, by their class).
_NOISE = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "svg",
        "nav",
        "footer",
        "aside",
        "button",
        "input",
        "select",
        "textarea",
    ]
)
# Where the article body lives, most specific first (WordPress themes and schema.org).
_CONTAINERS = (
    "article .entry-content",
    ".entry-content",
    "[itemprop=articleBody]",
    "article .post-content",
    ".post-content",
    "article .article-content",
    ".article-body",
)
_FALLBACK_CONTAINERS = ("article", "main", '[role="main"]', "body")
# A class or id holding one of these words marks chrome inside the content: share
# bars (Jetpack `sharedaddy`, AddToAny `a2a`), newsletter boxes (Mailchimp `mc4wp`),
# related posts (Jetpack `jp-relatedposts`, YARPP), breadcrumbs (Yoast), widgets.
_CHROME_WORDS = frozenset(
    [
        "share",
        "shares",
        "sharing",
        "sharedaddy",
        "sd",
        "social",
        "socials",
        "newsletter",
        "subscribe",
        "subscription",
        "signup",
        "mc4wp",
        "related",
        "relatedposts",
        "yarpp",
        "breadcrumb",
        "breadcrumbs",
        "sidebar",
        "widget",
        "comments",
        "respond",
        "advert",
        "advertisement",
        "ads",
        "promo",
        "addtoany",
        "a2a",
        "print",
        "donate",
        "popup",
        "modal",
        "cookie",
        "navigation",
        "footer",
        "masthead",
        "menu",
        "tags",
        "tagcloud",
        "postnav",
    ]
)
_WORD_SPLIT = re.compile(r"[_-]+")
# Before a chrome word, these make a class a layout state: "no-sidebar", "has-share".
_STATE_WORDS = frozenset(["no", "has", "with", "without", "hide", "show", "enable", "enabled"])
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "tr",
        "dd",
        "dt",
        "figcaption",
        "section",
        "article",
        "header",
        "ul",
        "ol",
        "table",
        "main",
    ]
)
# How far into the page the header and byline are looked for.
_HEADER_BLOCKS = 200
_HEADER_NODES = 20_000
# Body paragraphs this close to the top are checked for a repeated title/header/byline.
_TOP_PARAGRAPHS = 8
# trafilatura and htmldate grow faster than linearly with the number of elements (a
# 4.5 MB page of 500,000 inline tags took 110 s and 1.3 GB); the real article pages of
# the evaluation corpora have at most 19,252 tags. Above this many, only our own
# linear walks read the page.
MAX_HEURISTIC_TAGS = 50_000
# A marked container holding less than this share of the page's text is not the article.
_CONTAINER_SHARE = 0.15
# Below this share of the container's words, trafilatura's reading is not trusted.
_TRUST_RATIO = 0.6


@dataclass(frozen=True, slots=True)
class _Top:
    """What sits above the body: the header line and the byline, as shown."""

    header_line: str | None = None
    byline: str | None = None
    line_before_header: str | None = None


def article_from_html(html: str, *, url: str, fetched_at: str | None = None) -> RawArticle:
    """The article on one page; `InputError` when the page holds no article text."""
    tree = _parse(html)
    meta = page_meta(tree)
    _prune(tree.root, chrome=False)
    top = _top_lines(tree)
    container = _content(tree)
    if container is not None:
        _prune(container, chrome=True)
        extracted = _trafilatura(container.html or "", fragment=True)
        body = _trusted(extracted, list(block_texts(container)))
    else:
        body = _trafilatura(tree.html or "", fragment=False)  # the page without its noise
        fallback = _first(tree, _FALLBACK_CONTAINERS)
        if not body and fallback is not None:
            _prune(fallback, chrome=True)
            body = list(block_texts(fallback))
    title = meta.title or _h1(tree) or top.line_before_header or _page_title(tree)
    header = read_header(top.header_line) if top.header_line else None
    byline = read_byline(top.byline) if top.byline else None
    authors = _names(byline) if byline is not None else meta.authors
    published_at = meta.published_at
    if not (title and published_at and (authors or byline is not None)):
        guessed = _guessed_meta(html, url)
        title = title or guessed.title
        published_at = published_at or guessed.published_at
        authors = authors if byline is not None else authors or guessed.authors
    return RawArticle(
        text=_body_text(body, skip={title, top.header_line, top.byline}),
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


def article_from_rest(post: Mapping[str, Any], *, fetched_at: str | None = None) -> RawArticle:
    """One `wp/v2/posts` item (with `_embed`) as a `RawArticle`.

    Fields as the WordPress REST API handbook documents them (Posts reference):
    `title.rendered`, `content.rendered` (HTML), `date_gmt`, `link`, `type`, and with
    `_embed`, `_embedded.author[].name` and `_embedded["wp:term"]` (one list of terms
    per taxonomy, categories first). A header or byline inside the content wins over
    the embedded author and categories, as on the page.
    """
    if not isinstance(post, Mapping):
        raise InputError(f"a REST post must be a JSON object, not {type(post).__name__}")
    kind = post.get("type", "post")
    if kind != "post":
        raise InputError(f"REST item of type {kind!r} is not a post (not an article)")
    link = post.get("link")
    if not isinstance(link, str) or not link.strip():
        raise InputError("REST post has no 'link'")
    content = _rendered(post, "content")
    if content is None:
        raise InputError("REST post has no 'content.rendered'")
    tree = _parse(f"<html><body><div class='entry-content'>{content}</div></body></html>")
    _prune(tree.root, chrome=False)
    top = _top_lines(tree)
    container = tree.css_first(".entry-content")
    if container is None:  # pragma: no cover - the wrapper is ours
        raise InputError("REST post content could not be read")
    _prune(container, chrome=True)
    extracted = _trafilatura(container.html or "", fragment=True)
    body = _trusted(extracted, list(block_texts(container)))
    title = _plain(_rendered(post, "title"))
    header = read_header(top.header_line) if top.header_line else None
    byline = read_byline(top.byline) if top.byline else None
    embedded = post.get("_embedded")
    embedded = embedded if isinstance(embedded, Mapping) else {}
    return RawArticle(
        text=_body_text(body, skip={title, top.header_line, top.byline}),
        origin=link,
        source="web",
        url=canonical_url(link),
        title=title,
        publication=header.publication if header else publication_of(_term_names(embedded)),
        volume=header.volume if header else None,
        issue=header.issue if header else None,
        published_at=_rest_date(post),
        authors=_names(byline) if byline is not None else _rest_authors(embedded),
        fetched_at=fetched_at,
    )


def block_texts(root: LexborNode, *, max_nodes: int | None = None) -> Iterator[str]:
    """The text of each block-level run under `root`, inline markup flattened.

    Walks the tree once, iteratively (a page of 6,000 nested <div>s is a flat loop,
    not a deep recursion): text accumulates until a block element starts or ends, so
    `<p>A <em>b</em> c</p>` is one paragraph and nested blocks are not repeated.
    With `max_nodes`, stops after visiting that many nodes (the top of a page).
    """
    parts: list[str] = []
    # (node, entering) pairs: a block's end is a stack entry of its own.
    stack: list[tuple[LexborNode, bool]] = [(root, True)]
    budget = max_nodes if max_nodes is not None else -1
    while stack and budget != 0:
        budget -= 1
        node, entering = stack.pop()
        tag = node.tag
        if not entering or tag == "br":
            yield from _flush(parts)
            continue
        if tag == "-text":
            parts.append(node.text_content or "")
            continue
        if tag in ("-comment", "img"):
            continue
        block = tag in _BLOCKS
        if block:
            yield from _flush(parts)
            stack.append((node, False))
        children = list(node.iter(include_text=True))
        stack.extend((child, True) for child in reversed(children))
    yield from _flush(parts)


def _flush(parts: list[str]) -> Iterator[str]:
    text = " ".join("".join(parts).split())
    parts.clear()
    if text:
        yield text


def _parse(html: str) -> LexborHTMLParser:
    if not isinstance(html, str):
        raise InputError(f"a page must be text, not {type(html).__name__}")
    if len(html) > MAX_HTML_CHARS:
        raise InputError(f"page is {len(html):,} characters, over {MAX_HTML_CHARS:,}")
    html = html.replace("\x00", "")
    if not html.strip():
        raise InputError("empty page")
    return LexborHTMLParser(html)


def _content(tree: LexborHTMLParser) -> LexborNode | None:
    """The marked entry content, unless it holds a small part of the page's text (a
    comment or teaser with the class, the article itself unmarked)."""
    container = _first(tree, _CONTAINERS)
    page = tree.body
    if container is None or page is None:
        return None
    if len(container.text(strip=True)) < _CONTAINER_SHARE * len(page.text(strip=True)):
        return None
    return container


def _first(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> LexborNode | None:
    """The first selector's longest match with text: related-post teasers and
    comments may carry the same class as the article's content, never more text."""
    for selector in selectors:
        sizes = [(len(node.text(strip=True)), node) for node in tree.css(selector)]
        best = max(sizes, key=lambda pair: pair[0], default=None)
        if best is not None and best[0] > 0:
            return best[1]
    return None


def _prune(root: LexborNode | None, *, chrome: bool) -> None:
    """Remove the noise elements under `root` and, with `chrome`, the elements whose
    class or id names chrome (share bars, newsletter boxes, related posts…).

    One iterative walk that does not descend into what it removes, so the removed
    subtrees are disjoint: destroying one never frees a node still to be destroyed.
    """
    if root is None:
        return
    doomed: list[LexborNode] = []
    stack = list(root.iter())
    while stack:
        node = stack.pop()
        if node.tag in _NOISE or (chrome and _is_chrome(node)):
            doomed.append(node)
        else:
            stack.extend(node.iter())
    for node in doomed:
        node.decompose()


def _is_chrome(node: LexborNode) -> bool:
    """Whether a class or id names chrome: `share-bar`, `jp-relatedposts`; not a layout
    state on a wrapper (`no-sidebar`, `has-share-buttons`), which holds the article."""
    attributes = node.attributes
    names = f"{attributes.get('class') or ''} {attributes.get('id') or ''}".lower().split()
    for name in names:
        previous = ""
        for word in _WORD_SPLIT.split(name):
            if word in _CHROME_WORDS and previous not in _STATE_WORDS:
                return True
            previous = word
    return False


def _top_lines(tree: LexborHTMLParser) -> _Top:
    """The header line, the byline and the line before the header, near the top."""
    root = tree.body
    if root is None:
        return _Top()
    blocks = list(itertools.islice(block_texts(root, max_nodes=_HEADER_NODES), _HEADER_BLOCKS))
    header_at = next((i for i, b in enumerate(blocks) if _is_header(b)), None)
    start = 0 if header_at is None else header_at + 1
    stop = len(blocks) if header_at is None else header_at + 3
    byline = next((b for b in blocks[start:stop] if read_byline(b) is not None), None)
    if header_at is None:
        return _Top(byline=byline)
    before = blocks[header_at - 1] if header_at > 0 else None
    return _Top(header_line=blocks[header_at], byline=byline, line_before_header=before)


def _is_header(line: str) -> bool:
    try:
        return read_header(line) is not None
    except InputError:
        return True  # a header with a bad number: read_header reports it later


def _trafilatura(html: str, *, fragment: bool) -> list[str]:
    """Paragraphs trafilatura finds in `html`; none when it finds nothing or fails.

    On the entry content (`fragment`) it is asked to favour recall: the container is
    already the article; on a whole page, its default balance scores better.
    """
    if html.count("<") > MAX_HEURISTIC_TAGS:
        return []
    try:
        text = trafilatura.extract(
            html,
            favor_recall=fragment,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            deduplicate=False,
            with_metadata=False,
        )
    except Exception:  # any failure falls back to the container's text
        return []
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _guessed_meta(html: str, url: str) -> PageMeta:
    """trafilatura's metadata, for fields the page does not state in markup meant
    for machines: its byline heuristics (`.byline`, `.author` elements) and htmldate
    restricted to markup and the URL (`extensive=False`: no date guessed from prose).
    """
    if html.count("<") > MAX_HEURISTIC_TAGS:
        return PageMeta()
    try:
        found = trafilatura.extract_metadata(html, default_url=url, extensive=False)
    except Exception:  # a heuristic that fails leaves the fields unknown
        return PageMeta()
    authors = tuple(n for n in (found.author or "").split(";") if n.strip())
    return PageMeta(
        title=found.title or None, published_at=iso_date(found.date), authors=_names(authors)
    )


def _trusted(extracted: list[str], own: list[str]) -> list[str]:
    """trafilatura's paragraphs unless it dropped much of a container we trust."""
    if extracted and _words(extracted) >= _TRUST_RATIO * _words(own):
        return extracted
    return own or extracted


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def _body_text(paragraphs: list[str], *, skip: set[str | None]) -> str:
    """Paragraphs joined by blank lines, without the title/header/byline repeated at
    the top or an empty 'By:'; `InputError` when nothing is left."""
    body = [
        p
        for i, p in enumerate(paragraphs)
        if i >= _TOP_PARAGRAPHS or (p not in skip and read_byline(p) != ())
    ]
    if not body:
        raise InputError("no article text found in the page")
    return "\n\n".join(body) + "\n"


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


def _names(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in map(clean_name, names) if n))


def _rendered(post: Mapping[str, Any], key: str) -> str | None:
    value = post.get(key)
    text = value.get("rendered") if isinstance(value, Mapping) else None
    return text if isinstance(text, str) and text.strip() else None


def _plain(fragment: str | None) -> str | None:
    """Text of a rendered REST title ('Russia&#8217;s <em>New</em> Line')."""
    if fragment is None:
        return None
    text = _parse(f"<p>{fragment}</p>").text() if "<" in fragment else fragment
    return " ".join(html_lib.unescape(text).split()) or None


def _rest_date(post: Mapping[str, Any]) -> str | None:
    for key in ("date_gmt", "date"):
        value = post.get(key)
        if isinstance(value, str) and iso_date(value):
            return iso_date(value)
    return None


def _rest_authors(embedded: Mapping[str, Any]) -> tuple[str, ...]:
    authors = embedded.get("author")
    names = (
        [a.get("name") for a in authors if isinstance(a, Mapping)]
        if isinstance(authors, list)
        else []
    )
    return _names(tuple(n for n in names if isinstance(n, str)))


def _term_names(embedded: Mapping[str, Any]) -> list[str]:
    """Category names first, then tags: the publication is usually a category."""
    groups = embedded.get("wp:term")
    terms = [
        t
        for group in (groups if isinstance(groups, list) else [])
        if isinstance(group, list)
        for t in group
        if isinstance(t, Mapping) and isinstance(t.get("name"), str)
    ]
    terms.sort(key=lambda t: t.get("taxonomy") != "category")
    return [html_lib.unescape(t["name"]) for t in terms]
