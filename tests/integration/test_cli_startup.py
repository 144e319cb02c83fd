"""`monitor` starts without the heavy libraries (issue 24, point 10): each command
imports what it runs, so `monitor --help` costs about what Python and Click cost, and a
search does not load spaCy, the HTML extractor, the Elasticsearch client or Celery.

Structural, not timed (timings are the bench's, `python -m bench.startup`): the
interpreter's own import log (`-X importtime`) names every module a run loaded.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from devsupport.processes import ROOT, env_with

pytestmark = pytest.mark.integration

# Each costs from a tenth of a second (httpx, redis) to seconds (spaCy) to import.
HEAVY = (
    "spacy",
    "thinc",
    "trafilatura",
    "lxml",
    "elasticsearch",
    "elastic_transport",
    "celery",
    "kombu",
    "httpx",
    "redis",
)
# The settings object (pydantic) is needed by every command that does something, but not
# to say how to call one.
SETTINGS = ("pydantic", "pydantic_settings", "workers.settings")
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", re.MULTILINE)


def loaded(*args: str, data_dir: Path, succeeds: bool = True) -> set[str]:
    """The modules `monitor ARGS` imported; `succeeds=False` for a command whose exit
    code is not the point (`show no-such-id`), as long as it did not crash."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tasks.cli", *args],
        env=env_with({"MONITOR_DATA_DIR": str(data_dir)}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0 or not succeeds, done.stderr[-2000:]
    modules = set(_IMPORTED.findall(done.stderr))
    assert "click" in modules  # the log was read
    return modules


def top_level(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m in names or m.split(".")[0] in names)


@pytest.mark.parametrize(
    "args",
    [["--help"], ["search", "--help"], ["ingest", "--help"], ["show", "--help"], ["--version"]],
    ids=" ".join,
)
def test_help_loads_neither_heavy_libraries_nor_the_settings(
    args: list[str], tmp_path: Path
) -> None:
    modules = loaded(*args, data_dir=tmp_path)
    assert top_level(modules, HEAVY + SETTINGS) == []


@pytest.mark.parametrize(
    "args",
    [["search", "Kiriyenko"], ["search"], ["config"], ["show", "no-such-id"]],
    ids=" ".join,
)
def test_reading_commands_load_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    modules = loaded(*args, data_dir=tmp_path, succeeds=args[0] != "show")
    assert "workers.settings" in modules  # the command ran
    assert top_level(modules, HEAVY) == []


# What a source run needs and a look at the sources' state does not: the extractor,
# the NER model, the store's client.
RUN = ("spacy", "thinc", "trafilatura", "lxml", "elasticsearch", "elastic_transport")


@pytest.mark.parametrize("args", [["status"], ["sources"]], ids=" ".join)
def test_state_commands_load_nothing_a_run_needs(args: list[str], tmp_path: Path) -> None:
    """`status` and `sources` read checkpoints and last runs (workers/source_state.py),
    not the crawl that writes them: half a second less per call."""
    assert top_level(loaded(*args, data_dir=tmp_path), RUN) == []
