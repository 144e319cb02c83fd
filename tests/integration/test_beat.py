"""Celery beat started by hand keeps its schedule file in the data dir (issue 25,
point 8): Celery's default is `celerybeat-schedule.*` in the current directory, which
left untracked files in the repository root."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT, env_with, stop, wait_for

pytestmark = pytest.mark.integration


def test_beat_writes_its_schedule_into_the_data_dir_not_the_cwd(tmp_path: Path) -> None:
    started_in = tmp_path / "elsewhere"
    started_in.mkdir()
    data_dir = tmp_path / "data"  # not there yet: beat may be the first to start
    sources = tmp_path / "sources.toml"  # one weekly source: nothing fires meanwhile
    sources.write_text(
        '[[source]]\nname = "edm"\nkind = "listing"\n'
        'url = "https://jamestown.org/publications/edm/"\ninterval_s = 604800\n'
    )
    env = env_with(
        {
            "MONITOR_DATA_DIR": str(data_dir),
            "MONITOR_SOURCES_FILE": str(sources),
            "PYTHONPATH": str(ROOT),  # this checkout, from another directory
        }
    )
    log = tmp_path / "beat.log"
    with log.open("wb") as out:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks.app", "beat", "--loglevel", "INFO"],
            cwd=started_in,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            lambda: (
                any(data_dir.glob("celerybeat-schedule*"))
                or any(started_in.iterdir())
                or beat.poll() is not None
            ),
            timeout=120,
            what=lambda: f"a schedule file in {data_dir}; beat log:\n{log.read_text()}",
        )
        assert beat.poll() is None, log.read_text()
    finally:
        stop(beat)
    assert list(started_in.iterdir()) == []
    assert any(data_dir.glob("celerybeat-schedule*"))
