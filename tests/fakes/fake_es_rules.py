"""What FakeElasticsearch enforces the way a real 8.x/9.x cluster does (issue 12).

Each rule here is checked against an official source, named beside it:

- **Privileges** (Elasticsearch reference, "Security privileges"; the response shape
  of `_security/user/_has_privileges` from elastic/elasticsearch-specification,
  `specification/security/has_privileges/SecurityHasPrivilegesResponse.ts`): an API
  key holds named privileges, each granting a set of actions; a refused call is 403
  `security_exception` "action [...] is unauthorized ...". `manage` covers index
  administration (create, delete, aliases, refresh, get index metadata) but not reading
  or writing documents; `read` covers search/count/get/mget only, not `GET /_alias`
  (that is `view_index_metadata`); `index` writes documents; templates are the cluster
  privilege `manage_index_templates`.
- **Query parameters**: an unknown parameter is 400 `illegal_argument_exception`
  "request [path] contains unrecognized parameter: [x]". The accepted sets below are
  the `query_parameters` of each request in the specification (e.g.
  `specification/_global/mget/MultiGetRequest.ts`) plus the global `pretty`, `human`,
  `error_trace`, `filter_path`.
- **Search totals and paging** (`specification/_global/search/SearchRequest.ts`):
  `track_total_hits` "Defaults to 10,000 hits" (beyond: `relation: gte`; `false`: no
  total); "you cannot page through more than 10,000 hits using the from and size
  parameters" (`index.max_result_window`), refused as `search_phase_execution_exception`
  with the `illegal_argument_exception` "Result window is too large..." as root cause.
- **Mapping values** (reference, "Mapping parameters: format", "Built-in formats",
  "Keyword type: ignore_above", "Range field types"): `strict_date` is `yyyy-MM-dd`
  exactly, `strict_year_month` `yyyy-MM`, `strict_year` `yyyy`, `||` separates
  alternatives; a keyword longer than `ignore_above` characters is kept in `_source`
  but not indexed, and one over 32766 UTF-8 bytes fails the document (Lucene's term
  limit); a range whose `gte` is after its `lte` fails. A failed document comes back
  as `document_parsing_exception` with the parser's error in `caused_by`.
"""

from __future__ import annotations

import base64
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any


class Reject(Exception):
    """An error answer: status and Elasticsearch's error body."""

    def __init__(
        self,
        status: int,
        error_type: str,
        reason: str,
        *,
        root_cause: dict[str, Any] | None = None,
        caused_by: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        error: dict[str, Any] = {
            "root_cause": [root_cause or {"type": error_type, "reason": reason}],
            "type": error_type,
            "reason": reason,
        }
        if caused_by:
            error["caused_by"] = caused_by
        self.body = {"error": error, "status": status}


def _names(text: str) -> set[str]:
    return set(text.split())


# -- privileges ---------------------------------------------------------------------

# What each named index privilege grants, as the primitive actions checked below.
_INDEX_GRANTS: dict[str, frozenset[str]] = {
    "all": frozenset(
        {"read", "index", "create_doc", "delete", "create_index", "delete_index"}
        | {"view_index_metadata"}
        | {"manage_aliases", "maintenance", "monitor"}
    ),
    "manage": frozenset(
        {"create_index", "delete_index", "view_index_metadata", "manage_aliases", "maintenance"}
        | {"monitor"}
    ),
    "read": frozenset({"read"}),
    "write": frozenset({"index", "create_doc", "delete"}),
    "delete": frozenset({"delete"}),
    "index": frozenset({"index", "create_doc"}),
    "create_doc": frozenset({"create_doc"}),
    "create_index": frozenset({"create_index"}),
    "delete_index": frozenset({"delete_index"}),
    "view_index_metadata": frozenset({"view_index_metadata"}),
    "maintenance": frozenset({"maintenance"}),
    "monitor": frozenset({"monitor"}),
}
_CLUSTER_GRANTS: dict[str, frozenset[str]] = {
    "all": frozenset({"manage_index_templates"}),
    "manage": frozenset({"manage_index_templates"}),
    "manage_index_templates": frozenset({"manage_index_templates"}),
}
# The index privileges a refusal message names for each primitive (real messages list
# every privilege that would grant the action).
_GRANTED_BY = {
    action: sorted(p for p, grants in _INDEX_GRANTS.items() if action in grants)
    for action in set().union(*_INDEX_GRANTS.values())
}
# The three roles docs/elasticsearch.md documents, as the fake grants them: (cluster
# privileges, index privileges). Keys get them on the index names `Keys.create` is
# given ("*" unless a test names the patterns, as docs/elasticsearch.md's `monitor-articles*`).
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "reader": ((), ("read",)),
    "writer": ((), ("read", "index")),
    "admin": (("manage_index_templates",), ("manage", "read", "index", "delete")),
}

# The privilege names a cluster knows: the enums `ClusterPrivilege` and `IndexPrivilege`
# of elastic/elasticsearch-specification, specification/security/_types/Privileges.ts
# (commit 9d9b9a5, August 2026). Any other name that is not an action pattern
# (`indices:data/read/*`) is refused with 400, as Elasticsearch refuses it.
CLUSTER_PRIVILEGE_NAMES = frozenset(
    _names(
        """all cancel_task create_snapshot cross_cluster_replication cross_cluster_search
    delegate_pki grant_api_key manage manage_api_key manage_autoscaling
    manage_behavioral_analytics manage_ccr manage_data_frame_transforms
    manage_data_stream_global_retention manage_enrich manage_esql manage_ilm
    manage_index_templates manage_inference manage_ingest_pipelines
    manage_logstash_pipelines manage_ml manage_oidc manage_own_api_key manage_pipeline
    manage_reindex manage_rollup manage_saml manage_search_application
    manage_search_query_rules manage_search_synonyms manage_security
    manage_service_account manage_slm manage_token manage_transform manage_user_profile
    manage_watcher monitor monitor_data_frame_transforms
    monitor_data_stream_global_retention monitor_enrich monitor_esql monitor_inference
    monitor_ml monitor_reindex monitor_rollup monitor_snapshot monitor_stats
    monitor_text_structure monitor_transform monitor_watcher none
    post_behavioral_analytics_event read_ccr read_fleet_secrets read_ilm read_pipeline
    read_security read_slm transport_client write_connector_secrets write_fleet_secrets
    read_project_routing manage_project_routing"""
    )
)
INDEX_PRIVILEGE_NAMES = frozenset(
    _names(
        """all auto_configure create create_doc create_index create_view
    cross_cluster_replication cross_cluster_replication_internal delete delete_index
    delete_view index maintenance manage manage_data_stream_lifecycle
    manage_follow_index manage_ilm manage_leader_index manage_view monitor none read
    read_cross_cluster read_view_metadata view_index_metadata write"""
    )
)


def check_privilege_names(cluster: list[str], index: list[str]) -> None:
    """400 for a privilege name the cluster does not know (Elasticsearch's
    IllegalArgumentException "unknown ... privilege [x]")."""
    for kind, names, known, what in (
        ("cluster", cluster, CLUSTER_PRIVILEGE_NAMES, "cluster privilege names"),
        ("index", index, INDEX_PRIVILEGE_NAMES, "fixed indices privileges"),
    ):
        for name in names:
            if name not in known and ":" not in name:
                raise Reject(
                    400,
                    "illegal_argument_exception",
                    f"unknown {kind} privilege [{name}]. a privilege must be either one of "
                    f"the predefined {what} [{','.join(sorted(known))}] or a pattern over "
                    f"one of the available {kind} actions",
                )


def covers(pattern: str, name: str) -> bool:
    """Whether a role's index `pattern` matches every index `name` may stand for.

    `name` may itself be a pattern (`_has_privileges` asks about `monitor-articles-*`):
    a role on `monitor-articles-v*` does not cover it, since `monitor-articles-rebuilding`
    matches the question and not the role. Real clusters compare automata; the fake
    handles literal names and trailing `*` wildcards, the forms the documented roles use.
    """
    if pattern == "*":
        return True
    if "*" not in name:
        return fnmatch.fnmatchcase(name, pattern)
    prefix = name.split("*", 1)[0]
    return pattern.endswith("*") and "*" not in pattern[:-1] and prefix.startswith(pattern[:-1])


# (index name patterns, index privileges): one entry of a role's `indices`.
Grant = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Principal:
    """Who sent a request: the superuser (no credentials) or an API key of a role."""

    name: str
    cluster: tuple[str, ...] = ("all",)
    indices: tuple[Grant, ...] = ((("*",), ("all",)),)
    key_id: str = ""

    def index_actions(self, target: str | None = None) -> frozenset[str]:
        """What the grants covering `target` allow (None: any of them)."""
        return frozenset().union(
            *(
                _INDEX_GRANTS.get(p, frozenset())
                for names, privileges in self.indices
                if target is None or any(covers(n, target) for n in names)
                for p in privileges
            )
        )

    def cluster_actions(self) -> frozenset[str]:
        return frozenset().union(*(_CLUSTER_GRANTS.get(p, frozenset()) for p in self.cluster))

    def may(self, action: str, target: str | None = None) -> bool:
        """Whether `action` is allowed on `target` (an index or alias name; None or a
        wildcard: on anything, as a wildcard resolves to the permitted indices only)."""
        if target is not None and ("*" in target or "," in target):
            target = None
        return action in self.index_actions(target) | self.cluster_actions()


SUPERUSER = Principal("elastic")


@dataclass
class Keys:
    """API keys the fake accepts: `Authorization: ApiKey base64(id:secret)`."""

    by_header: dict[str, Principal] = field(default_factory=dict)

    def create(self, role: str, names: tuple[str, ...] = ("*",)) -> str:
        """A new key for `role` (reader, writer, admin) on the indices `names`, in the
        encoded form settings take."""
        key_id = f"{role}-{len(self.by_header) + 1}"
        encoded = base64.b64encode(f"{key_id}:secret-of-{key_id}".encode()).decode()
        self.accept(encoded, role, names)
        return encoded

    def accept(self, encoded: str, role: str, names: tuple[str, ...] = ("*",)) -> None:
        """Take a key the test chose (a known value it then looks for in outputs)."""
        cluster, privileges = ROLES[role]
        self.grant(encoded, role, cluster=cluster, indices=((names, privileges),))

    def grant(
        self, encoded: str, role: str, *, cluster: tuple[str, ...], indices: tuple[Grant, ...]
    ) -> None:
        """A key with exactly these role descriptors; unknown privilege names are
        refused as `POST /_security/api_key` refuses them."""
        check_privilege_names(list(cluster), [p for _, ps in indices for p in ps])
        key_id = f"{role}-{len(self.by_header) + 1}"
        self.by_header[f"ApiKey {encoded}"] = Principal(
            f"monitor-{role}", cluster=cluster, indices=indices, key_id=key_id
        )

    def principal(self, authorization: str | None) -> Principal | None:
        """None: credentials sent but unknown (401)."""
        if not authorization:
            return SUPERUSER
        return self.by_header.get(authorization)


def unauthorized(principal: Principal, action: str, what: str, target: str) -> str:
    granted_by = _GRANTED_BY.get(action) or ["manage_index_templates", "manage", "all"]
    kind = "index" if action in _GRANTED_BY else "cluster"
    return (
        f"action [{what}] is unauthorized for API key id [{principal.key_id}] of user "
        f"[{principal.name}] on indices [{target}], this action is granted by the {kind} "
        f"privileges [{','.join(granted_by)}]"
    )


def has_privileges(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """The `_has_privileges` answer for `principal`: each privilege asked on each name,
    granted only by the role entries whose patterns cover that name."""
    checks = body.get("index", [])
    check_privilege_names(
        list(body.get("cluster", [])), [p for c in checks for p in c.get("privileges", [])]
    )
    cluster_actions = principal.cluster_actions()
    cluster = {
        p: _CLUSTER_GRANTS.get(p, frozenset({p})) <= cluster_actions
        for p in body.get("cluster", [])
    }
    index: dict[str, dict[str, bool]] = {}
    for check in checks:
        for name in check.get("names", []):
            granted = principal.index_actions(name)
            index[name] = {
                p: bool(granted) and _INDEX_GRANTS.get(p, frozenset({p})) <= granted
                for p in check.get("privileges", [])
            }
    every = [*cluster.values(), *(v for privs in index.values() for v in privs.values())]
    return {
        "username": principal.name,
        "has_all_requested": all(every),
        "cluster": cluster,
        "index": index,
        "application": {},
    }


# -- query parameters -----------------------------------------------------------------


_GLOBAL = _names("pretty human error_trace filter_path")
_WILDCARDS = _names("allow_no_indices expand_wildcards ignore_unavailable")
_SOURCE = _names("_source _source_excludes _source_includes")
_SEARCH_Q = _names("analyzer analyze_wildcard default_operator df lenient q")
PARAMS: dict[str, set[str]] = {
    "bulk": _SOURCE
    | _names(
        "pipeline refresh routing timeout wait_for_active_shards require_alias "
        "require_data_stream list_executed_pipelines include_source_on_error"
    ),
    "mget": _SOURCE | _names("preference realtime refresh routing stored_fields"),
    "get": _SOURCE
    | _names("preference realtime refresh routing stored_fields version version_type"),
    "search": _WILDCARDS
    | _SOURCE
    | _SEARCH_Q
    | _names(
        "allow_partial_search_results batched_reduce_size ccs_minimize_roundtrips "
        "docvalue_fields explain ignore_throttled include_named_queries_score "
        "max_concurrent_shard_requests min_compatible_shard_node preference "
        "pre_filter_shard_size request_cache routing scroll search_type stats stored_fields "
        "suggest_field suggest_mode suggest_size suggest_text terminate_after timeout "
        "track_total_hits track_scores typed_keys rest_total_hits_as_int version "
        "seq_no_primary_term size from sort force_synthetic_source"
    ),
    "count": _WILDCARDS
    | _SEARCH_Q
    | _names("ignore_throttled min_score preference routing terminate_after"),
    "refresh": _WILDCARDS,
    "delete_doc": _names(
        "if_primary_term if_seq_no refresh routing timeout version version_type "
        "wait_for_active_shards"
    ),
    "stats": _WILDCARDS
    | _names(
        "completion_fields fielddata_fields fields forbid_closed_indices groups "
        "include_segment_file_sizes include_unloaded_segments level"
    ),
    "create_index": _names("master_timeout timeout wait_for_active_shards"),
    "delete_index": _WILDCARDS | {"master_timeout", "timeout"},
    "get_index": _WILDCARDS
    | _names("features flat_settings include_defaults local master_timeout"),
    "get_alias": _WILDCARDS | {"local", "master_timeout"},
    "aliases": {"master_timeout", "timeout"},
    "put_template": {"create", "master_timeout", "cause"},
    "delete_template": {"master_timeout", "timeout"},
    "has_privileges": set(),
    "info": set(),
}


def unknown_params(endpoint: str, params: dict[str, str]) -> list[str]:
    return sorted(set(params) - PARAMS[endpoint] - _GLOBAL)


# -- mapping values -------------------------------------------------------------------

MAX_TERM_BYTES = 32766
_FORMATS = {
    "strict_date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "strict_year_month": re.compile(r"\d{4}-\d{2}"),
    "strict_year": re.compile(r"\d{4}"),
    "strict_date_optional_time": re.compile(
        r"\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?"
    ),
}
_DEFAULT_DATE_FORMAT = "strict_date_optional_time||epoch_millis"


class ItemError(str):
    """A document rejection: the reason, with the error type and its cause."""

    type: str
    caused_by: dict[str, Any] | None

    def __new__(
        cls, reason: str, *, type: str, caused_by: dict[str, Any] | None = None
    ) -> ItemError:
        made = super().__new__(cls, reason)
        made.type = type
        made.caused_by = caused_by
        return made

    def error(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "reason": str(self)}
        if self.caused_by:
            out["caused_by"] = self.caused_by
        return out


def parse_date(value: Any, fmt: str | None) -> tuple[int, ...] | None:
    """The date as comparable numbers when `value` fits one of the formats, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) if "epoch_millis" in (fmt or _DEFAULT_DATE_FORMAT) else None
    if not isinstance(value, str):
        return None
    for name in (fmt or _DEFAULT_DATE_FORMAT).split("||"):
        pattern = _FORMATS.get(name)
        if pattern is not None and pattern.fullmatch(value):
            numbers = tuple(int(n) for n in re.findall(r"\d+", value)[:3])
            month_ok = len(numbers) < 2 or 1 <= numbers[1] <= 12
            day_ok = len(numbers) < 3 or 1 <= numbers[2] <= 31
            if month_ok and day_ok:
                return numbers + (1,) * (3 - len(numbers))
    return None


def date_error(path: str, value: Any, fmt: str | None, kind: str = "date") -> ItemError:
    shown = fmt or _DEFAULT_DATE_FORMAT
    return ItemError(
        f"failed to parse field [{path}] of type [{kind}] in document. "
        f"Preview of field's value: '{value}'",
        type="document_parsing_exception",
        caused_by={
            "type": "illegal_argument_exception",
            "reason": f"failed to parse date field [{value}] with format [{shown}]",
            "caused_by": {
                "type": "date_time_parse_exception",
                "reason": f"Text '{value}' could not be parsed",
            },
        },
    )


def check_date_range(mapping: dict[str, Any], value: Any, path: str) -> ItemError | None:
    fmt = mapping.get("format")
    if not isinstance(value, dict) or not set(value) <= {"gte", "lte", "gt", "lt"}:
        return ItemError(
            f"failed to parse field [{path}] of type [date_range] in document.",
            type="document_parsing_exception",
            caused_by={"type": "illegal_argument_exception", "reason": "error parsing range"},
        )
    bounds: dict[str, tuple[int, ...]] = {}
    for key, bound in value.items():
        if bound is None:
            continue
        parsed = parse_date(bound, fmt)
        if parsed is None:
            return date_error(path, bound, fmt, "date_range")
        bounds[key[:2]] = parsed
    low, high = bounds.get("gt"), bounds.get("lt")
    if low is not None and high is not None and low > high:
        return ItemError(
            f"failed to parse field [{path}] of type [date_range] in document.",
            type="document_parsing_exception",
            caused_by={
                "type": "illegal_argument_exception",
                "reason": "min value must be less than max value",
            },
        )
    return None


def check_keyword(mapping: dict[str, Any], value: Any, path: str) -> ItemError | None:
    """Only the immense-term rule: over `ignore_above` characters is not indexed (no error)."""
    text = value if isinstance(value, str) else str(value)
    limit = mapping.get("ignore_above")
    if limit is not None and len(text) > int(limit):
        return None
    size = len(text.encode("utf-8"))
    if mapping.get("index") is False or size <= MAX_TERM_BYTES:
        return None
    return ItemError(
        f'Document contains at least one immense term in field="{path}" (whose UTF8 '
        f"encoding is longer than the max length {MAX_TERM_BYTES}), all of which were "
        "skipped. Please correct the analyzer to not produce such terms.",
        type="illegal_argument_exception",
        caused_by={
            "type": "max_bytes_length_exceeded_exception",
            "reason": f"bytes can be at most {MAX_TERM_BYTES} in length; got {size}",
        },
    )
