"""Article bodies: the paragraphs of a page's article, without its chrome.

The entry content, when the theme marks it (`.entry-content` and the like, the
longest match holding a real share of the page's text), loses its chrome (share
bars, newsletter boxes, related posts, breadcrumbs, tags, widgets: by class or id)
and is read by trafilatura, the field's standard main-content extractor. When
trafilatura keeps much less than the container holds (it judges a fragment without
the page around it) or cannot read it (libxml2 stops at 256 nested elements; the
page has too many elements for its superlinear passes), the container's own
paragraphs are used. A page with no marked container goes to trafilatura whole.

Every walk here is iterative and linear: a page of 6,000 nested <div>s is a loop,
not a recursion. See docs/fetching.md "Extraction" for the figures behind the
thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import trafilatura
from selectolax.lexbor import LexborHTMLParser, LexborNode

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

# trafilatura and htmldate grow faster than linearly with the number of elements (a
# 4.5 MB page of 500,000 inline tags took 110 s and 1.3 GB); the real article pages of
# the evaluation corpora have at most 19,252 tags. Above this many, only our own
# linear walks read the page.
MAX_HEURISTIC_TAGS = 50_000
# A marked container holding less than this share of the page's text is not the article.
_CONTAINER_SHARE = 0.15
# Below this share of the container's words, trafilatura's reading is not trusted.
_TRUST_RATIO = 0.6


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


def _trusted(extracted: list[str], own: list[str]) -> list[str]:
    """trafilatura's paragraphs unless it dropped much of a container we trust."""
    if extracted and _words(extracted) >= _TRUST_RATIO * _words(own):
        return extracted
    return own or extracted


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def article_paragraphs(tree: LexborHTMLParser) -> list[str]:
    """The body paragraphs of a page whose noise is already removed (`remove_noise`)."""
    container = _content(tree)
    if container is not None:
        return fragment_paragraphs(container)
    body = _trafilatura(tree.html or "", fragment=False)
    fallback = _first(tree, _FALLBACK_CONTAINERS)
    if not body and fallback is not None:
        _prune(fallback, chrome=True)
        body = list(block_texts(fallback))
    return body


def fragment_paragraphs(container: LexborNode) -> list[str]:
    """The paragraphs of a container known to hold the article (entry content, a REST
    post's `content.rendered`), its chrome removed."""
    _prune(container, chrome=True)
    extracted = _trafilatura(container.html or "", fragment=True)
    return _trusted(extracted, list(block_texts(container)))


def remove_noise(root: LexborNode | None) -> None:
    """Remove scripts, styles, navigation, footers, asides, buttons… under `root`."""
    _prune(root, chrome=False)
