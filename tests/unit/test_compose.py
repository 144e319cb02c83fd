"""infra/: the compose file, Redis configs and Dockerfile, checked without Docker."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from workers.settings import Settings

INFRA = Path("infra")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((INFRA / "docker-compose.yml").read_text())
    return loaded


def test_services_healthchecks_and_volumes() -> None:
    compose = _compose()
    services = compose["services"]
    assert {
        "redis-broker",
        "redis-cache",
        "elasticsearch",
        "kibana",
        "worker",
        "beat",
        "flower",
    } <= set(services)
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test") or check.get("disable"), f"{name} has no healthcheck"
    assert "-Q" in services["worker"]["command"] and "ingest" in services["worker"]["command"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "tasks.app", "beat"]
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "true"
    assert services["worker"]["build"]["dockerfile"] == "infra/Dockerfile"
    assert (INFRA / "Dockerfile").is_file()
    declared = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in declared
            else:
                assert (INFRA / source).exists(), source


def test_every_monitor_env_name_is_a_setting() -> None:
    fields = {f"MONITOR_{name.upper()}" for name in Settings.model_fields}
    text = (INFRA / "docker-compose.yml").read_text()
    used = set(re.findall(r"\bMONITOR_[A-Z0-9_]+", text))
    assert used and used <= fields, used - fields
    app_env = _compose()["services"]["worker"]["environment"]
    assert {"MONITOR_BROKER_URL", "MONITOR_REDIS_URL", "MONITOR_ELASTICSEARCH_URL"} <= set(app_env)
    assert app_env["MONITOR_BROKER_URL"] != app_env["MONITOR_REDIS_URL"]  # two Redis roles
    Settings(_env_file=None, **{k.removeprefix("MONITOR_").lower(): v for k, v in app_env.items()})  # type: ignore[arg-type]


def test_dev_passwords_are_marked_dev_only() -> None:
    for line in (INFRA / ".env.example").read_text().splitlines():
        if "PASSWORD=" in line:
            assert "dev-only" in line
