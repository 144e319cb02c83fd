"""`monitor kibana import` against a local stand-in for Kibana's HTTP API (the endpoints
it calls: GET /api/status, GET /api/spaces/space/<id>, POST [/s/<space>]/api/saved_objects/
_import): the data view follows MONITOR_ELASTICSEARCH_ALIAS, a Kibana older than 8.9 is
refused up front, TLS is checked against Kibana's own CA, a space goes in the path, and
borrowing the Elasticsearch API key is said before the request."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.support.processes import monitor

pytestmark = pytest.mark.integration


class _Kibana(BaseHTTPRequestHandler):
    version: ClassVar[str] = "8.15.0"
    url: ClassVar[str] = ""
    imported: ClassVar[list[bytes]] = []
    # (method, path, Authorization header) of every request, in order.
    seen: ClassVar[list[tuple[str, str, str]]] = []
    spaces: ClassVar[set[str]] = {"default", "analysts"}
    import_status: ClassVar[int] = 200

    def log_message(self, *_: Any) -> None:
        return

    def _answer(self, data: dict[str, Any], status: int = 200) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, self.headers.get("Authorization", "")))
        if self.path.startswith("/api/spaces/space/"):
            space = self.path.rpartition("/")[2]
            if space not in self.spaces:  # Kibana's answer for a missing space
                self._answer({"statusCode": 404, "error": "Not Found"}, 404)
                return
            self._answer({"id": space, "name": space})
            return
        self._answer({"version": {"number": self.version}})

    def do_POST(self) -> None:
        self.seen.append(("POST", self.path, self.headers.get("Authorization", "")))
        self.imported.append(self.rfile.read(int(self.headers["Content-Length"])))
        if self.import_status != 200:
            self._answer({"statusCode": self.import_status, "error": "Forbidden"}, 403)
            return
        self._answer({"success": True, "successCount": 1})


def _serve(context: ssl.SSLContext | None = None) -> Iterator[type[_Kibana]]:
    _Kibana.imported, _Kibana.seen, _Kibana.import_status = [], [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Kibana)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    scheme = "https" if context is not None else "http"
    _Kibana.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    yield _Kibana
    server.shutdown()
    server.server_close()


@pytest.fixture
def kibana() -> Iterator[type[_Kibana]]:
    yield from _serve()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca(name: str, where: Path) -> None:
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={name}",
        cwd=where,
    )  # fmt: skip


@pytest.fixture
def tls_kibana(tmp_path: Path) -> Iterator[tuple[type[_Kibana], Path]]:
    """Kibana over HTTPS with a certificate from its own CA ("kibana-ca"), as when
    Kibana and Elasticsearch certificates come from different CAs."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make test certificates")
    _ca("kibana-ca", tmp_path)
    (tmp_path / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "kibana.key",
        "-out", "kibana.csr", "-subj", "/CN=127.0.0.1", cwd=tmp_path,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "kibana.csr", "-CA", "kibana-ca.pem", "-CAkey",
        "kibana-ca.key", "-CAcreateserial", "-out", "kibana.pem", "-days", "2",
        "-extfile", "san.cnf", cwd=tmp_path,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "kibana.pem", tmp_path / "kibana.key")
    for served in _serve(context):
        yield served, tmp_path


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


def test_kibana_tls_is_checked_against_its_own_ca(
    tls_kibana: tuple[type[_Kibana], Path],
) -> None:
    # Issue 25 point 1: the Elasticsearch CA is another CA; it used to be the one used.
    kibana, certs = tls_kibana
    _ca("elasticsearch-ca", certs)
    env = {
        "MONITOR_KIBANA_URL": kibana.url,
        "MONITOR_ELASTICSEARCH_CA_CERTS": str(certs / "elasticsearch-ca.pem"),
    }
    refused = monitor("kibana", "import", env=env)
    assert refused.returncode == 3
    assert "TLS certificate is not trusted" in refused.stderr
    assert "set MONITOR_KIBANA_CA_CERTS" in refused.stderr
    assert kibana.imported == []
    done = monitor(
        "kibana",
        "import",
        env={**env, "MONITOR_KIBANA_CA_CERTS": str(certs / "kibana-ca.pem")},
    )
    assert done.returncode == 0, done.stderr
    assert len(kibana.imported) == 1


def test_borrowing_the_elasticsearch_api_key_is_said_before_the_request(
    kibana: type[_Kibana],
) -> None:
    # Issue 25 point 2: the documented per-role keys have no Kibana privileges.
    kibana.import_status = 403
    es_key = "ZXMta2V5OmluZGV4LW9ubHk="
    env = {"MONITOR_KIBANA_URL": kibana.url, "MONITOR_ELASTICSEARCH_API_KEY": es_key}
    done = monitor("kibana", "import", env=env)
    assert done.returncode == 3
    warning, error = done.stderr.strip().splitlines()
    assert warning.startswith("monitor: warning: no MONITOR_KIBANA_API_KEY")
    assert "using MONITOR_ELASTICSEARCH_API_KEY" in warning
    assert "set MONITOR_KIBANA_API_KEY" in warning
    assert "HTTP 403" in error and "MONITOR_KIBANA_API_KEY" in error
    assert es_key not in done.stderr + done.stdout
    # With a Kibana key of its own: that key is sent, and nothing is said.
    kibana.import_status = 200
    kibana.seen = []
    own = monitor("kibana", "import", env={**env, "MONITOR_KIBANA_API_KEY": "a2liYW5hOmtleQ=="})
    assert own.returncode == 0, own.stderr
    assert "warning" not in own.stderr
    assert {auth for _, _, auth in kibana.seen} == {"ApiKey a2liYW5hOmtleQ=="}


def test_objects_go_into_the_space_named_in_the_path(kibana: type[_Kibana]) -> None:
    # Issue 25 point 5.
    env = {"MONITOR_KIBANA_URL": kibana.url}
    done = monitor("kibana", "import", "--space", "analysts", env=env)
    assert done.returncode == 0, done.stderr
    posts = [path for method, path, _ in kibana.seen if method == "POST"]
    assert posts == ["/s/analysts/api/saved_objects/_import?overwrite=true"]
    assert "into space analysts" in done.stdout
    kibana.seen = []
    by_setting = monitor("kibana", "import", env={**env, "MONITOR_KIBANA_SPACE": "analysts"})
    assert by_setting.returncode == 0, by_setting.stderr
    assert [p for m, p, _ in kibana.seen if m == "POST"] == posts
    kibana.seen = []
    assert monitor("kibana", "import", env=env).returncode == 0
    assert [p for m, p, _ in kibana.seen if m == "POST"] == [
        "/api/saved_objects/_import?overwrite=true"
    ]


def test_a_space_kibana_does_not_have_is_one_line(kibana: type[_Kibana]) -> None:
    imported = len(kibana.imported)
    done = monitor("kibana", "import", "--space", "nobody", env={"MONITOR_KIBANA_URL": kibana.url})
    assert done.returncode == 2
    assert done.stderr.startswith("monitor: error: Kibana at")
    assert "has no space 'nobody'" in done.stderr and done.stderr.count("\n") == 1
    assert len(kibana.imported) == imported
    bad = monitor(
        "kibana", "import", "--space", "Not A Space", env={"MONITOR_KIBANA_URL": kibana.url}
    )
    assert bad.returncode == 2 and "a Kibana space id" in bad.stderr
