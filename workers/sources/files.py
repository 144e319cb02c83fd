"""Files source: local `.txt` (seed format) and `.json` (contract input fields) articles.

Reading a file is where most user mistakes show up (a missing path, an empty or binary
file, JSON of the wrong shape), so every failure here is an `InputError` whose message
names the reason in words a user can act on; the caller adds the file name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from workers.model import InputError, RawArticle
from workers.parse import parse

SUFFIXES = (".txt", ".json")
MISSING = "no such file or directory"
HEADERLESS = (
    "no 'Publication: …' header line, so probably not a Monitor article "
    "(--allow-headerless ingests it anyway)"
)
_STRING_FIELDS = ("url", "title", "publication", "published_at")
_INT_FIELDS = ("volume", "issue")


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to ingest (directories walked recursively, sorted) and (path, reason) errors.

    Files named explicitly are taken whatever their suffix (and fail later if they are
    not articles); inside directories only `.txt` and `.json` files count.
    """
    files: list[Path] = []
    errors: list[tuple[str, str]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
            if not found:
                errors.append((str(given), "directory holds no .txt or .json articles"))
            files.extend(p.resolve() for p in found)
        elif path.is_file():
            files.append(path.resolve())
        elif path.exists():  # a FIFO, socket or device: reading it could block forever
            errors.append((str(given), "not a regular file"))
        else:
            errors.append((str(given), MISSING))
    return list(dict.fromkeys(files)), errors


def read_file(path: Path, *, max_bytes: int) -> RawArticle:
    """One article from `path`; raises `InputError` for anything that is not one."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError("no such file") from exc
    except IsADirectoryError as exc:
        raise InputError("is a directory") from exc
    except PermissionError as exc:
        raise InputError("permission denied") from exc
    text = decode(data)
    if path.suffix.lower() == ".json":
        return from_json(text, origin=str(path))
    return RawArticle(text=text, origin=str(path))


def read_article(path: Path, *, max_bytes: int, allow_headerless: bool = False) -> RawArticle:
    """`read_file`, refusing a text with no Publication header unless `allow_headerless`."""
    raw = read_file(path, max_bytes=max_bytes)
    return raw if allow_headerless else require_header(raw)


def require_header(raw: RawArticle) -> RawArticle:
    """`raw` if it names its publication (a header line, or JSON's `publication`).

    A folder of articles often holds a README or notes too; indexed, such a file would
    be the top hit for every word it shares with the archive. So ingesting refuses
    headerless text by default. Text the parser rejects anyway passes here, so the parse
    stage reports its own, more precise reason.
    """
    if raw.publication:
        return raw
    try:
        parsed = parse(raw)
    except InputError:
        return raw
    if parsed.publication is None:
        raise InputError(HEADERLESS)
    return raw


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is allowed); binary or other encodings are bad input."""
    if not data.strip():
        raise InputError("file is empty")
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes), not article text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (invalid byte at offset {exc.start})") from exc


def from_json(text: str, *, origin: str, source: str = "files") -> RawArticle:
    """A `RawArticle` from a JSON object holding the contract's input fields."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, dict):
        raise InputError(f"JSON must be an object with a 'body', not {type(data).__name__}")
    body = data.get("body")
    if not isinstance(body, str) or not body.strip():
        raise InputError("JSON has no 'body' text")
    fields: dict[str, Any] = {}
    for name in _STRING_FIELDS:
        fields[name] = _optional(data, name, str)
    for name in _INT_FIELDS:
        value = _optional(data, name, int)
        if value is not None and value < 1:
            raise InputError(f"'{name}' must be a positive integer, got {value}")
        fields[name] = value
    if fields["published_at"] is not None:
        fields["published_at"] = _iso_date(fields["published_at"])
    authors = data.get("authors") or []
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise InputError("'authors' must be a list of strings")
    return RawArticle(text=body, origin=origin, source=source, authors=tuple(authors), **fields)


def _optional(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    # bool is an int subclass; true/false is never a volume number.
    if value is None or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    raise InputError(f"'{name}' must be {kind.__name__}, got {type(value).__name__}")


def _iso_date(value: str) -> str:
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError as exc:
        raise InputError(f"'published_at' is not an ISO date: {value!r}") from exc
