"""Settings: defaults select the embedded mode; secrets never print."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.settings import Settings, get_settings, redact


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"MONITOR_{name.upper()}", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.broker_url is None
    assert settings.redis_url is None
    assert settings.elasticsearch_url is None
    assert str(settings.embedded_db).endswith("monitor.sqlite3")


def test_every_setting_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache:6379/1", "redis://***@cache:6379/1"),
        ("https://elastic:p@ss@es:9200", "https://***@es:9200"),
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("var/monitor.sqlite3", "var/monitor.sqlite3"),
    ],
)
def test_redact_hides_user_info(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_secrets_can_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "monitor_broker_url").write_text("redis://:from-file@broker:6379/0")
    monkeypatch.delenv("MONITOR_BROKER_URL", raising=False)
    monkeypatch.setenv("MONITOR_SECRETS_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings.broker_url is not None
        assert settings.broker_url.get_secret_value() == "redis://:from-file@broker:6379/0"
        assert "from-file" not in repr(settings)
    finally:
        get_settings.cache_clear()
