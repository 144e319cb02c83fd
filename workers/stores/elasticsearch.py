"""Elasticsearch store: the production index, behind the alias `monitor-articles`.

Writes are idempotent and report per item. The same article always gets the same
`_id`; before a batch is written one `mget` reads the stored fingerprints, and
documents whose fingerprint matches are reported "unchanged" and not sent at all (a
redelivered task costs one read and no indexing). The rest go through
`helpers.streaming_bulk`, which retries only the items rejected with 429/503, with
doubling backoff. Every item result is read: a mapping conflict comes back as
`WriteOutcome(id, "failed", reason=<server reason>)` for the dead-letter queue; items
still rejected as overloaded after the retries, and a cluster that cannot be reached,
raise `StoreUnavailable` so the task retries the batch.

Reads what was just written: every write waits until a refresh made it searchable
(`refresh=wait_for`), so the next batch's citation lookup (`find_ids`, a search) sees
the articles of the previous one on a real cluster, where a plain write is invisible to
searches until the refresh interval passes. A rebuild's writes into a new index skip the
wait (nobody searches that index before its explicit refresh and verification).

Privileges: opening the store sets up the template and alias only when the credentials
may (`IndexManager.missing_privileges`); a read-only or write-only key uses the alias
an admin set up, with no metadata call on the read or write path.

Credentials come from settings and are never logged; the location shown to users is
the redacted URL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers

from workers.enrich.publications import family_names
from workers.model import Article, RawArticle
from workers.retry import OVERLOADED_ITEM_STATUSES, UNAVAILABLE_STATUSES
from workers.settings import Settings
from workers.stores import es_client, es_search, search_terms
from workers.stores import es_documents as docs
from workers.stores.base import (
    Indexable,
    Pending,
    RebuildRefused,
    SearchQuery,
    SearchResult,
    StoreStats,
    StoreUnavailable,
    WriteOutcome,
    WriteStatus,
    settled_document,
)
from workers.stores.es_indices import IndexManager
from workers.stores.es_rebuild import Expected, IndexRebuild

log = logging.getLogger(__name__)
_PAGE = 1000


class ElasticsearchStore:
    """One alias on one cluster. `write_index` set: a reprocess filling a new index."""

    backend = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        *,
        alias: str,
        location: str,
        write_index: str | None = None,
        read_index: str | None = None,
        expected: dict[str, Expected] | None = None,
        bulk_retries: int = 5,
        bulk_backoff_s: float = 1.0,
        chunk_size: int = 500,
    ) -> None:
        self.client = client
        self.alias = alias
        self.location = location
        self.write_index = write_index or alias
        # Where raw payloads are read from (a rebuild's old index after the swap).
        self.read_index = read_index or alias
        # Writes of these ids only if nobody wrote them since (see `conditional`).
        self.expected = expected
        # (seq_no, primary_term) of each document this store wrote: a rebuild tells
        # its own writes from later ones by these.
        self.written: dict[str, tuple[int, int]] = {}
        self.bulk_retries = bulk_retries
        self.bulk_backoff_s = bulk_backoff_s
        self.chunk_size = chunk_size
        self.indices = IndexManager(client, alias=alias)

    @classmethod
    def from_settings(cls, settings: Settings, *, setup: bool = True) -> ElasticsearchStore:
        """Connect, and (by default) apply the template and make sure the alias exists."""
        client, location = es_client.connect(settings)
        store = cls(
            client,
            alias=settings.elasticsearch_alias,
            location=location,
            bulk_retries=settings.elasticsearch_bulk_retries,
            bulk_backoff_s=settings.elasticsearch_bulk_backoff_s,
        )
        if setup:
            store.prepare()
        return store

    def prepare(self) -> None:
        """Set up the template and alias when these credentials may; otherwise use the
        alias an admin set up (a reader or writer key makes no metadata call)."""
        with es_client.errors(self.location):
            missing = self.indices.missing_privileges()
        if missing:
            log.info(
                "elasticsearch store at %s, alias %s (set up by an admin; these credentials "
                "lack %s)",
                self.location,
                self.alias,
                ", ".join(missing),
            )
            return
        self.setup()

    def setup(self) -> str:
        """Apply the template and create the first index if needed; returns the live one.

        Raises `SetupRefused` (a `UsageError`: the user's to fix) with nothing created when
        the credentials lack the privileges."""
        with es_client.errors(self.location):
            current = self.indices.setup()
            live = self.indices.current_mapping_version()
        if live is not None and live != self.indices.wanted_version:
            log.warning(
                "index %s has mapping version %s, the template has %s: run "
                "`monitor reprocess --new-index` to migrate",
                current,
                live,
                self.indices.wanted_version,
            )
        log.info("elasticsearch store at %s, alias %s -> %s", self.location, self.alias, current)
        return current

    def migrating_to(self, index: str) -> ElasticsearchStore:
        """A store that reads fingerprints through the alias and writes into `index`."""
        return self._view(write_index=index)

    def conditional(self, read_index: str, expected: dict[str, Expected]) -> ElasticsearchStore:
        """A store that reads raw payloads from `read_index` and writes through the alias
        only documents nobody wrote since `expected` was read: a write that lost the
        race comes back "unchanged" (the newer document stays)."""
        return self._view(read_index=read_index, expected=expected)

    def _view(self, **changes: Any) -> ElasticsearchStore:
        return ElasticsearchStore(
            self.client,
            alias=self.alias,
            location=self.location,
            bulk_retries=self.bulk_retries,
            bulk_backoff_s=self.bulk_backoff_s,
            chunk_size=self.chunk_size,
            **changes,
        )

    @property
    def migrating(self) -> bool:
        return self.write_index != self.alias

    # -- rebuilding into a new index (`es_rebuild.IndexRebuild` drives these) -------------

    def outdated(self) -> bool:
        """The live index has an older mapping version (False when these credentials
        may not read index metadata: only an admin rebuilds)."""
        with es_client.errors(self.location):
            if self.indices.missing_privileges():
                return False
            return self.indices.current_mapping_version() != self.indices.wanted_version

    def rebuild(self) -> IndexRebuild:
        return IndexRebuild(self)

    def begin_rebuild(self, resume: str | None) -> tuple[str, bool]:
        """The index to fill and whether it is fresh: `resume` while it exists, else one
        a lost checkpoint left (marked as rebuilding), else the next `-vN`. Refreshes the
        live index first, so listing its ids sees every write so far."""
        with es_client.errors(self.location):
            missing = self.indices.missing_privileges()
            if missing:
                raise RebuildRefused(
                    f"--new-index needs an admin key (missing {', '.join(missing)}); "
                    "--in-place works with a writer key"
                )
            live = self.indices.current_index()
            if live is not None:
                self.indices.refresh(live)
            existing = {i.name for i in self.indices.indices()}
            if resume in existing:
                return resume, False
            return self.indices.rebuilding() or self.indices.create_next(), True

    def live_index(self) -> str | None:
        with es_client.errors(self.location):
            return self.indices.current_index()

    def swap_to(self, index: str) -> tuple[str | None, int | None]:
        """Move the alias to `index`; returns the old index and the highest sequence
        number `index` held just before (None if unknown): later ones are newer writes."""
        with es_client.errors(self.location):
            boundary = self.indices.max_seq_no(index)
            return self.indices.swap(index), boundary

    def write(self, items: Sequence[Indexable]) -> list[WriteOutcome]:
        if not items:
            return []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with es_client.errors(self.location):
            stored = self._fingerprints([item.article.id for item in items])
        outcomes: dict[str, WriteOutcome] = {}
        expected: dict[str, str] = {}
        actions: list[dict[str, Any]] = []
        for item in items:
            doc_id = item.article.id
            source = docs.to_source(item, indexed_at=now)
            same = stored.get(doc_id) == source["fingerprint"]
            if same and not self.migrating:
                outcomes[doc_id] = WriteOutcome(doc_id, "unchanged")
                continue
            # Migrating: every document must land in the new index, but the report
            # still says what changed relative to the live one.
            expected[doc_id] = "unchanged" if same else "updated" if doc_id in stored else "created"
            actions.append(self._action(doc_id, source))
        if actions:
            outcomes.update(self._bulk(actions, expected))
        return [outcomes[item.article.id] for item in items]

    def _action(self, doc_id: str, source: dict[str, Any]) -> dict[str, Any]:
        action: dict[str, Any] = {
            "_op_type": "index",
            "_index": self.write_index,
            "_id": doc_id,
            "_source": source,
        }
        if self.expected is not None and doc_id in self.expected:
            version = self.expected[doc_id]
            if version is None:
                action["_op_type"] = "create"
            else:
                action["if_seq_no"], action["if_primary_term"] = version
        return action

    def _bulk(
        self, actions: list[dict[str, Any]], expected: dict[str, str]
    ) -> dict[str, WriteOutcome]:
        outcomes: dict[str, WriteOutcome] = {}
        overloaded: list[str] = []
        with es_client.errors(self.location):
            results = helpers.streaming_bulk(
                self.client,
                actions,
                chunk_size=self.chunk_size,
                max_retries=self.bulk_retries,
                initial_backoff=self.bulk_backoff_s,
                max_backoff=60,
                retry_on_status=OVERLOADED_ITEM_STATUSES,
                raise_on_error=False,
                raise_on_exception=True,
                # Searchable before the call returns (module docstring); not for a
                # rebuild's index, which is refreshed and verified explicitly.
                refresh=False if self.migrating else "wait_for",
            )
            for ok, info in results:
                result = next(iter(info.values()))
                doc_id = str(result["_id"])
                if ok:
                    if "_seq_no" in result:
                        self.written[doc_id] = (result["_seq_no"], result["_primary_term"])
                    status = expected[doc_id] if self.migrating else result.get("result")
                    outcomes[doc_id] = WriteOutcome(doc_id, _ok_status(status))
                elif result.get("status") in UNAVAILABLE_STATUSES:
                    overloaded.append(doc_id)
                elif result.get("status") in (401, 403):
                    # The key, not the document: fail the batch, not into the DLQ.
                    raise StoreUnavailable(
                        f"elasticsearch at {self.location} refused the write (HTTP "
                        f"{result['status']}: {docs.failure_reason(result.get('error'))}): give "
                        "MONITOR_ELASTICSEARCH_API_KEY the privileges in docs/elasticsearch.md"
                    )
                elif result.get("status") == 409 and self.expected is not None:
                    outcomes[doc_id] = WriteOutcome(doc_id, "unchanged")  # a newer write won
                else:
                    reason = docs.failure_reason(result.get("error"))
                    outcomes[doc_id] = WriteOutcome(doc_id, "failed", reason=reason)
        if overloaded:
            raise StoreUnavailable(
                f"{len(overloaded)} item(s) still rejected as overloaded after "
                f"{self.bulk_retries} retries (first: {overloaded[0]})"
            )
        return outcomes

    def _fingerprints(self, ids: list[str]) -> dict[str, str]:
        found = self._mget(self.alias, list(dict.fromkeys(ids)), source_includes=["fingerprint"])
        return {i: (d.get("_source") or {}).get("fingerprint", "") for i, d in found.items()}

    def _mget(self, index: str, ids: list[str], **options: Any) -> dict[str, dict[str, Any]]:
        """Real-time reads by id (they see writes no refresh has made searchable yet)."""
        response = self.client.mget(index=index, ids=ids, **options)
        for doc in response["docs"]:
            error = doc.get("error")
            if error:  # e.g. the alias does not exist: the same for every id
                reason = docs.failure_reason(error)
                raise StoreUnavailable(
                    f"elasticsearch at {self.location}: {reason}: run `monitor es setup` "
                    "with an admin key"
                )
        return {d["_id"]: d for d in response["docs"] if d.get("found")}

    def versions(self, ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Each stored id's (seq_no, primary_term), read through the alias."""
        with es_client.errors(self.location):
            found = self._mget(self.alias, list(ids), source=False)
        return {i: (d["_seq_no"], d["_primary_term"]) for i, d in found.items()}

    def get(self, doc_id: str) -> Article | None:
        with es_client.errors(self.location):
            found = self._mget(self.alias, [doc_id], source_excludes=["raw", "fingerprint"])
        return docs.from_source(found[doc_id]["_source"]) if doc_id in found else None

    def search(self, query: SearchQuery) -> SearchResult:
        body = es_search.search_body(query)
        if body is None:
            return SearchResult(total=0, hits=[])
        with es_client.errors(self.location):
            # The client spells `_source` and `from` as `source` and `from_`.
            response = self.client.search(
                index=self.alias,
                **{"from_" if k == "from" else k.lstrip("_"): v for k, v in body.items()},
            )
        clauses = search_terms.query_clauses(query.text) if query.explain else None
        return es_search.parse_response(response.body, facets=query.facets, clauses=clauses)

    def stats(self) -> StoreStats:
        with es_client.errors(self.location):
            response = self.client.search(
                index=self.alias,
                size=1,
                track_total_hits=True,
                query={"exists": {"field": "id"}},
                sort=[{"published_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
                source={"includes": ["id", "title", "published_at"]},
                aggs={"publications": {"terms": {"field": "publication", "size": 100}}},
            )
        buckets = response["aggregations"]["publications"]["buckets"]
        top = response["hits"]["hits"]
        newest = None
        if top and top[0]["_source"].get("published_at"):
            src = top[0]["_source"]
            newest = {
                "id": src["id"],
                "title": src.get("title"),
                "published_at": src["published_at"],
            }
        return StoreStats(
            backend=self.backend,
            location=f"{self.location} ({self.alias})",
            documents=int(response["hits"]["total"]["value"]),
            publications={b["key"]: int(b["doc_count"]) for b in buckets},
            newest=newest,
        )

    def list_ids(
        self,
        *,
        publication: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[str]:
        clauses = docs.filters(publication=publication, date_from=since, date_to=until)
        return [doc_id for doc_id, _ in self._scan(clauses, False)]

    def raw_by_ids(self, ids: Sequence[str]) -> dict[str, RawArticle]:
        if not ids:
            return {}
        with es_client.errors(self.location):
            found = self._mget(self.read_index, list(ids), source_includes=["raw"])
        return {i: RawArticle.from_dict(d["_source"]["raw"]) for i, d in found.items()}

    def settled(self, ids: Sequence[str], pipeline_version: str) -> dict[str, list[Pending]]:
        if not ids or self.write_index != self.read_index or self.expected is not None:
            return {}  # a rebuild: what is written is not what the raw was read beside
        fields = ["pipeline_version", "enrich_notes", "citations"]
        with es_client.errors(self.location):
            found = self._mget(self.read_index, list(ids), source_includes=fields)
        settled = {
            doc_id: settled_document(doc.get("_source") or {}, pipeline_version)
            for doc_id, doc in found.items()
        }
        return {doc_id: pending for doc_id, pending in settled.items() if pending is not None}

    def index_ids(self, index: str) -> set[str]:
        """Every id in one concrete index, after a refresh (the rebuild's verification)."""
        with es_client.errors(self.location):
            self.indices.refresh(index)
        return {doc_id for doc_id, _ in self._scan([], False, index=index)}

    def written_since(self, index: str, since: str) -> dict[str, str]:
        """Ids written into `index` at or after `since` (ISO time), after a refresh, with
        a version tag (`indexed_at` and fingerprint): the rebuild's catch-up."""
        with es_client.errors(self.location):
            self.indices.refresh(index)
        clause = {"range": {"indexed_at": {"gte": since}}}
        source = {"includes": ["indexed_at", "fingerprint"]}
        return {
            doc_id: f"{src.get('indexed_at')}|{src.get('fingerprint')}"
            for doc_id, src in self._scan([clause], source, index=index)
        }

    def find_ids(self, *, publication: str, published_on: str) -> list[str]:
        start, end = docs.period_bounds(published_on)
        clauses = docs.filters(publication=publication, date_from=start, date_to=end)
        return [doc_id for doc_id, _ in self._scan(clauses, False)]

    def cited_by(self, doc_id: str) -> list[str]:
        # Citations written before this article was indexed name it only by series
        # and date; they count when it is that date's only article (as embedded).
        cited = self.get(doc_id)
        names: tuple[str, ...] = ()
        if cited is not None and cited.published_at:
            names = family_names(cited.publication)
            same_day = {
                found
                for name in names
                for found in self.find_ids(publication=name, published_on=cited.published_at)
            }
            names = names if same_day == {doc_id} else ()
        date = cited.published_at if cited is not None else None
        query = es_search.cited_by_query(doc_id, names=names, date=date)
        return sorted(found for found, _ in self._scan([query], False))

    def _scan(
        self,
        clauses: list[dict[str, Any]],
        source: bool | dict[str, list[str]],
        *,
        index: str | None = None,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every matching document in `id` order, a page at a time with `search_after`.

        Sorting on the unique `id` keyword makes the paging deterministic without a
        point-in-time; a document written meanwhile may or may not be seen, which is
        fine for reprocessing (it is current by construction).
        """
        after: list[Any] | None = None
        while True:
            extra: dict[str, Any] = {} if after is None else {"search_after": after}
            with es_client.errors(self.location):
                response = self.client.search(
                    index=index or self.alias,
                    query={"bool": {"filter": clauses}},
                    sort=[{"id": "asc"}],
                    size=_PAGE,
                    source=source,
                    track_total_hits=False,
                    **extra,
                )
            hits = response["hits"]["hits"]
            for hit in hits:
                yield hit["_id"], hit.get("_source") or {}
            if len(hits) < _PAGE:
                return
            after = hits[-1]["sort"]

    def delete(self, ids: Sequence[str]) -> list[str]:
        """Delete through the alias (its write index). The last delete waits for a
        refresh (`refresh=wait_for`: needs only the `delete` privilege, unlike an explicit
        `_refresh`), so a search right after no longer finds them."""
        unique = list(dict.fromkeys(ids))
        deleted: list[str] = []
        with es_client.errors(self.location):
            for n, doc_id in enumerate(unique):
                last = n == len(unique) - 1
                try:
                    self.client.delete(
                        index=self.alias, id=doc_id, refresh="wait_for" if last else None
                    )
                except NotFoundError:
                    if last and deleted:
                        self.client.indices.refresh(index=self.alias)
                    continue
                deleted.append(doc_id)
        return deleted

    def close(self) -> None:
        self.client.close()


def _ok_status(result: Any) -> WriteStatus:
    """A successful bulk item's status; a noop re-index counts as unchanged."""
    if result in ("created", "updated", "unchanged"):
        return result  # type: ignore[no-any-return]
    return "unchanged" if result == "noop" else "updated"
