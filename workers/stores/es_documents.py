"""Pure translation between articles and Elasticsearch: documents in, queries out.

No client here, so every rule (which fields are added for Kibana, what "published in
2001-03" means) is a plain function a unit test can call; search requests are built
in `es_search`.

The stored `_source` is the contract document (`Article.to_document()`) plus fields
that only exist for the index: flat keyword lists Kibana can aggregate (Lens cannot
aggregate inside `nested` objects), a `range` on every date mention so "events dated
in March 2001" is one `date_range` query, the fingerprint that decides "unchanged",
and the raw payload (`raw`, not indexed) so reprocessing never re-fetches.
"""

from __future__ import annotations

import calendar
import re
from typing import Any

from workers.model import Article
from workers.stores.base import Indexable, fingerprint, time_fields
from workers.stores.name_keys import name_keys
from workers.stores.search_terms import entity_keys

# Fields added to the contract document for the index only; stripped again by `get`.
INDEX_ONLY_FIELDS = (
    "people",
    "places",
    "organizations",
    "names",
    "name_keys",
    "outlets",
    "internal_targets",
    "internal_citation_count",
    "mentioned_dates",
    "fingerprint",
    "raw",
)
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_ENTITY_FIELDS = {"person": "people", "location": "places", "organization": "organizations"}


def to_source(item: Indexable, *, indexed_at: str) -> dict[str, Any]:
    """The `_source` written for one article (contract document + index-only fields)."""
    article = item.article
    doc = article.to_document()
    doc["fingerprint"] = fingerprint(doc)
    doc["indexed_at"] = indexed_at
    doc.update(time_fields(doc, indexed_at))
    for mention in doc["dates"]:
        mention["range"] = {"gte": mention["start"], "lte": mention["end"]}
    # The keys `--person/--place/--org` match an entity by (search_terms.entity_keys):
    # index-only, inside each nested entity so type and key hold for the same one.
    for entity, stored in zip(article.entities, doc["entities"], strict=True):
        stored["keys"] = sorted(entity_keys(entity))
    doc.update(facets(article))
    doc["raw"] = item.raw.to_dict()
    return doc


def facets(article: Article) -> dict[str, Any]:
    """Flat, aggregatable copies of what the nested fields hold."""
    out: dict[str, Any] = {field: [] for field in _ENTITY_FIELDS.values()}
    names: list[str] = []
    for entity in article.entities:
        field = _ENTITY_FIELDS.get(entity.type)
        if field is not None:
            out[field].append(entity.name)
        names.extend((entity.name, *entity.aliases))
    internal = [c.target_id for c in article.citations if c.kind == "internal" and c.target_id]
    out["names"] = list(dict.fromkeys(names))
    # Romanization keys of the names in the text (name_keys.name_keys), matched by
    # a query's keys: the embedded store's `keys` column.
    out["name_keys"] = name_keys(article.title or "", article.body)
    out["outlets"] = sorted({c.source for c in article.citations})
    out["internal_targets"] = sorted(set(internal))
    out["internal_citation_count"] = sum(1 for c in article.citations if c.kind == "internal")
    out["mentioned_dates"] = sorted({d.start for d in article.dates})
    return out


def from_source(source: dict[str, Any]) -> Article:
    """The article back from a stored `_source` (index-only fields removed)."""
    doc = {k: v for k, v in source.items() if k not in INDEX_ONLY_FIELDS}
    doc["dates"] = [{k: v for k, v in d.items() if k != "range"} for d in doc.get("dates") or ()]
    doc["entities"] = [
        {k: v for k, v in e.items() if k != "keys"} for e in doc.get("entities") or ()
    ]
    return Article.from_document(doc)


def filters(
    *, publication: str | None, date_from: str | None, date_to: str | None
) -> list[dict[str, Any]]:
    """Filter clauses for publication (case-insensitive, like the embedded store) and
    an inclusive published_at range."""
    clauses: list[dict[str, Any]] = []
    if publication:
        clauses.append({"term": {"publication": {"value": publication, "case_insensitive": True}}})
    bounds = {k: v for k, v in (("gte", date_from), ("lte", date_to)) if v}
    if bounds:
        clauses.append({"range": {"published_at": bounds}})
    return clauses


def period_bounds(value: str) -> tuple[str, str]:
    """'2001-01-17' → (same, same); '2001-01' → the month; '2001' → the year."""
    match = _PARTIAL.match(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    if day:
        return value, value
    if month:
        last = calendar.monthrange(int(year), int(month))[1]
        return f"{year}-{month}-01", f"{year}-{month}-{last:02d}"
    return f"{year}-01-01", f"{year}-12-31"


def failure_reason(error: Any) -> str:
    """A bulk item's error as one line: 'type: reason (caused by: ...)'."""
    if not isinstance(error, dict):
        return str(error)
    reason = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
    cause = error.get("caused_by")
    if isinstance(cause, dict) and cause.get("reason"):
        reason += f" (caused by: {cause.get('type')}: {cause['reason']})"
    return reason
