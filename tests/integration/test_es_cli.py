"""The `monitor` commands of issue 4 as a user runs them: real subprocesses, real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tasks.cli.kibana import SAVED_OBJECTS
from tests.fakes.es_cluster import Cluster, cluster
from tests.support.redis_server import free_port, private_redis
from workers.cache import RedisCache

pytestmark = pytest.mark.integration
__all__ = ["cluster"]
MONITOR = str(Path(sys.executable).parent / "monitor")
SEED_TEXT = (
    "Publication: Monitor Volume: 7 Issue: {n}\n\n"
    "Talks in Moscow produced little progress on issue {n} (Izvestia, January 19).\n"
)


def run(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.run(
        [MONITOR, *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        check=False,
    )


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in (14, 15):
        (folder / f"a{n}.txt").write_text(SEED_TEXT.format(n=n), encoding="utf-8")
    return folder


def test_elasticsearch_down_is_one_clear_line_and_exit_3(tmp_path: Path) -> None:
    env = {
        "MONITOR_ELASTICSEARCH_URL": f"http://elastic:s3cret@127.0.0.1:{free_port()}",
        "MONITOR_DATA_DIR": str(tmp_path),
    }
    for args in (["status"], ["search", "Moscow"], ["es", "setup"], ["reprocess"]):
        result = run(args, env)
        assert result.returncode == 3, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("monitor: error: store unavailable: elasticsearch at")
        assert "s3cret" not in result.stderr + result.stdout  # credentials never printed


def test_ingest_search_status_reprocess_and_prune_against_elasticsearch(
    cluster: Cluster, articles: Path
) -> None:
    env = cluster.env()
    assert run(["es", "setup"], env).returncode == 0
    ingested = run(["ingest", str(articles)], env)
    assert ingested.returncode == 0, ingested.stderr
    assert "ingested 2 (new 2, updated 0), unchanged 0, failed 0" in ingested.stdout
    cluster.refresh()
    found = run(["search", "Izvestia", "--format", "json"], env)
    assert json.loads(found.stdout)["total"] == 2
    status = json.loads(run(["status", "--format", "json"], env).stdout)
    assert status["documents"] == 2 and status["store"]["backend"] == "elasticsearch"

    again = run(["reprocess"], env)
    assert again.returncode == 0, again.stderr
    assert "rewritten 0, unchanged 2, failed 0" in again.stdout

    rebuilt = run(["reprocess", "--new-index"], env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"alias now points at {cluster.alias}-v2" in rebuilt.stdout
    indices = json.loads(run(["es", "indices", "--format", "json"], env).stdout)
    assert [(i["index"], i["aliased"], i["documents"]) for i in indices] == [
        (f"{cluster.alias}-v1", False, 2),
        (f"{cluster.alias}-v2", True, 2),
    ]
    refused = run(["es", "prune"], env, stdin="n\n")
    assert refused.returncode == 1 and "nothing deleted" in refused.stderr
    pruned = run(["es", "prune", "--yes"], env)
    assert pruned.returncode == 0 and f"deleted {cluster.alias}-v1" in pruned.stdout
    cluster.refresh()
    assert json.loads(run(["search", "Izvestia", "--format", "json"], env).stdout)["total"] == 2


def test_reprocess_embedded_from_ids_on_stdin(tmp_path: Path, articles: Path) -> None:
    env = {"MONITOR_DATA_DIR": str(tmp_path / "var")}
    assert run(["ingest", str(articles)], env).returncode == 0
    status = json.loads(run(["status", "--format", "json"], env).stdout)
    assert status["store"]["backend"] == "embedded"
    ids = json.loads(run(["search", "Moscow", "--format", "json"], env).stdout)["hits"]
    one = ids[0]["id"]
    result = run(["reprocess", "--ids", "-", "--format", "json"], env, stdin=f"{one}\nmissing\n")
    report = json.loads(result.stdout)
    assert result.returncode == 1  # one id was not in the store
    assert (report["rewritten"], report["unchanged"], report["failed"]) == (0, 1, 1)
    wrong = run(["reprocess", "--new-index"], env)
    assert wrong.returncode == 2 and "needs Elasticsearch" in wrong.stderr
    bad_date = run(["reprocess", "--since", "January"], env)
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr


def test_second_reprocess_refuses_while_the_lock_is_held(tmp_path: Path, articles: Path) -> None:
    with private_redis(tmp_path) as url:
        env = {"MONITOR_DATA_DIR": str(tmp_path / "var"), "MONITOR_REDIS_URL": url}
        assert run(["ingest", str(articles)], env).returncode == 0
        cache = RedisCache.from_url(url)
        with cache.lock("reprocess", ttl_s=60):
            busy = run(["reprocess"], env)
        cache.client.close()
        assert busy.returncode == 4
        assert "another reprocess run holds the lock" in busy.stderr
        assert run(["reprocess"], env).returncode == 0


class _FakeKibana(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *_: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        ok = self.headers.get("kbn-xsrf") == "true" and b'filename="' in body
        data = json.dumps({"success": ok, "successCount": body.count(b'"type"')}).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def kibana() -> Iterator[str]:
    _FakeKibana.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeKibana)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_kibana_import_posts_every_file_with_overwrite(kibana: str) -> None:
    env = {
        "MONITOR_KIBANA_URL": kibana,
        "MONITOR_KIBANA_USERNAME": "elastic",
        "MONITOR_KIBANA_PASSWORD": "s3cret",
    }
    result = run(["kibana", "import"], env)
    assert result.returncode == 0, result.stderr
    files = sorted(SAVED_OBJECTS.glob("*.ndjson"))
    assert len(_FakeKibana.received) == len(files) > 0
    first = _FakeKibana.received[0]
    assert first["path"] == "/api/saved_objects/_import?overwrite=true"
    assert first["headers"]["Authorization"].startswith("Basic ")
    assert "s3cret" not in result.stdout + result.stderr


def test_kibana_unreachable_is_a_clear_error() -> None:
    result = run(["kibana", "import"], {"MONITOR_KIBANA_URL": f"http://127.0.0.1:{free_port()}"})
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "is unreachable" in result.stderr
    assert run(["kibana", "import"], {}).returncode == 2
