"""Every `monitor …` example in README.md and docs/search.md runs as written (issue 24).

The commands are read from the docs themselves: the lines of ```sh blocks and the
`monitor …` code spans of the prose (table rows hold synopses, not examples). Each
runs in bash, as a reader would paste it, with `monitor` on the PATH and the working
directory at the repository root, against an index of samples/. A line that needs a
server, the network or a value to fill in is skipped with the reason (`SKIPPED`
lines in the report list them); every other line must succeed without an error line.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from devsupport.processes import ROOT, env_with

pytestmark = pytest.mark.integration

DOCS = (ROOT / "README.md", ROOT / "docs" / "search.md")
_FENCE = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
_SPAN = re.compile(r"`((?:\.venv/bin/)?monitor(?: [^`]*)?)`")
# Why a documented command is not run here, first match wins.
SKIP = (
    (
        re.compile(r"\b(ID|URL|GOLD\.json|PATH|FILE)\b|\.\.\.|…|\[|\]"),
        "a synopsis with a value to fill in",
    ),
    (re.compile(r"^monitor (show|eval|delete)$"), "names the command; examples give its ID/file"),
    (re.compile(r"--async"), "enqueues for Celery workers: needs MONITOR_BROKER_URL and a worker"),
    (
        re.compile(r"^monitor (es|kibana)\b|--new-index"),
        "needs Elasticsearch or Kibana (the compose file)",
    ),
    (
        re.compile(r"^monitor serve\b"),
        "a server that runs until stopped (tests/integration/test_serve.py drives it)",
    ),
    (
        re.compile(r"https?://|jamestown\.org|--kind"),
        "fetches from jamestown.org or the Internet Archive",
    ),
)


def documented() -> list[str]:
    """Each `monitor` command line of the docs, once, in order of appearance."""
    found: list[str] = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in _FENCE.findall(text):
            for line in block.splitlines():
                words = shlex.split(line, comments=True)
                if words and words[0] in ("monitor", ".venv/bin/monitor"):
                    found.append(shlex.join(words))
        prose = _FENCE.sub("", text)
        paragraphs = "\n".join(line for line in prose.splitlines() if not line.startswith("|"))
        found.extend(" ".join(span.split()) for span in _SPAN.findall(paragraphs))
    commands = [c.removeprefix(".venv/bin/") for c in found]
    return list(dict.fromkeys(c for c in commands if c != "monitor"))


COMMANDS = documented()


def why_skipped(command: str) -> str | None:
    return next((why for pattern, why in SKIP if pattern.search(command)), None)


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """`monitor` on the PATH (this checkout's) and an index of samples/."""
    root = tmp_path_factory.mktemp("docs")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    script = bin_dir / "monitor"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tasks.cli "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    env = env_with({"MONITOR_DATA_DIR": str(root / "var")})
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    ingest = run("monitor ingest samples/", env)
    assert ingest.returncode == 0, ingest.stderr
    return env


def run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        env=env,
        cwd=ROOT,
        input="y\n",  # a command that asks for confirmation gets it
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_docs_have_examples_to_run() -> None:
    runnable = [c for c in COMMANDS if why_skipped(c) is None]
    assert len(runnable) >= 20, runnable
    assert "monitor search Putin OR Yeltsin Chechnya" in runnable
    # Every skip reason still applies to some documented line: the list stays honest.
    for pattern, why in SKIP:
        assert any(pattern.search(c) for c in COMMANDS), why


@pytest.mark.parametrize("command", COMMANDS)
def test_a_documented_command_runs_as_written(command: str, shell: dict[str, str]) -> None:
    why = why_skipped(command)
    if why is not None:
        pytest.skip(why)
    done = run(command, shell)
    assert done.returncode == 0, done.stderr
    assert "monitor: error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stdout.strip(), "an example prints something"


def test_the_extraction_reads_spans_across_lines(tmp_path: Path) -> None:
    """A code span the docs wrap over two lines is one command."""
    assert "monitor enrich samples/monitor-v7-i14.txt --format json" in COMMANDS
