"""The fetcher against `httpx.MockTransport`: headers sent, statuses mapped to errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from workers.cache import MemoryCache
from workers.fetch import Fetcher, FetchPolicy, PermanentFetchError, TransientFetchError, user_agent
from workers.ratelimit import LocalTokenBucket

Handler = Callable[[httpx.Request], httpx.Response]


def make(handler: Handler, **policy: object) -> Fetcher:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return handler(request)

    settings = {
        "user_agent": user_agent("ops@example.org"),
        "allowed_hosts": frozenset({"jamestown.org"}),
        "backoff_s": 0.0,
        **policy,
    }
    return Fetcher(
        client=httpx.Client(transport=httpx.MockTransport(route)),
        cache=MemoryCache(),
        limiter=LocalTokenBucket(rate_per_s=1000, burst=100),
        policy=FetchPolicy(**settings),  # type: ignore[arg-type]
    )


def test_user_agent_names_a_contact() -> None:
    seen: list[httpx.Request] = []
    fetcher = make(lambda r: seen.append(r) or httpx.Response(200, text="ok"))
    fetcher.client.headers["User-Agent"] = fetcher.policy.user_agent
    fetcher.get("https://jamestown.org/program/a/")
    assert "ops@example.org" in seen[0].headers["User-Agent"]


def test_validators_are_sent_once_saved() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200,
            text="body",
            headers={"ETag": '"v1"', "Last-Modified": "Tue, 07 Oct 2025 10:00:00 GMT"},
        )

    fetcher = make(handler)
    first = fetcher.get("https://jamestown.org/program/a/")
    assert fetcher.get("https://jamestown.org/program/a/").status == 200  # not saved yet
    fetcher.save_validators(first)
    second = fetcher.get("https://jamestown.org/program/a/")
    assert second.not_modified and second.body == b""
    assert seen[-1].headers["If-Modified-Since"] == "Tue, 07 Oct 2025 10:00:00 GMT"
    assert fetcher.get("https://jamestown.org/program/a/", conditional=False).status == 200


def test_oversized_body_stops_reading() -> None:
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for n in range(1000):
            pulled.append(n)
            yield b"x" * 10_000

    fetcher = make(lambda r: httpx.Response(200, content=chunks()), max_bytes=50_000)
    with pytest.raises(PermanentFetchError, match="byte limit"):
        fetcher.get("https://jamestown.org/program/a/")
    assert len(pulled) < 10


def test_declared_oversize_is_refused_before_reading() -> None:
    fetcher = make(
        lambda r: httpx.Response(200, content=b"x" * 100, headers={"Content-Length": "100"}),
        max_bytes=10,
    )
    with pytest.raises(PermanentFetchError, match="over the 10-byte limit"):
        fetcher.get("https://jamestown.org/program/a/")


def test_server_errors_exhaust_into_a_transient_error() -> None:
    calls: list[int] = []
    fetcher = make(lambda r: calls.append(1) or httpx.Response(503), max_attempts=3)
    with pytest.raises(TransientFetchError, match="HTTP 503 after 3"):
        fetcher.get("https://jamestown.org/program/a/")
    assert len(calls) == 3


def test_connection_errors_are_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransientFetchError, match="ConnectError"):
        make(handler, max_attempts=2).get("https://jamestown.org/program/a/")


@pytest.mark.parametrize("status", [403, 404, 410])
def test_client_errors_are_permanent_and_not_retried(status: int) -> None:
    calls: list[int] = []
    fetcher = make(lambda r: calls.append(1) or httpx.Response(status))
    with pytest.raises(PermanentFetchError) as caught:
        fetcher.get("https://jamestown.org/program/a/")
    assert caught.value.status == status and len(calls) == 1


def test_staging_is_never_requested_and_other_hosts_are_refused() -> None:
    hosts: list[str] = []
    fetcher = make(lambda r: hosts.append(r.url.host) or httpx.Response(200, text="ok"))
    result = fetcher.get("https://staging.jamestown.org/program/a/")
    assert result.url == "https://jamestown.org/program/a/"
    with pytest.raises(PermanentFetchError, match="not in the allowed hosts"):
        fetcher.get("https://example.com/a/")
    assert hosts == ["jamestown.org"]


def test_redirect_loop_is_bounded() -> None:
    fetcher = make(
        lambda r: httpx.Response(301, headers={"Location": "/program/a/"}), max_redirects=3
    )
    with pytest.raises(PermanentFetchError, match="more than 3 redirects"):
        fetcher.get("https://jamestown.org/program/a/")
