"""Versioned indices behind one alias: template, setup, next index, swap, prune.

Searches and writes always go through the alias (`monitor-articles`); the concrete
indices are `<alias>-v1`, `<alias>-v2`, ... A mapping change or a full reprocess fills
the next index while the alias still serves the old one, then moves the alias in ONE
`_aliases` call (remove + add are applied atomically), so searches never see an empty
or half-built index. Old indices stay until `monitor es prune` deletes them.

The template is kept as JSON in `infra/elasticsearch/` (reviewable, usable with curl);
its `_meta.mapping_version` is what tells a run that the live index is outdated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "infra" / "elasticsearch"
TEMPLATE_FILE = TEMPLATE_PATH / "articles-template.json"


def load_template(alias: str, path: Path = TEMPLATE_FILE) -> dict[str, Any]:
    """The index template body for `alias` (comments dropped, pattern filled in)."""
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    body = {k: v for k, v in body.items() if not k.startswith("_comment")}
    body["index_patterns"] = [f"{alias}-v*"]
    return body


def mapping_version(template: dict[str, Any]) -> int:
    return int(template["_meta"]["mapping_version"])


def index_name(alias: str, number: int) -> str:
    return f"{alias}-v{number}"


def index_number(alias: str, name: str) -> int | None:
    match = re.fullmatch(re.escape(alias) + r"-v(\d+)", name)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class IndexInfo:
    name: str
    number: int
    aliased: bool
    mapping_version: int | None


class IndexManager:
    """The alias and its versioned indices on one cluster."""

    def __init__(self, client: Elasticsearch, *, alias: str) -> None:
        self.client = client
        self.alias = alias
        self.template = load_template(alias)

    @property
    def template_name(self) -> str:
        return self.alias

    @property
    def wanted_version(self) -> int:
        return mapping_version(self.template)

    def setup(self) -> str:
        """Put the template and make sure the alias points at an index; returns it.

        Idempotent: run on every store start and by `monitor es setup`.
        """
        body = self.template
        self.client.indices.put_index_template(
            name=self.template_name,
            index_patterns=body["index_patterns"],
            priority=body.get("priority"),
            meta=body.get("_meta"),
            template=body["template"],
        )
        current = self.current_index()
        if current is not None:
            return current
        first = self.create_next()
        self.client.indices.update_aliases(
            actions=[{"add": {"index": first, "alias": self.alias, "is_write_index": True}}]
        )
        return first

    def current_index(self) -> str | None:
        try:
            found = self.client.indices.get_alias(name=self.alias)
        except NotFoundError:
            return None
        names = sorted(found.body)
        if len(names) > 1:
            raise RuntimeError(
                f"alias {self.alias} points at {len(names)} indices ({', '.join(names)}); "
                "fix it with one _aliases call before writing"
            )
        return names[0] if names else None

    def indices(self) -> list[IndexInfo]:
        """Every `<alias>-vN` index, oldest first."""
        try:
            found = self.client.indices.get(index=f"{self.alias}-v*")
        except NotFoundError:
            return []
        out: list[IndexInfo] = []
        for name, info in found.body.items():
            number = index_number(self.alias, name)
            if number is None:
                continue
            meta = (info.get("mappings") or {}).get("_meta") or {}
            version = meta.get("mapping_version")
            out.append(
                IndexInfo(
                    name=name,
                    number=number,
                    aliased=self.alias in (info.get("aliases") or {}),
                    mapping_version=None if version is None else int(version),
                )
            )
        return sorted(out, key=lambda i: i.number)

    def current_mapping_version(self) -> int | None:
        current = self.current_index()
        for info in self.indices():
            if info.name == current:
                return info.mapping_version
        return None

    def create_next(self) -> str:
        """Create `<alias>-v(N+1)` (the template gives it the mappings); not aliased."""
        numbers = [i.number for i in self.indices()]
        name = index_name(self.alias, max(numbers, default=0) + 1)
        self.client.indices.create(index=name)
        return name

    def count(self, index: str) -> int:
        self.client.indices.refresh(index=index)
        return int(self.client.count(index=index)["count"])

    def swap(self, new_index: str) -> str | None:
        """Point the alias at `new_index` in one atomic `_aliases` call; returns the old."""
        old = self.current_index()
        actions: list[dict[str, Any]] = []
        if old is not None:
            actions.append({"remove": {"index": old, "alias": self.alias}})
        actions.append({"add": {"index": new_index, "alias": self.alias, "is_write_index": True}})
        self.client.indices.update_aliases(actions=actions)
        return old

    def prunable(self) -> list[str]:
        """Old versioned indices the alias no longer points at."""
        return [i.name for i in self.indices() if not i.aliased]

    def delete(self, index: str) -> None:
        if index == self.current_index():
            raise ValueError(f"{index} is behind the alias {self.alias}; refusing to delete it")
        self.client.indices.delete(index=index)
