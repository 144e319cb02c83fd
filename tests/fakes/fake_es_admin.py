"""Index administration for FakeElasticsearch: templates, indices, aliases, stats.

Real-cluster rules enforced here (sources in fake_es_rules.py): the highest-priority
matching template applies and equal priorities may not overlap; deletes name concrete
indices (`action.destructive_requires_name`); an alias has at most one write index.
"""

from __future__ import annotations

import copy
import re
import time
from typing import TYPE_CHECKING, Any

from tests.fakes import fake_es_rules as rules
from tests.fakes.fake_es_rules import Reject

if TYPE_CHECKING:
    from tests.fakes.fake_elasticsearch import FakeElasticsearch

Response = tuple[int, Any]


def put_template(fake: FakeElasticsearch, name: str, body: dict[str, Any]) -> Response:
    mappings = body.get("template", {}).get("mappings", {})
    props = mappings.get("properties", {})
    problems = [
        "index_patterns missing" if not body.get("index_patterns") else "",
        "mapping_version missing" if "mapping_version" not in body.get("_meta", {}) else "",
        "mappings not strict" if mappings.get("dynamic") != "strict" else "",
        *(
            f"{f} not nested"
            for f in ("entities", "citations", "dates")
            if props.get(f, {}).get("type") != "nested"
        ),
        "published_at not a date" if props.get("published_at", {}).get("type") != "date" else "",
        "published_at_range not a date_range"
        if props.get("published_at_range", {}).get("type") != "date_range"
        else "",
        "body not english" if props.get("body", {}).get("analyzer") != "english" else "",
        "raw must be enabled: false" if props.get("raw", {}).get("enabled") is not False else "",
    ]
    for problem in filter(None, problems):
        fake.violation(f"template {name}: {problem}")
    priority = int(body.get("priority") or 0)
    for other, template in fake.templates.items():
        same = int(template.get("priority") or 0) == priority
        if other != name and same and _overlap(body["index_patterns"], template["index_patterns"]):
            raise Reject(
                400,
                "illegal_argument_exception",
                f"index template [{name}] has index patterns {body['index_patterns']} matching "
                f"patterns from existing templates [{other}] with patterns ({other} => "
                f"{template['index_patterns']}) that have the same priority [{priority}], "
                "multiple index templates may not match during index creation, please use a "
                "different priority",
            )
    fake.templates[name] = body
    return 200, {"acknowledged": True}


def _matches(pattern: str, name: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), name) is not None


def _overlap(patterns: list[str], others: list[str]) -> bool:
    """Could one index name match both lists (pattern a matches b's stem or back)?"""
    return any(
        _matches(a, b.replace("*", "")) or _matches(b, a.replace("*", ""))
        for a in patterns
        for b in others
    )


def create_index(fake: FakeElasticsearch, name: str, body: dict[str, Any]) -> Response:
    if name in fake.indices:
        raise Reject(
            400,
            "resource_already_exists_exception",
            f"index [{name}/fake-uuid] already exists",
        )
    matching = [
        t for t in fake.templates.values() if any(_matches(p, name) for p in t["index_patterns"])
    ]
    if not matching:
        fake.violation(f"index {name} created with no matching template")
    # Only the highest-priority matching template applies (composable templates).
    template = max(matching, key=lambda t: int(t.get("priority") or 0), default={})
    mappings = copy.deepcopy(template.get("template", {}).get("mappings", {}))
    aliases = {a: dict(spec or {}) for a, spec in (body.get("aliases") or {}).items()}
    fake.indices[name] = {
        "mappings": mappings,
        "docs": {},
        "visible": {},
        "seq": {},
        "aliases": aliases,
        "refreshed_at": time.monotonic(),
    }
    _check_write_indices(fake)
    return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}


def get_indices(fake: FakeElasticsearch, target: str) -> Response:
    names = fake.resolve(target)
    if not names and "*" not in target:
        raise Reject(404, "index_not_found_exception", f"no such index [{target}]")
    return 200, {
        n: {
            "aliases": {
                a: {k: v for k, v in spec.items() if v is not None}
                for a, spec in fake.indices[n]["aliases"].items()
            },
            "mappings": fake.indices[n]["mappings"],
            "settings": {},
        }
        for n in names
    }


def get_alias(fake: FakeElasticsearch, alias: str) -> Response:
    found = {
        n: {"aliases": {alias: {k: v for k, v in i["aliases"][alias].items() if v is not None}}}
        for n, i in fake.indices.items()
        if alias in i["aliases"]
    }
    if not found:
        return 404, {"error": f"alias [{alias}] missing", "status": 404}
    return 200, found


def aliases(fake: FakeElasticsearch, body: dict[str, Any], principal: rules.Principal) -> Response:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        fake.violation("_aliases without actions")
        raise Reject(400, "action_request_validation_exception", "no actions")
    fake.alias_calls.append(actions)
    staged = {n: dict(i["aliases"]) for n, i in fake.indices.items()}
    for action in actions:
        if len(action) != 1 or next(iter(action)) not in ("add", "remove"):
            fake.violation(f"bad alias action {action}")
            raise Reject(400, "illegal_argument_exception", "bad alias action")
        ((verb, spec),) = action.items()
        for name in (spec.get("index"), spec.get("alias")):  # both need manage_aliases
            if isinstance(name, str) and not principal.may("manage_aliases", name):
                raise Reject(
                    403,
                    "security_exception",
                    rules.unauthorized(principal, "manage_aliases", "indices:admin/aliases", name),
                )
        if spec.get("index") not in staged or not spec.get("alias"):
            fake.violation(f"alias action on a missing index: {action}")
            raise Reject(404, "index_not_found_exception", str(spec.get("index")))
        if verb == "add":
            staged[spec["index"]][spec["alias"]] = {"is_write_index": spec.get("is_write_index")}
        else:
            staged[spec["index"]].pop(spec["alias"], None)
    previous = {n: i["aliases"] for n, i in fake.indices.items()}
    for name, aliases in staged.items():  # all or nothing, like the real call
        fake.indices[name]["aliases"] = aliases
    try:
        _check_write_indices(fake)
    except Reject:
        for name, aliases in previous.items():
            fake.indices[name]["aliases"] = aliases
        raise
    return 200, {"acknowledged": True}


def _check_write_indices(fake: FakeElasticsearch) -> None:
    """One write index per alias (Elasticsearch's IndexAbstraction.Alias check)."""
    writers: dict[str, list[str]] = {}
    for name, index in sorted(fake.indices.items()):
        for alias, spec in index["aliases"].items():
            if spec.get("is_write_index"):
                writers.setdefault(alias, []).append(name)
    for alias, names in writers.items():
        if len(names) > 1:
            raise Reject(
                500,
                "illegal_state_exception",
                f"alias [{alias}] has more than one write index [{','.join(names)}]",
            )


def stats(fake: FakeElasticsearch, target: str) -> Response:
    """Index stats at shard level: one primary shard per index, as the template sets."""
    names = fake.resolve(target)
    if not names:
        raise Reject(404, "index_not_found_exception", f"no such index [{target}]")
    out = {}
    for name in names:
        top = max(fake.indices[name]["seq"].values(), default=-1)
        shard = {
            "routing": {"state": "STARTED", "primary": True, "node": "fake-node"},
            "docs": {"count": len(fake.indices[name]["docs"])},
            "seq_no": {"max_seq_no": top, "local_checkpoint": top, "global_checkpoint": top},
        }
        out[name] = {"shards": {"0": [shard]}}
    return 200, {"_shards": {"total": len(names), "successful": len(names)}, "indices": out}


def delete_index(fake: FakeElasticsearch, target: str) -> Response:
    names = target.split(",")
    if any("*" in n or n == "_all" for n in names):
        # action.destructive_requires_name, true by default since 8.0.
        raise Reject(
            400, "illegal_argument_exception", "Wildcard expressions or all indices are not allowed"
        )
    for name in names:
        if name not in fake.indices and fake.resolve(name):
            raise Reject(
                400,
                "illegal_argument_exception",
                f"The provided expression [{name}] matches an alias, specify the corresponding "
                "concrete indices instead.",
            )
        if name not in fake.indices:
            raise Reject(404, "index_not_found_exception", f"no such index [{name}]")
    for name in names:
        del fake.indices[name]
    return 200, {"acknowledged": True}
