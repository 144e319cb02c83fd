"""The Elasticsearch client from settings, and what its errors mean to the pipeline.

One place decides how to connect (API key over basic auth, CA certificate, timeouts)
and how failures are classified, following the one retry policy (workers/errors.py): an
unreachable or overloaded cluster is transient (`StoreUnavailable`, the task retries
with backoff), a rejected query is the user's (`QueryRefused`, like the embedded
store), any other refusal is permanent (`StoreRefused`). No elasticsearch-py exception
leaves a block run under `errors`: the faces switch on the project's types only.
Messages name the cluster by its redacted URL: credentials never reach a log line or
a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from workers.retry import UNAVAILABLE_STATUSES
from workers.settings import Settings, redact
from workers.stores.base import QueryRefused, StoreRefused, StoreUnavailable


def connect(settings: Settings) -> tuple[Elasticsearch, str]:
    """A client for `MONITOR_ELASTICSEARCH_URL` and the URL safe to show."""
    assert settings.elasticsearch_url is not None
    url = settings.elasticsearch_url.get_secret_value()
    options: dict[str, Any] = {
        "request_timeout": settings.elasticsearch_request_timeout_s,
        # A refused connection fails fast; the task-level retry owns the long backoff.
        "max_retries": 2,
        # A request that timed out is not sent again at once: against a host that
        # accepts and never answers, that made a command wait three timeouts (90 s by
        # default) before its error, and an overloaded node gets the load again.
        "retry_on_timeout": False,
        # The transport would retry a whole request answered 429/502/503/504 at once,
        # with no backoff (its default), before `streaming_bulk` sees it; one layer
        # owns status retries: streaming_bulk with backoff for bulks, the task for
        # the rest.
        "retry_on_status": (),
    }
    if settings.elasticsearch_api_key is not None:
        options["api_key"] = settings.elasticsearch_api_key.get_secret_value()
    elif settings.elasticsearch_username and settings.elasticsearch_password is not None:
        options["basic_auth"] = (
            settings.elasticsearch_username,
            settings.elasticsearch_password.get_secret_value(),
        )
    if settings.elasticsearch_ca_certs is not None:
        options["ca_certs"] = str(settings.elasticsearch_ca_certs)
    return Elasticsearch(url, **options), redact(url)


@contextmanager
def errors(location: str) -> Iterator[None]:
    """Translate client errors for the block (see the module docstring)."""
    try:
        yield
    except TransportError as exc:
        raise StoreUnavailable(
            f"elasticsearch at {location}: {type(exc).__name__}: {exc.message}"
        ) from exc
    except ApiError as exc:
        if exc.status_code in UNAVAILABLE_STATUSES:
            raise StoreUnavailable(
                f"elasticsearch at {location}: HTTP {exc.status_code} {exc.message}"
            ) from exc
        if exc.status_code == 401:
            raise StoreUnavailable(
                f"elasticsearch at {location} refused the credentials "
                f"(HTTP {exc.status_code}): check MONITOR_ELASTICSEARCH_API_KEY or "
                "MONITOR_ELASTICSEARCH_USERNAME/PASSWORD"
            ) from exc
        if exc.status_code == 403:
            raise StoreUnavailable(
                f"elasticsearch at {location} refused the request (HTTP 403: {reason(exc)}): "
                "give MONITOR_ELASTICSEARCH_API_KEY the privileges in docs/elasticsearch.md"
            ) from exc
        if exc.error == "index_not_found_exception":
            raise StoreUnavailable(
                f"elasticsearch at {location}: {reason(exc)}: run `monitor es setup` "
                "with an admin key"
            ) from exc
        if exc.status_code == 400:
            raise QueryRefused(f"elasticsearch rejected the request: {reason(exc)}") from exc
        raise StoreRefused(
            f"Elasticsearch answered HTTP {exc.status_code}: {exc.message}",
            status=int(exc.status_code),
        ) from exc


def reason(exc: ApiError) -> str:
    """The server's own reason for a refusal (its `error.reason`), else the error type."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict) and error.get("reason"):
        return f"{error.get('type')}: {error['reason']}"
    return str(exc.message)
