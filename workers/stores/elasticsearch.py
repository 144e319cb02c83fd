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

Credentials come from settings and are never logged; the location shown to users is
the redacted URL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from elasticsearch import AuthorizationException, Elasticsearch, helpers

from workers.enrich.publications import family_names
from workers.model import Article, RawArticle
from workers.settings import Settings
from workers.stores import es_client, es_search
from workers.stores import es_documents as docs
from workers.stores.base import (
    Indexable,
    SearchQuery,
    SearchResult,
    StoreStats,
    StoreUnavailable,
    WriteOutcome,
    WriteStatus,
)
from workers.stores.es_indices import IndexManager

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
        bulk_retries: int = 5,
        bulk_backoff_s: float = 1.0,
        chunk_size: int = 500,
    ) -> None:
        self.client = client
        self.alias = alias
        self.location = location
        self.write_index = write_index or alias
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
            store.setup()
        return store

    def setup(self) -> str:
        """Apply the template and create the first index if needed; returns the live one."""
        with es_client.errors(self.location):
            try:
                current = self.indices.setup()
                live = self.indices.current_mapping_version()
            except AuthorizationException:
                # A search-only API key may not manage templates or read index
                # metadata: use the alias an admin set up with `monitor es setup`.
                found = self.indices.current_index()
                if found is None:
                    raise StoreUnavailable(
                        f"alias {self.alias} does not exist and these credentials may not "
                        "create it: run `monitor es setup` with an admin key"
                    ) from None
                current, live = found, None
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
        return ElasticsearchStore(
            self.client,
            alias=self.alias,
            location=self.location,
            write_index=index,
            bulk_retries=self.bulk_retries,
            bulk_backoff_s=self.bulk_backoff_s,
            chunk_size=self.chunk_size,
        )

    @property
    def migrating(self) -> bool:
        return self.write_index != self.alias

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
            actions.append(
                {"_op_type": "index", "_index": self.write_index, "_id": doc_id, "_source": source}
            )
        if actions:
            outcomes.update(self._bulk(actions, expected))
        return [outcomes[item.article.id] for item in items]

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
                retry_on_status=(429, 503),
                raise_on_error=False,
                raise_on_exception=True,
            )
            for ok, info in results:
                result = next(iter(info.values()))
                doc_id = str(result["_id"])
                if ok:
                    status = expected[doc_id] if self.migrating else result.get("result")
                    outcomes[doc_id] = WriteOutcome(doc_id, _ok_status(status))
                elif result.get("status") in es_client.TRANSIENT_STATUS:
                    overloaded.append(doc_id)
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
        response = self.client.mget(
            index=self.alias, ids=list(dict.fromkeys(ids)), source_includes=["fingerprint"]
        )
        return {
            d["_id"]: (d.get("_source") or {}).get("fingerprint", "")
            for d in response["docs"]
            if d.get("found")
        }

    def get(self, doc_id: str) -> Article | None:
        with es_client.errors(self.location):
            response = self.client.mget(
                index=self.alias, ids=[doc_id], source_excludes=["raw", "fingerprint"]
            )
        found = [d for d in response["docs"] if d.get("found")]
        return docs.from_source(found[0]["_source"]) if found else None

    def search(self, query: SearchQuery) -> SearchResult:
        body = es_search.search_body(query)
        if body is None:
            return SearchResult(total=0, hits=[])
        with es_client.errors(self.location):
            # `_source` is spelled `source` by the client's keyword arguments.
            response = self.client.search(
                index=self.alias, **{k.lstrip("_"): v for k, v in body.items()}
            )
        return es_search.parse_response(response.body, facets=query.facets)

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
            response = self.client.mget(index=self.alias, ids=list(ids), source_includes=["raw"])
        return {
            d["_id"]: RawArticle.from_dict(d["_source"]["raw"])
            for d in response["docs"]
            if d.get("found")
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
        self, clauses: list[dict[str, Any]], source: bool | dict[str, list[str]]
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
                    index=self.alias,
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

    def close(self) -> None:
        self.client.close()


def _ok_status(result: Any) -> WriteStatus:
    """A successful bulk item's status; a noop re-index counts as unchanged."""
    if result in ("created", "updated", "unchanged"):
        return result  # type: ignore[no-any-return]
    return "unchanged" if result == "noop" else "updated"
