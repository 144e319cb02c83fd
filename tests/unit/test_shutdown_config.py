"""The worker's SIGTERM is Celery's soft shutdown wherever it is deployed from infra/.

Celery 5.x applies worker_soft_shutdown_timeout to the cold shutdown, which SIGTERM
starts only with REMAP_SIGTERM=SIGQUIT (Celery Workers Guide, "Soft Shutdown"); the
behaviour itself is tested with a real SIGTERM in tests/integration/test_batch_limits.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from workers.settings import Settings

INFRA = Path("infra")


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|m)", value)
    assert match, value
    return int(match[1]) * (60 if match[2] == "m" else 1)


def test_compose_worker_remaps_sigterm_and_waits_longer_than_the_soft_shutdown() -> None:
    compose: dict[str, Any] = yaml.safe_load((INFRA / "docker-compose.yml").read_text())
    worker = compose["services"]["worker"]
    assert worker["environment"]["REMAP_SIGTERM"] == "SIGQUIT"
    assert worker["environment"]["MONITOR_BROKER_URL"]  # the shared settings still apply
    assert worker.get("stop_signal", "SIGTERM") == "SIGTERM"
    soft = Settings.model_fields["soft_shutdown_timeout_s"].default
    assert _seconds(worker["stop_grace_period"]) > soft


def test_image_remaps_sigterm_for_every_worker_it_runs() -> None:
    dockerfile = (INFRA / "Dockerfile").read_text()
    assert re.search(r"^ENV .*\bREMAP_SIGTERM=SIGQUIT\b", dockerfile, re.MULTILINE | re.DOTALL)
