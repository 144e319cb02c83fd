"""A real `redis-server` on a free loopback port, private to the test run.

Never the shared Redis on 6379: each instance gets its own port and directory, so
tests may flush, stop and restart it freely.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class _PortTaken(RuntimeError):
    """redis-server could not listen: another process took the port first."""


class RedisServer:
    def __init__(
        self, directory: Path, *, appendonly: bool = True, config: Path | None = None
    ) -> None:
        """`config`: start from that redis.conf instead of the test defaults (only the
        port, bind address and directory are then set here)."""
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.directory = directory
        self.port = free_port()
        self.appendonly = appendonly
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None
        self.started_once = False

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        """Start on `self.port`; the first start moves to another free port if that one
        was taken meanwhile (`free_port` only found it free: parallel test processes
        pick ports too). A restart keeps its port: clients hold its URL."""
        for attempt in range(3):
            try:
                self._start()
                break
            except _PortTaken:
                if self.started_once or attempt == 2:
                    raise
                self.port = free_port()
        self.started_once = True

    def _start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        place = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        if self.config is not None:
            args = [str(self.config), *place]
        else:
            args = [
                *place,
                "--save", "",
                "--appendonly", "yes" if self.appendonly else "no",
                "--appendfsync", "always",
                "--maxmemory-policy", "noeviction",
            ]  # fmt: skip
        self.process = subprocess.Popen(
            ["redis-server", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        try:
            while True:
                if self.process.poll() is not None:
                    if not _port_free(self.port):
                        raise _PortTaken(f"port {self.port} is taken")
                    config = self.config or "defaults"
                    raise RuntimeError(f"redis-server exited at start ({config})")
                try:
                    # Ours, not a server of another process that holds the port.
                    if client.info("server")["process_id"] == self.process.pid:
                        break
                except redis.exceptions.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                if time.monotonic() > deadline:
                    raise RuntimeError(f"another process answers on port {self.port}")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self, db: int = 0) -> redis.Redis[bytes]:
        return redis.Redis(port=self.port, db=db)


@contextmanager
def private_redis(directory: Path) -> Iterator[str]:
    """A private redis-server for the block; yields its URL (database 0)."""
    server = RedisServer(directory, appendonly=False)
    server.start()
    try:
        yield server.url(0)
    finally:
        server.stop()
