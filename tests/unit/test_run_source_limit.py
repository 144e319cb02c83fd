"""Issue 22: `monitor.run_source` had no time limit; a walk that never ended kept its
worker (and the queued articles behind it) for good."""

from __future__ import annotations

from tasks.app import app, runtime


def test_a_source_run_ends_before_its_lock_expires() -> None:
    settings = runtime().settings
    limits = app.conf.task_annotations["monitor.run_source"]
    assert limits["soft_time_limit"] < limits["time_limit"] <= settings.source_lock_ttl_s
    assert settings.discovery_max_s < limits["soft_time_limit"]
