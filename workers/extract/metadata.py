"""Article metadata from what every WordPress theme emits: JSON-LD, OpenGraph, links.

Pure functions over a parsed page (selectolax/lexbor). Nothing here guesses: a field
the page does not state is `None` (or empty), and the document gets a note
downstream. Sources, most deliberate first:

- JSON-LD `Article`/`NewsArticle`/`BlogPosting`…, also inside Yoast's `@graph`
  (https://schema.org/Article, https://developer.yoast.com/features/schema/pieces/article/):
  `headline`, `datePublished`, `author` (a name, a `Person`, or an `@id` pointing at a
  `Person` elsewhere in the graph), `articleSection`.
- OpenGraph (https://ogp.me/#type_article): `og:title`, `og:url`,
  `article:published_time`, `article:section`.
- `<link rel=canonical>`, `<a rel=author>`, `<a rel="category tag">` (what WordPress's
  `the_category()` prints), `<meta name=author>`.

Hostile JSON-LD (invalid, nested thousands deep, huge) is skipped block by block;
the walk over a parsed block is iterative and bounded in nodes.

`guessed_meta` is the one exception to "nothing guesses", called last and only for
fields none of the above states: trafilatura's byline heuristics and htmldate on
markup and the URL (never a date read from prose).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import trafilatura
from selectolax.lexbor import LexborHTMLParser

from workers.enrich.publications import lookup_header
from workers.extract.body import MAX_HEURISTIC_TAGS
from workers.extract.bylines import is_account_name

# schema.org types that are articles (https://schema.org/Article and its subtypes).
_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "blogposting",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "scholarlyarticle",
        "techarticle",
        "report",
        "posting",
        "socialmediaposting",
        "liveblogposting",
    }
)
_MAX_JSON_LD_CHARS = 1_000_000  # a JSON-LD block bigger than this is not metadata
_MAX_JSON_LD_NODES = 10_000  # objects and lists visited per block
_TITLE_SEPARATORS = (" - ", " – ", " — ", " | ", " » ", " · ")
_SITE_NAMES = ("The Jamestown Foundation", "Jamestown Foundation", "Jamestown")


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What a page states about its article; every field optional."""

    title: str | None = None
    published_at: str | None = None
    authors: tuple[str, ...] = ()
    publication: str | None = None
    canonical: str | None = None


def page_meta(tree: LexborHTMLParser) -> PageMeta:
    """The page's metadata, each field from its most deliberate source."""
    ld = json_ld_articles(tree)
    return PageMeta(
        title=_first_text(
            *(_text(a.get("headline")) for a in ld),
            strip_site(_meta(tree, "og:title"), site=_meta(tree, "og:site_name")),
        ),
        published_at=_first_date(
            *(_text(a.get("datePublished")) for a in ld),
            _meta(tree, "article:published_time"),
            _meta(tree, "date"),
            _meta(tree, "dc.date"),
            *(n.attributes.get("datetime") for n in tree.css("article time[datetime]")),
        ),
        authors=_first_names(
            [name for a in ld for name in _ld_authors(a.get("author"), a.get("@graph_ids"))],
            [n.text(strip=True) for n in tree.css('a[rel~="author"]')],
            [_meta(tree, "author")],
        ),
        publication=publication_of(
            [s for a in ld for s in _texts(a.get("articleSection"))]
            + [_meta(tree, "article:section")]
            + [n.text(strip=True) for n in tree.css('a[rel~="category"]')]
        ),
        canonical=_canonical(tree),
    )


def publication_of(names: Iterable[str | None]) -> str | None:
    """The first name that is a known Jamestown publication (a category or section);
    topic categories ("Russia", "Military/Security") are not publications."""
    for name in names:
        found = lookup_header(name)
        if found is not None:
            return found.name
    return None


def iso_date(value: str | None) -> str | None:
    """The calendar date (UTC when zoned) of an ISO 8601 timestamp, else `None`."""
    if not value:
        return None
    text = value.strip()[:40].replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    # In UTC when the zone is given: the REST API's `date_gmt` and Yoast's
    # `datePublished` (+00:00) then give one article the same day by either path.
    try:
        return (moment.astimezone(UTC) if moment.tzinfo else moment).date().isoformat()
    except (OverflowError, ValueError):
        return None  # 0001-01-01T00:00:00+01:00 has no UTC day: the field alone is unknown


def clean_name(value: str) -> str | None:
    """An author name as printed, without a leading "By", or `None` for a URL, a blank
    or a WordPress account name (`admin`: the uploader, not the analyst)."""
    name = " ".join(value.split())
    name = re.sub(r"^by\b:?\s*", "", name, flags=re.IGNORECASE)
    if not name or "://" in name or len(name) > 100 or is_account_name(name):
        return None
    return name


def json_ld_articles(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    """Every Article-typed JSON-LD object on the page, in page order.

    Each object carries `@graph_ids` (the `@id` index of its block) so an author given
    as `{"@id": …}` can be resolved to the `Person` Yoast puts elsewhere in the graph.
    """
    found: list[dict[str, Any]] = []
    for script in tree.css('script[type="application/ld+json"]'):
        text = script.text() or ""
        if len(text) > _MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(_unwrap(text))
        except (ValueError, RecursionError):
            continue  # invalid or nested past the parser's stack: not metadata
        objects = list(_objects(data))
        # A bare {"@id": …} is a reference, not the node it names.
        ids = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str) and len(o) > 1}
        for obj in objects:
            if _is_article(obj):
                found.append({**obj, "@graph_ids": ids})
    return found


def _unwrap(text: str) -> str:
    """The JSON inside a block some themes wrap in `<![CDATA[ … ]]>` or `<!-- … -->`."""
    text = text.strip()
    for start, end in (("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>"), ("<!--", "-->")):
        if text.startswith(start) and text.endswith(end):
            return text[len(start) : -len(end)]
    return text


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """The JSON objects in `data`, breadth first, iteratively, at most a bounded number."""
    queue = [data]
    seen = 0
    while queue and seen < _MAX_JSON_LD_NODES:
        item = queue.pop(0)
        seen += 1
        if isinstance(item, list):
            queue.extend(item)
        elif isinstance(item, dict):
            yield item
            queue.extend(v for v in item.values() if isinstance(v, (dict, list)))


def _is_article(obj: dict[str, Any]) -> bool:
    kinds = obj.get("@type")
    names = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in names)


def _ld_authors(value: Any, ids: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            name = clean_name(item)
        elif isinstance(item, dict):
            if "name" not in item and isinstance(ids, dict):
                item = ids.get(item.get("@id"), item)  # Yoast: {"@id": "#/schema/person/…"}
            if item.get("@type") in ("Organization", "NewsMediaOrganization"):
                continue  # the publisher is not an author
            name = clean_name(_text(item.get("name")) or "")
        else:
            name = None
        if name:
            yield name


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _texts(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def _meta(tree: LexborHTMLParser, key: str) -> str | None:
    for node in tree.css(f'meta[property="{key}"], meta[name="{key}"]'):
        content = node.attributes.get("content")
        if content and content.strip():
            return " ".join(content.split())
    return None


def strip_site(title: str | None, *, site: str | None = None) -> str | None:
    """'Headline - The Jamestown Foundation' → 'Headline': only the site's own name is
    cut, so 'Russia - Ukraine Talks' keeps its second half."""
    if title is None:
        return None
    names = [n for n in (site, *_SITE_NAMES) if n]
    for sep in _TITLE_SEPARATORS:
        head, found, tail = title.rpartition(sep)
        if found and head.strip() and any(tail.strip().casefold() == n.casefold() for n in names):
            return head.strip()
    return title


def _canonical(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first('link[rel="canonical"]')
    href = node.attributes.get("href") if node is not None else None
    return (href or "").strip() or _meta(tree, "og:url")


def _first_text(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def _first_date(*values: str | None) -> str | None:
    return next((d for d in map(iso_date, values) if d), None)


def _first_names(*groups: list[str | None]) -> tuple[str, ...]:
    """The first source that names anyone; names deduplicated in order."""
    for group in groups:
        names = [n for n in (clean_name(v) for v in group if v) if n]
        if names:
            return tuple(dict.fromkeys(names))
    return ()


def guessed_meta(html: str, *, url: str) -> PageMeta:
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
        title=found.title or None,
        published_at=iso_date(found.date),
        authors=_first_names(list(authors)),
    )
