"""Elasticsearch/Kibana settings: secrets from files, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from workers.settings import Settings


def test_password_and_api_key_can_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("from-file\n", encoding="utf-8")
    (tmp_path / "key").write_text("a2V5", encoding="utf-8")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        elasticsearch_password_file=tmp_path / "pw",
        elasticsearch_api_key_file=tmp_path / "key",
    )
    assert settings.elasticsearch_password is not None
    assert settings.elasticsearch_password.get_secret_value() == "from-file"
    assert settings.elasticsearch_api_key is not None
    assert settings.elasticsearch_api_key.get_secret_value() == "a2V5"
    assert "from-file" not in repr(settings) and "a2V5" not in repr(settings)


def test_a_password_given_directly_wins_over_the_file(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("from-file", encoding="utf-8")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        elasticsearch_password="direct",  # noqa: S106
        elasticsearch_password_file=tmp_path / "pw",
    )
    assert settings.elasticsearch_password is not None
    assert settings.elasticsearch_password.get_secret_value() == "direct"


def test_missing_secret_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_ELASTICSEARCH_PASSWORD_FILE", str(tmp_path / "nope"))
    with pytest.raises(ValidationError, match="cannot read elasticsearch_password_file"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_alias_must_be_a_valid_index_name() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, elasticsearch_alias="Bad Alias")  # type: ignore[call-arg]
