"""The total deadline of one request, applied to every socket operation.

httpx has timeouts per operation only (one connect, one read): a server that sends
its status line and then one header byte every few seconds never trips a read
timeout, and the body's deadline (checked in `workers.fetching.fetch` as chunks
arrive) only starts once the headers are complete. So every connect, TLS handshake,
write and read of the connection gets the time left until the request's deadline as
its timeout (at most its own timeout), and none starts once the deadline has passed.

The deadline is per thread (`within`): a fetch runs in one thread, and a keep-alive
connection serves one request at a time. httpx does not let a caller choose the
network backend of its transport, so `deadline_transport` sets it on the transport's
connection pool (`_network_backend`, an httpcore 1.x attribute);
`tests/integration/test_hostile_inputs.py` fails if that stops working.
"""

from __future__ import annotations

import threading
import time
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

_state = threading.local()


@contextmanager
def within(deadline: float) -> Iterator[None]:
    """Socket operations of this thread end by `deadline` (a `time.monotonic()` value)."""
    before = getattr(_state, "deadline", None)
    _state.deadline = deadline
    try:
        yield
    finally:
        _state.deadline = before


def _bounded(timeout: float | None) -> float | None:
    deadline: float | None = getattr(_state, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's total deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with every operation bounded by the thread's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _bounded(timeout), local_address, socket_options
        )
        return _Stream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport(*, limits: httpx.Limits, proxy: str | None) -> httpx.HTTPTransport:
    """An httpx transport (direct or through `proxy`) whose sockets obey `within`."""
    transport = httpx.HTTPTransport(limits=limits, proxy=proxy, trust_env=False)
    pool = transport._pool  # httpx offers no public way to choose it (module docstring)
    pool._network_backend = DeadlineBackend()
    return transport
