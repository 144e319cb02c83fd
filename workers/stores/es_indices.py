"""Versioned indices behind one alias: template, setup, next index, swap, prune.

Searches and writes always go through the alias (`monitor-articles`); the concrete
indices are `<alias>-v1`, `<alias>-v2`, ... A mapping change or a full reprocess fills
the next index while the alias still serves the old one, then moves the alias in ONE
`_aliases` call (remove + add are applied atomically), so searches never see an empty
or half-built index. Old indices stay until `monitor es prune` deletes them.

Real clusters differ from a naive picture in three ways this module relies on:
- Privileges. Setup needs the cluster privilege `manage_index_templates` and `manage`
  on the indices; `missing_privileges` asks the cluster (`_has_privileges`, allowed to
  every authenticated user) before anything is created, so a key without them fails
  once and leaves nothing behind. Only two answers mean "nothing missing": all granted,
  and the 500 a cluster with security off gives; a 429/503 is a busy cluster, raised
  and asked again, never taken for "security off". Reading and writing need no metadata call at all.
- Concurrency. Several workers may start on an empty cluster at once. The first index
  is always `-v1` (or the newest existing one, left by an interrupted setup), creating
  it when it exists already is not an error, and the alias add is idempotent: all of
  them converge on one write index.
- `action.destructive_requires_name` (default since 8.0): indices are deleted by
  concrete name, never by pattern.
A rebuild's index carries the marker alias `<alias>-rebuilding` from its creation
until the swap removes it in the same atomic call; prune never deletes such an index.

The template is kept as JSON in `workers/stores/data/` (package data, so an installed
wheel has it; reviewable, usable with curl);
its `_meta.mapping_version` is what tells a run that the live index is outdated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, AuthorizationException, Elasticsearch, NotFoundError

from workers.errors import UsageError

TEMPLATE_FILE = Path(str(files("workers.stores") / "data" / "articles-template.json"))


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


class SetupRefused(UsageError):
    """The credentials may not set up the template, the index or the alias: the
    operator's to fix (an admin key), so a usage error; nothing was created."""


class IndexRefused(UsageError):
    """The indices are not as a command needs them (the alias on several indices), or
    the command would break them (deleting the live index, one a rebuild is filling,
    or a pattern): refused before anything changed, for the operator to decide."""


# What `setup` needs (Elasticsearch reference, "Security privileges"): templates are a
# cluster privilege; creating indices, moving aliases and reading index metadata are
# all covered by `manage` on the indices and on the alias name.
SETUP_CLUSTER_PRIVILEGES = ("manage_index_templates",)
SETUP_INDEX_PRIVILEGES = ("manage",)


# What a cluster with `xpack.security.enabled: false` answers any security API:
# HTTP 500 `illegal_state_exception` with this reason (SecurityBaseRestHandler in
# elastic/elasticsearch, x-pack/plugin/security). Every other error is not "disabled".
SECURITY_DISABLED_REASON = "Security is not enabled but a security rest handler is registered"


def security_disabled(exc: ApiError) -> bool:
    """Whether `exc` is a cluster saying security is off (not busy, not refusing)."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    reason = error.get("reason") if isinstance(error, dict) else error
    return exc.status_code == 500 and SECURITY_DISABLED_REASON in str(reason or exc.message)


@dataclass(frozen=True, slots=True)
class IndexInfo:
    name: str
    number: int
    aliased: bool
    mapping_version: int | None
    rebuilding: bool = False


class IndexManager:
    """The alias and its versioned indices on one cluster."""

    def __init__(self, client: Elasticsearch, *, alias: str) -> None:
        self.client = client
        self.alias = alias
        self.template = load_template(alias)
        self._missing: list[str] | None = None

    @property
    def template_name(self) -> str:
        return self.alias

    @property
    def wanted_version(self) -> int:
        return mapping_version(self.template)

    @property
    def rebuild_marker(self) -> str:
        return f"{self.alias}-rebuilding"

    def missing_privileges(self) -> list[str]:
        """The setup privileges these credentials lack ([] when security is off);
        asked once per manager (the answer does not change while it runs). Only a
        definite answer is kept: a busy or failing cluster raises (the client's
        error) and the next call asks again."""
        if self._missing is None:
            self._missing = self._ask_privileges()
        return self._missing

    def _ask_privileges(self) -> list[str]:
        try:
            answer = self.client.security.has_privileges(
                cluster=list(SETUP_CLUSTER_PRIVILEGES),
                index=[
                    {
                        "names": [self.alias, f"{self.alias}-*"],
                        "privileges": list(SETUP_INDEX_PRIVILEGES),
                    }
                ],
            )
        except AuthorizationException:
            return [*SETUP_CLUSTER_PRIVILEGES, *SETUP_INDEX_PRIVILEGES]
        except ApiError as exc:
            if security_disabled(exc):
                return []  # the privilege API is off and nothing is enforced
            raise  # 401 (the caller names the settings), 429/5xx (busy: ask again later)
        if answer.get("has_all_requested"):
            return []
        missing = [f"cluster:{p}" for p, ok in (answer.get("cluster") or {}).items() if not ok]
        for name, privileges in (answer.get("index") or {}).items():
            missing += [f"{name}:{p}" for p, ok in privileges.items() if not ok]
        return missing

    def setup(self) -> str:
        """Put the template and make sure the alias points at an index; returns it.

        Idempotent and safe when several processes run it at once (see the module
        docstring); raises `SetupRefused`, with nothing created, when the credentials
        lack the privileges.
        """
        missing = self.missing_privileges()
        if missing:
            raise SetupRefused(
                f"these credentials may not set up {self.alias} (missing "
                f"{', '.join(missing)}): run `monitor es setup` with an admin key"
            )
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
        existing = [i.name for i in self.indices() if not i.rebuilding]
        first = existing[-1] if existing else index_name(self.alias, 1)
        if not existing:
            self._create(first)
        self.client.indices.update_aliases(
            actions=[{"add": {"index": first, "alias": self.alias, "is_write_index": True}}]
        )
        return self.current_index() or first

    def _create(self, name: str, aliases: dict[str, Any] | None = None) -> bool:
        """Create `name`; False when another process created it first (not an error)."""
        try:
            self.client.indices.create(index=name, aliases=aliases)
        except ApiError as exc:
            if exc.error == "resource_already_exists_exception":
                return False
            raise
        return True

    def current_index(self) -> str | None:
        try:
            found = self.client.indices.get_alias(name=self.alias)
        except NotFoundError:
            return None
        names = sorted(found.body)
        if len(names) > 1:
            raise IndexRefused(
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
            aliases = info.get("aliases") or {}
            out.append(
                IndexInfo(
                    name=name,
                    number=number,
                    aliased=self.alias in aliases,
                    mapping_version=None if version is None else int(version),
                    rebuilding=self.rebuild_marker in aliases,
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
        """Create `<alias>-v(N+1)` for a rebuild (the template gives it the mappings),
        marked as being filled so prune leaves it alone; not behind the alias."""
        while True:
            numbers = [i.number for i in self.indices()]
            name = index_name(self.alias, max(numbers, default=0) + 1)
            if self._create(name, aliases={self.rebuild_marker: {}}):
                return name

    def rebuilding(self) -> str | None:
        """The index a rebuild is filling, if one was started and not swapped in."""
        found = [i.name for i in self.indices() if i.rebuilding and not i.aliased]
        return found[-1] if found else None

    def refresh(self, index: str) -> None:
        self.client.indices.refresh(index=index)

    def max_seq_no(self, index: str) -> int | None:
        """The highest sequence number written into `index` when it has one shard (the
        template's setting), else None: every later write gets a higher one."""
        stats = self.client.indices.stats(index=index, level="shards")
        shards = stats["indices"][index]["shards"]
        copies = [c for group in shards.values() for c in group if c["routing"]["primary"]]
        return int(copies[0]["seq_no"]["max_seq_no"]) if len(copies) == 1 else None

    def count(self, index: str) -> int:
        self.client.indices.refresh(index=index)
        return int(self.client.count(index=index)["count"])

    def swap(self, new_index: str) -> str | None:
        """Point the alias at `new_index` and drop its rebuild marker, in one atomic
        `_aliases` call; returns the old index."""
        old = self.current_index()
        actions: list[dict[str, Any]] = []
        if old is not None:
            actions.append({"remove": {"index": old, "alias": self.alias}})
        actions.append({"add": {"index": new_index, "alias": self.alias, "is_write_index": True}})
        if any(i.name == new_index and i.rebuilding for i in self.indices()):
            actions.append({"remove": {"index": new_index, "alias": self.rebuild_marker}})
        self.client.indices.update_aliases(actions=actions)
        return old

    def prunable(self) -> list[str]:
        """Old versioned indices the alias no longer points at and no rebuild is filling."""
        return [i.name for i in self.indices() if not i.aliased and not i.rebuilding]

    def delete(self, index: str) -> None:
        """Delete one index by its concrete name (never a pattern: see the docstring)."""
        if "*" in index or "," in index or index == "_all":
            raise IndexRefused(f"{index!r}: indices are deleted one concrete name at a time")
        info = {i.name: i for i in self.indices()}.get(index)
        if index == self.current_index() or (info is not None and info.aliased):
            raise IndexRefused(f"{index} is behind the alias {self.alias}; refusing to delete it")
        if info is not None and info.rebuilding:
            raise IndexRefused(f"{index} is being filled by a rebuild; refusing to delete it")
        self.client.indices.delete(index=index)
