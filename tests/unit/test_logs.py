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


# Issue 11: a library error quoting a URL with its password must not reach a log line.
KNOWN_VALUE = "hunter2-log-secret"


@pytest.mark.parametrize("json_output", [True, False])
def test_log_lines_never_show_credentials(
    capsys: pytest.CaptureFixture[str], json_output: bool
) -> None:
    from workers.settings import Settings

    Settings(_env_file=None, elasticsearch_password=KNOWN_VALUE)  # type: ignore[call-arg]
    logs.configure("INFO", json_output=json_output)
    log = logging.getLogger("monitor.test")
    log.warning("cannot reach redis://:%s@broker:6379/0", "pw-in-url")
    log.error("auth failed with %s", KNOWN_VALUE, extra={"detail": f"password={KNOWN_VALUE}"})
    try:
        raise ConnectionError(f"http://elastic:{KNOWN_VALUE}@es:9200 refused")
    except ConnectionError:
        log.exception("store down")
    err = capsys.readouterr().err
    assert KNOWN_VALUE not in err and "pw-in-url" not in err
    assert "redis://***@broker:6379/0" in err


def test_the_cli_default_handler_redacts_too(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = []  # a CLI process: no logging configured, lastResort prints
    try:
        logs.protect_default_handler()
        logs.protect_default_handler()  # idempotent
        logging.getLogger("monitor.cli").warning("at https://u:pw-cli@es:9200/?token=t0k3n")
    finally:
        root.handlers[:] = saved
    err = capsys.readouterr().err
    assert "pw-cli" not in err and "t0k3n" not in err
    assert "https://***@es:9200/?token=***" in err
