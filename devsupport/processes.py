"""Run the real `monitor` command and real Celery workers as subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def env_with(overrides: Mapping[str, str]) -> dict[str, str]:
    """The test process's environment minus any MONITOR_* setting, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(overrides)
    return env


def private_queue() -> str:
    """A queue name no other process knows: a worker left over from an earlier run,
    reconnecting to a reused port, can never take this test's batches."""
    return f"ingest-test-{uuid.uuid4().hex[:12]}"


def monitor(
    *args: str, env: Mapping[str, str], stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tasks.cli", *args],
        env=env_with(env),
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_worker(
    env: Mapping[str, str], *, log: Path, concurrency: int = 1, hostname: str = "w1"
) -> subprocess.Popen[bytes]:
    """A real `celery worker` process (prefork) consuming the ingest queue."""
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "tasks.app", "worker",
                "--loglevel", "INFO", "--concurrency", str(concurrency),
                "--hostname", f"{hostname}@%h", "--without-gossip", "--without-mingle",
            ],
            env=env_with(env),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def stop(process: subprocess.Popen[bytes], *, timeout: float = 20) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(
    predicate: Callable[[], bool], *, timeout: float, what: str | Callable[[], str]
) -> None:
    """Poll until `predicate()`; `what` may be a function describing the state on failure."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout}s waiting for {described}")
        time.sleep(0.2)
