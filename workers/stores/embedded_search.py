"""Search in the embedded store: a `SearchQuery` as SQLite/FTS5 statements.

The clauses come from `search_terms` (the same as Elasticsearch's); filters on
entities, mentioned dates and cited outlets read the side tables the store fills on
write (`article_entities`, `entity_keys`, `article_dates`, `article_outlets`), facets
read `article_facets`. Plans matter on 20,000 articles: FTS5 scores the matches once
and stays the outer loop, filter-only results walk the date index newest first, and
facets count at most FACET_SAMPLE hits.
"""

from __future__ import annotations

import heapq
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable
from typing import Any

from workers.enrich.gazetteer import fold
from workers.model import Article
from workers.stores import search_terms
from workers.stores.base import (
    FACET_NAMES,
    FACET_SAMPLE,
    FACET_SIZE,
    Facets,
    QueryRefused,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from workers.stores.search_terms import Clause

BODY_COLUMN = 1  # `body` in embedded_schema.FTS_COLUMNS: the column snippets come from
# Every FTS column but `keys`: where a query's phrases are looked for.
_TEXT_COLUMNS = "{title body people places organizations outlets}"
_ALL_COLUMNS = "{title body people places organizations outlets keys}"
# What FTS5's tokenizer (unicode61, diacritics removed) makes of plain Latin words.
_LATIN = re.compile(r"[a-z0-9]+")
# A last word the porter stemmer stems the same as itself without its final "s" (its
# first step drops that "s"): not "ss", "ies" or "sses", which that step rewrites.
_STEMS_TO_SINGULAR = re.compile(r"(?:^| )[a-z0-9]{3,62}s$")
_REWRITTEN_PLURAL = ("ss", "ies", "sses")
_SNIPPET_TOKENS = 24
_LEAD_CHARS = 200
# Highlight markers inside the store: private-use characters no article contains; the
# caller turns them into offsets (`search_terms.unmark`).
_PRE, _POST = search_terms.MARK_PRE, search_terms.MARK_POST
_WORD = re.compile(r"\w")
_FACET_TYPES = {"person": "persons", "location": "places", "organization": "organizations"}
# Separators inside `article_facets.keys` (ASCII unit and record separators).
_FACET_SEP, _KEY_SEP = "\x1f", "\x1e"


def search(db: sqlite3.Connection, query: SearchQuery) -> SearchResult:
    """Run `query` on the store's connection: ranked hits, total, facets."""
    clauses = search_terms.query_clauses(query.text)
    match = fts_query(clauses)
    if not match and query.text.strip():  # only operators or negations: nothing to rank
        return SearchResult(total=0, hits=[])
    try:
        # Ranked on the shortest phrases (the same matches, each mention counted
        # once); snippets mark every spelling the user's words stand for, in any
        # clause (an article need not match them all).
        ranking = search_terms.shortest(clauses)
        total, shown, matched = _ranked(db, query, ranking) if match else _newest(db, query)
        rows = _shown_rows(db, shown, fts_query(clauses, any_clause=True))
        facets = sample = None
        if query.facets:
            sample = spread(matched, FACET_SAMPLE)
            facets = facets_of(db, sample)
        explained = _explain(db, clauses, [r for r, _ in shown]) if query.explain else {}
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc) or "syntax" in str(exc):
            raise QueryRefused(f"cannot search for {query.text!r}: {exc}") from exc
        raise
    hits = []
    for rowid, score in shown:
        r = rows[rowid]
        text, spans = search_terms.unmark(r[7] if match else _lead(r[7]))
        hits.append(
            SearchHit(
                id=r[0],
                title=r[1],
                publication=r[2],
                published_at=r[3],
                url=r[4],
                headline=r[5] or r[1] or "",
                headline_synthesized=bool(r[6]),
                score=float(f"{score:.3g}"),
                snippet=text,
                highlights=spans,
                matched=explained.get(rowid, ()),
            )
        )
    return SearchResult(
        total=total,
        hits=hits,
        facets=facets,
        facets_over=None if sample is None else len(sample),
    )


def _ranked(
    db: sqlite3.Connection, query: SearchQuery, clauses: list[Clause]
) -> tuple[int, list[tuple[int, float]], list[int]]:
    """Every match with its bm25 score in one FTS5 pass: the total, the `limit` best
    after the first `offset` (rowid, score) and, when facets are asked for, all
    matching rowids (in rowid order, for the facet sample; else none).

    FTS5 scores every match even for `ORDER BY rank LIMIT 10`, so scoring once and
    picking the top here costs one pass where a count, a facet list and a ranked
    query cost three. When most clauses suffice (`search_terms.required`), the pass
    runs on any clause and one cheap rowid pass per clause counts what each article
    matched: articles with every clause first, then the others. Within that, a query
    of a few plain words (`search_terms.adjacent`) ranks the articles that have them
    side by side first (one more rowid pass); each group by score.
    """
    # Filters on the side tables test a rowid; only publication and dates need the
    # article row, so the join happens only for them. The unary + keeps the rowid test
    # away from FTS5, which would otherwise run the MATCH once per listed rowid.
    where, params = filters(query, rowid="+articles_fts.rowid")
    # CROSS JOIN keeps FTS5 as the outer loop: with an index on a filtered column
    # SQLite would otherwise walk that index and run the MATCH once per article.
    needs_row = query.publication or query.date_from or query.date_to
    joined = "CROSS JOIN articles a ON a.rowid = articles_fts.rowid " if needs_row else ""
    positive = [c for c in clauses if not c.negated]
    need = search_terms.required(clauses)
    relaxed = need < len(positive)
    # `rank` is bm25 with our column weights (set in EmbeddedStore._initialize); lower
    # is better, so (rank, rowid) tuples sort best first with a stable tie order.
    scored = db.execute(
        f"SELECT articles_fts.rank, articles_fts.rowid FROM articles_fts {joined}"
        f"WHERE articles_fts MATCH ?{where}",
        [fts_query(clauses, any_clause=relaxed), *params],
    ).fetchall()
    side_by_side = _rowids(db, search_terms.adjacent(clauses))
    if relaxed or side_by_side:
        # Tiers before scores: articles with every clause first, then (within each)
        # those with the words side by side; each tier by score.
        counts: Counter[int] = Counter()
        for clause in positive if relaxed else ():
            counts.update(_rowids(db, clause))
        missing = len(positive) if relaxed else 0
        scored = [
            (missing - counts[rowid], rowid not in side_by_side, rank, rowid)
            for rank, rowid in scored
            if not relaxed or counts[rowid] >= need
        ]
    best = heapq.nsmallest(query.offset + query.limit, scored)[query.offset :]
    matched = [r[-1] for r in scored] if query.facets else []  # FTS5 gives rowid order
    return len(scored), [(r[-1], -r[-2]) for r in best], matched


def _rowids(db: sqlite3.Connection, wanted: Clause | str | None) -> set[int]:
    """The rowids of the articles matching one clause, or having a phrase's words
    side by side in their text (none for None): one pass without ranking."""
    if wanted is None:
        return set()
    clause = Clause((wanted,)) if isinstance(wanted, str) else wanted
    match = fts_query([clause])
    if not match:
        return set()
    return {
        r[0]
        for r in db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (match,))
    }


def _explain(
    db: sqlite3.Connection, clauses: list[Clause], rowids: list[int]
) -> dict[int, tuple[str, ...]]:
    """Per shown article, what of the query it matched (`search_terms.explain_labels`):
    one FTS5 lookup per phrase over the shown rowids only."""
    if not rowids:
        return {}
    marks = ", ".join("?" for _ in rowids)
    found: dict[int, list[str]] = {}
    for label, clause in search_terms.explain_parts(clauses):
        for (rowid,) in db.execute(
            f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid IN ({marks})",
            (fts_query([clause]), *rowids),
        ):
            found.setdefault(rowid, []).append(label)
    return {rowid: tuple(labels) for rowid, labels in found.items()}


def _newest(
    db: sqlite3.Connection, query: SearchQuery
) -> tuple[int, list[tuple[int, float]], list[int]]:
    """Filters only (or nothing at all): the total, the `limit` newest matches after
    the first `offset` (score 0) and, when facets are asked for, every matching rowid
    (else none).

    Walking the date index newest first and probing the filters stops after `offset +
    limit` rows; sorting every match first would read thousands of big rows.
    """
    where, params = filters(query)
    matched: list[int] = []
    if query.facets:
        matched = [
            r[0] for r in db.execute(f"SELECT a.rowid FROM articles a WHERE 1 = 1{where}", params)
        ]
        total = len(matched)
    else:
        total = int(
            db.execute(f"SELECT count(*) FROM articles a WHERE 1 = 1{where}", params).fetchone()[0]
        )
    shown = db.execute(
        f"SELECT a.rowid FROM articles a INDEXED BY articles_published_id WHERE 1 = 1{where} "
        "ORDER BY a.published_at DESC, a.id DESC LIMIT ? OFFSET ?",
        (*params, query.limit, query.offset),
    ).fetchall()
    return total, [(r[0], 0.0) for r in shown], matched


def _shown_rows(
    db: sqlite3.Connection, shown: list[tuple[int, float]], match: str
) -> dict[int, tuple[Any, ...]]:
    """The fields of the shown hits, by rowid, with a snippet of the matched words
    (or the start of the body when nothing was matched)."""
    if not shown:
        return {}
    marks = ", ".join("?" for _ in shown)
    fields = (
        "a.rowid, a.id, a.title, a.publication, a.published_at, a.url, a.headline, "
        "a.headline_synthesized"
    )
    if match:  # snippets for these rows only: FTS5 looks up each listed rowid
        text = f"snippet(articles_fts, {BODY_COLUMN}, '{_PRE}', '{_POST}', '…', {_SNIPPET_TOKENS})"
        where = f"articles_fts MATCH ? AND articles_fts.rowid IN ({marks})"
        params: list[Any] = [match, *(r for r, _ in shown)]
    else:  # the body is read for the shown rows only
        text = f"substr(articles_fts.body, 1, {_LEAD_CHARS + 40})"
        where = f"articles_fts.rowid IN ({marks})"
        params = [r for r, _ in shown]
    rows = db.execute(
        f"SELECT {fields}, {text} FROM articles_fts "
        f"CROSS JOIN articles a ON a.rowid = articles_fts.rowid WHERE {where}",
        params,
    )
    return {r[0]: r[1:] for r in rows}


def facets_of(db: sqlite3.Connection, rowids: list[int]) -> Facets:
    """Counts by publication, year, top entities and cited outlets over `rowids` (at
    most FACET_SAMPLE of them: one statement's parameters).

    Each article's facet values are one row of `article_facets` (`facet_keys`);
    counting them here reads one short row per hit.
    """
    counts: Counter[str] = Counter()
    marks = ", ".join("?" for _ in rowids)
    for (keys,) in db.execute(
        f"SELECT keys FROM article_facets WHERE article IN ({marks})", rowids
    ):
        counts.update(keys.split(_KEY_SEP))
    values: dict[str, dict[str, int]] = {name: {} for name in FACET_NAMES}
    for key, count in counts.items():
        name, _, value = key.partition(_FACET_SEP)
        values[name][value] = count
    facets: Facets = {}
    for name, found in values.items():
        if name == "year":  # every year, in order: a timeline, not a top list
            facets[name] = dict(sorted(found.items()))
        else:
            top = sorted(found.items(), key=lambda item: (-item[1], item[0]))
            facets[name] = dict(top[:FACET_SIZE])
    return facets


def facet_keys(article: Article) -> str:
    """The facet values `article` adds to a result set's counts, as one string
    ("facet<US>value" pairs joined by <RS>), each value once. Neither separator can
    occur in a value: normalize removes control characters from the body the names
    come from and treats them as spaces in metadata."""
    keys = {("publication", article.publication)}
    if article.published_at:
        keys.add(("year", article.published_at[:4]))
    keys |= {(_FACET_TYPES[e.type], e.name) for e in article.entities if e.type in _FACET_TYPES}
    keys |= {("outlets", c.source) for c in article.citations}
    return _KEY_SEP.join(f"{name}{_FACET_SEP}{value}" for name, value in sorted(keys))


def fts_query(clauses: list[Clause], *, any_clause: bool = False) -> str:
    """Query clauses as an FTS5 expression: clauses AND-ed (OR-ed with `any_clause`),
    phrases inside one OR-ed; negated clauses follow as `NOT (...)`.

    Every phrase is quoted so punctuation in a query ("Putin-Mori", "U.S.") can never
    be read as FTS5 syntax. Phrases search the text columns, a clause's name keys the
    `keys` column only (a key is no word of the text).
    """

    def group(clause: Clause) -> str:
        phrases = _distinct_terms(p.replace('"', "") for p in clause.phrases if _WORD.search(p))
        keys = _distinct_terms(k.replace('"', "") for k in clause.keys if _WORD.search(k))
        # A phrase whose key is its own words (most of them: "Putin", "putin") is one
        # token run in every column: one lookup instead of a text and a key lookup.
        both = {p: form for p in phrases if (form := _tokens(p)) in keys}
        shared = set(both.values())
        parts = [
            f"{columns} : (" + " OR ".join(f'"{t}"' for t in terms) + ")"
            for columns, terms in (
                (_ALL_COLUMNS, list(both)),
                (_TEXT_COLUMNS, [p for p in phrases if p not in both]),
                ("keys", [k for k in keys if k not in shared]),
            )
            if terms
        ]
        return "(" + " OR ".join(parts) + ")" if parts else ""

    positive = [g for c in clauses if not c.negated and (g := group(c))]
    if not positive:
        return ""
    negative = [g for c in clauses if c.negated and (g := group(c))]
    joined = " OR ".join(positive) if any_clause and len(positive) > 1 else " AND ".join(positive)
    if any_clause and len(positive) > 1 and negative:
        joined = f"({joined})"
    return joined + "".join(f" NOT {g}" for g in negative)


def filters(query: SearchQuery, *, rowid: str = "a.rowid") -> tuple[str, list[Any]]:
    """SQL conditions (to follow a WHERE) and their parameters; `rowid` names the
    article's rowid in the statement they go into."""
    clauses: list[str] = []
    params: list[Any] = []
    if query.publication:
        clauses.append("a.publication = ? COLLATE NOCASE")
        params.append(search_terms.publication(query.publication))
    if query.date_from:
        clauses.append("a.published_at >= ?")
        params.append(query.date_from)
    if query.date_to:
        clauses.append("a.published_at <= ?")
        params.append(query.date_to)
    for kind in ("person", "place", "org"):
        value = getattr(query, kind)
        if value:
            wanted = search_terms.entity_filter(kind, value)
            if wanted.keys:  # a name: its spellings' keys find the entity (indexed)
                marks = ", ".join("?" for _ in wanted.keys)
                clause = f"SELECT article FROM entity_keys WHERE type = ? AND key IN ({marks})"
                params += [wanted.type, *wanted.keys]
            else:  # a Wikidata id
                clause = "SELECT article FROM article_entities WHERE wikidata = ? AND type = ?"
                params += [wanted.wikidata, wanted.type]
            clauses.append(f"{rowid} IN ({clause})")
    if query.mentions_from or query.mentions_to:
        # A mention counts when it lies inside the asked interval: "March 1999" and
        # "March 3" are about March 1999, "1999" and "the 1990s" are not.
        # (start <= end, so both bound `start`: the index range stays narrow.)
        clauses.append(
            f"{rowid} IN (SELECT article FROM article_dates "
            "WHERE start >= ? AND start <= ? AND end <= ?)"
        )
        low, high = query.mentions_from or "0000-01-01", query.mentions_to or "9999-12-31"
        params += [low, high, high]
    if query.cites:
        clauses.append(f"{rowid} IN (SELECT article FROM article_outlets WHERE outlet = ?)")
        params.append(search_terms.outlet(query.cites))
    return "".join(f" AND {c}" for c in clauses), params


def spread(items: list[int], size: int) -> list[int]:
    """`items` when they are few, else `size` of them spread evenly over the list (a
    sample across the whole index, not its oldest part)."""
    if len(items) <= size:
        return items
    step = len(items) / size
    return [items[int(n * step)] for n in range(size)]


def _lead(text: str) -> str:
    """The start of a body as a snippet, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= _LEAD_CHARS:
        return text
    return text[: text.rfind(" ", 0, _LEAD_CHARS)] + " …"


def _tokens(phrase: str) -> str:
    """The phrase as the index's tokens, space-separated, when it is plain Latin
    letters and digits after folding (else "": no key is compared with it)."""
    folded = fold(phrase)
    if any(ch.isalnum() for ch in _LATIN.sub(" ", folded)):  # a letter beyond plain Latin
        return ""
    return " ".join(_LATIN.findall(folded))


def _distinct_terms(terms: Iterable[str]) -> list[str]:
    """`terms` without those the index cannot tell apart: the same words in another
    case, or a plural in "s" beside its singular ("Georgians" beside "Georgian": the
    porter stemmer makes both one token, and each costs the ranking a pass)."""
    kept: dict[str, str] = {}
    for term in terms:
        kept.setdefault(_tokens(term) or term, term)
    singular = set(kept)
    return [
        term
        for form, term in kept.items()
        if not (
            _STEMS_TO_SINGULAR.search(form)
            and not form.endswith(_REWRITTEN_PLURAL)
            and form[:-1] in singular
        )
    ]
