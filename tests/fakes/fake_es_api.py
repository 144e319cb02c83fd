"""Request routing and checking for FakeElasticsearch (see fake_elasticsearch.py)."""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any

from tests.fakes import fake_es_query as q

if TYPE_CHECKING:
    from tests.fakes.fake_elasticsearch import FakeElasticsearch

Response = tuple[int, Any]


class Reject(Exception):
    def __init__(self, status: int, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.body = {"error": {"type": error_type, "reason": reason}, "status": status}


def route(
    fake: FakeElasticsearch, method: str, path: str, params: dict[str, str], raw: bytes
) -> Response:
    segs = [s for s in path.split("/") if s]
    if method == "HEAD" or not segs:
        return 200, {"version": {"number": "8.15.0"}, "tagline": "You Know, for Search"}
    if path.startswith(fake.forbidden) and fake.forbidden:
        raise Reject(403, "security_exception", f"action [{method} {path}] is unauthorized")
    body = _json(fake, raw) if raw and segs[-1] != "_bulk" else {}
    if segs[0] == "_index_template" and method == "PUT":
        return _put_template(fake, segs[1], body)
    if segs[0] == "_alias" and method == "GET":
        return _get_alias(fake, segs[1])
    if segs[0] == "_aliases" and method in ("POST", "PUT"):
        return _aliases(fake, body)
    if segs[-1] == "_bulk":
        return _bulk(fake, raw)
    if segs[-1] == "_mget":
        return _mget(fake, segs[0] if len(segs) == 2 else "", body, params)
    if segs[-1] == "_search":
        return _search(fake, segs[0], body)
    if segs[-1] == "_count":
        return 200, {"count": sum(1 for _ in fake.docs(segs[0]))}
    if segs[-1] == "_refresh":
        return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
    if len(segs) == 1 and method == "PUT":
        return _create_index(fake, segs[0])
    if len(segs) == 1 and method == "GET":
        return _get_indices(fake, segs[0])
    if len(segs) == 1 and method == "DELETE":
        if segs[0] not in fake.indices:
            raise Reject(404, "index_not_found_exception", f"no such index [{segs[0]}]")
        del fake.indices[segs[0]]
        return 200, {"acknowledged": True}
    fake.violation(f"unexpected request {method} {path}")
    raise Reject(400, "fake_unsupported", f"FakeElasticsearch does not answer {method} {path}")


def _json(fake: FakeElasticsearch, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        fake.violation(f"request body is not JSON: {raw[:80]!r}")
        raise Reject(400, "parse_exception", "request body is not JSON") from None


def _put_template(fake: FakeElasticsearch, name: str, body: dict[str, Any]) -> Response:
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
    fake.templates[name] = body
    return 200, {"acknowledged": True}


def _create_index(fake: FakeElasticsearch, name: str) -> Response:
    if name in fake.indices:
        raise Reject(400, "resource_already_exists_exception", f"index [{name}] already exists")
    template = next(
        (
            t
            for t in fake.templates.values()
            if any(re.fullmatch(p.replace("*", ".*"), name) for p in t["index_patterns"])
        ),
        None,
    )
    if template is None:
        fake.violation(f"index {name} created with no matching template")
    mappings = copy.deepcopy((template or {}).get("template", {}).get("mappings", {}))
    fake.indices[name] = {"mappings": mappings, "docs": {}, "aliases": set()}
    return 200, {"acknowledged": True, "index": name}


def _get_indices(fake: FakeElasticsearch, target: str) -> Response:
    names = fake.resolve(target)
    if not names and "*" not in target:
        raise Reject(404, "index_not_found_exception", f"no such index [{target}]")
    return 200, {
        n: {
            "aliases": {a: {} for a in fake.indices[n]["aliases"]},
            "mappings": fake.indices[n]["mappings"],
            "settings": {},
        }
        for n in names
    }


def _get_alias(fake: FakeElasticsearch, alias: str) -> Response:
    found = {n: {"aliases": {alias: {}}} for n, i in fake.indices.items() if alias in i["aliases"]}
    if not found:
        return 404, {"error": f"alias [{alias}] missing", "status": 404}
    return 200, found


def _aliases(fake: FakeElasticsearch, body: dict[str, Any]) -> Response:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        fake.violation("_aliases without actions")
        raise Reject(400, "action_request_validation_exception", "no actions")
    fake.alias_calls.append(actions)
    staged = {n: set(i["aliases"]) for n, i in fake.indices.items()}
    for action in actions:
        if len(action) != 1 or next(iter(action)) not in ("add", "remove"):
            fake.violation(f"bad alias action {action}")
            raise Reject(400, "illegal_argument_exception", "bad alias action")
        ((verb, spec),) = action.items()
        if spec.get("index") not in staged or not spec.get("alias"):
            fake.violation(f"alias action on a missing index: {action}")
            raise Reject(404, "index_not_found_exception", str(spec.get("index")))
        (staged[spec["index"]].add if verb == "add" else staged[spec["index"]].discard)(
            spec["alias"]
        )
    for name, aliases in staged.items():  # all or nothing, like the real call
        fake.indices[name]["aliases"] = aliases
    return 200, {"acknowledged": True}


def _single_index(fake: FakeElasticsearch, target: str) -> str:
    names = fake.resolve(target)
    if len(names) != 1:
        raise Reject(
            404 if not names else 400, "index_not_found_exception", f"[{target}] -> {names}"
        )
    return names[0]


def _bulk(fake: FakeElasticsearch, raw: bytes) -> Response:
    if fake.bulk_rejections:
        status = fake.bulk_rejections.pop(0)
        raise Reject(
            status, "es_rejected_execution_exception", "rejected execution (fake overload)"
        )
    lines = raw.decode("utf-8").split("\n")
    if lines[-1] != "":
        fake.violation("bulk body does not end with a newline")
    lines = [line for line in lines if line]
    if len(lines) % 2:
        fake.violation("bulk body: odd number of lines (an action without its source)")
        raise Reject(400, "illegal_argument_exception", "malformed bulk body")
    parsed = [json.loads(line) for line in lines]
    fake.bulk_bodies.append(parsed)
    items = []
    for action, source in zip(parsed[::2], parsed[1::2], strict=True):
        items.append({"index": _bulk_item(fake, action, source)})
    errors = any("error" in i["index"] for i in items)
    return 200, {"took": 1, "errors": errors, "items": items}


def _bulk_item(
    fake: FakeElasticsearch, action: dict[str, Any], source: dict[str, Any]
) -> dict[str, Any]:
    meta = action.get("index")
    if set(action) != {"index"} or not isinstance(meta, dict):
        fake.violation(f"bulk action is not an index action: {action}")
        return {
            "status": 400,
            "error": {"type": "illegal_argument_exception", "reason": "bad action"},
        }
    doc_id, target = meta.get("_id"), meta.get("_index")
    if not doc_id or not target:
        fake.violation(f"bulk action without _id or _index: {action}")
    if source.get("id") != doc_id:
        fake.violation(f"bulk source id {source.get('id')!r} != _id {doc_id!r}")
    if "raw" not in source or "fingerprint" not in source:
        fake.violation(f"bulk source for {doc_id} lacks raw or fingerprint")
    base = {"_index": target, "_id": doc_id}
    if doc_id in fake.fail_items:
        status, error = fake.fail_items.pop(doc_id)
        return {**base, "status": status, "error": error}
    try:
        index = _single_index(fake, str(target))
    except Reject as exc:
        return {**base, "status": exc.status, "error": exc.body["error"]}
    from tests.fakes.fake_elasticsearch import check_value

    problem = check_value(fake.indices[index]["mappings"], source, "")
    if problem:
        kind = (
            "strict_dynamic_mapping_exception"
            if "strict" in problem
            else "document_parsing_exception"
        )
        return {
            **base,
            "_index": index,
            "status": 400,
            "error": {"type": kind, "reason": f"[1:1] {problem}"},
        }
    docs = fake.indices[index]["docs"]
    result = "updated" if doc_id in docs else "created"
    docs[doc_id] = source
    return {
        **base,
        "_index": index,
        "status": 201 if result == "created" else 200,
        "result": result,
    }


def _project(source: dict[str, Any], params: dict[str, str], spec: Any = None) -> dict[str, Any]:
    includes = params.get("_source_includes")
    excludes = params.get("_source_excludes")
    if isinstance(spec, dict):
        includes = ",".join(spec.get("includes", [])) or None
    if includes:
        return {k: v for k, v in source.items() if k in includes.split(",")}
    if excludes:
        return {k: v for k, v in source.items() if k not in excludes.split(",")}
    return source


def _mget(
    fake: FakeElasticsearch, target: str, body: dict[str, Any], params: dict[str, str]
) -> Response:
    ids = body.get("ids")
    if not isinstance(ids, list) or not target:
        fake.violation(f"mget without index or ids: {body}")
        raise Reject(400, "action_request_validation_exception", "ids missing")
    index = _single_index(fake, target)
    docs = fake.indices[index]["docs"]
    return 200, {
        "docs": [
            {"_index": index, "_id": i, "found": True, "_source": _project(docs[i], params)}
            if i in docs
            else {"_index": index, "_id": i, "found": False}
            for i in ids
        ]
    }


def _search(fake: FakeElasticsearch, target: str, body: dict[str, Any]) -> Response:
    query = body.get("query", {"match_all": {}})
    try:
        scored = [(q.matches(query, src), doc_id, src) for doc_id, src in fake.docs(target)]
    except q.Unsupported as exc:
        fake.violation(f"search: {exc}")
        raise Reject(400, "fake_unsupported", str(exc)) from None
    scored = [s for s in scored if s[0]]
    sort = body.get("sort", ["_score"])
    by_id = sort and sort[0] == {"id": "asc"}
    if by_id:
        scored.sort(key=lambda s: s[1])
        after = body.get("search_after")
        if after:
            scored = [s for s in scored if s[1] > after[0]]
    elif sort and sort[0] == "_score":
        scored.sort(key=lambda s: (-s[0], s[2].get("published_at") or ""))
    else:
        scored.sort(key=lambda s: s[2].get("published_at") or "", reverse=True)
    total = len(scored)
    page = scored[: int(body.get("size", 10))]
    words = q.query_words(query)
    tags = body.get("highlight", {})
    marks = (tags.get("pre_tags", ["<em>"])[0], tags.get("post_tags", ["</em>"])[0])
    hits = []
    for score, doc_id, src in page:
        hit: dict[str, Any] = {
            "_id": doc_id,
            "_score": score,
            "_source": _project(src, {}, body.get("_source")),
        }
        if body.get("_source") is False:
            hit.pop("_source")
        if by_id:
            hit["sort"] = [doc_id]
        if "highlight" in body:
            hit["highlight"] = {"body": [q.highlight(src.get("body", ""), words, 200, marks)]}
        hits.append(hit)
    response: dict[str, Any] = {"hits": {"total": {"value": total, "relation": "eq"}, "hits": hits}}
    if "aggs" in body:
        try:
            response["aggregations"] = q.aggregate(body["aggs"], [src for _, _, src in scored])
        except q.Unsupported as exc:
            fake.violation(f"search: {exc}")
            raise Reject(400, "fake_unsupported", str(exc)) from None
    return 200, response
