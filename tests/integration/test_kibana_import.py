"""`monitor kibana import` against a local stand-in for Kibana's HTTP API (the two
endpoints it calls: GET /api/status, POST /api/saved_objects/_import): the data view
follows MONITOR_ELASTICSEARCH_ALIAS, and a Kibana older than 8.9 is refused up front."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from tests.support.processes import monitor

pytestmark = pytest.mark.integration


class _Kibana(BaseHTTPRequestHandler):
    version: ClassVar[str] = "8.15.0"
    url: ClassVar[str] = ""
    imported: ClassVar[list[bytes]] = []

    def log_message(self, *_: Any) -> None:
        return

    def _answer(self, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer({"version": {"number": self.version}})

    def do_POST(self) -> None:
        self.imported.append(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer({"success": True, "successCount": 1})


@pytest.fixture
def kibana() -> Iterator[type[_Kibana]]:
    _Kibana.imported = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Kibana)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    _Kibana.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield _Kibana
    server.shutdown()
    server.server_close()


def test_the_data_view_title_is_the_configured_alias(kibana: type[_Kibana]) -> None:
    env = {
        "MONITOR_KIBANA_URL": kibana.url,
        "MONITOR_ELASTICSEARCH_ALIAS": "archive-articles",
    }
    done = monitor("kibana", "import", env=env)
    assert done.returncode == 0, done.stderr
    (payload,) = kibana.imported
    views = [
        json.loads(line)
        for line in payload.decode().splitlines()
        if line.startswith("{") and '"index-pattern"' in line[:40]
    ]
    assert [v["attributes"]["title"] for v in views] == ["archive-articles"]


def test_a_kibana_older_than_8_9_is_refused_before_importing(kibana: type[_Kibana]) -> None:
    kibana.version = "8.8.2"
    try:
        done = monitor("kibana", "import", env={"MONITOR_KIBANA_URL": kibana.url})
    finally:
        kibana.version = "8.15.0"
    assert done.returncode == 2
    assert "Kibana 8.8.2" in done.stderr and "8.9.0 or later" in done.stderr
    assert "Traceback" not in done.stderr
    assert kibana.imported == []
