"""Search requests for Elasticsearch: a `SearchQuery` in, a `_search` body out, and back.

No client here: the same clauses, filters and facets as the embedded store, built from
`workers.stores.search_terms`, as plain dicts a unit test can read. Entities, citations
and dates are `nested` in the mapping, so every filter on them is a `nested` query
whose conditions hold for one and the same entity / mention (a person named Kirienko
and an *organization* called something else do not add up to "person Kirienko").
Facets aggregate the flat keyword copies (`people`, `places`, `organizations`,
`outlets`) that `es_documents.facets` writes beside the nested fields.
"""

from __future__ import annotations

from typing import Any

from workers.stores import search_terms
from workers.stores.base import (
    FACET_SIZE,
    Facets,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from workers.stores.search_terms import Clause

# Field boosts mirror the embedded store's BM25 weights: title and named things pull
# harder than a word somewhere in the body.
SEARCH_FIELDS = ("title^5", "body", "names^2", "outlets.text^2")
# Where a query's words are looked for side by side (the embedded store's text
# columns): the search fields, unweighted, as the lift is a constant.
_TEXT_FIELDS = [f.split("^")[0] for f in SEARCH_FIELDS]
SNIPPET_CHARS = 200
# A name matched only by its romanization key weighs less than its spelling (as in the
# embedded store's bm25 weights).
KEYS_BOOST = 0.5
# Added to the score of an article matching every clause of a query where most
# suffice: more than any BM25 sum here, so those articles come first.
ALL_CLAUSES_BOOST = 1000.0
ALL_CLAUSES = "all-clauses"
# Added when a query's few plain words stand side by side (`search_terms.adjacent`):
# such an article has every clause too, so it comes first within the lifted tier.
SIDE_BY_SIDE_BOOST = 1000.0
SIDE_BY_SIDE = "side-by-side"
_LIFTS = {ALL_CLAUSES: ALL_CLAUSES_BOOST, SIDE_BY_SIDE: SIDE_BY_SIDE_BOOST}
_EXPLAIN = "explain-"
_SOURCE = ["id", "title", "publication", "published_at", "url", "headline", "headline_synthesized"]
_TERM_FACETS = {
    "publication": "publication",
    "persons": "people",
    "places": "places",
    "organizations": "organizations",
    "outlets": "outlets",
}


def clause_query(clause: Clause) -> dict[str, Any] | None:
    """One clause as a `simple_query_string`: its phrases quoted and OR-ed (`|`), so
    punctuation ("Putin-Mori", "U.S.", a stray `|`) is never read as query syntax; its
    name keys the same way on `name_keys` (the embedded store's `keys` column)."""
    parts = [
        q
        for q in (
            _quoted(clause.phrases, list(SEARCH_FIELDS)),
            _quoted(clause.keys, [f"name_keys^{KEYS_BOOST}"]),
        )
        if q
    ]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return {"bool": {"should": parts, "minimum_should_match": 1}}


def _quoted(phrases: tuple[str, ...], fields: list[str]) -> dict[str, Any] | None:
    cleaned = [p.replace('"', "").replace("\\", " ").strip() for p in phrases]
    text = " | ".join(f'"{p}"' for p in cleaned if p)
    if not text:
        return None
    return {"simple_query_string": {"query": text, "fields": fields, "default_operator": "and"}}


def text_query(clauses: list[Clause]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(must, should) for the positive clauses: all of them, or when most suffice
    (`search_terms.required`), at least that many, with every-clause matches lifted
    above the others by a constant ALL_CLAUSES_BOOST named "all-clauses" (the embedded
    store sorts them first; `parse_response` takes the boost off the shown score). A
    query of a few plain words also lifts the articles that have them side by side
    (`search_terms.adjacent`), by SIDE_BY_SIDE_BOOST."""
    positive = [
        q for c in search_terms.shortest(clauses) if not c.negated and (q := clause_query(c))
    ]
    phrase = search_terms.adjacent(clauses)
    lifts = [] if phrase is None else [_lift(_quoted((phrase,), _TEXT_FIELDS), SIDE_BY_SIDE)]
    if search_terms.required(clauses) >= len(positive):
        return positive, lifts
    some = {"bool": {"should": positive, "minimum_should_match": search_terms.MIN_SHOULD_MATCH}}
    every = _lift({"bool": {"filter": positive}}, ALL_CLAUSES)
    return [some], [every, *lifts]


def _lift(query: dict[str, Any] | None, name: str) -> dict[str, Any]:
    """A constant added to the score of the articles `query` matches (a tier above the
    others; `parse_response` takes it off the shown score)."""
    return {"constant_score": {"filter": query, "boost": _LIFTS[name], "_name": name}}


def explain_queries(clauses: list[Clause]) -> list[dict[str, Any]]:
    """One named, zero-weight query per thing `--explain` reports: the hit's
    `matched_queries` then say which matched, the score unchanged."""
    out = []
    for n, (_, part) in enumerate(search_terms.explain_parts(clauses)):
        query = clause_query(part)
        if query is not None:
            out.append({"constant_score": {"filter": query, "boost": 0, "_name": f"{_EXPLAIN}{n}"}})
    return out


def _ci(field: str, value: str) -> dict[str, Any]:
    return {"term": {field: {"value": value, "case_insensitive": True}}}


def filters(query: SearchQuery) -> list[dict[str, Any]]:
    """Filter clauses: publication (code or name), published_at, entities, mentioned
    dates and cited outlets, with the embedded store's meaning."""
    clauses: list[dict[str, Any]] = []
    if query.publication:
        clauses.append(_ci("publication", search_terms.publication(query.publication)))
    bounds = {k: v for k, v in (("gte", query.date_from), ("lte", query.date_to)) if v}
    if bounds:
        clauses.append({"range": {"published_at": bounds}})
    for kind in ("person", "place", "org"):
        value = getattr(query, kind)
        if value:
            clauses.append(entity_clause(search_terms.entity_filter(kind, value)))
    if query.mentions_from or query.mentions_to:
        # A mention counts when it lies inside the asked interval ("1999" is not about
        # March 1999); both bounds on the same nested mention.
        inside: list[dict[str, Any]] = []
        if query.mentions_from:
            inside.append({"range": {"dates.start": {"gte": query.mentions_from}}})
        if query.mentions_to:
            inside.append({"range": {"dates.end": {"lte": query.mentions_to}}})
        clauses.append({"nested": {"path": "dates", "query": {"bool": {"filter": inside}}}})
    if query.cites:
        clauses.append(_ci("outlets", search_terms.outlet(query.cites)))
    return clauses


def entity_clause(wanted: search_terms.EntityFilter) -> dict[str, Any]:
    """Articles with one entity of that type named by any of the spellings (or id)."""
    should = [
        _ci(f"entities.{field}", name) for name in wanted.names for field in ("name", "aliases")
    ]
    should += [{"term": {"entities.keys": key}} for key in wanted.keys]
    if wanted.wikidata:
        should.append({"term": {"entities.wikidata": wanted.wikidata}})
    return {
        "nested": {
            "path": "entities",
            "query": {
                "bool": {
                    "filter": [{"term": {"entities.type": wanted.type}}],
                    "should": should,
                    "minimum_should_match": 1,
                }
            },
        }
    }


def cited_by_query(
    doc_id: str, *, names: tuple[str, ...] = (), date: str | None = None
) -> dict[str, Any]:
    """Articles whose internal citations point at `doc_id`: resolved to it, or (when
    `names`/`date` are given: the cited article is that date's only one of its series)
    still unresolved because they were written before it."""
    target: list[dict[str, Any]] = [{"term": {"citations.target_id": doc_id}}]
    if names and date:
        target.append(
            {
                "bool": {
                    "filter": [
                        {"term": {"citations.date": date}},
                        {
                            "bool": {
                                "should": [{"term": {"citations.source": name}} for name in names],
                                "minimum_should_match": 1,
                            }
                        },
                    ],
                    "must_not": [{"exists": {"field": "citations.target_id"}}],
                }
            }
        )
    citation = {
        "bool": {
            "filter": [{"term": {"citations.kind": "internal"}}],
            "should": target,
            "minimum_should_match": 1,
        }
    }
    return {
        "bool": {
            "filter": [{"nested": {"path": "citations", "query": citation}}],
            "must_not": [{"term": {"id": doc_id}}],
        }
    }


def aggregations() -> dict[str, Any]:
    """The facets: top values of the flat keyword fields, and articles per year."""
    aggs: dict[str, Any] = {
        name: {"terms": {"field": field, "size": FACET_SIZE}}
        for name, field in _TERM_FACETS.items()
    }
    aggs["year"] = {
        "date_histogram": {
            "field": "published_at",
            "calendar_interval": "year",
            "format": "yyyy",
            "min_doc_count": 1,
        }
    }
    return aggs


def search_body(query: SearchQuery) -> dict[str, Any] | None:
    """The `_search` request for a `SearchQuery`, or None when nothing is searchable."""
    clauses = search_terms.query_clauses(query.text)
    # Scored on the shortest phrases, as in the embedded store (the same matches, each
    # mention counted once); highlighted on every spelling the user's words stand for.
    must, should = text_query(clauses)
    must_not = [q for c in clauses if c.negated and (q := clause_query(c))]
    marked = [q for c in clauses if not c.negated and (q := clause_query(c))]
    if not must and query.text.strip():  # only operators or negations: nothing to rank
        return None
    if query.explain:
        should += explain_queries(clauses)
    sort: list[Any] = [{"published_at": {"order": "desc", "missing": "_last"}}, {"id": "desc"}]
    body: dict[str, Any] = {
        "query": {
            "bool": {
                "must": must,
                "should": should,
                "must_not": must_not,
                "filter": filters(query),
            }
        },
        "sort": ["_score", *sort] if must else sort,
        "size": query.limit,
        "from": query.offset,
        "track_total_hits": True,
        "_source": _SOURCE,
        "highlight": {
            "pre_tags": [search_terms.MARK_PRE],
            "post_tags": [search_terms.MARK_POST],
            "fields": {
                "body": {
                    "fragment_size": SNIPPET_CHARS,
                    "number_of_fragments": 1,
                    "no_match_size": SNIPPET_CHARS,
                }
            },
        },
    }
    if marked:
        body["highlight"]["highlight_query"] = {"bool": {"should": marked}}
    if query.facets:
        body["aggs"] = aggregations()
    return body


def parse_response(
    response: dict[str, Any], *, facets: bool, clauses: list[Clause] | None = None
) -> SearchResult:
    """A `_search` answer as the stores' `SearchResult`; `clauses` (with `--explain`)
    label the named queries a hit matched."""
    labels = [label for label, _ in search_terms.explain_parts(clauses or [])]
    hits = []
    for hit in response["hits"]["hits"]:
        src = hit["_source"]
        fragments = (hit.get("highlight") or {}).get("body") or [""]
        text, marks = search_terms.unmark(fragments[0])
        named = list(hit.get("matched_queries") or [])
        score = float(hit.get("_score") or 0.0)
        score -= sum(boost for name, boost in _LIFTS.items() if name in named)
        matched = tuple(
            labels[i]
            for i in sorted(int(n[len(_EXPLAIN) :]) for n in named if n.startswith(_EXPLAIN))
        )
        hits.append(
            SearchHit(
                id=src["id"],
                title=src.get("title"),
                publication=src["publication"],
                published_at=src.get("published_at"),
                url=src.get("url"),
                headline=src.get("headline") or src.get("title") or "",
                headline_synthesized=bool(src.get("headline_synthesized")),
                score=float(f"{score:.3g}"),
                snippet=text,
                highlights=marks,
                matched=matched,
            )
        )
    found: Facets | None = None
    if facets:
        aggs = response.get("aggregations") or {}
        found = {
            name: {str(b["key"]): int(b["doc_count"]) for b in aggs[name]["buckets"]}
            for name in _TERM_FACETS
        }
        found["year"] = {
            str(b["key_as_string"]): int(b["doc_count"]) for b in aggs["year"]["buckets"]
        }
    return SearchResult(total=int(response["hits"]["total"]["value"]), hits=hits, facets=found)
