"""Article pages (HTML) → `RawArticle` text in the seed format, with selectolax.

jamestown.org article pages carry, above or at the top of the body, the lines the
seed files start with: an optional title, `Publication: Eurasia Daily Monitor
Volume: 22 Issue: 141`, then `By: ...` on newer pages. The extractor finds those
blocks in the page text, puts them at the top of `RawArticle.text` in that order and
the body paragraphs after a blank line, so `workers.parse` reads a fetched page
exactly like a seed file and the raw text kept by the store is re-parseable.

The page markup of the live site was not available when this was written (only the
text of stored copies), so the extractor is deliberately tolerant: it tries the
usual WordPress containers in order and falls back to <main>/<body>.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from workers.model import InputError, RawArticle
from workers.urls import canonical_url

# Removed before reading text: never article prose.
_NOISE = "script, style, noscript, template, iframe, svg, form, nav, footer, aside, button"
# Where the article body lives, most specific first.
_CONTAINERS = (
    "article .entry-content",
    ".entry-content",
    "article .post-content",
    "article",
    "main",
    "body",
)
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
# Applied to extracted text lines, never to markup.
_PUBLICATION = re.compile(r"^\s*Publication:\s*\S", re.IGNORECASE)
_BYLINE = re.compile(r"^\s*By:\s*\S", re.IGNORECASE)
_HEADER_WINDOW = 8
_TITLE_SUFFIX = re.compile(r"\s+[-–|]\s+The Jamestown Foundation\s*$", re.IGNORECASE)


def article_from_html(html: str, *, url: str, fetched_at: str | None = None) -> RawArticle:
    """The article on one page; `InputError` when the page holds no article text."""
    if not html.strip():
        raise InputError("empty page")
    tree = LexborHTMLParser(html)
    for node in tree.css(_NOISE):
        node.decompose()
    container = _first(tree, _CONTAINERS)
    if container is None:
        raise InputError("page has no <body> to read an article from")
    title = _title(tree)
    page = list(block_texts(tree.body or container))
    header, byline = _header_lines(page)
    if title is None and header is not None and page.index(header) > 0:
        title = page[page.index(header) - 1]  # the seed layout: title line, then header
    top = {title, header, byline}
    paragraphs = list(block_texts(container))
    # The title and header lines may be repeated inside the body container: drop them.
    body = [p for i, p in enumerate(paragraphs) if i >= _HEADER_WINDOW or p not in top]
    if not body:
        raise InputError("no article text found in the page")
    lines = [title or "", header or "", byline or ""]
    text = "\n".join(line for line in lines if line) + "\n\n" + "\n\n".join(body)
    return RawArticle(
        text=text.strip() + "\n",
        origin=url,
        source="web",
        url=url,
        title=title,
        published_at=_published_at(tree),
        authors=_meta_authors(tree),
        fetched_at=fetched_at,
    )


def block_texts(root: LexborNode) -> Iterator[str]:
    """The text of each block-level run under `root`, inline markup flattened.

    Walks the tree once: text accumulates until a block element starts or ends, so
    `<p>A <em>b</em> c</p>` is one paragraph and nested blocks are not repeated.
    """
    parts: list[str] = []

    def flush() -> Iterator[str]:
        text = " ".join("".join(parts).split())
        parts.clear()
        if text:
            yield text

    def walk(node: LexborNode) -> Iterator[str]:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                parts.append(child.text_content or "")
            elif tag == "br":
                yield from flush()
            elif tag in _BLOCKS:
                yield from flush()
                yield from walk(child)
                yield from flush()
            elif tag not in ("-comment", "img"):
                yield from walk(child)

    yield from walk(root)
    yield from flush()


def _first(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> LexborNode | None:
    for selector in selectors:
        node = tree.css_first(selector)
        if node is not None and node.text(strip=True):
            return node
    return tree.body


def _title(tree: LexborHTMLParser) -> str | None:
    for selector in ("article h1", "h1.entry-title", "h1"):
        node = tree.css_first(selector)
        if node is not None and node.text(strip=True):
            return " ".join(node.text().split())
    meta = tree.css_first('meta[property="og:title"]')
    if meta is not None and meta.attributes.get("content"):
        return _TITLE_SUFFIX.sub("", meta.attributes["content"] or "").strip() or None
    node = tree.css_first("title")
    if node is not None and node.text(strip=True):
        return _TITLE_SUFFIX.sub("", " ".join(node.text().split())) or None
    return None


def _header_lines(blocks: list[str]) -> tuple[str | None, str | None]:
    """The page's 'Publication: ...' line and the 'By: ...' line right after it."""
    for index, text in enumerate(blocks):
        if _PUBLICATION.match(text):
            following = blocks[index + 1 : index + 3]
            byline = next((b for b in following if _BYLINE.match(b)), None)
            return text, byline
    return None, None


def _published_at(tree: LexborHTMLParser) -> str | None:
    candidates = [
        node.attributes.get("content")
        for node in tree.css('meta[property="article:published_time"], meta[name="date"]')
    ] + [node.attributes.get("datetime") for node in tree.css("time[datetime]")]
    for value in candidates:
        if not value:
            continue
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            continue
    return None


def _meta_authors(tree: LexborHTMLParser) -> tuple[str, ...]:
    names = [node.text(strip=True) for node in tree.css('a[rel="author"]')]
    if not names:
        names = [node.attributes.get("content") or "" for node in tree.css('meta[name="author"]')]
    return tuple(dict.fromkeys(" ".join(n.split()) for n in names if n.strip()))


# ---- PLACEHOLDER from branch wip-fetch (issue 16 item 1) ----------------------------
# `article_from_rest` belongs to the extraction branch (issue 16 item 2). This
# stand-in has exactly its signature so REST discovery can index posts and be tested
# before that branch lands. ON MERGE: keep the extraction branch's version, drop this.
def article_from_rest(post: Mapping[str, Any], *, fetched_at: str | None = None) -> RawArticle:
    """A REST post (`_embed`ded) as the article its page would give."""
    link = post.get("link")
    if not isinstance(link, str) or not link:
        raise InputError("REST post has no link")
    title = _rendered(post.get("title"))
    content = _rendered(post.get("content"))
    stamp = post.get("date_gmt")
    published = f'<meta property="article:published_time" content="{stamp}Z">' if stamp else ""
    page = (
        f"<html><head>{published}</head><body><article><h1>{title}</h1>"
        f'<div class="entry-content">{content}</div></article></body></html>'
    )
    raw = article_from_html(page, url=canonical_url(link), fetched_at=fetched_at)
    embedded = post.get("_embedded")
    authors = embedded.get("author") if isinstance(embedded, Mapping) else None
    names = tuple(
        a["name"]
        for a in authors or ()
        if isinstance(a, Mapping) and isinstance(a.get("name"), str)
    )
    return dataclasses.replace(raw, authors=names or raw.authors)


def _rendered(value: object) -> str:
    if isinstance(value, Mapping) and isinstance(value.get("rendered"), str):
        return str(value["rendered"])
    return ""
