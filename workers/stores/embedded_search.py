"""Search in the embedded store: a `SearchQuery` as SQLite/FTS5 statements.

The clauses come from `search_terms` (the same as Elasticsearch's); filters on
entities, mentioned dates and cited outlets read the side tables the store fills on
write (`article_entities`, `entity_keys`, `article_dates`, `article_outlets`). Plans
matter on 20,000 articles: FTS5 stays the outer loop, filter-only results walk the
date index newest first, and facets count at most FACET_SAMPLE hits.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from workers.stores import search_terms
from workers.stores.base import (
    FACET_SAMPLE,
    FACET_SIZE,
    Facets,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from workers.stores.search_terms import Clause

BODY_COLUMN = 1  # `body` in embedded._FTS_COLUMNS: the column snippets come from
_SNIPPET_TOKENS = 24
_LEAD_CHARS = 200
# Highlight markers inside the store: private-use characters no article contains; the
# caller turns them into offsets (`search_terms.unmark`).
_PRE, _POST = search_terms.MARK_PRE, search_terms.MARK_POST
_WORD = re.compile(r"\w")
_FACET_TYPES = {"person": "persons", "location": "places", "organization": "organizations"}


def search(db: sqlite3.Connection, query: SearchQuery) -> SearchResult:
    """Run `query` on the store's connection: ranked hits, total, facets."""
    match = fts_query(search_terms.query_clauses(query.text))
    if not match and not (query.filtered and not query.text.strip()):
        return SearchResult(total=0, hits=[])
    # Filters on the side tables test a rowid; only publication and dates need the
    # article row, so the join happens only for them. The unary + keeps the rowid test
    # away from FTS5, which would otherwise run the MATCH once per listed rowid.
    rowid = "+articles_fts.rowid" if match else "a.rowid"
    where, params = filters(query, rowid=rowid)
    if match:
        # CROSS JOIN keeps FTS5 as the outer loop: with an index on a filtered column
        # SQLite would otherwise walk that index and run the MATCH once per article.
        joined = "FROM articles_fts CROSS JOIN articles a ON a.rowid = articles_fts.rowid "
        needs_row = query.publication or query.date_from or query.date_to
        base = f"{joined if needs_row else 'FROM articles_fts '}WHERE articles_fts MATCH ?{where}"
        params = [match, *params]
        # `rank` is bm25 with our column weights (set in _initialize); ordering by
        # the rank column lets FTS5 keep only the top rows instead of sorting all.
        select = (
            "-articles_fts.rank, "
            f"snippet(articles_fts, {BODY_COLUMN}, '{_PRE}', '{_POST}', '…', "
            f"{_SNIPPET_TOKENS}) {joined}WHERE articles_fts MATCH ?{where} "
            "ORDER BY articles_fts.rank LIMIT ?"
        )
    else:  # filters only: newest first; the body is read for the shown rows only
        base = f"FROM articles a WHERE 1 = 1{where}"
        # Walking the date index newest first and probing the filters stops after
        # `limit` rows; sorting every match first reads thousands of big rows.
        select = (
            f"0.0, substr(articles_fts.body, 1, {_LEAD_CHARS + 40}) FROM (SELECT a.rowid "
            f"AS shown FROM articles a INDEXED BY articles_published_id WHERE 1 = 1{where} "
            "ORDER BY a.published_at DESC, a.id DESC LIMIT ?"
            ") CROSS JOIN articles a ON a.rowid = shown "
            "CROSS JOIN articles_fts ON articles_fts.rowid = shown "
            "ORDER BY a.published_at DESC, a.id DESC"
        )
    matching = f"SELECT {rowid.lstrip('+')} {base}"
    try:
        facets = sample = None
        if query.facets:
            matched = [r[0] for r in db.execute(matching, params)]
            total, sample = len(matched), spread(matched, FACET_SAMPLE)
            facets = facets_of(db, sample)
        else:
            total = int(db.execute(f"SELECT count(*) {base}", params).fetchone()[0])
        rows = db.execute(
            "SELECT a.id, a.title, a.publication, a.published_at, a.url, a.headline, "
            f"a.headline_synthesized, {select}",
            (*params, query.limit),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc) or "syntax" in str(exc):
            raise ValueError(f"cannot search for {query.text!r}: {exc}") from exc
        raise
    hits = []
    for r in rows:
        text, spans = search_terms.unmark(r[8] if match else _lead(r[8]))
        hits.append(
            SearchHit(
                id=r[0],
                title=r[1],
                publication=r[2],
                published_at=r[3],
                url=r[4],
                headline=r[5] or r[1] or "",
                headline_synthesized=bool(r[6]),
                score=float(f"{float(r[7]):.3g}"),
                snippet=text,
                highlights=spans,
            )
        )
    return SearchResult(
        total=total,
        hits=hits,
        facets=facets,
        facets_over=None if sample is None else len(sample),
    )


def facets_of(db: sqlite3.Connection, rowids: list[int]) -> Facets:
    """Counts by publication, year, top entities and cited outlets over `rowids`."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS hits (article INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.hits")
    db.executemany("INSERT INTO temp.hits VALUES (?)", ((r,) for r in rowids))
    top = f"ORDER BY 2 DESC, 1 LIMIT {FACET_SIZE}"
    facets: Facets = {
        "publication": dict(
            db.execute(
                "SELECT a.publication, count(*) FROM temp.hits h "
                f"CROSS JOIN articles a ON a.rowid = h.article GROUP BY 1 {top}"
            ).fetchall()
        ),
        "year": dict(
            db.execute(
                "SELECT substr(a.published_at, 1, 4) AS y, count(*) FROM temp.hits h "
                "CROSS JOIN articles a ON a.rowid = h.article WHERE y IS NOT NULL "
                "GROUP BY 1 ORDER BY 1"
            ).fetchall()
        ),
    }
    facets.update({name: {} for name in _FACET_TYPES.values()})
    rows = db.execute(
        f"""
        SELECT type, name, n FROM (
            SELECT type, name, n, row_number() OVER (
                PARTITION BY type ORDER BY n DESC, name) AS place
            FROM (SELECT e.type, e.name, count(*) AS n
                  FROM temp.hits h CROSS JOIN article_entities e ON e.article = h.article
                  GROUP BY e.type, e.name)
        ) WHERE place <= {FACET_SIZE} ORDER BY type, n DESC, name
        """
    )
    for kind, name, count in rows:
        if kind in _FACET_TYPES:
            facets[_FACET_TYPES[kind]][name] = count
    facets["outlets"] = dict(
        db.execute(
            "SELECT o.outlet, count(*) FROM temp.hits h "
            f"CROSS JOIN article_outlets o ON o.article = h.article GROUP BY 1 {top}"
        ).fetchall()
    )
    return facets


def fts_query(clauses: list[Clause]) -> str:
    """Query clauses as an FTS5 expression: clauses AND-ed, phrases inside one OR-ed.

    Every phrase is quoted so punctuation in a query ("Putin-Mori", "U.S.") can never
    be read as FTS5 syntax; negated clauses follow as `NOT (...)`.
    """

    def group(clause: Clause) -> str:
        phrases = [p.replace('"', "") for p in clause.phrases if _WORD.search(p)]
        return "(" + " OR ".join(f'"{p}"' for p in phrases) + ")" if phrases else ""

    positive = [g for c in clauses if not c.negated and (g := group(c))]
    if not positive:
        return ""
    negative = [g for c in clauses if c.negated and (g := group(c))]
    return " AND ".join(positive) + "".join(f" NOT {g}" for g in negative)


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
