"""The one line a user sees for an error no command handled (`tasks.cli.base.classify`).

A local file error is the user's to fix (exit 2, naming the file), not "service
unavailable" (exit 3): the shapes are the errno errors `open()` and `write()` raise
(Python's OSError carries `strerror` and `filename`); a name lookup failure
(`socket.gaierror`, an OSError with no file) is still a service that cannot be reached.
"""

from __future__ import annotations

import errno
import os
import socket

import pytest

from tasks.cli.base import EXIT_INTERNAL, EXIT_UNAVAILABLE, EXIT_USAGE, classify


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/monitor/monitor.db"),
        NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), "/data/monitor/x"),
        FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), "/data/monitor/x"),
    ],
)
def test_a_local_file_error_names_the_file_and_is_a_usage_error(exc: OSError) -> None:
    message, code = classify(exc)
    assert code == EXIT_USAGE
    assert message == f"{exc.strerror}: {exc.filename}"


def test_an_unreachable_host_is_still_a_service_error() -> None:
    message, code = classify(socket.gaierror(-2, "Name or service not known"))
    assert code == EXIT_UNAVAILABLE
    assert message.startswith("service unavailable: gaierror")


def test_a_refused_connection_is_a_service_error() -> None:
    _, code = classify(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))
    assert code == EXIT_UNAVAILABLE


def test_library_errors_are_recognised_without_the_cli_importing_the_library() -> None:
    """`classify` looks the exception classes up among the loaded modules (the CLI no
    longer imports Redis or pydantic to start): here the test has loaded them, as a
    command that used them would have."""
    import redis
    from pydantic import ValidationError

    from workers.settings import Settings
    from workers.stores.base import StoreUnavailable

    message, code = classify(redis.ConnectionError("Error 111 connecting to localhost:6390"))
    assert code == EXIT_UNAVAILABLE and message.startswith("Redis unavailable")
    assert classify(StoreUnavailable("database is locked"))[1] == EXIT_UNAVAILABLE
    try:
        Settings(batch_size="abc")  # type: ignore[arg-type]
    except ValidationError as exc:
        message, code = classify(exc)
    assert code == EXIT_USAGE and "MONITOR_BATCH_SIZE" in message


def _api_error(status: int, error_type: str = "x_exception") -> Exception:
    from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
    from elasticsearch import ApiError

    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.01, NodeConfig("http", "h", 9200))
    body = {"error": {"type": error_type, "reason": f"refused with {status}"}}
    return ApiError(error_type, meta, body)


@pytest.mark.parametrize(
    ("status", "error_type", "code", "says"),
    [
        (400, "parsing_exception", EXIT_USAGE, "elasticsearch rejected the request"),
        (404, "resource_not_found_exception", EXIT_USAGE, "Elasticsearch answered HTTP 404"),
        (500, "illegal_state_exception", EXIT_UNAVAILABLE, "Elasticsearch answered HTTP 500"),
        (503, "unavailable", EXIT_UNAVAILABLE, "store unavailable: elasticsearch at h"),
        (403, "security_exception", EXIT_UNAVAILABLE, "refused the request (HTTP 403"),
    ],
)
def test_elasticsearch_errors_reach_the_cli_as_the_projects_own(
    status: int, error_type: str, code: int, says: str
) -> None:
    """The store boundary (`es_client.errors`) translates; `classify` reads only the
    project's types, with the status a `StoreRefused` carries."""
    from workers.errors import MonitorError
    from workers.stores import es_client

    with pytest.raises(MonitorError) as raised, es_client.errors("h"):
        raise _api_error(status, error_type)
    message, got = classify(raised.value)
    assert got == code and says in message


def test_an_exception_outside_the_family_is_an_internal_error() -> None:
    for bug in (ValueError("invalid literal"), KeyError("id"), RuntimeError("boom")):
        message, code = classify(bug)
        assert code == EXIT_INTERNAL and message.startswith("internal error"), message
        assert type(bug).__name__ in message
