"""Settings: defaults select the embedded mode; secrets never print."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from workers.settings import Settings, describe_error, get_settings, redact, redact_text


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


# Issue 11: malformed settings are one clear line naming the variable.
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"batch_size": "abc"}, "MONITOR_BATCH_SIZE='abc': Input should be a valid integer"),
        ({"log_level": "LOUD"}, "MONITOR_LOG_LEVEL='LOUD': unknown log level"),
        ({"broker_url": "localhost:6379"}, "MONITOR_BROKER_URL: must be a URL starting with"),
        ({"redis_url": "http://cache:6379"}, "MONITOR_REDIS_URL: must be a URL starting with"),
        ({"elasticsearch_url": "es:9200"}, "MONITOR_ELASTICSEARCH_URL: must be a URL"),
        ({"sqlite_synchronous": "OFF"}, "MONITOR_SQLITE_SYNCHRONOUS='OFF'"),
    ],
)
def test_bad_settings_are_described_in_one_line(values: dict[str, str], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, **values)  # type: ignore[call-arg]
    line = describe_error(caught.value)
    assert expected in line
    assert "\n" not in line


def test_a_bad_secret_url_is_never_echoed() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, broker_url=":s3cret-no-scheme@broker:6379")  # type: ignore[call-arg]
    assert "s3cret" not in describe_error(caught.value)


def test_log_level_is_normalized() -> None:
    assert Settings(_env_file=None, log_level="debug").log_level == "DEBUG"  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://es:9200/?password=pw1&x=1", "http://es:9200/?password=***&x=1"),
        ("redis://cache:6379/0?token=abc", "redis://cache:6379/0?token=***"),
        ("https://u:p@kb:5601/?api_key=k", "https://***@kb:5601/?api_key=***"),
    ],
)
def test_redact_hides_credential_parameters(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_redact_text_removes_every_secret_a_settings_object_holds(tmp_path: Path) -> None:
    key_file = tmp_path / "api_key"
    key_file.write_text("key-from-file-123\n")
    Settings(  # type: ignore[call-arg]
        _env_file=None,
        broker_url="redis://:broker-pw-9@broker:6379/0",
        kibana_url="http://kibana:5601/?password=kib-pw-7",
        kibana_api_key="kib-api-key-5",
        elasticsearch_api_key_file=key_file,
    )
    text = (
        "AuthenticationError for broker-pw-9; key-from-file-123 refused; kib-pw-7 and "
        'kib-api-key-5 in {"detail": "kib-api-key-5"}; host broker:6379 kept'
    )
    cleaned = redact_text(text)
    for secret in ("broker-pw-9", "key-from-file-123", "kib-pw-7", "kib-api-key-5"):
        assert secret not in cleaned
    assert "host broker:6379 kept" in cleaned


def test_time_limits_follow_the_batch_size() -> None:
    settings = Settings(_env_file=None, batch_size=10, task_item_budget_s=30)  # type: ignore[call-arg]
    assert settings.task_soft_time_limit_s == 300
    assert settings.task_time_limit_s == 360


@pytest.mark.parametrize(("value", "pragma"), [("NORMAL", 1), ("FULL", 2)])
def test_sqlite_synchronous_reaches_the_embedded_store(
    tmp_path: Path, value: str, pragma: int
) -> None:
    from workers.stores import open_store
    from workers.stores.embedded import EmbeddedStore

    store = open_store(Settings(_env_file=None, data_dir=tmp_path, sqlite_synchronous=value))  # type: ignore[call-arg]
    assert isinstance(store, EmbeddedStore)
    try:
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == pragma
    finally:
        store.close()
