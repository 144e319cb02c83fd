"""The search contract, run against both stores: the embedded store and Elasticsearch
(FakeElasticsearch over HTTP, or a real cluster with MONITOR_TEST_ELASTICSEARCH_URL).

One behaviour in both: entity-aware terms, person/place/org filters, mentioned dates,
cited outlets, publication codes, headlines, highlight offsets, facets, cited-by.

The articles are written here in the Monitor's style (header line, parenthetical
citations, "see the Monitor, January 17"), modelled on samples/monitor-v4-i60.txt,
samples/monitor-v7-i14.txt, samples/edm-v2-i49.txt and samples/edm-2016-04-14.json.
Dates and citations come from the real enrichers; entities are given as the entity
enricher writes them (canonical name, the surfaces seen as aliases, Wikidata id), so
these tests do not depend on the NER model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.es_cluster import Cluster, cluster
from workers.ingest import ingest_raw
from workers.model import Entity, RawArticle
from workers.pipeline import ENRICHER_SETS, Pipeline
from workers.stores import open_store
from workers.stores.base import Indexable, SearchQuery, SearchResult, Store
from workers.stores.embedded import EmbeddedStore
from workers.stores.search_terms import QueryTooLong

__all__ = ["cluster"]
FAST = Pipeline(ENRICHER_SETS["no-entities"])  # no NER: entities are given below


def person(name: str, *aliases: str, wikidata: str | None = None) -> Entity:
    return Entity(name, "person", 1 + len(aliases), aliases=aliases, wikidata=wikidata)


def place(name: str, *aliases: str, wikidata: str | None = None) -> Entity:
    return Entity(name, "location", 1 + len(aliases), aliases=aliases, wikidata=wikidata)


def org(name: str, *aliases: str) -> Entity:
    return Entity(name, "organization", 1 + len(aliases), aliases=aliases)


def raw(
    publication: str, volume: int, issue: int, body: str, *, date: str, title: str | None = None
) -> RawArticle:
    return RawArticle(
        text=f"Publication: {publication} Volume: {volume} Issue: {issue}\n\n{body}",
        origin=f"{publication}-{volume}-{issue}",
        published_at=date,
        title=title,
    )


def item(raw_article: RawArticle, *entities: Entity) -> Indexable:
    article = FAST.process(raw_article)
    return Indexable(dataclasses.replace(article, entities=entities), raw_article)


KIRIENKO = item(
    raw(
        "Monitor",
        4,
        60,
        "Russian President Boris Yeltsin has formally nominated Sergei Kirienko, 35, as "
        "his choice for prime minister. Yeltsin appointed Kirienko acting head of "
        "government on March 23. The Duma is to vote on April 10 (Interfax, March 26).",
        date="1998-03-27",
    ),
    person("Boris Yeltsin", "Yeltsin", wikidata="Q34453"),
    person("Sergei Kirienko", "Kirienko"),
    org("State Duma", "Duma"),
)
KUCHMA = item(
    raw(
        "Monitor",
        7,
        14,
        "Ukrainian President Leonid Kuchma again denied any role in the disappearance of "
        "the journalist Heorhiy Gongadze (see the Monitor, January 17). U.S. officials "
        "asked Kyiv for an open inquiry (Itar-Tass, January 19). On December 26 the "
        "prosecutor had promised results within a month.",
        date="2001-01-22",
    ),
    person("Leonid Kuchma", "Kuchma"),
    person("Heorhiy Gongadze", "Gongadze"),
    place("Ukraine", wikidata="Q212"),
    place("United States", "U.S.", wikidata="Q30"),
)
KONO = item(
    raw(
        "Monitor",
        7,
        11,
        "Japanese Foreign Minister Yohei Kono arrived in Moscow for three days of talks "
        "on the Kuril Islands dispute (Kyodo, January 16). Let us not expect much: the "
        "dispute goes back to the 1956 declaration.",
        date="2001-01-17",
    ),
    person("Yohei Kono", "Kono"),
    place("Moscow"),
)
GUARD = item(
    raw(
        "Eurasia Daily Monitor",
        13,
        70,
        "On April 5, President Vladimir Putin ordered the creation of a new National "
        "Guard (Kommersant, April 6). Kirienko, now head of Rosatom, was not consulted.",
        date="2016-04-14",
        title="Countering Color Revolution Drives Russia’s Creation of National Guard",
    ),
    person("Vladimir Putin", "Putin", wikidata="Q7747"),
    person("Sergei Kirienko", "Kirienko"),
    org("Rosatom"),
)
# No entities at all: found by "Ukraine" only through the adjective (samples/edm-v2-i49.txt).
COURT = item(
    raw(
        "Eurasia Daily Monitor",
        2,
        49,
        "The European Court of Human Rights has ruled that the Ukrainian authorities were "
        "wrong to deny Melnychenko a place on the party list.",
        date="2005-03-10",
    )
)
ALL = (KIRIENKO, KUCHMA, KONO, GUARD, COURT)
NAMED = {"KIRIENKO": KIRIENKO, "KUCHMA": KUCHMA, "KONO": KONO, "GUARD": GUARD, "COURT": COURT}


@dataclasses.dataclass
class Opened:
    store: Store
    refresh: Callable[[], None]  # what makes writes searchable (ES refreshes)


@pytest.fixture(params=["embedded", "elasticsearch"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opened]:
    if request.param == "embedded":
        opened = Opened(EmbeddedStore(tmp_path / "db.sqlite3"), lambda: None)
    else:
        es: Cluster = request.getfixturevalue("cluster")
        opened = Opened(open_store(es.settings()), es.refresh)
    yield opened
    opened.store.close()


@pytest.fixture
def store(empty: Opened) -> Store:
    empty.store.write(list(ALL))
    empty.refresh()
    return empty.store


def ids(result: SearchResult) -> set[str]:
    return {h.id for h in result.hits}


@pytest.mark.parametrize("spelling", ["Kiriyenko", "kiriyenko", "Sergei Kiriyenko", "Kirienko"])
def test_a_transliteration_finds_every_article_about_that_person(
    store: Store, spelling: str
) -> None:
    found = store.search(SearchQuery(spelling))
    assert ids(found) == {KIRIENKO.article.id, GUARD.article.id}
    # More mentions rank higher: the nomination article names him twice.
    assert found.hits[0].id == KIRIENKO.article.id


@pytest.mark.parametrize("spelling", ["Yeltsin", "Eltsin", "Boris Eltsin"])
def test_yeltsin_by_any_spelling(store: Store, spelling: str) -> None:
    assert ids(store.search(SearchQuery(spelling))) == {KIRIENKO.article.id}


@pytest.mark.parametrize("spelling", ["US", "U.S.", "United States", "USA"])
def test_united_states_by_any_spelling_but_not_the_pronoun(store: Store, spelling: str) -> None:
    # KONO says "Let us not expect much": "us" is not the United States.
    assert ids(store.search(SearchQuery(spelling))) == {KUCHMA.article.id}


def test_a_country_also_finds_its_adjective(store: Store) -> None:
    found = store.search(SearchQuery("Ukraine"))
    assert ids(found) == {KUCHMA.article.id, COURT.article.id}
    # The article that has Ukraine as an entity and the word ranks first.
    assert found.hits[0].id == KUCHMA.article.id
    # A filter is about the entity only.
    assert ids(store.search(SearchQuery("", place="Ukraine"))) == {KUCHMA.article.id}


def test_a_scholarly_transliteration_with_diacritics(store: Store) -> None:
    assert ids(store.search(SearchQuery("Kučma"))) == {KUCHMA.article.id}
    assert ids(store.search(SearchQuery("Ukraine", person="Kučma"))) == {KUCHMA.article.id}


def test_a_mention_by_a_longer_name_counts_once(store: Store, empty: Opened) -> None:
    """ "Kyodo News Agency" is one mention of Kyodo, not three (as the phrases Kyodo,
    Kyodo News and Kyodo News Agency would each count it): two mentions rank higher."""
    once = item(
        raw(
            "Monitor",
            7,
            20,
            "Kyodo News Agency said the talks ended without a date for the next round.",
            date="2001-01-21",
        )
    )
    twice = item(
        raw(
            "Monitor",
            7,
            21,
            "Kyodo said the talks ended without a date for the next round, Kyodo added.",
            date="2001-01-22",
        )
    )
    store.write([once, twice])
    empty.refresh()
    found = store.search(SearchQuery("Kyodo"))
    ranked = [h.id for h in found.hits]
    assert ranked.index(twice.article.id) < ranked.index(once.article.id)
    # Every spelling is still marked: the whole name, not only its first word.
    (hit,) = [h for h in found.hits if h.id == once.article.id]
    marked = " ".join(hit.snippet[a:b] for a, b in hit.highlights)
    assert marked == "Kyodo News Agency"


def test_entity_terms_combine_with_words_and_operators(store: Store) -> None:
    assert ids(store.search(SearchQuery("Kiriyenko Rosatom"))) == {GUARD.article.id}
    either = store.search(SearchQuery("Kuchma OR Eltsin"))
    assert ids(either) == {KUCHMA.article.id, KIRIENKO.article.id}
    assert ids(store.search(SearchQuery("Kiriyenko NOT Duma"))) == {GUARD.article.id}


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("person", "Kiriyenko", ["KIRIENKO", "GUARD"]),
        ("person", "Sergei Kirienko", ["KIRIENKO", "GUARD"]),
        ("person", "Q34453", ["KIRIENKO"]),  # Yeltsin's Wikidata id
        ("place", "Q30", ["KUCHMA"]),
        ("place", "U.S.", ["KUCHMA"]),
        ("place", "Moscow", ["KONO"]),
        ("org", "Duma", ["KIRIENKO"]),
        ("person", "Moscow", []),  # a place is not a person
    ],
)
def test_entity_filters_without_a_query(
    store: Store, kind: str, value: str, expected: list[str]
) -> None:
    found = store.search(SearchQuery("", **{kind: value}))  # type: ignore[arg-type]
    assert ids(found) == {NAMED[name].article.id for name in expected}
    assert found.total == len(expected)


def test_filter_only_results_are_newest_first(store: Store) -> None:
    found = store.search(SearchQuery("", person="Kirienko"))
    assert [h.id for h in found.hits] == [GUARD.article.id, KIRIENKO.article.id]


def test_an_empty_query_without_filters_lists_the_newest(store: Store) -> None:
    """Bare `monitor search` and the search page before anything is typed: the whole
    store, newest first, with facets."""
    found = store.search(SearchQuery("   ", limit=3, facets=True))
    assert found.total == len(ALL)
    assert [h.id for h in found.hits] == [GUARD.article.id, COURT.article.id, KUCHMA.article.id]
    assert found.facets is not None
    assert found.facets["publication"] == {"Monitor": 3, "Eurasia Daily Monitor": 2}
    # Text without a word in it, or words that leave nothing to look for: nothing.
    assert store.search(SearchQuery("!! ?")).total == 0
    assert store.search(SearchQuery("NOT Kuchma")).total == 0


@pytest.mark.parametrize("text", ["", "Kirienko OR Kuchma OR Kono OR Ukraine"])
def test_offset_pages_through_the_ranking(store: Store, text: str) -> None:
    everything = [h.id for h in store.search(SearchQuery(text, limit=10)).hits]
    assert len(everything) >= 4
    pages = [
        [h.id for h in store.search(SearchQuery(text, limit=2, offset=start)).hits]
        for start in range(0, len(everything), 2)
    ]
    assert [i for page in pages for i in page] == everything
    past = store.search(SearchQuery(text, limit=2, offset=len(everything)))
    assert past.hits == [] and past.total == len(everything)


def test_mentioned_dates_are_separate_from_publication_dates(store: Store) -> None:
    # "On December 26" in an issue of 22 January 2001 is 2000-12-26: the year-less
    # date resolved by the Dates enricher falls in the asked range.
    december = SearchQuery("", mentions_from="2000-12-01", mentions_to="2000-12-31")
    assert ids(store.search(december)) == {KUCHMA.article.id}
    assert store.search(SearchQuery("", date_from="2000-12-01", date_to="2000-12-31")).total == 0
    # "March 23" and "March 26" in an issue of 27 March 1998.
    march = SearchQuery("Yeltsin", mentions_from="1998-03-01", mentions_to="1998-03-31")
    assert ids(store.search(march)) == {KIRIENKO.article.id}
    assert store.search(SearchQuery("", mentions_from="2020-01-01")).total == 0


def test_a_coarser_mention_is_not_about_a_narrower_range(store: Store) -> None:
    # "the 1956 declaration" is about 1956, not about October 1956.
    assert ids(
        store.search(SearchQuery("", mentions_from="1956-01-01", mentions_to="1956-12-31"))
    ) == {KONO.article.id}
    october = SearchQuery("", mentions_from="1956-10-01", mentions_to="1956-10-31")
    assert store.search(october).total == 0


def test_cites_an_outlet_by_any_spelling(store: Store) -> None:
    for spelling in ("Itar-Tass", "ITAR TASS", "itar-tass"):
        assert ids(store.search(SearchQuery("", cites=spelling))) == {KUCHMA.article.id}
    assert ids(store.search(SearchQuery("Yeltsin", cites="interfax"))) == {KIRIENKO.article.id}
    assert store.search(SearchQuery("Yeltsin", cites="Kommersant")).total == 0


@pytest.mark.parametrize("name", ["EDM", "edm", "Eurasia Daily Monitor", "eurasia daily monitor"])
def test_publication_by_code_or_name(store: Store, name: str) -> None:
    assert ids(store.search(SearchQuery("Kirienko", publication=name))) == {GUARD.article.id}


def test_headline_is_the_title_or_a_flagged_lead(store: Store) -> None:
    hits = {h.id: h for h in store.search(SearchQuery("Kirienko")).hits}
    titled = hits[GUARD.article.id]
    assert titled.headline == GUARD.article.title and not titled.headline_synthesized
    lead = hits[KIRIENKO.article.id]
    assert lead.headline_synthesized
    assert lead.headline.startswith("Russian President Boris Yeltsin has formally nominated")
    assert lead.title is None


def test_highlights_are_offsets_into_a_plain_snippet(store: Store) -> None:
    hit = store.search(SearchQuery("Kuril")).hits[0]
    assert hit.highlights
    assert "<em>" not in hit.snippet and "\ue000" not in hit.snippet
    assert {hit.snippet[a:b] for a, b in hit.highlights} == {"Kuril"}


def test_facets_count_the_whole_result_set(store: Store) -> None:
    found = store.search(SearchQuery("Kirienko OR Kuchma", limit=1, facets=True))
    assert found.total == 3 and len(found.hits) == 1
    facets = found.facets
    assert facets is not None
    assert facets["publication"] == {"Monitor": 2, "Eurasia Daily Monitor": 1}
    assert facets["year"] == {"1998": 1, "2001": 1, "2016": 1}
    assert facets["persons"]["Sergei Kirienko"] == 2
    assert facets["persons"]["Leonid Kuchma"] == 1
    assert facets["places"] == {"Ukraine": 1, "United States": 1}
    assert facets["organizations"] == {"Rosatom": 1, "State Duma": 1}
    assert facets["outlets"] == {"ITAR-TASS": 1, "Interfax": 1, "Kommersant": 1, "Monitor": 1}


def test_scores_have_sensible_precision(store: Store) -> None:
    for hit in store.search(SearchQuery("Kirienko")).hits:
        assert hit.score > 0
        assert hit.score == float(f"{hit.score:.3g}")  # three significant digits


def test_cited_by_across_two_ingests(empty: Opened) -> None:
    """The citing article is ingested first, the one it cites in a later run: the
    citation is unresolved when written, and still counts once its target is there."""
    ingest_raw([("kuchma", lambda: KUCHMA.raw)], store=empty.store, pipeline=FAST)
    empty.refresh()
    ingest_raw([("kono", lambda: KONO.raw)], store=empty.store, pipeline=FAST)
    empty.refresh()
    assert empty.store.cited_by(KONO.article.id) == [KUCHMA.article.id]
    assert empty.store.cited_by(KUCHMA.article.id) == []


# Issue 29: names no list holds, the field's synonyms, most of the words. Written in
# the style of the modern openings (tests/fixtures/gold/modern/d06.txt, d09.txt, d11.txt).
SHOYGU = item(
    raw(
        "Eurasia Daily Monitor",
        14,
        25,
        "Defense Minister Sergei Shoygu said the Yamadayev brothers had left Gudermes, "
        "and rebels crossed into Dagestan (TASS, February 22).",
        date="2017-02-15",
    )
)
ANSARU = item(
    raw(
        "Terrorism Monitor",
        20,
        2,
        "Ansaru reemerged in northwestern Nigeria with a photograph of three fighters in a "
        "forest; the Organization for Security and Co-operation in Europe was not involved.",
        date="2022-01-18",
    )
)
MODERN = (SHOYGU, ANSARU)


@pytest.fixture
def modern(store: Store, empty: Opened) -> Store:
    store.write(list(MODERN))
    empty.refresh()
    return store


@pytest.mark.parametrize("spelling", ["Shoigu", "Shoygu", "shojgu", "Yamadaev", "Jamadaev"])
def test_names_no_list_holds_match_by_romanization_rules(modern: Store, spelling: str) -> None:
    assert ids(modern.search(SearchQuery(spelling))) == {SHOYGU.article.id}


def test_possessives_pasted_from_a_text_match(modern: Store) -> None:
    assert ids(modern.search(SearchQuery("Kirienko's"))) == {
        KIRIENKO.article.id,
        GUARD.article.id,
    }
    assert ids(modern.search(SearchQuery("Shoygu’s"))) == {SHOYGU.article.id}


@pytest.mark.parametrize("word", ["militants", "insurgents", "guerrilla"])
def test_the_fields_synonyms_find_each_other(modern: Store, word: str) -> None:
    assert ids(modern.search(SearchQuery(f"Nigeria {word}"))) == {ANSARU.article.id}
    assert ids(modern.search(SearchQuery(f"Dagestan {word}"))) == {SHOYGU.article.id}


def test_a_long_known_name_and_its_acronym_find_each_other(modern: Store) -> None:
    for text in ("OSCE", "Organization for Security and Cooperation in Europe"):
        assert ids(modern.search(SearchQuery(text))) == {ANSARU.article.id}, text


def test_of_three_words_two_suffice_and_all_three_rank_first(modern: Store) -> None:
    found = modern.search(SearchQuery("Nigeria Ansaru Gudermes"))
    assert ids(found) == {ANSARU.article.id}  # SHOYGU has only one of the three
    both = modern.search(SearchQuery("Kirienko Rosatom Duma"))
    # GUARD has Kirienko and Rosatom, KIRIENKO has Kirienko and Duma: two of three each.
    assert ids(both) == {GUARD.article.id, KIRIENKO.article.id}
    every = modern.search(SearchQuery("Kirienko Yeltsin Duma"))
    assert every.hits[0].id == KIRIENKO.article.id  # all three words
    assert 0 < every.hits[0].score < 1000  # the every-clause lift is not shown as score


def test_words_side_by_side_rank_before_the_same_words_apart(empty: Opened) -> None:
    """Porter stems "Denis" and "denied" alike: the article naming Igor Ivanov many
    times and saying "denied" would outscore Colonel Denis Ivanov on bm25 alone (the
    case that failed in tests/fixtures/search/relevance-blind.json)."""
    apart = item(
        raw(
            "Monitor",
            7,
            15,
            "Foreign Minister Igor Ivanov denied the reports. Ivanov said Moscow denied "
            "nothing else; Ivanov denied it again on Friday, and Ivanov met Kono.",
            date="2001-01-23",
        ),
    )
    together = item(
        raw(
            "Eurasia Daily Monitor",
            20,
            118,
            "The Russian side also lost Colonel Denis Ivanov, commander of a brigade, "
            "in the fighting near the front line this summer.",
            date="2023-07-20",
        ),
    )
    empty.store.write([apart, together])
    empty.refresh()
    found = empty.store.search(SearchQuery("Denis Ivanov"))
    assert [h.id for h in found.hits] == [together.article.id, apart.article.id]
    assert 0 < found.hits[0].score < 1000  # the lift is a tier, not shown as score
    explained = empty.store.search(SearchQuery("Denis Ivanov", explain=True))
    assert '"Denis Ivanov" (the words side by side)' in explained.hits[0].matched
    assert '"Denis Ivanov" (the words side by side)' not in explained.hits[1].matched


def test_an_acronym_no_list_holds_finds_the_name_written_out(empty: Opened) -> None:
    davos = item(
        raw(
            "Eurasia Daily Monitor",
            14,
            10,
            "Chinese President Xi Jinping was the star guest at the World Economic Forum "
            "in Davos this year.",
            date="2017-01-23",
        ),
    )
    empty.store.write([davos])
    empty.refresh()
    assert ids(empty.store.search(SearchQuery("WEF"))) == {davos.article.id}
    assert empty.store.search(SearchQuery("WTO")).total == 0


def test_arabic_names_match_across_romanizations(empty: Opened) -> None:
    bombing = item(
        raw(
            "Terrorism Monitor",
            3,
            14,
            "A videotape of the bomber was interspersed with Ayman al-Zawahiri, and the "
            "Taliban praised the attack in Kabul.",
            date="2005-09-02",
        ),
    )
    other = item(
        raw(
            "Terrorism Monitor",
            3,
            15,
            "Hamas and the Lebanese groups were discussed in Damascus.",
            date="2005-09-09",
        ),
    )
    empty.store.write([bombing, other])
    empty.refresh()
    for spelling in ("Zawahri", "Ayman al-Zawahri", "Taleban"):
        assert ids(empty.store.search(SearchQuery(spelling))) == {bombing.article.id}, spelling
    assert empty.store.search(SearchQuery("Zarkawi")).total == 0


def test_two_words_are_both_required(modern: Store) -> None:
    assert modern.search(SearchQuery("Nigeria Tibet")).total == 0


def test_explain_names_what_each_hit_matched(modern: Store) -> None:
    found = modern.search(SearchQuery("Shojgu OR militants", explain=True))
    matched = {h.id: h.matched for h in found.hits}
    assert any("key shoigu" in label for label in matched[SHOYGU.article.id])
    assert "rebel (synonym of militants)" in matched[SHOYGU.article.id]
    assert "fighter (synonym of militants)" in matched[ANSARU.article.id]
    plain = modern.search(SearchQuery("Shojgu"))
    assert all(h.matched == () for h in plain.hits)


def test_a_query_past_the_term_cap_is_refused(modern: Store) -> None:
    with pytest.raises(QueryTooLong, match="at most 64 words"):
        modern.search(SearchQuery(" OR ".join(f"w{n}" for n in range(2000))))


def test_person_filters_by_romanization_and_by_surname(empty: Opened) -> None:
    """Persons no list holds: `--person` finds them by another romanization, and a
    surname alone finds every person of that name (a family)."""
    brothers = item(
        raw(
            "North Caucasus Weekly",
            9,
            19,
            "Kadyrov moved against the Yamadaev brothers, Sulim Yamadaev and Badrudi Yamadaev.",
            date="2008-05-16",
        ),
        person("Sulim Yamadaev", "Yamadaev"),
        person("Badrudi Yamadaev"),
        person("Ramzan Kadyrov", "Kadyrov"),
    )
    other = item(
        raw("North Caucasus Weekly", 9, 20, "Sulim Khamzatov spoke.", date="2008-05-23"),
        person("Sulim Khamzatov"),
    )
    empty.store.write([brothers, other])
    empty.refresh()
    for value in ("Yamadayev", "Jamadaev", "Badrudi Yamadayev", "Sulim Jamadaev"):
        assert ids(empty.store.search(SearchQuery("", person=value))) == {brothers.article.id}, (
            value
        )
    # A first name alone is no surname: "Sulim" finds neither by that rule.
    assert ids(empty.store.search(SearchQuery("", person="Sulim"))) == set()
    # The type still holds: no place is named Yamadaev.
    assert ids(empty.store.search(SearchQuery("", place="Yamadayev"))) == set()
