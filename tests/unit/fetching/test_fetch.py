"""The fetcher against `httpx.MockTransport`: headers sent, statuses mapped to errors."""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from workers.cache import MemoryCache
from workers.fetching.fetch import (
    BlockedFetchError,
    Fetcher,
    FetchPolicy,
    PermanentFetchError,
    TransientFetchError,
    user_agent,
)
from workers.fetching.ratelimit import LocalTokenBucket

Handler = Callable[[httpx.Request], httpx.Response]


class Body(httpx.SyncByteStream):
    """A body that arrives over the wire in chunks (a real response's stream), so the
    fetcher reads raw bytes as it does from a socket."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def make(handler: Handler, **policy: object) -> Fetcher:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        response = handler(request)
        if not isinstance(response.stream, httpx.ByteStream):
            return response  # already a stream
        # httpx reads a body given as text/content at once; serve it as a stream.
        return httpx.Response(
            response.status_code, headers=response.headers, stream=Body(response.content)
        )

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


def test_redirect_chain_is_bounded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        hop = int(request.url.path.strip("/").rsplit("-", 1)[-1] or 0)
        return httpx.Response(301, headers={"Location": f"/program/a-{hop + 1}/"})

    fetcher = make(handler, max_redirects=3)
    with pytest.raises(PermanentFetchError, match="more than 3 redirects"):
        fetcher.get("https://jamestown.org/program/a-0/")


def test_redirect_loop_is_refused_at_once() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        other = "/b/" if request.url.path == "/a/" else "/a/"
        return httpx.Response(302, headers={"Location": other})

    with pytest.raises(PermanentFetchError, match="redirect loop"):
        make(handler).get("https://jamestown.org/a/")
    assert len(calls) == 2


@pytest.mark.parametrize("page_host", ["www.jamestown.org", "jamestown.org"])
def test_www_and_apex_redirects_end_on_the_page(page_host: str) -> None:
    """Issue 16: the www host redirects to the apex or back; either way the page is
    reached (the canonical form maps www to the apex, so following it canonicalized
    looped between the two)."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if request.url.host != page_host:
            return httpx.Response(301, headers={"Location": f"https://{page_host}/a/"})
        return httpx.Response(200, text="page")

    result = make(handler).get("https://www.jamestown.org/a/")
    assert result.body == b"page" and result.url == "https://jamestown.org/a/"
    assert len(calls) <= 2


def test_http_to_https_is_followed_and_a_downgrade_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/up/" and request.url.scheme == "http":
            return httpx.Response(301, headers={"Location": "https://jamestown.org/up/"})
        if request.url.path == "/down/" and request.url.scheme == "https":
            return httpx.Response(301, headers={"Location": "http://jamestown.org/down/"})
        return httpx.Response(200, text=request.url.scheme)

    fetcher = make(handler)
    assert fetcher.get("http://jamestown.org/up/").body == b"https"
    with pytest.raises(PermanentFetchError, match="refused redirect from https"):
        fetcher.get("https://jamestown.org/down/")


# ---- hostile bodies (issue 11) ----------------------------------------------------


def test_a_double_gzip_bomb_stops_at_the_limit_of_decoded_bytes() -> None:
    """A few KB that decode to 1 GiB (gzip inside gzip, `Content-Encoding: gzip, gzip`)
    is refused after `max_bytes` decoded bytes, without inflating the rest."""
    bomb = gzip.compress(gzip.compress(b"\0" * (64 << 20), 9), 9)  # 64 MiB inside
    assert len(bomb) < 100_000
    fetcher = make(
        lambda r: httpx.Response(
            200, headers={"Content-Encoding": "gzip, gzip"}, stream=Body(bomb)
        ),
        max_bytes=1_000_000,
    )
    with pytest.raises(PermanentFetchError, match="over the 1,000,000-byte limit"):
        fetcher.get("https://jamestown.org/program/a/")


def test_stacked_encodings_decode_to_the_page() -> None:
    page = b"<p>" + b"Moscow and Kyiv. " * 5000 + b"</p>"
    wire = gzip.compress(zlib.compress(page))  # deflate applied first, then gzip
    fetcher = make(
        lambda r: httpx.Response(
            200,
            headers={"Content-Encoding": "deflate, gzip"},
            stream=Body(*(wire[i : i + 100] for i in range(0, len(wire), 100))),
        )
    )
    assert fetcher.get("https://jamestown.org/program/a/").body == page


@pytest.mark.parametrize(
    ("encoding", "wire", "reason"),
    [
        ("gzip", b"\x1f\x8b\x08\x00not really gzip at all", "corrupt gzip body"),
        # mtime=0: the gzip header's time would make the test id differ between the
        # pytest-xdist workers that collect it a second apart (a collection error).
        ("gzip", gzip.compress(b"x" * 10_000, mtime=0)[:40], "truncated gzip body"),
        ("br", b"whatever", "unsupported Content-Encoding 'br'"),
    ],
    ids=["corrupt-gzip", "truncated-gzip", "brotli"],
)
def test_a_body_that_does_not_decode_is_that_items_failure(
    encoding: str, wire: bytes, reason: str
) -> None:
    fetcher = make(
        lambda r: httpx.Response(200, headers={"Content-Encoding": encoding}, stream=Body(wire))
    )
    with pytest.raises(PermanentFetchError, match=reason):
        fetcher.get("https://jamestown.org/program/a/")


def test_a_dripping_body_is_cut_at_the_total_deadline() -> None:
    """Each read is quick (no per-read timeout fires) but the whole never ends."""

    def drip() -> Iterator[bytes]:
        for _ in range(10_000):
            time.sleep(0.01)
            yield b"x"

    class Drip(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            return drip()

    fetcher = make(lambda r: httpx.Response(200, stream=Drip()), deadline_s=0.3)
    with pytest.raises(TransientFetchError, match="not complete within the deadline"):
        fetcher.get("https://jamestown.org/program/a/")


def test_charset_idna_reads_as_utf8() -> None:
    """`charset=idna` names a codec that is not a text encoding: it raises UnicodeError
    whatever the error handler, which escaped the old `except LookupError`."""
    fetcher = make(
        lambda r: httpx.Response(
            200, headers={"Content-Type": "text/html; charset=idna"}, content="Kyiv ü".encode()
        )
    )
    assert fetcher.get("https://jamestown.org/program/a/").text() == "Kyiv ü"


# ---- Cloudflare challenges (issue 16) -----------------------------------------------


def challenge_response(request: httpx.Request) -> httpx.Response:
    # Cloudflare's documented signal: 403 with `cf-mitigated: challenge`
    # (developers.cloudflare.com, "Detect a Challenge Page response").
    return httpx.Response(403, headers={"cf-mitigated": "challenge"}, text="<html>...</html>")


def test_a_challenge_on_the_first_request_is_retried_and_forgotten() -> None:
    answers = [challenge_response, lambda r: httpx.Response(200, text="page")]
    fetcher = make(lambda r: answers.pop(0)(r))
    result = fetcher.get("https://jamestown.org/a/")
    assert result.body == b"page" and result.attempts == 2
    assert fetcher.breaker.state("jamestown.org") is None  # the success closed it


def test_a_challenge_page_without_the_header_is_recognized() -> None:
    page = "<html><head><title>Just a moment...</title></head><body>cf-chl-widget</body>"
    fetcher = make(lambda r: httpx.Response(503, text=page), max_attempts=1)
    with pytest.raises(BlockedFetchError, match="challenge page"):
        fetcher.get("https://jamestown.org/a/")


def test_repeated_challenges_pause_the_host_without_further_requests() -> None:
    calls: list[str] = []
    fetcher = make(
        lambda r: calls.append(r.url.path) or challenge_response(r),
        max_attempts=2,
        block_threshold=3,
        block_pause_s=600,
    )
    with pytest.raises(BlockedFetchError) as first:
        fetcher.get("https://jamestown.org/a/")
    assert "PAUSED" not in first.value.reason  # 2 blocks: under the threshold
    with pytest.raises(BlockedFetchError) as second:
        fetcher.get("https://jamestown.org/b/")
    assert "PAUSED until" in second.value.reason and "MONITOR_HTTP_PROXY" in second.value.reason
    assert second.value.retry_after_s is not None and 590 < second.value.retry_after_s <= 600
    calls.clear()
    with pytest.raises(BlockedFetchError, match="PAUSED"):
        fetcher.get("https://jamestown.org/c/")
    assert calls == []  # paused: nothing sent


def test_a_plain_403_is_permanent_not_a_block() -> None:
    fetcher = make(lambda r: httpx.Response(403, text="Forbidden"))
    with pytest.raises(PermanentFetchError) as caught:
        fetcher.get("https://jamestown.org/a/")
    assert not isinstance(caught.value, BlockedFetchError) and caught.value.status == 403


def test_a_proxy_that_is_not_a_url_is_a_settings_error() -> None:
    from pydantic import ValidationError

    from workers.settings import Settings

    with pytest.raises(ValidationError, match="must be an http:// or https:// URL"):
        Settings(http_proxy="user:pw@proxy.example:3128")


def firewall_1020(request: httpx.Request) -> httpx.Response:
    # cloudscraper issue #100 / cloudflare-scraper issue #27: a 403 from the edge with a
    # cf-ray and no cf-mitigated header, its body only "error code: 1020".
    headers = {"Server": "cloudflare", "CF-RAY": "540859d7bcadced4-IAD"}
    return httpx.Response(403, headers=headers, text="error code: 1020")


def test_a_cloudflare_1020_is_a_block_that_pauses_the_host_not_a_permanent_failure() -> None:
    calls: list[str] = []
    fetcher = make(
        lambda r: calls.append(r.url.path) or firewall_1020(r),
        max_attempts=2,
        block_threshold=3,
        block_pause_s=600,
    )
    with pytest.raises(BlockedFetchError, match="Cloudflare error 1020"):
        fetcher.get("https://jamestown.org/a/")
    with pytest.raises(BlockedFetchError, match="PAUSED until") as paused:
        fetcher.get("https://jamestown.org/b/")
    assert "error 1020" in paused.value.reason and paused.value.retry_after_s
    calls.clear()
    with pytest.raises(BlockedFetchError, match="PAUSED"):
        fetcher.get("https://jamestown.org/c/")
    assert calls == []
