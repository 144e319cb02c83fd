"""`monitor ingest --async` consumed by a real Celery worker over a real Redis broker."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.support.peek import dead_letter_count
from tests.support.processes import monitor, private_queue, start_worker, stop, wait_for
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
def env(redis_server: RedisServer, data_dir: Path) -> Iterator[dict[str, str]]:
    redis_server.client(0).flushdb()
    yield {
        "MONITOR_BROKER_URL": redis_server.url(0),
        "MONITOR_REDIS_URL": redis_server.url(1),
        "MONITOR_DATA_DIR": str(data_dir),
        "MONITOR_INGEST_QUEUE": private_queue(),
    }


def stored_count(env: dict[str, str]) -> int:
    """Articles in the embedded store, read from its file (no subprocess per poll)."""
    path = Path(env["MONITOR_DATA_DIR"]) / "monitor.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=10) as db:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles'").fetchone() is None:
            return 0
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])


def documents(env: dict[str, str]) -> int:
    result = monitor("status", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["documents"])


def test_worker_ingests_enqueued_batches_once(
    env: dict[str, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    enqueued = monitor("ingest", "--async", "--batch-size", "1", str(SAMPLES), env=env)
    assert enqueued.returncode == 0, enqueued.stderr
    assert "enqueued 2 file(s) in 2 batch(es)" in enqueued.stdout
    status = json.loads(monitor("status", "--format", "json", env=env).stdout)
    queue = env["MONITOR_INGEST_QUEUE"]
    assert status["queues"] == {queue: 2}  # nothing consumed yet: no worker runs

    worker = start_worker(env, log=tmp_path / "worker.log", hostname="seeds")
    try:
        wait_for(lambda: stored_count(env) == 2, timeout=60, what="the worker to index both seeds")
        assert documents(env) == 2
        seen = json.loads(monitor("status", "--format", "json", env=env).stdout)["workers"]
        assert [name.split("@")[0] for name in seen] == ["seeds"]
        # A second delivery of the same files (a redelivery, a second run) changes nothing.
        monitor("ingest", "--async", str(SAMPLES), env=env)
        broker = redis_server.client(0)
        wait_for(lambda: broker.llen(queue) == 0, timeout=60, what="the queue to drain")
    finally:
        stop(worker)
    status = json.loads(monitor("status", "--format", "json", env=env).stdout)
    assert (status["documents"], status["queues"]) == (2, {queue: 0})
    found = json.loads(monitor("search", "Kuril Islands", "--format", "json", env=env).stdout)
    assert found["total"] == 2
    log = (tmp_path / "worker.log").read_text()
    assert "monitor.ingest_files" in log and "succeeded" in log
    # The model was loaded as the worker process started, not inside the first batch.
    assert 0 <= log.find('"warm-up done"') < log.find('"batch done"')


def test_workers_refuse_headerless_files_unless_the_command_allowed_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    readme = tmp_path / "README.txt"  # a stray note beside the articles (issue 11)
    readme.write_text("How this folder of Moscow articles was collected.\n")
    assert monitor("ingest", "--async", str(readme), env=env).returncode == 0
    worker = start_worker(env, log=tmp_path / "worker.log", hostname="headers")
    try:
        wait_for(
            lambda: dead_letter_count(env) == 1,
            timeout=60,
            what="the refused README in the dead-letter queue",
        )
        assert json.loads(monitor("dlq", "list", "--format", "json", env=env).stdout)["size"] == 1
        assert documents(env) == 0
        taken = monitor("ingest", "--async", "--allow-headerless", str(readme), env=env)
        assert taken.returncode == 0, taken.stderr
        wait_for(lambda: stored_count(env) == 1, timeout=60, what="the README, allowed this time")
        wait_for(lambda: dead_letter_count(env) == 0, timeout=60, what="the letter to go")
    finally:
        stop(worker)
    letters = json.loads(monitor("dlq", "list", "--format", "json", env=env).stdout)
    assert letters["size"] == 0, "an item that now succeeds leaves the dead-letter queue"
    assert documents(env) == 1


def test_status_shows_the_last_reprocess_kept_in_redis(env: dict[str, str]) -> None:
    local = {k: v for k, v in env.items() if k != "MONITOR_BROKER_URL"}  # run in-process
    assert monitor("ingest", str(SAMPLES), env=local).returncode == 0
    reprocessed = monitor("reprocess", env=local)
    assert reprocessed.returncode == 0, reprocessed.stderr
    last = json.loads(monitor("status", "--format", "json", env=local).stdout)["last_reprocess"]
    assert (last["rewritten"], last["unchanged"], last["failed"]) == (0, 2, 0)
    assert "reprocess   " in monitor("status", env=local).stdout


def test_worker_over_its_memory_limit_is_replaced_and_loses_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "MONITOR_WORKER_MAX_MEMORY_MB": "1"}  # every batch leaves it over
    log = tmp_path / "worker.log"
    worker = start_worker(env, log=log, hostname="small")
    try:
        monitor("ingest", "--async", "--batch-size", "1", str(SAMPLES), env=env)
        # Three processes load the spaCy model one after the other: on a busy machine
        # that takes minutes, so the bounds are wide and the polls cheap (the store
        # file, not a `monitor status` process every 0.2 s).
        wait_for(lambda: stored_count(env) == 2, timeout=600, what="both seeds to be indexed")
        # The first process, then a fresh one (loading its own model) after each batch.
        wait_for(
            lambda: log.read_text().count('"warm-up done"') >= 3,
            timeout=600,
            what=lambda: f"a new process after each batch:\n{log.read_text()[-3000:]}",
        )
        assert log.read_text().count('"warm-up done"') == 3
    finally:
        stop(worker)
