"""A real `monitor serve` process on a free port, for the tests and the bench."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from devsupport.processes import ROOT, env_with, stop, wait_for


@dataclasses.dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    stderr: list[str]  # every line the server wrote so far


@contextmanager
def serve(env: Mapping[str, str], *, host: str | None = None) -> Iterator[Served]:
    """`monitor serve --port 0` as a subprocess (on its default host unless given);
    yields once the page answers."""
    hosts = ["--host", host] if host else []
    process = subprocess.Popen(
        [sys.executable, "-m", "tasks.cli", "serve", *hosts, "--port", "0"],
        env=env_with(env),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    # Drained all along, so a chatty server never blocks on a full pipe.
    reader = threading.Thread(target=lambda: lines.extend(process.stderr or ()), daemon=True)
    reader.start()
    try:
        wait_for(
            lambda: bool(lines) or process.poll() is not None,
            timeout=60,
            what="monitor serve to start",
        )
        found = re.search(r"at (http://\S+/)", lines[0] if lines else "")
        assert found, f"monitor serve said {lines!r}"
        url = found.group(1)
        wait_for(lambda: _answers(url), timeout=60, what=f"{url} to answer")
        yield Served(url, process, lines)
    finally:
        stop(process)  # type: ignore[arg-type]  (a text-mode Popen)
        reader.join(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _answers(url: str) -> bool:
    """Whether the server is up (the stylesheet needs no store)."""
    try:
        return httpx.get(f"{url}style.css", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
