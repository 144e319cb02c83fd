"""The embedded store's tables: what each holds, and what each schema version added.

`EmbeddedStore` creates them (`DDL`), migrates a file of an older `SCHEMA_VERSION`
from its stored documents, and fills one full-text row per article (`fts_values`).
Kept apart from the store's reads and writes so the schema reads as one page.
"""

from __future__ import annotations

from workers.model import Article
from workers.stores import name_keys

# 2: entity/date/outlet tables and headlines; 3: article_facets; 4: the FTS `keys`
# column (`name_keys.name_keys`); 5: initialisms and skeletons in the name keys
SCHEMA_VERSION = 5
# FTS columns after the rowid: the weights give title and named things more pull than
# a word somewhere in the body, and a name matched only by its key (another spelling)
# less than the spelling itself.
FTS_COLUMNS = ("title", "body", "people", "places", "organizations", "outlets", "keys")
BM25_WEIGHTS = "5.0, 1.0, 2.0, 2.0, 2.0, 2.0, 0.5"
# What `EmbeddedStore._index_enrichment` fills for an article, keyed by its rowid.
SIDE_TABLES = (
    "article_entities",
    "entity_keys",
    "article_dates",
    "article_outlets",
    "article_facets",
)

DDL = f"""
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
    {", ".join(FTS_COLUMNS)},
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
-- The filter indexes end with `article` so a filter never reads the table itself.
CREATE TABLE IF NOT EXISTS article_entities (
    article INTEGER NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    wikidata TEXT
);
-- One row per (article, type, name): the index finds an article's rows.
DROP INDEX IF EXISTS article_entities_article;
CREATE INDEX IF NOT EXISTS article_entities_facet ON article_entities (article, type, name);
CREATE INDEX IF NOT EXISTS article_entities_wikidata
    ON article_entities (wikidata, type, article);
-- Transliteration keys of every entity's name and aliases: "--person Kiriyenko".
CREATE TABLE IF NOT EXISTS entity_keys (
    article INTEGER NOT NULL,
    type TEXT NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entity_keys_key ON entity_keys (key, type, article);
CREATE INDEX IF NOT EXISTS entity_keys_article ON entity_keys (article);
-- Resolved dates the text talks about: "--mentions-from 1999-03 --mentions-to 1999-03".
CREATE TABLE IF NOT EXISTS article_dates (
    article INTEGER NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS article_dates_start ON article_dates (start, end, article);
CREATE INDEX IF NOT EXISTS article_dates_article ON article_dates (article);
-- Cited outlets (canonical names): "--cites Interfax".
CREATE TABLE IF NOT EXISTS article_outlets (
    article INTEGER NOT NULL,
    outlet TEXT NOT NULL COLLATE NOCASE
);
CREATE INDEX IF NOT EXISTS article_outlets_outlet ON article_outlets (outlet, article);
DROP INDEX IF EXISTS article_outlets_article;
CREATE INDEX IF NOT EXISTS article_outlets_facet ON article_outlets (article, outlet);
-- What the facets count, one row per article (`embedded_search.facet_keys`): a search
-- reads 300 short rows and counts in Python, 4 times cheaper than GROUP BY on names.
CREATE TABLE IF NOT EXISTS article_facets (
    article INTEGER PRIMARY KEY,
    keys TEXT NOT NULL
);
"""


def fts_values(article: Article) -> tuple[str, ...]:
    """An article's full-text row, column by column (`FTS_COLUMNS`)."""

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
        name_keys.name_keys(article.title or "", article.body),
    )
