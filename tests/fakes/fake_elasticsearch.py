"""FakeElasticsearch: an HTTP-level FAKE of the few Elasticsearch REST calls the store makes.

No Elasticsearch server can be installed on these machines (docs/architecture.md), so the store's
tests talk to this instead when `MONITOR_TEST_ELASTICSEARCH_URL` is not set. It is a
real HTTP server on 127.0.0.1 and the real `elasticsearch` client talks to it, so the
wire format (URLs, query parameters, NDJSON bulk bodies, compatibility headers) is
exercised for real. It is NOT a search engine: queries are evaluated with a crude
word matcher, just enough to say which documents match.

What it adds over a stub is checking. Every request body is validated and anything
unexpected is recorded in `violations` (and answered 400), which the tests assert is
empty: the template must declare strict mappings and nested entities/citations/dates,
every bulk action line must carry `_index` and `_id` followed by a source line whose
`id` equals `_id`, alias actions must be add/remove objects applied in one call.
Documents are checked against the template's mapping the way `dynamic: strict` does,
so a field that does not fit fails that item with Elasticsearch's error type.

Faults are injected per test: `reject_next_bulk(status)` answers the next bulk request
as a whole with that status, `fail_items[id] = (status, error)` fails one item once.

Where a real cluster behaves differently from a naive store, the fake behaves like the
cluster (issue 12; the rules and their sources are in fake_es_rules.py, index
administration in fake_es_admin.py):

- writes are searchable only after a refresh (`_refresh`, a `?refresh=` parameter, or
  `refresh_interval_s` elapsed); `_get`/`_mget` see them at once, as real-time gets do;
- deleting by wildcard or `_all` is refused (`action.destructive_requires_name`);
- an index takes the mappings of the highest-priority matching template, and two
  templates with overlapping patterns and equal priority are refused;
- an alias has at most one write index, and writing through an alias of several
  indices without one is refused;
- API keys (`api_keys.create("reader" | "writer" | "admin", names)`) carry privileges
  on the index name patterns `names` ("*" by default), and a call without them on its
  target is 403 `security_exception`; `_has_privileges` grants a privilege on a name
  only through role entries whose patterns cover it, and unknown privilege names are
  400 (`fake_es_rules.check_privilege_names`); `security_enabled = False` answers the
  security APIs as a cluster with security off does, `security_failures` as a busy one;
- search totals follow `track_total_hits` (10,000 by default), `from + size` is capped
  at 10,000, unknown query parameters are 400, and documents are checked against the
  mapping's date formats, range order and keyword size, failing with `caused_by`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes import fake_es_query as q
from tests.fakes import fake_es_rules as rules


class FakeElasticsearch:
    def __init__(self) -> None:
        self.templates: dict[str, dict[str, Any]] = {}
        # name -> {mappings, docs (real-time), visible (as of the last refresh), aliases
        # (alias -> {"is_write_index": bool | None}), seq (id -> _seq_no), refreshed_at}
        self.indices: dict[str, dict[str, Any]] = {}
        self.violations: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.bulk_bodies: list[list[dict[str, Any]]] = []
        self.alias_calls: list[list[dict[str, Any]]] = []
        self.bulk_rejections: list[int] = []
        self.fail_items: dict[str, tuple[int, dict[str, Any]]] = {}
        # Path prefixes answered 403, as for an API key without those privileges.
        self.forbidden: tuple[str, ...] = ()
        self.api_keys = rules.Keys()
        # False: every `_security` API answers as a cluster with security off (500).
        self.security_enabled = True
        # Statuses (429, 503) the next `_security` calls answer, one each: a busy cluster.
        self.security_failures: list[int] = []
        # Seconds after which a write becomes searchable without an explicit refresh
        # (the index's refresh_interval); None: only explicit refreshes, the strictest.
        self.refresh_interval_s: float | None = None
        self.seq_no = 0
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeElasticsearch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reject_next_bulk(self, status: int, times: int = 1) -> None:
        self.bulk_rejections.extend([status] * times)

    def violation(self, message: str) -> None:
        self.violations.append(message)

    # -- state helpers -------------------------------------------------------------
    def resolve(self, target: str) -> list[str]:
        names: list[str] = []
        for part in target.split(","):
            if part in self.indices:
                names.append(part)
            elif "*" in part:
                pattern = re.compile(re.escape(part).replace(r"\*", ".*"))
                names.extend(n for n in self.indices if pattern.fullmatch(n))
            else:
                names.extend(n for n, i in self.indices.items() if part in i["aliases"])
        return sorted(set(names))

    def docs(self, target: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The documents `_search`/`_count` see: as of each index's last refresh."""
        for name in self.resolve(target):
            index = self.indices[name]
            due = self.refresh_interval_s
            if due is not None and time.monotonic() - index["refreshed_at"] >= due:
                self.refresh(name)
            yield from index["visible"].items()

    def refresh(self, name: str) -> None:
        """Make every write so far searchable (a refresh, explicit or periodic)."""
        self.indices[name]["visible"] = dict(self.indices[name]["docs"])
        self.indices[name]["refreshed_at"] = time.monotonic()

    def write_index(self, alias: str) -> str | None:
        """Where a write through `alias` goes (an index name resolves to itself)."""
        if alias in self.indices:
            return alias
        members = {n: i["aliases"][alias] for n, i in self.indices.items() if alias in i["aliases"]}
        writers = [n for n, a in members.items() if a.get("is_write_index")]
        if writers:
            return writers[0]
        if len(members) == 1 and next(iter(members.values())).get("is_write_index") is None:
            return next(iter(members))
        if members:
            raise ValueError(
                f"no write index is defined for alias [{alias}]. The write index may be "
                "explicitly disabled using is_write_index=false or the alias points to "
                "multiple indices without one being designated as a write index"
            )
        return None


def _handler(fake: FakeElasticsearch) -> type[BaseHTTPRequestHandler]:
    from tests.fakes import fake_es_api as api

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:  # quiet test output
            return

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            accept = self.headers.get("Accept", "")
            authorization = self.headers.get("Authorization")
            if "compatible-with=" not in accept:
                fake.violation(f"{self.command} {parts.path}: no compatibility Accept header")
            with fake.lock:
                fake.requests.append((self.command, parts.path))
                try:
                    status, body = api.route(
                        fake, self.command, parts.path, params, raw, authorization
                    )
                except api.Reject as exc:
                    status, body = exc.status, exc.body
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=8")
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

    return Handler


def check_value(mapping: dict[str, Any], value: Any, path: str) -> str | None:
    """Elasticsearch-like check of one value against its mapping; an error or None.

    Errors are `rules.ItemError` (a str carrying the error type and `caused_by`)."""
    kind = mapping.get("type", "object")
    if value is None:
        return None
    if isinstance(value, list) and kind not in ("nested",):
        for v in value:
            err = check_value(mapping, v, path)
            if err:
                return err
        return None
    if kind in ("object", "nested"):
        if mapping.get("enabled") is False:
            return None
        if not isinstance(value, dict):
            if kind == "nested" and isinstance(value, list):
                for v in value:
                    err = check_value({**mapping, "type": "object"}, v, path)
                    if err:
                        return err
                return None
            return f"object mapping for [{path}] tried to parse field [{path}] as object"
        return q.check_object(mapping, value, path, check_value)
    if kind == "date" and rules.parse_date(value, mapping.get("format")) is None:
        return rules.date_error(path, value, mapping.get("format"))
    if kind == "date_range":
        return rules.check_date_range(mapping, value, path)
    if kind == "keyword":
        return rules.check_keyword(mapping, value, path)
    if kind == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        return f"failed to parse field [{path}] of type [integer]"
    if kind == "boolean" and not isinstance(value, bool):
        return f"failed to parse field [{path}] of type [boolean]"
    return None
