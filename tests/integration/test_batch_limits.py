"""A batch that cannot finish is split or dead-lettered, never redelivered forever; a
SIGTERM mid-batch loses nothing and doubles nothing. Real Redis, real Celery workers.

The stuck item is a named pipe (FIFO) among ordinary article files: reading it blocks
until the test writes to it, as a file on a hung network mount would. That makes "mid-
batch" deterministic: the task is provably running, and stays so until the test
decides. Articles are in the seed format of README "Input formats".
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.support.peek import dead_letter_count
from tests.support.processes import (
    ROOT,
    env_with,
    monitor,
    private_queue,
    start_worker,
    stop,
    wait_for,
)
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration
ARTICLE = "Publication: Monitor Volume: 6 Issue: {n}\n\nTalks in Baku on issue {n}.\n"


@pytest.fixture
def env(aof_redis: RedisServer, tmp_path: Path) -> dict[str, str]:
    return {
        "MONITOR_BROKER_URL": aof_redis.url(0),
        "MONITOR_REDIS_URL": aof_redis.url(1),
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
        "MONITOR_INGEST_QUEUE": private_queue(),
        "MONITOR_VISIBILITY_TIMEOUT_S": "600",
        # What infra/Dockerfile and the compose file set (Celery's soft shutdown on SIGTERM).
        "REMAP_SIGTERM": "SIGQUIT",
    }


def articles(folder: Path, numbers: list[int]) -> list[str]:
    folder.mkdir(exist_ok=True)
    paths = []
    for n in numbers:
        path = folder / f"a{n}.txt"
        path.write_text(ARTICLE.format(n=n), encoding="utf-8")
        paths.append(str(path))
    return paths


def stuck_file(folder: Path) -> Path:
    path = folder / "stuck.txt"
    os.mkfifo(path)
    return path


def release(fifo: Path, text: str) -> None:
    """Write `text` into the FIFO once the worker is blocked reading it."""

    def reader_waiting() -> bool:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # no reader yet
                return False
            raise
        with os.fdopen(fd, "w") as out:
            out.write(text)
        return True

    wait_for(reader_waiting, timeout=60, what="the worker reading the stuck file")


def enqueue(env: dict[str, str], paths: list[str]) -> None:
    """The task `monitor ingest --async` sends (the CLI itself refuses a FIFO)."""
    code = (
        "import sys; from tasks.app import runtime; from tasks.ingest import ingest_files_task;"
        "ingest_files_task.apply_async(args=[sys.argv[1:]], queue=runtime().settings.ingest_queue)"
    )
    subprocess.run(
        [sys.executable, "-c", code, *paths], env=env_with(env), cwd=ROOT, check=True, timeout=60
    )


def stored(env: dict[str, str]) -> list[str]:
    path = Path(env["MONITOR_DATA_DIR"]) / "monitor.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=10) as db:
        try:
            return [row[0] for row in db.execute("SELECT id FROM articles")]
        except sqlite3.OperationalError:  # the worker is creating the schema right now
            return []


def dead_letters(env: dict[str, str]) -> list[dict[str, object]]:
    result = monitor("dlq", "list", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    items: list[dict[str, object]] = json.loads(result.stdout)["items"]
    return items


def deliveries(env: dict[str, str]) -> dict[str, int]:
    """The per-message delivery counters the workers keep on the broker."""
    client = redis.Redis.from_url(env["MONITOR_BROKER_URL"], decode_responses=True)
    try:
        return {k: int(client.get(k) or 0) for k in client.scan_iter("monitor:deliveries:*")}
    finally:
        client.close()


def pool_children(worker: subprocess.Popen[bytes]) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == worker.pid:
                children.append(int(entry.name))
    return children


def test_batch_past_its_soft_time_limit_is_split_and_only_the_stuck_item_dead_lettered(
    env: dict[str, str], tmp_path: Path
) -> None:
    # Soft limit = batch size x item budget = 6 s: far above two tiny articles.
    env = {**env, "MONITOR_BATCH_SIZE": "3", "MONITOR_TASK_ITEM_BUDGET_S": "2"}
    good = articles(tmp_path / "in", [1, 2])
    fifo = stuck_file(tmp_path / "in")
    enqueue(env, [good[0], str(fifo), good[1]])
    worker = start_worker(env, log=tmp_path / "w.log")
    try:
        wait_for(
            lambda: len(stored(env)) == 2 and dead_letter_count(env) == 1,
            timeout=120,
            what=lambda: f"split and dead-letter; log: {(tmp_path / 'w.log').read_text()[-3000:]}",
        )
        assert worker.poll() is None
    finally:
        stop(worker)
    (letter,) = dead_letters(env)
    assert letter["ref"] == str(fifo)
    assert letter["error_type"] == "SoftTimeLimitExceeded"
    assert "soft time limit of 6s" in str(letter["message"])
    assert "batch split into 3 single-item tasks" in (tmp_path / "w.log").read_text()


def test_batch_whose_worker_keeps_dying_is_dead_lettered_after_max_deliveries(
    env: dict[str, str], tmp_path: Path
) -> None:
    # An out-of-memory kill, twice: SIGKILL the pool process while it runs the batch.
    env = {**env, "MONITOR_TASK_MAX_DELIVERIES": "2"}
    fifo = stuck_file(tmp_path)
    enqueue(env, [str(fifo)])
    worker = start_worker(env, log=tmp_path / "w.log")
    try:
        for delivery in (1, 2):
            wait_for(
                lambda n=delivery: list(deliveries(env).values()) == [n],  # type: ignore[misc]
                timeout=90,
                what=f"delivery {delivery}",
            )
            (child,) = pool_children(worker)
            os.kill(child, signal.SIGKILL)
        wait_for(lambda: dead_letter_count(env) == 1, timeout=90, what="the dead-letter entry")
        assert worker.poll() is None
        assert deliveries(env) == {}, "a finished message leaves no counter behind"
    finally:
        stop(worker)
    (letter,) = dead_letters(env)
    assert letter["error_type"] == "DeliveryLimitExceeded"
    assert "delivered 2 times without finishing" in str(letter["message"])


@pytest.mark.parametrize("finishes_in_time", [True, False])
def test_sigterm_mid_batch_loses_nothing_and_doubles_nothing(
    env: dict[str, str], tmp_path: Path, finishes_in_time: bool
) -> None:
    # Long enough for the released batch to finish; the other case waits it out in full.
    soft_shutdown_s = "8" if finishes_in_time else "2"
    env = {**env, "MONITOR_SOFT_SHUTDOWN_TIMEOUT_S": soft_shutdown_s}
    good = articles(tmp_path / "in", [1, 2])
    fifo = stuck_file(tmp_path / "in")
    enqueue(env, [good[0], str(fifo), good[1]])
    worker = start_worker(env, log=tmp_path / "w1.log", hostname="w1")
    try:
        wait_for(lambda: bool(deliveries(env)), timeout=90, what="the batch to start")
        worker.send_signal(signal.SIGTERM)  # what `docker stop` sends
        if finishes_in_time:
            release(fifo, ARTICLE.format(n=3))
        worker.wait(timeout=60)
    finally:
        stop(worker)
    log = (tmp_path / "w1.log").read_text()
    assert "Soft Shutdown" in log, log[-3000:]
    if finishes_in_time:
        assert len(stored(env)) == 3, log[-3000:]
    else:
        assert stored(env) == [], "the unfinished batch wrote nothing"
        second = start_worker(env, log=tmp_path / "w2.log", hostname="w2")
        try:
            release(fifo, ARTICLE.format(n=3))
            wait_for(lambda: len(stored(env)) == 3, timeout=90, what="the requeued batch")
        finally:
            stop(second)
    ids = stored(env)
    assert len(ids) == len(set(ids)) == 3
    assert dead_letters(env) == []
    broker = redis.Redis.from_url(env["MONITOR_BROKER_URL"])
    try:
        assert broker.llen(env["MONITOR_INGEST_QUEUE"]) == 0
        assert broker.hlen("unacked") == 0
    finally:
        broker.close()
