"""What the two pages show, read from any `Store`: plain data for the templates.

Everything here runs in the store's thread (`app.StoreThread`) and returns values
only; no HTML is built except `highlighted`, which escapes every piece of article
text itself and adds nothing but <mark> around the matched words. The templates
escape everything else (Jinja2 autoescape), because article text is untrusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from tasks.web.forms import RESULT_WINDOW, SearchForm
from workers.headline import headline
from workers.ingest import resolve_targets
from workers.model import Article, Citation
from workers.stores import search_terms
from workers.stores.base import SearchHit, SearchResult, Store

# Facet -> (heading, the filter a click adds).
FACETS = (
    ("persons", "People", "person"),
    ("places", "Places", "place"),
    ("organizations", "Organizations", "org"),
    ("outlets", "Cited outlets", "cites"),
    ("publication", "Publications", "publication"),
    ("year", "Years", "from"),  # a year is a from/to pair, see `facet_link`
)
_ENTITY_GROUPS = (
    ("person", "People", "person"),
    ("location", "Places", "place"),
    ("organization", "Organizations", "org"),
)
FILTER_LABELS = {
    "person": "person",
    "place": "place",
    "org": "organization",
    "publication": "publication",
    "cites": "cites",
    "from": "published from",
    "to": "published to",
    "mentions_from": "talks about dates from",
    "mentions_to": "talks about dates to",
}


def highlighted(snippet: str, spans: tuple[tuple[int, int], ...]) -> Markup:
    """The snippet, escaped, with <mark> around each highlighted span."""
    pieces: list[Markup] = []
    last = 0
    for start, end in spans:
        if start < last or end > len(snippet):  # malformed offsets: never cut text
            continue
        pieces.append(escape(snippet[last:start]))
        pieces.append(Markup("<mark>{}</mark>").format(snippet[start:end]))
        last = end
    pieces.append(escape(snippet[last:]))
    return Markup("").join(pieces)


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    count: int
    url: str


@dataclass(frozen=True, slots=True)
class FacetGroup:
    heading: str
    values: list[FacetValue]


@dataclass(slots=True)
class SearchPage:
    form: SearchForm
    result: SearchResult
    hits: list[tuple[SearchHit, Markup]]
    widened: list[str]
    facets: list[FacetGroup]
    active: list[tuple[str, str, str]]  # (label, value, url without it)
    pages: list[tuple[int, str]] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.form.offset + 1

    @property
    def last(self) -> int:
        return self.form.offset + len(self.hits)


def search_page(store: Store, form: SearchForm) -> SearchPage:
    result = store.search(form.query())
    return SearchPage(
        form=form,
        result=result,
        hits=[(hit, highlighted(hit.snippet, hit.highlights)) for hit in result.hits],
        widened=search_terms.widened(form.q),
        facets=facet_groups(form, result),
        active=[(FILTER_LABELS[n], v, form.without(n)) for n, v in form.filters],
        pages=page_links(form, result.total),
    )


def facet_groups(form: SearchForm, result: SearchResult) -> list[FacetGroup]:
    groups = []
    for name, heading, param in FACETS:
        values = (result.facets or {}).get(name) or {}
        links = [FacetValue(v, n, facet_link(form, param, v)) for v, n in values.items()]
        if links:
            groups.append(FacetGroup(heading, links))
    return groups


def facet_link(form: SearchForm, param: str, value: str) -> str:
    """This search narrowed to one facet value (a year is published from..to it)."""
    if param == "from":
        return form.url(**{"from": value, "to": value})
    return form.with_filter(param, value)


def page_links(form: SearchForm, total: int, *, around: int = 3) -> list[tuple[int, str]]:
    """Links to the pages near this one (and the first and last), within what can be shown."""
    last = max(1, min(-(-total // form.size), RESULT_WINDOW // form.size))
    wanted = {1, last, *range(max(1, form.page - around), min(last, form.page + around) + 1)}
    return [(n, form.page_url(n)) for n in sorted(wanted)] if last > 1 else []


@dataclass(frozen=True, slots=True)
class Linked:
    """One line of the article page: text, an optional link and a note."""

    text: str
    url: str | None = None
    note: str = ""


@dataclass(slots=True)
class ArticlePage:
    article: Article
    headline: str
    synthesized: bool
    paragraphs: list[str]
    when: str
    entities: list[tuple[str, list[Linked]]]
    dates: list[Linked]
    citations: list[Linked]
    cited_by: list[Linked]
    source_url: str | None
    fetched_from: Linked


def article_page(store: Store, doc_id: str) -> ArticlePage | None:
    article = store.get(doc_id)
    if article is None:
        return None
    title, synthesized = headline(article.title, article.body)
    # Internal citations resolved now too: the cited article may have come later.
    resolved = resolve_targets(article, store.find_ids)
    return ArticlePage(
        article=article,
        headline=title,
        synthesized=synthesized,
        paragraphs=[p for p in article.body.split("\n\n") if p.strip()],
        when=_when(article),
        entities=_entities(article),
        dates=[
            Linked(
                d.text,
                _search_url(mentions_from=d.start, mentions_to=d.end),
                d.start if d.start == d.end else f"{d.start} – {d.end}",
            )
            for d in article.dates
        ],
        citations=[_citation(store, c) for c in resolved.citations],
        cited_by=[_summary(store, i) for i in store.cited_by(article.id)],
        source_url=web_url(article.url),
        fetched_from=_fetched_from(article),
    )


def _search_url(**params: str) -> str:
    return SearchForm().url(**params)


def _when(article: Article) -> str:
    when = article.published_at or "undated"
    span = article.published_at_range
    if article.published_at_source == "estimated" and span:
        when += f" (estimated, {span.get('gte')} – {span.get('lte')})"
    return when


def _entities(article: Article) -> list[tuple[str, list[Linked]]]:
    groups = []
    for kind, heading, param in _ENTITY_GROUPS:
        found = sorted(
            (e for e in article.entities if e.type == kind), key=lambda e: (-e.mentions, e.name)
        )
        links = [Linked(e.name, _search_url(**{param: e.name}), f"×{e.mentions}") for e in found]
        if links:
            groups.append((heading, links))
    return groups


def _citation(store: Store, citation: Citation) -> Linked:
    text = f"{citation.source}, {citation.date or 'undated'}"
    if citation.kind != "internal":
        return Linked(text, _search_url(cites=citation.source), citation.kind)
    if citation.target_id is None:
        return Linked(text, None, "internal; not in the index")
    target = _summary(store, citation.target_id)
    return Linked(text, target.url, f"internal: {target.text}")


def _summary(store: Store, doc_id: str) -> Linked:
    """A link to an article, named by its headline, publication and date."""
    found = store.get(doc_id)
    if found is None:
        return Linked(doc_id, None, "not in the index")
    name = headline(found.title, found.body)[0]
    return Linked(
        name, article_url(doc_id), f"{found.publication}, {found.published_at or 'undated'}"
    )


def article_url(doc_id: str) -> str:
    return SearchForm().url("/article", id=doc_id)


def _fetched_from(article: Article) -> Linked:
    origin: dict[str, Any] = article.fetched_from or {}
    if origin.get("kind") == "archive":
        captured = origin.get("captured_at", "?")
        return Linked(f"the Internet Archive, captured {captured}", web_url(origin.get("capture")))
    if origin.get("kind") == "live":
        return Linked("the live site", web_url(article.url))
    if origin:
        return Linked(", ".join(f"{k}: {v}" for k, v in origin.items()))
    return Linked(f"{article.source} (not fetched from the web)")


def web_url(url: object) -> str | None:
    """`url` when it is an http(s) address, else None: stored URLs come from the
    input, and a `javascript:` link must never reach a page."""
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return url
    return None
