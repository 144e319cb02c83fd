"""Log lines carry their context as fields, in JSON when not on a terminal."""

from __future__ import annotations

import json
import logging

import pytest

from workers import logs


def test_json_lines_carry_extra_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", json_output=True)
    logging.getLogger("monitor.test").info(
        "batch done", extra={"batch_id": "b1", "duration_ms": 12.5, "counts": {"created": 3}}
    )
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert entry["message"] == "batch done"
    assert entry["level"] == "INFO"
    assert entry["batch_id"] == "b1"
    assert entry["counts"] == {"created": 3}


def test_console_lines_append_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", json_output=False)
    logging.getLogger("monitor.test").warning("slow", extra={"stage": "index"})
    assert capsys.readouterr().err.rstrip().endswith("slow stage=index")


def test_level_filters(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("WARNING", json_output=True)
    logging.getLogger("monitor.test").info("hidden")
    assert capsys.readouterr().err == ""
