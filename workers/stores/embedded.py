"""Embedded store: SQLite with FTS5, the default when no Elasticsearch is configured.

Real full-text search (BM25 ranking, snippets, publication and date filters) in one
file under `MONITOR_DATA_DIR`, so a laptop needs no servers. Several worker processes
may write at once: WAL journaling lets readers run beside one writer, writers queue on
`busy_timeout`, and each batch is one `BEGIN IMMEDIATE` transaction so a reader never
sees half a batch.

Entity names and cited outlets get FTS columns of their own, so a plain query finds
an article by the people, places and sources it mentions, not only by its words; the
entities, mentioned dates and cited outlets also go to side tables for the search
filters and facets (the queries themselves are in `embedded_search`).
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from workers.enrich.publications import family_names
from workers.headline import headline
from workers.model import Article, RawArticle
from workers.stores import base as stores_base
from workers.stores import embedded_search, search_terms
from workers.stores.base import (
    Indexable,
    Rebuild,
    RebuildRefused,
    SearchQuery,
    SearchResult,
    StoreBroken,
    StoreStats,
    StoreUnavailable,
    WriteOutcome,
)
from workers.stores.embedded_schema import (
    BM25_WEIGHTS,
    DDL,
    FTS_COLUMNS,
    SCHEMA_VERSION,
    SIDE_TABLES,
    fts_values,
)

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def sqlite_errors(path: Path) -> Iterator[None]:
    """sqlite3's errors as the project's, at the store's boundary: "database is locked"
    past the busy timeout and disk I/O errors are transient (`StoreUnavailable`), a
    file that is not a database is `StoreBroken`; the rest (a wrong statement, a
    constraint) are bugs and propagate as they are."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise StoreUnavailable(f"embedded store {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        if type(exc) is not sqlite3.DatabaseError:  # IntegrityError, ProgrammingError…
            raise
        raise StoreBroken(f"embedded store {path}: {exc}") from exc


def _translated(
    method: Callable[Concatenate[EmbeddedStore, P], R],
) -> Callable[Concatenate[EmbeddedStore, P], R]:
    """Run a store method under `sqlite_errors`."""

    def wrapper(self: EmbeddedStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with sqlite_errors(self.path):
            return method(self, *args, **kwargs)

    functools.update_wrapper(wrapper, method)  # its name and docstring
    return wrapper


class EmbeddedStore:
    """SQLite/FTS5 store in one file; one instance per process (connections are not shared)."""

    backend = "embedded"

    def __init__(
        self, path: Path, *, busy_timeout_s: float = 30.0, synchronous: str = "NORMAL"
    ) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite_errors(path):
            self._db = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            # NORMAL (WAL): a committed batch survives a process crash, not a power loss;
            # FULL also syncs the WAL on every commit (README "Durability").
            if synchronous not in ("NORMAL", "FULL"):
                raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
            self._db.execute(f"PRAGMA synchronous = {synchronous}")
            _retry_while_locked(self._initialize, deadline=time.monotonic() + busy_timeout_s)

    def _initialize(self) -> None:
        # Switching to WAL answers "locked" at once, without the busy handler, while
        # another process creates the file; the schema goes in one transaction.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(articles)")}
            for statement in DDL.split(";"):
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
                self._migrate(int(stored))
            self._add_time_fields()
            self._db.execute(
                "INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', ?)",
                (f"bm25({BM25_WEIGHTS})",),
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _add_time_fields(self) -> None:
        """Give documents written before `time` existed their `time` and `time_source`
        (`stores_base.time_fields`), once per store: rewriting is not needed, and a
        reprocess leaves unchanged articles alone."""
        if self._db.execute("SELECT 1 FROM meta WHERE key = 'time_fields'").fetchone():
            return
        self._db.execute(
            """
            UPDATE articles SET document = json_set(document,
                '$.time', coalesce(json_extract(document, '$.published_at'),
                    json_extract(document, '$.published_at_range.gte'), indexed_at),
                '$.time_source', CASE
                    WHEN json_extract(document, '$.published_at') IS NOT NULL
                        THEN 'published_at'
                    WHEN json_extract(document, '$.published_at_range.gte') IS NOT NULL
                        THEN 'published_at_range'
                    ELSE 'indexed_at' END)
            WHERE json_extract(document, '$.time') IS NULL
            """
        )
        self._db.execute("INSERT INTO meta (key, value) VALUES ('time_fields', '1')")

    def _migrate(self, stored: int) -> None:
        """Schema 1 to 4 → 5: headlines, the entity/date/outlet tables, the facet
        keys, entity keys with romanization and surname keys, and the full-text table
        with its name-key column (initialisms and skeletons since 5), filled from the stored
        documents (inside `_initialize`'s transaction). FTS5 cannot add a column or
        change one row's column cheaply, so the full-text table is made anew."""
        rows = self._db.execute("SELECT rowid, document FROM articles").fetchall()
        rebuild_fts = stored < 5
        # About a minute per 20,000 articles on a 2-core machine: say so before it.
        log.warning(
            "embedded store %s: migrating schema %d to %d (%d articles; about 3 ms each)",
            self.path,
            stored,
            SCHEMA_VERSION,
            len(rows),
        )
        if rebuild_fts:
            self._db.execute("DROP TABLE articles_fts")
            fts = DDL[DDL.index("CREATE VIRTUAL TABLE") :]
            self._db.execute(fts[: fts.index(";")])
        for rowid, document in rows:
            article = Article.from_document(json.loads(document))
            self._index_enrichment(rowid, article)  # schema 4: romanization keys
            if rebuild_fts:
                self._insert_fts(rowid, article)
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
        fingerprint = stores_base.fingerprint(doc)
        row = self._db.execute(
            "SELECT rowid, fingerprint FROM articles WHERE id = ?", (article.id,)
        ).fetchone()
        if row is not None and row[1] == fingerprint:
            return WriteOutcome(article.id, "unchanged")
        doc["indexed_at"] = now
        doc.update(stores_base.time_fields(doc, now))
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
        self._insert_fts(rowid, article)
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

    def _insert_fts(self, rowid: int, article: Article) -> None:
        marks = ", ".join("?" for _ in FTS_COLUMNS)
        self._db.execute(
            f"INSERT INTO articles_fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, {marks})",
            (rowid, *fts_values(article)),
        )

    def _index_enrichment(self, rowid: int, article: Article) -> None:
        """The headline and the filter/facet rows of one article (replacing old ones)."""
        text, synthesized = _headline(article)
        self._db.execute(
            "UPDATE articles SET headline = ?, headline_synthesized = ? WHERE rowid = ?",
            (text, int(synthesized), rowid),
        )
        self._forget_enrichment(rowid)
        self._db.execute(
            "INSERT INTO article_facets (article, keys) VALUES (?, ?)",
            (rowid, embedded_search.facet_keys(article)),
        )
        self._db.executemany(
            "INSERT INTO article_entities (article, type, name, wikidata) VALUES (?, ?, ?, ?)",
            # One row per (type, name): the facets count rows, not distinct articles.
            [
                (rowid, kind, name, wikidata)
                for (kind, name), wikidata in {
                    (e.type, e.name): e.wikidata for e in article.entities
                }.items()
            ],
        )
        keys = {(e.type, key) for e in article.entities for key in search_terms.entity_keys(e)}
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

    def _forget_enrichment(self, rowid: int) -> None:
        for table in SIDE_TABLES:
            self._db.execute(f"DELETE FROM {table} WHERE article = ?", (rowid,))

    @_translated
    def get(self, doc_id: str) -> Article | None:
        row = self._db.execute("SELECT document FROM articles WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else Article.from_document(json.loads(row[0]))

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            return embedded_search.search(self._db, query)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"embedded store {self.path}: {exc}") from exc

    @_translated
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

    @_translated
    def list_ids(
        self,
        *,
        publication: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[str]:
        where, params = embedded_search.filters(SearchQuery("", publication, since, until))
        rows = self._db.execute(
            f"SELECT id FROM articles a WHERE 1 = 1{where} ORDER BY a.id", params
        )
        return [row[0] for row in rows]

    @_translated
    def raw_by_ids(self, ids: Sequence[str]) -> dict[str, RawArticle]:
        found: dict[str, RawArticle] = {}
        for doc_id in ids:
            row = self._db.execute("SELECT raw FROM articles WHERE id = ?", (doc_id,)).fetchone()
            if row is not None:
                found[doc_id] = RawArticle.from_dict(json.loads(row[0]))
        return found

    @_translated
    def settled(
        self, ids: Sequence[str], pipeline_version: str
    ) -> dict[str, list[stores_base.Pending]]:
        """`stores_base.settled_document`, asked of SQLite's JSON functions: the
        documents are not parsed in Python."""
        found: dict[str, list[stores_base.Pending]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = self._db.execute(
                f"""
                SELECT a.id, json_extract(c.value, '$.source'), json_extract(c.value, '$.date')
                FROM articles AS a
                LEFT JOIN json_each(a.document, '$.citations') AS c
                    ON json_extract(c.value, '$.kind') = 'internal'
                    AND json_extract(c.value, '$.date') IS NOT NULL
                    AND json_extract(c.value, '$.target_id') IS NULL
                WHERE a.id IN ({",".join("?" * len(chunk))}) AND a.pipeline_version = ?
                    AND coalesce(json_array_length(a.document, '$.enrich_notes'), 0) = 0
                """,
                (*chunk, pipeline_version),
            )
            for doc_id, source, date in rows:
                pending = found.setdefault(doc_id, [])
                if date:
                    pending.append((str(source), str(date)))
        return found

    @_translated
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

    @_translated
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

    def delete(self, ids: Sequence[str]) -> list[str]:
        deleted: list[str] = []
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for doc_id in dict.fromkeys(ids):
                    row = self._db.execute(
                        "SELECT rowid FROM articles WHERE id = ?", (doc_id,)
                    ).fetchone()
                    if row is None:
                        continue
                    self._db.execute("DELETE FROM articles_fts WHERE rowid = ?", (row[0],))
                    self._db.execute("DELETE FROM articles WHERE rowid = ?", (row[0],))
                    self._forget_enrichment(row[0])
                    self._db.execute(
                        "DELETE FROM internal_citations WHERE citing_id = ?", (doc_id,)
                    )
                    deleted.append(doc_id)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"embedded store {self.path}: {exc}") from exc
        return deleted

    def outdated(self) -> bool:
        return False  # the schema is migrated when the store opens

    def rebuild(self) -> Rebuild:
        raise RebuildRefused(
            "--new-index needs Elasticsearch; the embedded store is rewritten in place"
        )

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


def _headline(article: Article) -> tuple[str, bool]:
    stored = article.extra.get("headline")
    if isinstance(stored, str) and stored:
        return stored, bool(article.extra.get("headline_synthesized"))
    return headline(article.title, article.body)
