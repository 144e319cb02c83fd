"""Search requests for Elasticsearch: clause, filter and facet shapes (pure functions).

The contract suite (test_search_contract.py) checks what these requests find; here
the shapes that matter on a real cluster and that the fake would forgive: nested
conditions on one and the same entity/mention, `minimum_should_match` set where
`should` sits beside `filter`, private-use highlight markers.
"""

from __future__ import annotations

from typing import Any

import pytest

from workers.stores import search_terms
from workers.stores.base import SearchQuery
from workers.stores.es_search import clause_query, parse_response, search_body


def text_part(query: dict[str, Any]) -> str:
    """The quoted phrases a clause query sends to the text fields (beside its name keys)."""
    parts = query["bool"]["should"] if "bool" in query else [query]
    (text,) = [
        p["simple_query_string"]["query"]
        for p in parts
        if "name_keys^0.5" not in p["simple_query_string"]["fields"]
    ]
    return str(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pipeline dispute", ['"pipeline"', '"dispute"']),
        ('"peace treaty" budget', ['"peace treaty"', '"budget"']),
        ("pipeline OR budget", ['"pipeline" | "budget"']),
        ('Putin-Mori a|b "x', ['"Putin-Mori"', '"a|b"', '"x"']),
        (
            "Kiriyenko",
            [
                '"Sergei Kirienko" | "Kirienko" | "Sergei Kiriyenko" | "Sergey Kirienko" '
                '| "Kiriyenko"'
            ],
        ),
    ],
)
def test_every_phrase_is_quoted_and_alternatives_are_or_ed(text: str, expected: list[str]) -> None:
    queries = [clause_query(c) for c in search_terms.query_clauses(text)]
    assert [text_part(q) for q in queries if q] == expected


def test_scored_on_the_shortest_phrases_and_highlighted_on_every_spelling() -> None:
    body = search_body(SearchQuery("Kyodo"))
    assert body is not None
    (scored,) = body["query"]["bool"]["must"]
    assert text_part(scored) == '"Kyodo"'
    (marked,) = body["highlight"]["highlight_query"]["bool"]["should"]
    assert '"Kyodo News Agency"' in text_part(marked)


def test_most_clauses_suffice_and_every_clause_is_lifted_first() -> None:
    body = search_body(SearchQuery("Ansaru Nigeria kidnapping"))
    assert body is not None
    bool_ = body["query"]["bool"]
    (some,) = bool_["must"]
    assert some["bool"]["minimum_should_match"] == "2<-1 4<75%"
    assert len(some["bool"]["should"]) == 3
    every, side_by_side = bool_["should"]
    assert every["constant_score"]["filter"]["bool"]["filter"] == some["bool"]["should"]
    assert every["constant_score"]["_name"] == "all-clauses"
    assert side_by_side["constant_score"]["_name"] == "side-by-side"
    assert text_part(side_by_side["constant_score"]["filter"]) == '"Ansaru Nigeria kidnapping"'
    # Two words: both required; only the words side by side are lifted.
    two = search_body(SearchQuery("Ansaru Nigeria"))
    assert two is not None and len(two["query"]["bool"]["must"]) == 2
    (lift,) = two["query"]["bool"]["should"]
    assert lift["constant_score"]["_name"] == "side-by-side"
    # One word, OR or NOT: nothing to put side by side.
    for text in ("Ansaru", "Ansaru OR Nigeria", "Ansaru NOT Nigeria"):
        one = search_body(SearchQuery(text))
        assert one is not None and one["query"]["bool"]["should"] == [], text


def test_negated_clauses_go_to_must_not() -> None:
    body = search_body(SearchQuery("pipeline NOT budget"))
    assert body is not None
    bool_ = body["query"]["bool"]
    assert [text_part(q) for q in bool_["must_not"]] == ['"budget"']
    assert search_body(SearchQuery("!! ?")) is None  # nothing to search for
    assert search_body(SearchQuery('""')) is None


def test_an_empty_query_is_the_newest_page() -> None:
    body = search_body(SearchQuery("   ", limit=20, offset=40))
    assert body is not None
    assert body["query"]["bool"]["must"] == []
    assert body["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}
    assert (body["from"], body["size"]) == (40, 20)


def test_entity_filter_is_one_nested_entity_with_a_required_should() -> None:
    body = search_body(SearchQuery("", person="Kiriyenko"))
    assert body is not None
    (nested,) = body["query"]["bool"]["filter"]
    inner = nested["nested"]["query"]["bool"]
    assert nested["nested"]["path"] == "entities"
    assert inner["filter"] == [{"term": {"entities.type": "person"}}]
    # Beside a filter, should is optional on a real cluster unless this is set.
    assert inner["minimum_should_match"] == 1
    names = {
        c["term"]["entities.name"]["value"] for c in inner["should"] if "entities.name" in c["term"]
    }
    assert {"Sergei Kirienko", "Kiriyenko"} <= names
    # No text: newest first, no score sort.
    assert body["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}


def test_mentioned_dates_lie_inside_the_range_on_one_nested_mention() -> None:
    body = search_body(SearchQuery("x", mentions_from="1999-03-01", mentions_to="1999-03-31"))
    assert body is not None
    (nested,) = body["query"]["bool"]["filter"]
    assert nested["nested"]["path"] == "dates"
    assert nested["nested"]["query"]["bool"]["filter"] == [
        {"range": {"dates.start": {"gte": "1999-03-01"}}},
        {"range": {"dates.end": {"lte": "1999-03-31"}}},
    ]


def test_publication_code_and_outlet_alias_resolve_before_the_request() -> None:
    body = search_body(SearchQuery("x", publication="edm", cites="Itar-Tass"))
    assert body is not None
    assert body["query"]["bool"]["filter"] == [
        {"term": {"publication": {"value": "Eurasia Daily Monitor", "case_insensitive": True}}},
        {"term": {"outlets": {"value": "ITAR-TASS", "case_insensitive": True}}},
    ]


def test_facets_are_asked_only_when_wanted_and_parsed_back() -> None:
    assert "aggs" not in (search_body(SearchQuery("x")) or {})
    body = search_body(SearchQuery("x", facets=True))
    assert body is not None
    assert set(body["aggs"]) == {
        "publication",
        "year",
        "persons",
        "places",
        "organizations",
        "outlets",
    }
    response = {
        "hits": {
            "total": {"value": 1, "relation": "eq"},
            "hits": [
                {
                    "_score": 3.14159,
                    "_source": {"id": "a", "publication": "Monitor", "title": None},
                    "highlight": {"body": ["the \ue000Kuril\ue001 Islands [sic]"]},
                }
            ],
        },
        "aggregations": {
            **{n: {"buckets": [{"key": "k", "doc_count": 1}]} for n in body["aggs"] if n != "year"},
            "year": {"buckets": [{"key": 0, "key_as_string": "2001", "doc_count": 1}]},
        },
    }
    result = parse_response(response, facets=True)
    (hit,) = result.hits
    assert hit.score == 3.14
    assert hit.snippet == "the Kuril Islands [sic]" and hit.highlights == ((4, 9),)
    assert result.facets is not None and result.facets["year"] == {"2001": 1}


def test_the_fake_answers_aggregations_as_elasticsearch_does() -> None:
    """The fake's side of facets (tests/fakes/fake_es_query.py): terms buckets by
    count, a yearly date_histogram with key_as_string, anything else refused."""
    from tests.fakes import fake_es_query as q

    docs = [
        {"publication": "Monitor", "people": ["A", "B"], "published_at": "2001-01-22"},
        {"publication": "Monitor", "people": ["A"], "published_at": "2001-03-01"},
        {"publication": "EDM", "people": [], "published_at": "2016-04-14"},
    ]
    body = search_body(SearchQuery("x", facets=True))
    assert body is not None
    answer = q.aggregate(body["aggs"], docs)
    assert answer["persons"]["buckets"] == [
        {"key": "A", "doc_count": 2},
        {"key": "B", "doc_count": 1},
    ]
    assert [b["key_as_string"] for b in answer["year"]["buckets"]] == ["2001", "2016"]
    with pytest.raises(q.Unsupported):
        q.aggregate({"x": {"avg": {"field": "word_count"}}}, docs)


def test_the_fake_keeps_should_optional_beside_a_filter_like_elasticsearch() -> None:
    from tests.fakes import fake_es_query as q

    doc = {"entities": [{"type": "person", "name": "Sergei Kirienko"}]}
    loose = {
        "bool": {"filter": [{"exists": {"field": "entities"}}], "should": [{"term": {"x": 1}}]}
    }
    strict = {"bool": {**loose["bool"], "minimum_should_match": 1}}
    assert q.matches(loose, doc) and not q.matches(strict, doc)
