from __future__ import annotations

from pathlib import Path

import pytest

from tasks.schedule import beat_schedule
from workers.settings import Settings


def test_one_beat_entry_per_enabled_source_with_its_interval(tmp_path: Path) -> None:
    defaults = beat_schedule(Settings(source_interval_s=600))
    assert list(defaults) == ["source:jamestown"]  # the fallback feeds/listings are off
    site = defaults["source:jamestown"]
    assert site["task"] == "monitor.run_source" and site["args"] == ["jamestown"]
    assert site["schedule"] == 600.0 and site["options"]["expires"] == 600.0
    custom = tmp_path / "s.toml"
    custom.write_text(
        '[[source]]\nname = "edm"\nkind = "listing"\n'
        'url = "https://jamestown.org/publications/edm/"\ninterval_s = 604800\n'
    )
    assert beat_schedule(Settings(sources_file=custom))["source:edm"]["schedule"] == 604800.0


def test_a_broken_sources_file_schedules_nothing_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text("[[source]\n")
    assert beat_schedule(Settings(sources_file=bad)) == {}
    assert "not valid TOML" in caplog.text
