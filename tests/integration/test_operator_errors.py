"""Operators get one line, never a traceback, never a secret (issue 11).

Every command runs as a user runs it (a real `monitor` subprocess). Services are real
where they can be: a private redis-server that demands passwords (ACL), and
FakeElasticsearch over real HTTP (docs/architecture.md, "Where each part is tested": no Elasticsearch here). An
unreachable service is a closed port on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.es_cluster import Cluster, cluster, needs_fake
from tests.support.processes import monitor, private_queue, start_worker, stop, wait_for
from tests.support.redis_server import RedisServer, free_port

pytestmark = pytest.mark.integration
__all__ = ["cluster"]
ARTICLE = "Publication: Monitor Volume: 4 Issue: {n}\n\nTalks in Tbilisi on issue {n}.\n"
# One known value per secret setting; none may appear in any output.
KNOWN = {
    "broker": "brk-Pw-4417",
    "cache": "cch-Pw-5521",
    "es_url": "esu-Pw-6630",
    "es_api_key_file": "esk-File-7741",
    "es_password_file": "esp-File-8852",
    "kibana_password": "kbp-Pw-9963",
    "kibana_api_key": "kbk-Key-1074",
    "kibana_url_param": "kbq-Tok-2185",
}


def secret_env(tmp_path: Path, *, redis_port: int, es_url: str, kibana_port: int) -> dict[str, str]:
    """Every secret setting, set: in URLs, bare, in `?password=`, and read from files."""
    (tmp_path / "es_api_key").write_text(KNOWN["es_api_key_file"])
    (tmp_path / "es_password").write_text(KNOWN["es_password_file"])
    scheme, rest = es_url.split("://")
    return {
        "MONITOR_BROKER_URL": f"redis://:{KNOWN['broker']}@127.0.0.1:{redis_port}/0",
        "MONITOR_REDIS_URL": f"redis://:{KNOWN['cache']}@127.0.0.1:{redis_port}/1",
        "MONITOR_ELASTICSEARCH_URL": f"{scheme}://elastic:{KNOWN['es_url']}@{rest}",
        "MONITOR_ELASTICSEARCH_USERNAME": "elastic",
        "MONITOR_ELASTICSEARCH_API_KEY_FILE": str(tmp_path / "es_api_key"),
        "MONITOR_ELASTICSEARCH_PASSWORD_FILE": str(tmp_path / "es_password"),
        "MONITOR_KIBANA_URL": f"http://127.0.0.1:{kibana_port}/?password={KNOWN['kibana_url_param']}",
        "MONITOR_KIBANA_PASSWORD": KNOWN["kibana_password"],
        "MONITOR_KIBANA_API_KEY": KNOWN["kibana_api_key"],
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
        "MONITOR_INGEST_QUEUE": private_queue(),
    }


def assert_no_secret(text: str, where: str) -> None:
    leaked = [name for name, value in KNOWN.items() if value in text]
    assert not leaked, f"{where} shows {leaked}: {text[-2000:]}"


def assert_one_error_line(result: subprocess.CompletedProcess[str], code: int, where: str) -> str:
    assert result.returncode == code, (where, result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("monitor: error: "), (where, result.stderr)
    assert_no_secret(result.stdout + result.stderr, where)
    return lines[0]


@pytest.fixture
def password_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server whose default user needs one of two passwords."""
    server = RedisServer(tmp_path / "redis", appendonly=False)
    server.start()
    server.client().execute_command(
        "ACL", "SETUSER", "default", "on", "resetpass", f">{KNOWN['broker']}", f">{KNOWN['cache']}"
    )
    yield server
    server.stop()


COMMANDS = [
    ["status"],
    ["status", "--format", "json"],
    ["search", "Tbilisi"],
    ["ingest", "{inbox}"],
    ["ingest", "--async", "{inbox}"],
    ["reprocess", "--yes"],
    ["reprocess", "--async"],
    ["es", "setup"],
    ["es", "indices"],
    ["es", "prune", "--yes"],
    ["dlq", "list"],
    ["dlq", "retry", "--all"],
    ["dlq", "purge", "--yes"],
    ["sources"],
    ["delete", "--yes", "some-id"],
    ["kibana", "import"],
]


def test_every_command_with_every_service_unreachable_is_one_line_and_exit_3(
    tmp_path: Path,
) -> None:
    closed = free_port()
    env = secret_env(
        tmp_path, redis_port=closed, es_url=f"http://127.0.0.1:{closed}", kibana_port=closed
    )
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a1.txt").write_text(ARTICLE.format(n=1), encoding="utf-8")
    for command in COMMANDS:
        args = [a.format(inbox=inbox) for a in command]
        if args[:1] == ["reprocess"] and "--yes" in args:
            args.remove("--yes")
        # The timeout only stops a hung command; the README promises a few seconds.
        result = monitor(*args, env=env, timeout=30)
        line = assert_one_error_line(result, 3, " ".join(args))
        assert "Traceback" not in result.stderr
        assert "unavailable" in line or "unreachable" in line, line


@pytest.fixture
def silent_host() -> Iterator[tuple[int, list[socket.socket]]]:
    """A port that accepts connections and never answers (a black-holed host)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # closed at teardown
            while True:
                accepted.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], accepted
    server.close()
    for conn in accepted:
        conn.close()


def test_a_silent_elasticsearch_costs_one_timeout_not_three(
    tmp_path: Path, silent_host: tuple[int, list[socket.socket]]
) -> None:
    port, accepted = silent_host
    env = {
        "MONITOR_ELASTICSEARCH_URL": f"http://127.0.0.1:{port}",
        "MONITOR_ELASTICSEARCH_REQUEST_TIMEOUT_S": "2",
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
    }
    result = monitor("search", "Putin", env=env, timeout=60)
    line = assert_one_error_line(result, 3, "search")
    assert "timed out" in line.lower(), line
    assert len(accepted) == 1, f"{len(accepted)} attempts"


def test_commands_needing_redis_fail_alone_when_only_redis_is_down(tmp_path: Path) -> None:
    # The embedded store works; the broker and the cache Redis do not.
    closed = free_port()
    env = {
        "MONITOR_BROKER_URL": f"redis://:{KNOWN['broker']}@127.0.0.1:{closed}/0",
        "MONITOR_REDIS_URL": f"redis://:{KNOWN['cache']}@127.0.0.1:{closed}/1",
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
    }
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE.format(n=1), encoding="utf-8")
    for args in (
        ["status"],
        ["ingest", str(article)],
        ["ingest", "--async", str(article)],
        ["reprocess"],
        ["dlq", "list"],
        ["dlq", "retry", "--all"],
        ["sources"],
    ):
        line = assert_one_error_line(monitor(*args, env=env, timeout=30), 3, " ".join(args))
        assert "unavailable" in line, line
    assert monitor("search", "Tbilisi", env=env).returncode == 0  # needs no Redis


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MONITOR_BATCH_SIZE", "abc"),
        ("MONITOR_BROKER_URL", "localhost:6379"),
        ("MONITOR_ELASTICSEARCH_URL", "es.internal:9200"),
        ("MONITOR_LOG_LEVEL", "LOUD"),
        ("MONITOR_VISIBILITY_TIMEOUT_S", "-5"),
    ],
)
def test_malformed_settings_are_one_line_and_exit_2(
    tmp_path: Path, variable: str, value: str
) -> None:
    env = {"MONITOR_DATA_DIR": str(tmp_path / "var"), variable: value}
    for args in (["status"], ["ingest", "samples"], ["config"]):
        line = assert_one_error_line(monitor(*args, env=env, timeout=30), 2, variable)
        assert variable in line


@needs_fake
def test_an_elasticsearch_400_during_ingest_is_one_line(cluster: Cluster, tmp_path: Path) -> None:
    assert cluster.fake is not None
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE.format(n=2), encoding="utf-8")
    assert monitor("es", "setup", env=cluster.env()).returncode == 0
    # Elasticsearch refuses the whole bulk request with HTTP 400 (as it does for a body
    # it cannot parse): not an overload to wait out, and no per-item result to read.
    cluster.fake.bulk_rejections = [400]
    result = monitor("ingest", str(article), env=cluster.env(), timeout=30)
    line = assert_one_error_line(result, 2, "ingest")
    assert "elasticsearch rejected the request" in line


@needs_fake  # the credentials are made up: only the fake can be told to accept them
def test_no_output_shows_a_secret(
    tmp_path: Path, password_redis: RedisServer, cluster: Cluster
) -> None:
    assert cluster.fake is not None
    # The client sends the API key (it wins over the password): the fake accepts it.
    cluster.fake.api_keys.accept(KNOWN["es_api_key_file"], "admin")
    env = secret_env(
        tmp_path, redis_port=password_redis.port, es_url=cluster.url, kibana_port=free_port()
    )
    env["MONITOR_ELASTICSEARCH_ALIAS"] = cluster.alias
    outputs: dict[str, str] = {}

    def run(name: str, *args: str, code: int = 0, run_env: dict[str, str] = env) -> str:
        result = monitor(*args, env=run_env, timeout=60)
        assert result.returncode == code, (name, result.stderr[-2000:])
        outputs[name] = result.stdout + result.stderr
        return result.stdout

    for fmt in ("table", "json", "markdown"):
        run(f"config {fmt}", "config", "--format", fmt)
    assert "***" in outputs["config table"]

    inbox = tmp_path / "in"
    inbox.mkdir()
    for n in (1, 2):
        (inbox / f"a{n}.txt").write_text(ARTICLE.format(n=n), encoding="utf-8")
    (inbox / "README.txt").write_text("Notes about this folder.\n", encoding="utf-8")
    run("ingest --async", "ingest", "--async", "--allow-headerless", str(inbox / "a1.txt"))
    run("ingest --async (bad)", "ingest", "--async", str(inbox))
    worker_log = tmp_path / "worker.log"
    worker = start_worker(env, log=worker_log)
    try:
        wait_for(
            lambda: (
                json.loads(run("status json", "status", "--format", "json"))["documents"] == 2
                and json.loads(run("dlq json", "dlq", "list", "--format", "json"))["size"] == 1
            ),
            timeout=120,
            what=lambda: worker_log.read_text()[-3000:],
        )
    finally:
        stop(worker)
    outputs["worker log"] = worker_log.read_text()
    run("status table", "status")
    run("dlq table", "dlq", "list")
    assert "README.txt" in outputs["dlq table"]

    # The same secrets when services fail: error lines name the service, not its password.
    down = {
        **env,
        "MONITOR_ELASTICSEARCH_URL": env["MONITOR_ELASTICSEARCH_URL"].replace(
            cluster.url.rsplit(":", 1)[1], str(free_port())
        ),
    }
    run("status (es down)", "status", code=3, run_env=down)
    run("kibana import (down)", "kibana", "import", code=3)
    wrong = {**env, "MONITOR_BROKER_URL": env["MONITOR_BROKER_URL"].replace(KNOWN["broker"], "no")}
    run("dlq list (refused)", "dlq", "list", code=3, run_env=wrong)

    for name, text in outputs.items():
        assert_no_secret(text, name)
