from __future__ import annotations

from pathlib import Path

import pytest

from tasks.schedule import beat_schedule
from workers.settings import Settings


def test_one_beat_entry_per_enabled_source_with_its_interval() -> None:
    schedule = beat_schedule(Settings(source_interval_s=600))
    assert "source:jamestown-wp" not in schedule  # disabled in the defaults
    feed = schedule["source:jamestown-feed"]
    assert feed["task"] == "monitor.run_source" and feed["args"] == ["jamestown-feed"]
    assert feed["schedule"] == 600.0 and feed["options"]["expires"] == 600.0
    assert schedule["source:monitor"]["schedule"] == 604800.0


def test_a_broken_sources_file_schedules_nothing_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text("[[source]\n")
    assert beat_schedule(Settings(sources_file=bad)) == {}
    assert "not valid TOML" in caplog.text
