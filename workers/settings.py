"""One settings object for the whole system.

Every field has a default and a description; the README configuration table is the
same list. Values come from `MONITOR_*` environment variables (or a `.env` file).
Unset service URLs select the embedded running mode (DESIGN.md "Running modes"):
no broker means Celery runs tasks in-process, no Redis means an in-process cache, no
Elasticsearch means the SQLite store in `data_dir`.

Load once per process with `get_settings()` and pass the object explicitly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MONITOR_", env_file=".env", extra="ignore", secrets_dir=None
    )

    broker_url: SecretStr | None = Field(
        default=None,
        description="Celery broker (Redis URL). Unset: tasks run in-process (eager).",
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="Redis for cache, checkpoints and locks. Unset: in-process cache.",
    )
    elasticsearch_url: SecretStr | None = Field(
        default=None,
        description="Elasticsearch URL. Unset: embedded SQLite/FTS5 store in data_dir.",
    )
    data_dir: Path = Field(
        default=Path("var"),
        description="Where the embedded store and other local state live.",
    )
    batch_size: int = Field(
        default=25,
        ge=1,
        le=1000,
        description="Articles per task: the unit of retry and of bulk writes.",
    )
    ingest_queue: str = Field(
        default="ingest", description="Celery queue for ingest and reprocess batches."
    )
    max_article_bytes: int = Field(
        default=2_000_000,
        ge=1,
        description="Inputs larger than this are refused as bad input.",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")

    # --- Elasticsearch and Kibana (issue 4) ---------------------------------------
    elasticsearch_api_key: SecretStr | None = Field(
        default=None,
        description="Elasticsearch API key (base64 'id:key' form). Preferred over basic auth.",
    )
    elasticsearch_username: str | None = Field(
        default=None, description="Elasticsearch basic-auth user (when no API key is set)."
    )
    elasticsearch_password: SecretStr | None = Field(
        default=None, description="Elasticsearch basic-auth password."
    )
    elasticsearch_password_file: Path | None = Field(
        default=None,
        description="File holding the Elasticsearch password (Docker/Kubernetes secrets); "
        "read when MONITOR_ELASTICSEARCH_PASSWORD is unset.",
    )
    elasticsearch_api_key_file: Path | None = Field(
        default=None, description="File holding the Elasticsearch API key."
    )
    elasticsearch_ca_certs: Path | None = Field(
        default=None,
        description="CA certificate (PEM) that signed the cluster's HTTPS certificate.",
    )
    elasticsearch_request_timeout_s: float = Field(
        default=30.0, gt=0, description="Per-request timeout for Elasticsearch calls."
    )
    elasticsearch_alias: str = Field(
        default="monitor-articles",
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        description="Alias searched and written; concrete indices are <alias>-v1, -v2, ...",
    )
    elasticsearch_bulk_retries: int = Field(
        default=5,
        ge=0,
        le=20,
        description="Retries of bulk items rejected with 429/503, with doubling backoff.",
    )
    elasticsearch_bulk_backoff_s: float = Field(
        default=1.0, ge=0, description="First backoff before a rejected bulk item is retried."
    )
    kibana_url: str | None = Field(
        default=None, description="Kibana URL for `monitor kibana import`."
    )
    kibana_username: str | None = Field(
        default=None, description="Kibana user (defaults to the Elasticsearch user)."
    )
    kibana_password: SecretStr | None = Field(
        default=None, description="Kibana password (defaults to the Elasticsearch password)."
    )
    kibana_api_key: SecretStr | None = Field(
        default=None, description="Kibana API key (defaults to the Elasticsearch API key)."
    )

    @model_validator(mode="after")
    def _read_secret_files(self) -> Settings:
        """`*_FILE` settings fill their secret when it is not given directly, so a
        password can come from a mounted secret instead of the environment."""
        for name in ("elasticsearch_password", "elasticsearch_api_key"):
            path = getattr(self, f"{name}_file")
            if getattr(self, name) is None and path is not None:
                try:
                    secret = Path(path).read_text(encoding="utf-8").strip()
                except OSError as exc:
                    raise ValueError(f"cannot read {name}_file {path}: {exc.strerror}") from exc
                object.__setattr__(self, name, SecretStr(secret))
        return self

    @property
    def embedded_db(self) -> Path:
        return self.data_dir / "monitor.sqlite3"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()


def redact(url: str) -> str:
    """A URL safe to print: any password or user info replaced by '***'."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    _, _, host = rest.partition("@")
    return f"{scheme}://***@{host}"
