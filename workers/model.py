"""The document contract as Python types.

`RawArticle` is what a source hands to the pipeline (the contract's input fields, plus
where it came from); `Article` is what the pipeline produces and every store indexes.
`Article.to_document()` is the JSON form validated by `article.schema.json`; nothing
else in the code base decides field names.

All types are frozen: enrichers return a new article with `dataclasses.replace`, so a
stage can never change what an earlier stage saw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from workers.errors import PermanentError

EntityType = Literal["person", "organization", "location", "other"]
CitationKind = Literal["press", "internal", "web"]
Granularity = Literal["day", "week", "month", "year"]
Span = tuple[int, int]


class InputError(PermanentError):
    """Bad input a user can fix (empty file, no body, wrong JSON shape).

    Permanent: retrying will not help, so it is reported (or dead-lettered) with its
    message and never retried.
    """


class NotAnArticle(InputError):
    """A page or post that holds no article (a broken template, an attachment page,
    a book on a feed): *skipped* with its reason, never indexed and never
    dead-lettered, since running it again cannot make it an article. The message is
    a short category ("no text"), so a run can count its skips by reason."""


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    type: EntityType
    mentions: int
    aliases: tuple[str, ...] = ()
    wikidata: str | None = None
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class Citation:
    source: str
    date: str | None
    kind: CitationKind
    raw: str | None = None
    span: Span | None = None
    target_id: str | None = None


@dataclass(frozen=True, slots=True)
class DateMention:
    text: str
    start: str
    end: str
    granularity: Granularity
    relative: bool = False
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class RawArticle:
    """An article as a source delivered it, before parsing and normalization.

    `text` is the payload exactly as received (seed-format text, or the body of a JSON
    input); it is kept by the store so reprocessing never needs a re-fetch. `origin`
    names the file or URL for error messages and is not part of the document.
    """

    text: str
    origin: str
    source: str = "files"
    url: str | None = None
    title: str | None = None
    publication: str | None = None
    volume: int | None = None
    issue: int | None = None
    published_at: str | None = None
    authors: tuple[str, ...] = ()
    fetched_at: str | None = None
    # Where the text was read: {"kind": "live"}, or {"kind": "archive", "captured_at":
    # ISO time, "capture": raw capture URL} (workers.sources.wayback). None: a file.
    fetched_from: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _to_json(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RawArticle:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["authors"] = tuple(values.get("authors") or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Article:
    """A normalized (and, after the enrich stage, enriched) article."""

    id: str
    publication: str
    body: str
    content_hash: str
    pipeline_version: str
    source: str = "files"
    url: str | None = None
    volume: int | None = None
    issue: int | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None
    published_at_source: Literal["metadata", "estimated"] | None = None
    published_at_range: dict[str, str] | None = None
    word_count: int = 0
    language: str | None = None
    entities: tuple[Entity, ...] = ()
    citations: tuple[Citation, ...] = ()
    dates: tuple[DateMention, ...] = ()
    enrich_notes: tuple[str, ...] = ()
    fetched_at: str | None = None
    fetched_from: dict[str, str] | None = None
    indexed_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_document(self) -> dict[str, Any]:
        """The contract's JSON form; `None`-valued optional enums are left out."""
        doc = self.fields_json(_ARTICLE_FIELDS)
        if doc["published_at_source"] is None:
            del doc["published_at_source"]
        doc.update(_to_json(self.extra))
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Article:
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {k: _from_json(k, v) for k, v in doc.items() if k in known}
        values["extra"] = {k: v for k, v in doc.items() if k not in known}
        return cls(**values)

    def fields_json(self, names: Sequence[str]) -> dict[str, Any]:
        """Some fields in their document (JSON) form: far cheaper than `to_document`
        when only the enrichment fields are wanted (the enrichment cache)."""
        return {name: _to_json(getattr(self, name)) for name in names}

    def with_fields_json(self, fields: dict[str, Any]) -> Article:
        """This article with some fields replaced from their document (JSON) form."""
        return dataclasses.replace(self, **{k: _from_json(k, v) for k, v in fields.items()})


def _to_json(value: Any) -> Any:
    """A fresh JSON-ready copy: dataclasses become dicts, tuples lists.

    Written out rather than `dataclasses.asdict`, which deep-copies every value and
    is the slowest part of writing a document (it runs for every article, and for
    every enricher's cache entry).
    """
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (tuple, list)):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return {name: _to_json(getattr(value, name)) for name in _field_names(type(value))}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, looked up once per class (`fields()` is not free)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _from_json(name: str, value: Any) -> Any:
    """A document field's value as the Article attribute holds it."""
    if name in ("authors", "enrich_notes"):
        return tuple(value or ())
    if name == "entities":
        return tuple(
            Entity(**{**e, "aliases": tuple(e.get("aliases") or ()), "spans": _spans(e)})
            for e in value or ()
        )
    if name == "citations":
        return tuple(Citation(**{**c, "span": _span(c.get("span"))}) for c in value or ())
    if name == "dates":
        return tuple(DateMention(**{**d, "span": _span(d.get("span"))}) for d in value or ())
    return value


def _span(value: Any) -> Span | None:
    return None if value is None else (int(value[0]), int(value[1]))


def _spans(entity: dict[str, Any]) -> tuple[Span, ...]:
    return tuple((int(a), int(b)) for a, b in entity.get("spans") or ())


_ARTICLE_FIELDS = tuple(name for name in _field_names(Article) if name != "extra")
