"""Request routing and checking for FakeElasticsearch (see fake_elasticsearch.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.fakes import fake_es_admin as admin
from tests.fakes import fake_es_query as q
from tests.fakes import fake_es_rules as rules

if TYPE_CHECKING:
    from tests.fakes.fake_elasticsearch import FakeElasticsearch

Response = tuple[int, Any]
Reject = rules.Reject


MAX_RESULT_WINDOW = 10_000  # index.max_result_window's default
DEFAULT_TRACK_TOTAL_HITS = 10_000


def _endpoint(method: str, segs: list[str]) -> str | None:
    """Which API a request calls (the names of fake_es_rules.PARAMS)."""
    last = segs[-1]
    by_last = {"_bulk": "bulk", "_mget": "mget", "_search": "search", "_count": "count"}
    if last in by_last:
        return by_last[last]
    if last == "_refresh":
        return "refresh"
    if last == "_stats" and len(segs) == 2:
        return "stats"
    if segs[0] == "_security" and last == "_has_privileges":
        return "has_privileges"
    if segs[0] == "_index_template" and len(segs) == 2:
        return {"PUT": "put_template", "DELETE": "delete_template"}.get(method)
    if segs[0] == "_alias" and method == "GET":
        return "get_alias"
    if segs[0] == "_aliases" and method in ("POST", "PUT"):
        return "aliases"
    if len(segs) == 3 and segs[1] == "_doc" and method in ("GET", "DELETE"):
        return "get" if method == "GET" else "delete_doc"
    if len(segs) == 1 and (not segs[0].startswith("_") or segs[0] == "_all"):
        return {
            "PUT": "create_index",
            "GET": "get_index",
            "HEAD": "get_index",
            "DELETE": "delete_index",
        }.get(method)
    return None


# The primitive privilege each API needs on its target (fake_es_rules).
_NEEDS = {
    "mget": "read",
    "search": "read",
    "count": "read",
    "get": "read",
    "delete_doc": "delete",
    "refresh": "maintenance",
    "stats": "monitor",
    "get_alias": "view_index_metadata",
    "get_index": "view_index_metadata",
    "aliases": "manage_aliases",
    "create_index": "create_index",
    "delete_index": "delete_index",
    "put_template": "manage_index_templates",
    "delete_template": "manage_index_templates",
}
_ACTIONS = {
    "mget": "indices:data/read/mget",
    "search": "indices:data/read/search",
    "count": "indices:data/read/search",
    "get": "indices:data/read/get",
    "delete_doc": "indices:data/write/delete",
    "refresh": "indices:admin/refresh",
    "stats": "indices:monitor/stats",
    "get_alias": "indices:admin/aliases/get",
    "get_index": "indices:admin/get",
    "aliases": "indices:admin/aliases",
    "create_index": "indices:admin/create",
    "delete_index": "indices:admin/delete",
    "put_template": "cluster:admin/indices/index_template/put",
    "delete_template": "cluster:admin/indices/index_template/delete",
}


def route(
    fake: FakeElasticsearch,
    method: str,
    path: str,
    params: dict[str, str],
    raw: bytes,
    authorization: str | None = None,
) -> Response:
    segs = [s for s in path.split("/") if s]
    if not segs:
        return 200, {"version": {"number": "8.15.0"}, "tagline": "You Know, for Search"}
    if segs[0] == "_security":
        _security_faults(fake)
    principal = fake.api_keys.principal(authorization)
    if principal is None:
        raise Reject(
            401,
            "security_exception",
            "unable to authenticate with provided credentials and anonymous access is not "
            "allowed for this request",
        )
    if path.startswith(fake.forbidden) and fake.forbidden:
        raise Reject(403, "security_exception", f"action [{method} {path}] is unauthorized")
    endpoint = _endpoint(method, segs)
    if endpoint is None:
        fake.violation(f"unexpected request {method} {path}")
        raise Reject(400, "fake_unsupported", f"FakeElasticsearch does not answer {method} {path}")
    unknown = rules.unknown_params(endpoint, params)
    if unknown:
        raise Reject(
            400,
            "illegal_argument_exception",
            f"request [{path}] contains unrecognized parameter: [{unknown[0]}]",
        )
    needed = _NEEDS.get(endpoint)
    target = segs[1] if segs[0].startswith("_") and len(segs) > 1 else segs[0]
    if needed and not principal.may(needed, None if target.startswith("_") else target):
        raise Reject(
            403,
            "security_exception",
            rules.unauthorized(principal, needed, _ACTIONS[endpoint], target),
        )
    body = _json(fake, raw) if raw and endpoint != "bulk" else {}
    return _dispatch(fake, endpoint, segs, params, body, raw, principal)


def _security_faults(fake: FakeElasticsearch) -> None:
    """What a security API answers on a cluster with security off (HTTP 500
    `illegal_state_exception`, SecurityBaseRestHandler.checkFeatureAvailable in
    elastic/elasticsearch), or an injected busy answer (`fake.security_failures`)."""
    if not fake.security_enabled:
        raise Reject(
            500,
            "illegal_state_exception",
            "Security is not enabled but a security rest handler is registered",
        )
    if fake.security_failures:
        status = fake.security_failures.pop(0)
        if status == 429:
            raise Reject(
                429,
                "es_rejected_execution_exception",
                "rejected execution of TimedRunnable on EsThreadPoolExecutor[name = "
                "node-1/security-crypto, queue capacity = 1000]",
            )
        raise Reject(status, "master_not_discovered_exception", "no master node")


def _dispatch(
    fake: FakeElasticsearch,
    endpoint: str,
    segs: list[str],
    params: dict[str, str],
    body: dict[str, Any],
    raw: bytes,
    principal: rules.Principal,
) -> Response:
    if endpoint == "has_privileges":
        return 200, rules.has_privileges(principal, body)
    if endpoint == "put_template":
        return admin.put_template(fake, segs[1], body)
    if endpoint == "delete_template":
        if segs[1] not in fake.templates:
            raise Reject(404, "resource_not_found_exception", f"index_template [{segs[1]}] missing")
        del fake.templates[segs[1]]
        return 200, {"acknowledged": True}
    if endpoint == "get_alias":
        return admin.get_alias(fake, segs[1])
    if endpoint == "aliases":
        return admin.aliases(fake, body, principal)
    if endpoint == "bulk":
        return _bulk(fake, raw, params, principal)
    if endpoint == "mget":
        return _mget(fake, segs[0] if len(segs) == 2 else "", body, params)
    if endpoint == "get":
        return _get(fake, segs[0], segs[2])
    if endpoint == "delete_doc":
        return _delete_doc(fake, segs[0], segs[2], params)
    if endpoint == "search":
        return _search(fake, segs[0], _search_options(body, params))
    if endpoint == "count":
        return 200, {"count": sum(1 for _ in fake.docs(segs[0]))}
    if endpoint == "refresh":
        for name in fake.resolve(segs[0] if len(segs) == 2 else "*"):
            fake.refresh(name)
        return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
    if endpoint == "stats":
        return admin.stats(fake, segs[0])
    if endpoint == "create_index":
        # Creating an index with aliases needs `manage` on each alias too (reference,
        # "Create index API": "To add the index to an alias, you must have the manage
        # index privilege for the alias").
        for alias in body.get("aliases") or {}:
            if not principal.may("manage_aliases", alias):
                raise Reject(
                    403,
                    "security_exception",
                    rules.unauthorized(principal, "manage_aliases", "indices:admin/aliases", alias),
                )
        return admin.create_index(fake, segs[0], body)
    if endpoint == "get_index":
        return admin.get_indices(fake, segs[0])
    return admin.delete_index(fake, segs[0])


def _delete_doc(
    fake: FakeElasticsearch, target: str, doc_id: str, params: dict[str, str]
) -> Response:
    """Through an alias a delete goes to its write index, as ES does; like any write it
    is searchable (here: gone from searches) only after a refresh."""
    try:
        index = fake.write_index(target)
    except ValueError as exc:
        raise Reject(400, "illegal_argument_exception", str(exc)) from None
    if index is None:
        raise Reject(404, "index_not_found_exception", f"no such index [{target}]")
    if fake.indices[index]["docs"].pop(doc_id, None) is None:
        raise Reject(404, "not_found", f"[{doc_id}]: document missing")  # ES answers 404
    if params.get("refresh") in ("", "true", "wait_for"):
        fake.refresh(index)
    return 200, {"_index": index, "_id": doc_id, "result": "deleted"}


def _json(fake: FakeElasticsearch, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        fake.violation(f"request body is not JSON: {raw[:80]!r}")
        raise Reject(400, "parse_exception", "request body is not JSON") from None


def _single_index(fake: FakeElasticsearch, target: str) -> str:
    names = fake.resolve(target)
    if len(names) != 1:
        raise Reject(
            404 if not names else 400, "index_not_found_exception", f"[{target}] -> {names}"
        )
    return names[0]


def _bulk(
    fake: FakeElasticsearch, raw: bytes, params: dict[str, str], principal: rules.Principal
) -> Response:
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
        op = next(iter(action), "index")
        items.append({op: _bulk_item(fake, action, source, principal)})
    if params.get("refresh") in ("", "true", "wait_for"):
        # `wait_for` returns once a refresh made the writes visible; `true` forces one.
        for item in items:
            result = next(iter(item.values()))
            if "error" not in result and result.get("_index") in fake.indices:
                fake.refresh(result["_index"])
    errors = any("error" in next(iter(i.values())) for i in items)
    return 200, {"took": 1, "errors": errors, "items": items}


def _bulk_item(
    fake: FakeElasticsearch,
    action: dict[str, Any],
    source: dict[str, Any],
    principal: rules.Principal,
) -> dict[str, Any]:
    op = next(iter(action), "")
    meta = action.get(op)
    if len(action) != 1 or op not in ("index", "create") or not isinstance(meta, dict):
        fake.violation(f"bulk action is not an index or create action: {action}")
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
    needed = "create_doc" if op == "create" else "index"
    if not principal.may(needed, str(target)):
        reason = rules.unauthorized(principal, needed, f"indices:data/write/{op}", str(target))
        return {**base, "status": 403, "error": {"type": "security_exception", "reason": reason}}
    if doc_id in fake.fail_items:
        status, error = fake.fail_items.pop(doc_id)
        return {**base, "status": status, "error": error}
    try:
        index = fake.write_index(str(target))
    except ValueError as exc:
        error = {"type": "illegal_argument_exception", "reason": str(exc)}
        return {**base, "status": 400, "error": error}
    if index is None:
        # A real cluster would create an index of that name (auto_create_index); the
        # store never writes before its alias exists, so the fake refuses instead.
        error = {"type": "index_not_found_exception", "reason": f"no such index [{target}]"}
        return {**base, "status": 404, "error": error}
    from tests.fakes.fake_elasticsearch import check_value

    problem = check_value(fake.indices[index]["mappings"], source, "")
    if problem:
        if isinstance(problem, rules.ItemError):
            error = problem.error()
        else:
            kind = (
                "strict_dynamic_mapping_exception"
                if "strict" in problem
                else "document_parsing_exception"
            )
            error = {"type": kind, "reason": f"[1:1] {problem}"}
        return {**base, "_index": index, "status": 400, "error": error}
    docs, seq = fake.indices[index]["docs"], fake.indices[index]["seq"]
    conflict = _version_conflict(op, meta, doc_id, seq)
    if conflict:
        error = {"type": "version_conflict_engine_exception", "reason": conflict}
        return {**base, "_index": index, "status": 409, "error": error}
    result = "updated" if doc_id in docs else "created"
    docs[doc_id] = source
    fake.seq_no += 1
    seq[doc_id] = fake.seq_no
    return {
        **base,
        "_index": index,
        "status": 201 if result == "created" else 200,
        "result": result,
        "_seq_no": fake.seq_no,
        "_primary_term": 1,
    }


def _version_conflict(op: str, meta: dict[str, Any], doc_id: str, seq: dict[str, int]) -> str:
    """Optimistic concurrency: `create` of an existing id, or `if_seq_no` that moved."""
    if op == "create" and doc_id in seq:
        return f"[{doc_id}]: version conflict, document already exists (current version [1])"
    wanted = meta.get("if_seq_no")
    if wanted is not None and (seq.get(doc_id) != wanted or meta.get("if_primary_term") != 1):
        return (
            f"[{doc_id}]: version conflict, required seqNo [{wanted}], primary term "
            f"[{meta.get('if_primary_term')}]. current document has seqNo [{seq.get(doc_id)}] "
            "and primary term [1]"
        )
    return ""


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
    if not fake.resolve(target):
        # A missing index fails each document, not the request (as the real mget does).
        error = {"type": "index_not_found_exception", "reason": f"no such index [{target}]"}
        return 200, {"docs": [{"_index": target, "_id": i, "error": error} for i in ids]}
    index = _single_index(fake, target)
    return 200, {"docs": [_doc(fake, index, i, params) for i in ids]}


def _doc(
    fake: FakeElasticsearch, index: str, doc_id: str, params: dict[str, str]
) -> dict[str, Any]:
    """One real-time get result: writes are seen at once, refreshed or not."""
    docs = fake.indices[index]["docs"]
    if doc_id not in docs:
        return {"_index": index, "_id": doc_id, "found": False}
    return {
        "_index": index,
        "_id": doc_id,
        "_version": 1,
        "_seq_no": fake.indices[index]["seq"][doc_id],
        "_primary_term": 1,
        "found": True,
        **({} if params.get("_source") == "false" else {"_source": _project(docs[doc_id], params)}),
    }


def _get(fake: FakeElasticsearch, target: str, doc_id: str) -> Response:
    found = _doc(fake, _single_index(fake, target), doc_id, {})
    return (200 if found["found"] else 404), found


def _search_options(body: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    """The search body with what may also come as parameters, checked like the server."""
    options = dict(body)
    for key in ("size", "from", "track_total_hits"):
        if key in params:
            value = params[key]
            options[key] = value == "true" if value in ("true", "false") else int(value)
    window = int(options.get("from", 0)) + int(options.get("size", 10))
    if window > MAX_RESULT_WINDOW:
        reason = (
            f"Result window is too large, from + size must be less than or equal to: "
            f"[{MAX_RESULT_WINDOW}] but was [{window}]. See the scroll api for a more "
            "efficient way to request large data sets. This limit can be set by changing "
            "the [index.max_result_window] index level setting."
        )
        raise Reject(
            400,
            "search_phase_execution_exception",
            "all shards failed",
            root_cause={"type": "illegal_argument_exception", "reason": reason},
            caused_by={"type": "illegal_argument_exception", "reason": reason},
        )
    return options


def _total(count: int, track: Any) -> dict[str, Any] | None:
    """`hits.total` as `track_total_hits` asks: exact, capped (gte) or absent."""
    if track is False:
        return None
    limit = DEFAULT_TRACK_TOTAL_HITS if track is None else track
    if limit is True or count <= int(limit):
        return {"value": count, "relation": "eq"}
    return {"value": int(limit), "relation": "gte"}


def _search(fake: FakeElasticsearch, target: str, body: dict[str, Any]) -> Response:
    query = body.get("query", {"match_all": {}})
    marked = body.get("highlight", {}).get("highlight_query")
    try:
        named: dict[str, set[str]] = {}
        scored = [
            (q.matches(query, src, named.setdefault(doc_id, set())), doc_id, src)
            for doc_id, src in fake.docs(target)
        ]
        if marked is not None:  # a highlight query is parsed like any query
            for _, src in fake.docs(target):
                q.matches(marked, src)
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
    total = _total(len(scored), body.get("track_total_hits"))
    start = int(body.get("from", 0))
    page = scored[start : start + int(body.get("size", 10))]
    tags = body.get("highlight", {})
    words = q.query_words(marked or query)
    marks = (tags.get("pre_tags", ["<em>"])[0], tags.get("post_tags", ["</em>"])[0])
    hits = []
    for score, doc_id, src in page:
        hit: dict[str, Any] = {
            "_id": doc_id,
            "_score": score,
            "_source": _project(src, {}, body.get("_source")),
        }
        if named.get(doc_id):
            hit["matched_queries"] = sorted(named[doc_id])
        if body.get("_source") is False:
            hit.pop("_source")
        if by_id:
            hit["sort"] = [doc_id]
        if "highlight" in body:
            hit["highlight"] = {"body": [q.highlight(src.get("body", ""), words, 200, marks)]}
        hits.append(hit)
    response: dict[str, Any] = {"hits": {"hits": hits}}
    if total is not None:
        response["hits"]["total"] = total
    if "aggs" in body:
        try:
            response["aggregations"] = q.aggregate(body["aggs"], [src for _, _, src in scored])
        except q.Unsupported as exc:
            fake.violation(f"search: {exc}")
            raise Reject(400, "fake_unsupported", str(exc)) from None
    return 200, response
