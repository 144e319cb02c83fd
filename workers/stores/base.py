"""The Store protocol: what the pipeline and the CLI need from an index.

Two implementations exist, chosen by settings (`open_store`): the embedded SQLite/FTS5
store and Elasticsearch. Both keep the raw payload beside the document so reprocessing
never re-fetches, both upsert by document id (a second delivery of the same article
changes nothing), and both report per-item outcomes: a store never drops an item
silently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from workers.errors import PermanentError, TransientError, UsageError
from workers.model import Article, RawArticle

WriteStatus = Literal["created", "updated", "unchanged", "failed"]

# Fields that change on every write without the article changing, or that the store
# derives from the others when it writes (`time_fields`); left out of the fingerprint
# that decides "unchanged".
VOLATILE_FIELDS = ("indexed_at", "fetched_at", "time", "time_source")


def time_fields(doc: dict[str, Any], indexed_at: str) -> dict[str, str]:
    """Where an article sits in time, for every document: `published_at` may be null
    (no date and no known volume/issue), and a document without a value in Kibana's
    time field appears in no panel and no Discover view. So `time` is the publication
    date, else the start of its estimated range, else when it was indexed, and
    `time_source` names which."""
    if doc.get("published_at"):
        return {"time": str(doc["published_at"]), "time_source": "published_at"}
    start = (doc.get("published_at_range") or {}).get("gte")
    if start:
        return {"time": str(start), "time_source": "published_at_range"}
    return {"time": indexed_at, "time_source": "indexed_at"}


def fingerprint(doc: dict[str, Any]) -> str:
    """What "unchanged" means to a store: the hash of the contract document
    (`Article.to_document()`) without the fields that change on every write. Both
    stores keep it beside the document and skip a write whose fingerprint matches."""
    stable = {k: v for k, v in doc.items() if k not in VOLATILE_FIELDS}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode("utf-8")).hexdigest()


# An internal citation without a target: (source, date), what `resolve_targets` asks.
Pending = tuple[str, str]


def settled_document(doc: dict[str, Any], pipeline_version: str) -> list[Pending] | None:
    """Whether re-running `pipeline_version` on this document's own raw payload must
    give it again, but for the targets of its internal citations (the cited article
    may have been indexed since): those are returned. None when it may differ: an
    older version built it, or an enricher failed on it (a missing spaCy model may
    have been installed since). Enrichers are deterministic for a version; the
    enrichment cache relies on that too."""
    if doc.get("pipeline_version") != pipeline_version or doc.get("enrich_notes"):
        return None
    return [
        (str(c.get("source")), str(c["date"]))
        for c in doc.get("citations") or ()
        if c.get("kind") == "internal" and c.get("date") and c.get("target_id") is None
    ]


class StoreUnavailable(TransientError):
    """The store cannot be reached or is overloaded right now: transient, retry later."""


class StoreRefused(PermanentError):
    """The store answered and refused this request for good (an HTTP 4xx from
    Elasticsearch that is neither a query's 400 nor a missing index): the same request
    would be refused again, so an item goes to the dead-letter queue. `status` is the
    HTTP status (0 when none): a 5xx that is not an overload is the cluster's fault,
    which the CLI reports as a service problem rather than the user's."""

    def __init__(self, reason: str = "", *, hint: str = "", status: int = 0) -> None:
        super().__init__(reason, hint=hint)
        self.status = status


class StoreBroken(PermanentError):
    """The store's own data cannot be read (an embedded store file that is damaged or
    not a database): permanent, since no retry mends a file; the operator restores or
    moves it (MONITOR_DATA_DIR)."""


class QueryRefused(UsageError):
    """The store cannot run the query as the user wrote it (Elasticsearch answered 400,
    SQLite's full-text parser refused it): theirs to rewrite, one line, exit 2."""


class RebuildRefused(UsageError):
    """A rebuild that cannot start or finish safely: the embedded store rewrites in
    place only, the credentials may not create indices, or the new index lacks
    documents of the live one. A usage error, not a permanent item failure: nothing
    was swapped, no item is to blame, and the operator decides (use an admin key, look
    at the ids named); a run started again resumes."""


@dataclass(frozen=True, slots=True)
class Indexable:
    """One article to write, with the raw payload it came from."""

    article: Article
    raw: RawArticle


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    id: str
    status: WriteStatus
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """One search. Empty `text` lists the newest articles (those the filters let
    through); filters are taken as the user wrote them (aliases, codes) and resolved
    by the store through `workers.stores.search_terms`. `offset` skips that many hits
    of the ranking: the pages of the search page."""

    text: str
    publication: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    limit: int = 10
    person: str | None = None
    place: str | None = None
    org: str | None = None
    mentions_from: str | None = None
    mentions_to: str | None = None
    cites: str | None = None
    facets: bool = False
    explain: bool = False  # fill SearchHit.matched
    offset: int = 0

    @property
    def filtered(self) -> bool:
        """Whether anything besides the text narrows the result."""
        return any(
            (
                self.publication,
                self.date_from,
                self.date_to,
                self.person,
                self.place,
                self.org,
                self.mentions_from,
                self.mentions_to,
                self.cites,
            )
        )


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One hit. `snippet` is plain text; `highlights` are the [start, end) offsets of
    the matched words in it (markers are the caller's choice: the Monitor's own text
    uses [brackets] for editorial insertions)."""

    id: str
    title: str | None
    publication: str
    published_at: str | None
    score: float
    snippet: str
    url: str | None = None
    headline: str = ""
    headline_synthesized: bool = False
    highlights: tuple[tuple[int, int], ...] = ()
    # With SearchQuery.explain: what of the query this article matched, one label per
    # word, spelling, synonym or name key (`search_terms.explain_parts`).
    matched: tuple[str, ...] = ()


# Facet name -> (value -> number of matching articles), most frequent first (years
# in chronological order).
Facets = dict[str, dict[str, int]]
FACET_NAMES = ("publication", "year", "persons", "places", "organizations", "outlets")
FACET_SIZE = 10
# The embedded store counts facets over at most this many hits, spread evenly over
# the result set (SearchResult.facets_over says how many): counting every match of a
# common word in 20,000 articles would cost ten times the search.
FACET_SAMPLE = 300


@dataclass(frozen=True, slots=True)
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: Facets | None = None
    # How many of the hits the facets count: `total`, or a sample of FACET_SAMPLE.
    facets_over: int | None = None


@dataclass(frozen=True, slots=True)
class StoreStats:
    backend: str
    location: str
    documents: int
    publications: dict[str, int] = field(default_factory=dict)
    newest: dict[str, str | None] | None = None


class RebuildTally(Protocol):
    """The counts a rebuild adds to (the reprocess report)."""

    rewritten: int
    unchanged: int
    failed: int
    failures: list[tuple[str, str]]
    caught_up: int
    previous_index: str | None

    def add(self, other: RebuildTally) -> None: ...


# Re-run the pipeline on the stored raw payloads of these ids and write them into that
# store; returns a fresh tally of the outcome.
Rewrite = Callable[[list[str], "Store"], RebuildTally]


class Rebuild(Protocol):
    """A whole-store rebuild into a new copy that replaces the live one once verified."""

    index: str
    started_at: str  # ISO time the copy began (less a margin): where catching up starts

    def start(self, resume: str | None) -> bool:
        """Pick the copy to fill (`resume`, an earlier run's `index`, while it exists);
        True when it is fresh, False when resuming."""
        ...

    @property
    def target(self) -> Store:
        """Where the main pass writes."""
        ...

    def verify_and_swap(self, tally: RebuildTally, rewrite: Rewrite, *, since: str | None) -> None:
        """Copy what was written meanwhile, verify the copy is complete, make it live;
        raises `RebuildRefused` (the live copy stays) when it is not complete."""
        ...


class Store(Protocol):
    def write(self, items: Sequence[Indexable]) -> list[WriteOutcome]:
        """Upsert by article id; one outcome per item, in order."""
        ...

    def get(self, doc_id: str) -> Article | None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def stats(self) -> StoreStats: ...

    def list_ids(
        self,
        *,
        publication: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[str]:
        """Ids of stored articles, filtered by publication and published_at, sorted:
        what a reprocess run walks, batches and checkpoints."""
        ...

    def raw_by_ids(self, ids: Sequence[str]) -> dict[str, RawArticle]:
        """The stored raw payloads of `ids` (missing ids are left out)."""
        ...

    def settled(self, ids: Sequence[str], pipeline_version: str) -> dict[str, list[Pending]]:
        """The ids among `ids` whose stored document `pipeline_version` built from the
        stored raw payload with no enricher failing (`settled_document`), each with its
        internal citations still without a target. Reprocessing such an article with
        that version can change nothing but those targets, so it costs a comparison,
        not a pipeline run. A store whose reads and writes go to different indices (a
        rebuild) returns none."""
        ...

    def find_ids(self, *, publication: str, published_on: str) -> list[str]:
        """Ids of articles of `publication` published on that ISO date (or in that
        YYYY-MM / YYYY period): how internal citations find their `target_id`."""
        ...

    def cited_by(self, doc_id: str) -> list[str]:
        """Ids of stored articles whose internal citations point at `doc_id`."""
        ...

    def delete(self, ids: Sequence[str]) -> list[str]:
        """Remove the documents `ids` (and their raw payloads); returns those that existed."""
        ...

    def outdated(self) -> bool:
        """The live index was built for an older mapping: a rebuild is due."""
        ...

    def rebuild(self) -> Rebuild:
        """A rebuild into a new copy; raises `RebuildRefused` when this store rewrites
        in place only."""
        ...

    def close(self) -> None: ...
