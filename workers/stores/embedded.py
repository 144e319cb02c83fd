"""Embedded store: SQLite with FTS5, the default when no Elasticsearch is configured.

Real full-text search (BM25 ranking, snippets, publication and date filters) in one
file under `MONITOR_DATA_DIR`, so a laptop needs no servers. Several worker processes
may write at once: WAL journaling lets readers run beside one writer, writers queue on
`busy_timeout`, and each batch is one `BEGIN IMMEDIATE` transaction so a reader never
sees half a batch.

Entity names and cited outlets get FTS columns of their own, so a plain query finds
an article by the people, places and sources it mentions, not only by its words.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workers.enrich.entities import translit_key
from workers.enrich.publications import family_names
from workers.headline import headline
from workers.model import Article, RawArticle
from workers.stores import search_terms
from workers.stores.base import (
    FACET_SAMPLE,
    FACET_SIZE,
    VOLATILE_FIELDS,
    Facets,
    Indexable,
    SearchHit,
    SearchQuery,
    SearchResult,
    StoreStats,
    StoreUnavailable,
    WriteOutcome,
)
from workers.stores.search_terms import Clause

SCHEMA_VERSION = 2
# FTS columns after the rowid: the weights give title and named things more pull than
# a word somewhere in the body.
_FTS_COLUMNS = ("title", "body", "people", "places", "organizations", "outlets")
_BM25_WEIGHTS = "5.0, 1.0, 2.0, 2.0, 2.0, 2.0"
_BODY_COLUMN = 1
_SNIPPET_TOKENS = 24
_LEAD_CHARS = 200
# Highlight markers inside the store: private-use characters no article contains; the
# caller turns them into offsets (`search_terms.unmark`).
_PRE, _POST = search_terms.MARK_PRE, search_terms.MARK_POST
_WORD = re.compile(r"\w")
_FACET_TYPES = {"person": "persons", "location": "places", "organization": "organizations"}

_DDL = f"""
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    publication TEXT NOT NULL,
    published_at TEXT,
    title TEXT,
    headline TEXT,
    headline_synthesized INTEGER NOT NULL DEFAULT 0,
    url TEXT,
    content_hash TEXT NOT NULL,
    pipeline_version TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    document TEXT NOT NULL,
    raw TEXT NOT NULL,
    indexed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_publication ON articles (publication COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS articles_published_at ON articles (published_at);
CREATE INDEX IF NOT EXISTS articles_published_id ON articles (published_at, id);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    {", ".join(_FTS_COLUMNS)},
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Internal citations ("see the Monitor, January 17"), resolved or not: a cited article
-- indexed after the one citing it is still found by cited_by().
CREATE TABLE IF NOT EXISTS internal_citations (
    citing_id TEXT NOT NULL,
    publication TEXT NOT NULL COLLATE NOCASE,
    cited_on TEXT NOT NULL,
    target_id TEXT
);
CREATE INDEX IF NOT EXISTS internal_citations_citing ON internal_citations (citing_id);
CREATE INDEX IF NOT EXISTS internal_citations_target ON internal_citations (target_id);
CREATE INDEX IF NOT EXISTS internal_citations_cited
    ON internal_citations (publication, cited_on);
-- What enrichment found, one row per thing, for filters and facets (article = rowid).
CREATE TABLE IF NOT EXISTS article_entities (
    article INTEGER NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    wikidata TEXT
);
CREATE INDEX IF NOT EXISTS article_entities_article ON article_entities (article);
CREATE INDEX IF NOT EXISTS article_entities_wikidata ON article_entities (wikidata);
-- Transliteration keys of every entity's name and aliases: "--person Kiriyenko".
CREATE TABLE IF NOT EXISTS entity_keys (
    article INTEGER NOT NULL,
    type TEXT NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entity_keys_key ON entity_keys (key, type);
CREATE INDEX IF NOT EXISTS entity_keys_article ON entity_keys (article);
-- Resolved dates the text talks about: "--mentions-from 1999-03 --mentions-to 1999-03".
CREATE TABLE IF NOT EXISTS article_dates (
    article INTEGER NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS article_dates_start ON article_dates (start);
CREATE INDEX IF NOT EXISTS article_dates_article ON article_dates (article);
-- Cited outlets (canonical names): "--cites Interfax".
CREATE TABLE IF NOT EXISTS article_outlets (
    article INTEGER NOT NULL,
    outlet TEXT NOT NULL COLLATE NOCASE
);
CREATE INDEX IF NOT EXISTS article_outlets_outlet ON article_outlets (outlet);
CREATE INDEX IF NOT EXISTS article_outlets_article ON article_outlets (article);
"""


class EmbeddedStore:
    """SQLite/FTS5 store in one file; one instance per process (connections are not shared)."""

    backend = "embedded"

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            self._db.execute("PRAGMA synchronous = NORMAL")
            _retry_while_locked(self._initialize, deadline=time.monotonic() + busy_timeout_s)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"embedded store {path}: {exc}") from exc

    def _initialize(self) -> None:
        # Switching to WAL answers "locked" at once, without the busy handler, while
        # another process creates the file; the schema goes in one transaction.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(articles)")}
            for statement in _DDL.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            if columns and "headline" not in columns:
                self._db.execute("ALTER TABLE articles ADD COLUMN headline TEXT")
                self._db.execute(
                    "ALTER TABLE articles ADD COLUMN headline_synthesized INTEGER NOT NULL "
                    "DEFAULT 0"
                )
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            stored = self._db.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()[0]
            if int(stored) < SCHEMA_VERSION:
                self._migrate()
            self._db.execute(
                "INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', ?)",
                (f"bm25({_BM25_WEIGHTS})",),
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        """Schema 1 → 2: headlines and the entity/date/outlet tables, filled from the
        stored documents (inside `_initialize`'s transaction)."""
        rows = self._db.execute("SELECT rowid, document FROM articles").fetchall()
        for rowid, document in rows:
            self._index_enrichment(rowid, Article.from_document(json.loads(document)))
        self._db.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
        )

    def write(self, items: Sequence[Indexable]) -> list[WriteOutcome]:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        outcomes: list[WriteOutcome] = []
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                outcomes = [self._upsert(item, now) for item in items]
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            # "database is locked" after busy_timeout, disk I/O errors: the batch is
            # rolled back whole and the caller retries it.
            raise StoreUnavailable(f"embedded store {self.path}: {exc}") from exc
        return outcomes

    def _upsert(self, item: Indexable, now: str) -> WriteOutcome:
        article = item.article
        doc = article.to_document()
        fingerprint = _fingerprint(doc)
        row = self._db.execute(
            "SELECT rowid, fingerprint FROM articles WHERE id = ?", (article.id,)
        ).fetchone()
        if row is not None and row[1] == fingerprint:
            return WriteOutcome(article.id, "unchanged")
        doc["indexed_at"] = now
        values = (
            article.id,
            article.publication,
            article.published_at,
            article.title,
            article.url,
            article.content_hash,
            article.pipeline_version,
            fingerprint,
            json.dumps(doc, ensure_ascii=False),
            json.dumps(item.raw.to_dict(), ensure_ascii=False),
            now,
        )
        cursor = self._db.execute(
            """
            INSERT INTO articles (id, publication, published_at, title, url, content_hash,
                pipeline_version, fingerprint, document, raw, indexed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                publication = excluded.publication, published_at = excluded.published_at,
                title = excluded.title, url = excluded.url,
                content_hash = excluded.content_hash,
                pipeline_version = excluded.pipeline_version,
                fingerprint = excluded.fingerprint, document = excluded.document,
                raw = excluded.raw, indexed_at = excluded.indexed_at
            RETURNING rowid
            """,
            values,
        )
        rowid = cursor.fetchone()[0]
        self._index_enrichment(rowid, article)
        self._db.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
        self._db.execute(
            f"INSERT INTO articles_fts (rowid, {', '.join(_FTS_COLUMNS)}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rowid, *_fts_values(article)),
        )
        self._db.execute("DELETE FROM internal_citations WHERE citing_id = ?", (article.id,))
        self._db.executemany(
            "INSERT INTO internal_citations (citing_id, publication, cited_on, target_id) "
            "VALUES (?, ?, ?, ?)",
            [
                (article.id, c.source, c.date, c.target_id)
                for c in article.citations
                if c.kind == "internal" and c.date
            ],
        )
        return WriteOutcome(article.id, "created" if row is None else "updated")

    def _index_enrichment(self, rowid: int, article: Article) -> None:
        """The headline and the filter/facet rows of one article (replacing old ones)."""
        text, synthesized = _headline(article)
        self._db.execute(
            "UPDATE articles SET headline = ?, headline_synthesized = ? WHERE rowid = ?",
            (text, int(synthesized), rowid),
        )
        for table in ("article_entities", "entity_keys", "article_dates", "article_outlets"):
            self._db.execute(f"DELETE FROM {table} WHERE article = ?", (rowid,))
        self._db.executemany(
            "INSERT INTO article_entities (article, type, name, wikidata) VALUES (?, ?, ?, ?)",
            [(rowid, e.type, e.name, e.wikidata) for e in article.entities],
        )
        keys = {
            (e.type, translit_key(name)) for e in article.entities for name in (e.name, *e.aliases)
        }
        self._db.executemany(
            "INSERT INTO entity_keys (article, type, key) VALUES (?, ?, ?)",
            [(rowid, kind, key) for kind, key in sorted(keys)],
        )
        self._db.executemany(
            "INSERT INTO article_dates (article, start, end) VALUES (?, ?, ?)",
            sorted({(rowid, d.start, d.end) for d in article.dates}),
        )
        self._db.executemany(
            "INSERT INTO article_outlets (article, outlet) VALUES (?, ?)",
            [(rowid, name) for name in sorted({c.source for c in article.citations})],
        )

    def get(self, doc_id: str) -> Article | None:
        row = self._db.execute("SELECT document FROM articles WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else Article.from_document(json.loads(row[0]))

    def search(self, query: SearchQuery) -> SearchResult:
        match = fts_query(search_terms.query_clauses(query.text))
        if not match and not (query.filtered and not query.text.strip()):
            return SearchResult(total=0, hits=[])
        where, params = _filters(query)
        if match:
            # CROSS JOIN keeps FTS5 as the outer loop: with an index on a filtered column
            # SQLite would otherwise walk that index and run the MATCH once per article.
            base = (
                "FROM articles_fts CROSS JOIN articles a ON a.rowid = articles_fts.rowid "
                f"WHERE articles_fts MATCH ?{where}"
            )
            params = [match, *params]
            # `rank` is bm25 with our column weights (set in _initialize); ordering by
            # the rank column lets FTS5 keep only the top rows instead of sorting all.
            select = (
                "-articles_fts.rank, "
                f"snippet(articles_fts, {_BODY_COLUMN}, '{_PRE}', '{_POST}', '…', "
                f"{_SNIPPET_TOKENS}) {base} ORDER BY articles_fts.rank LIMIT ?"
            )
        else:  # filters only: newest first; the body is read for the shown rows only
            # Walking the date index newest first and probing the filters stops after
            # `limit` rows; sorting every match first reads thousands of big rows.
            base = f"FROM articles a INDEXED BY articles_published_id WHERE 1 = 1{where}"
            select = (
                f"0.0, substr(articles_fts.body, 1, {_LEAD_CHARS + 40}) FROM ("
                f"SELECT a.rowid AS shown {base} ORDER BY a.published_at DESC, a.id LIMIT ?"
                ") CROSS JOIN articles a ON a.rowid = shown "
                "JOIN articles_fts ON articles_fts.rowid = shown "
                "ORDER BY a.published_at DESC, a.id"
            )
        # Without filters, matching needs no join (twenty times cheaper on a big index).
        matching = (
            ("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [match])
            if match and not where
            else (f"SELECT a.rowid {base}", params)
        )
        try:
            facets = sample = None
            if query.facets:
                matched = [r[0] for r in self._db.execute(*matching)]
                total, sample = len(matched), _spread(matched, FACET_SAMPLE)
                facets = self._facets(sample)
            else:
                count = matching[0].replace("SELECT a.rowid", "SELECT count(*)", 1)
                count = count.replace("SELECT rowid", "SELECT count(*)", 1)
                total = int(self._db.execute(count, matching[1]).fetchone()[0])
            rows = self._db.execute(
                "SELECT a.id, a.title, a.publication, a.published_at, a.url, a.headline, "
                f"a.headline_synthesized, {select}",
                (*params, query.limit),
            ).fetchall()
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc) or "syntax" in str(exc):
                raise ValueError(f"cannot search for {query.text!r}: {exc}") from exc
            raise StoreUnavailable(f"embedded store {self.path}: {exc}") from exc
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

    def _facets(self, rowids: list[int]) -> Facets:
        """Counts by publication, year, top entities and cited outlets over `rowids`."""
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS hits (article INTEGER PRIMARY KEY)")
        self._db.execute("DELETE FROM temp.hits")
        self._db.executemany("INSERT INTO temp.hits VALUES (?)", ((r,) for r in rowids))
        top = f"ORDER BY 2 DESC, 1 LIMIT {FACET_SIZE}"
        facets: Facets = {
            "publication": dict(
                self._db.execute(
                    "SELECT a.publication, count(*) FROM temp.hits h "
                    f"CROSS JOIN articles a ON a.rowid = h.article GROUP BY 1 {top}"
                ).fetchall()
            ),
            "year": dict(
                self._db.execute(
                    "SELECT substr(a.published_at, 1, 4) AS y, count(*) FROM temp.hits h "
                    "CROSS JOIN articles a ON a.rowid = h.article WHERE y IS NOT NULL "
                    "GROUP BY 1 ORDER BY 1"
                ).fetchall()
            ),
        }
        facets.update({name: {} for name in _FACET_TYPES.values()})
        rows = self._db.execute(
            f"""
            SELECT type, name, n FROM (
                SELECT type, name, n, row_number() OVER (
                    PARTITION BY type ORDER BY n DESC, name) AS place
                FROM (SELECT e.type, e.name, count(DISTINCT e.article) AS n
                      FROM temp.hits h CROSS JOIN article_entities e ON e.article = h.article
                      GROUP BY e.type, e.name)
            ) WHERE place <= {FACET_SIZE} ORDER BY type, n DESC, name
            """
        )
        for kind, name, count in rows:
            if kind in _FACET_TYPES:
                facets[_FACET_TYPES[kind]][name] = count
        facets["outlets"] = dict(
            self._db.execute(
                "SELECT o.outlet, count(*) FROM temp.hits h "
                f"CROSS JOIN article_outlets o ON o.article = h.article GROUP BY 1 {top}"
            ).fetchall()
        )
        return facets

    def stats(self) -> StoreStats:
        documents = self._db.execute("SELECT count(*) FROM articles").fetchone()[0]
        publications = dict(
            self._db.execute(
                "SELECT publication, count(*) FROM articles GROUP BY publication ORDER BY 2 DESC"
            ).fetchall()
        )
        row = self._db.execute(
            "SELECT id, title, published_at FROM articles WHERE published_at IS NOT NULL "
            "ORDER BY published_at DESC, id LIMIT 1"
        ).fetchone()
        newest = None if row is None else {"id": row[0], "title": row[1], "published_at": row[2]}
        return StoreStats(
            backend=self.backend,
            location=str(self.path),
            documents=documents,
            publications=publications,
            newest=newest,
        )

    def list_ids(
        self,
        *,
        publication: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[str]:
        where, params = _filters(SearchQuery("", publication, since, until))
        rows = self._db.execute(
            f"SELECT id FROM articles a WHERE 1 = 1{where} ORDER BY a.id", params
        )
        return [row[0] for row in rows]

    def raw_by_ids(self, ids: Sequence[str]) -> dict[str, RawArticle]:
        found: dict[str, RawArticle] = {}
        for doc_id in ids:
            row = self._db.execute("SELECT raw FROM articles WHERE id = ?", (doc_id,)).fetchone()
            if row is not None:
                found[doc_id] = RawArticle.from_dict(json.loads(row[0]))
        return found

    def find_ids(self, *, publication: str, published_on: str) -> list[str]:
        # "2001-01-17" is one day; "2001-01" and "2001" are periods (prefix match).
        if len(published_on) == 10:
            clause, value = "published_at = ?", published_on
        else:
            clause, value = "published_at LIKE ?", published_on + "-%"
        rows = self._db.execute(
            f"SELECT id FROM articles WHERE publication = ? COLLATE NOCASE AND {clause} "
            "ORDER BY id",
            (publication, value),
        )
        return [r[0] for r in rows]

    def cited_by(self, doc_id: str) -> list[str]:
        row = self._db.execute(
            "SELECT publication, published_at FROM articles WHERE id = ?", (doc_id,)
        ).fetchone()
        params: list[str] = [doc_id]
        unresolved = ""
        if row is not None and row[1]:
            # Citations written before this article was indexed name it only by
            # publication and date; they count when it is that date's only article.
            names = family_names(row[0])
            marks = ", ".join("?" for _ in names)
            unresolved = (
                f" OR (target_id IS NULL AND cited_on = ? AND publication IN ({marks}) "
                f"AND (SELECT count(*) FROM articles WHERE published_at = ? "
                f"AND publication COLLATE NOCASE IN ({marks})) = 1)"
            )
            params += [row[1], *names, row[1], *names]
        rows = self._db.execute(
            f"SELECT DISTINCT citing_id FROM internal_citations WHERE (target_id = ?{unresolved}) "
            "AND citing_id != ? ORDER BY citing_id",
            (*params, doc_id),
        )
        return [r[0] for r in rows]

    def close(self) -> None:
        self._db.close()


def _retry_while_locked(action: Callable[[], None], *, deadline: float) -> None:
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


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


def _filters(query: SearchQuery) -> tuple[str, list[Any]]:
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
            marks = ", ".join("?" for _ in wanted.keys) or "NULL"
            clause = f"SELECT article FROM entity_keys WHERE type = ? AND key IN ({marks})"
            params += [wanted.type, *wanted.keys]
            if wanted.wikidata:
                clause += (
                    " UNION SELECT article FROM article_entities WHERE type = ? AND wikidata = ?"
                )
                params += [wanted.type, wanted.wikidata]
            clauses.append(f"a.rowid IN ({clause})")
    if query.mentions_from or query.mentions_to:
        # A mention counts when it lies inside the asked interval: "March 1999" and
        # "March 3" are about March 1999, "1999" and "the 1990s" are not.
        # (start <= end, so both bound `start`: the index range stays narrow.)
        clauses.append(
            "a.rowid IN (SELECT article FROM article_dates "
            "WHERE start >= ? AND start <= ? AND end <= ?)"
        )
        low, high = query.mentions_from or "0000-01-01", query.mentions_to or "9999-12-31"
        params += [low, high, high]
    if query.cites:
        clauses.append("a.rowid IN (SELECT article FROM article_outlets WHERE outlet = ?)")
        params.append(search_terms.outlet(query.cites))
    return "".join(f" AND {c}" for c in clauses), params


def _spread(items: list[int], size: int) -> list[int]:
    """`items` when they are few, else `size` of them spread evenly over the list (a
    sample across the whole index, not its oldest part)."""
    if len(items) <= size:
        return items
    step = len(items) / size
    return [items[int(n * step)] for n in range(size)]


def _headline(article: Article) -> tuple[str, bool]:
    stored = article.extra.get("headline")
    if isinstance(stored, str) and stored:
        return stored, bool(article.extra.get("headline_synthesized"))
    return headline(article.title, article.body)


def _lead(text: str) -> str:
    """The start of a body as a snippet, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= _LEAD_CHARS:
        return text
    return text[: text.rfind(" ", 0, _LEAD_CHARS)] + " …"


def _fingerprint(doc: dict[str, Any]) -> str:
    stable = {k: v for k, v in doc.items() if k not in VOLATILE_FIELDS}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode("utf-8")).hexdigest()


def _fts_values(article: Article) -> tuple[str, ...]:
    def names(kind: str) -> str:
        return " | ".join(
            " ".join((e.name, *e.aliases)) for e in article.entities if e.type == kind
        )

    outlets = " | ".join(sorted({c.source for c in article.citations}))
    return (
        article.title or "",
        article.body,
        names("person"),
        names("location"),
        names("organization"),
        outlets,
    )
