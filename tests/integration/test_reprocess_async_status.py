"""`monitor status` follows a `reprocess --async` run (issue 25, point 9): the batches
run in a real Celery worker over a real Redis broker, with no result backend; each
batch adds its counts to the run in the cache, and status shows them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLES
from tests.support.peek import reprocess_async
from tests.support.processes import monitor, private_queue, start_worker, stop, wait_for
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
def env(redis_server: RedisServer, data_dir: Path) -> Iterator[dict[str, str]]:
    redis_server.client(0).flushdb()
    redis_server.client(1).flushdb()
    yield {
        "MONITOR_BROKER_URL": redis_server.url(0),
        "MONITOR_REDIS_URL": redis_server.url(1),
        "MONITOR_DATA_DIR": str(data_dir),
        "MONITOR_INGEST_QUEUE": private_queue(),
    }


def _status(env: dict[str, str]) -> dict[str, Any]:
    done = monitor("status", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_status_shows_an_async_reprocess_run_as_the_workers_finish_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    # In process first: the last synchronous run is what status showed before.
    in_process_env = {k: v for k, v in env.items() if k != "MONITOR_BROKER_URL"}
    assert monitor("ingest", str(SAMPLES), env=in_process_env).returncode == 0
    in_process = monitor("reprocess", env=env)
    assert in_process.returncode == 0, in_process.stderr
    enqueued = monitor("reprocess", "--async", "--batch-size", "1", env=env)
    assert enqueued.returncode == 0, enqueued.stderr
    assert "enqueued 2 article(s) in 2 batch(es)" in enqueued.stdout
    waiting = _status(env)["reprocess_async"]
    assert (waiting["articles"], waiting["batches"], waiting["done"]) == (2, 2, 0)
    assert not waiting["finished"]
    text = monitor("status", env=env).stdout
    assert "reprocess   --async since" in text and "0 of 2 article(s) done" in text

    worker = start_worker(env, log=tmp_path / "worker.log", hostname="reprocess")
    try:
        wait_for(
            lambda: bool((reprocess_async(env) or {}).get("finished")),
            timeout=120,
            what=lambda: f"both batches counted: {_status(env)['reprocess_async']}",
        )
    finally:
        stop(worker)
    run = _status(env)["reprocess_async"]
    assert (run["unchanged"], run["rewritten"], run["failed"], run["done"]) == (2, 0, 0, 2)
    line = next(x for x in monitor("status", env=env).stdout.splitlines() if "reprocess" in x)
    assert "(--async, enqueued" in line and "unchanged 2" in line
