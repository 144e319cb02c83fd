"""A small Wayback Machine look-alike on 127.0.0.1: the CDX server and raw captures.

Its answers follow the wayback CDX server README (internetarchive/wayback,
wayback-cdx-server/README.md): `/cdx/search/cdx` with `url` (exact, or a prefix
with a trailing `/*`), `output=json` (a header row of the `fl` fields, then one row
per capture, `[]` when none matched), `filter=field:regex`, `from`/`to` (inclusive,
1 to 14 digits), `collapse=urlkey` (adjacent rows of one URL: the first is kept),
`limit` (`-1`: the last row), and with `showResumeKey=true` an empty row then
`[<key>]` when the row limit (`limit`, or the server's own cap `max_rows`) was
reached, continued with `resumeKey=`. As in CDXServer.java (internetarchive/wayback,
`writeCdxResponse`), an answer also ends after `max_scan` index lines read
(`queryMaxLimit`, filtered lines included), and then *without* a resume key.
Rows are in urlkey order (a SURT-like key: host without `www.`, reversed, then the
path). A raw capture is `/web/<timestamp>id_/<original>`, the page as captured,
served with the captured Content-Type (`content_type`: a 2000s page's was often
plain `text/html`, its bytes windows-1252).

`hits` counts requests per path, `agents` records User-Agents, `faults` answers the
next CDX requests with a status (and headers) before serving normally.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from devsupport.quiet_http import QuietHandler

CDX = "/cdx/search/cdx"


@dataclass
class Stored:
    timestamp: str
    original: str
    body: str | bytes
    mimetype: str = "text/html"
    statuscode: str = "200"
    content_type: str = "text/html; charset=utf-8"
    # Where the index files the row when `original` is not a URL it could have made a
    # key from (a broken row: `http://[::1/x/` listed under the site's prefix).
    filed_as: str | None = None

    @property
    def urlkey(self) -> str:
        parts = urlsplit(self.filed_as or self.original)
        host = (parts.hostname or "").removeprefix("www.")
        port = f":{parts.port}" if parts.port else ""
        key = ",".join(reversed(host.split("."))) + port + ")" + (parts.path or "/")
        return (key + (f"?{parts.query}" if parts.query else "")).lower()


@dataclass
class Archive:
    max_rows: int = 150_000
    # CDXServer's queryMaxLimit: index lines read per answer, kept or filtered out.
    max_scan: int = 1_000_000_000
    # A broken server: every full page ends with this same resume key.
    stuck_key: str | None = None
    captures: list[Stored] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    agents: set[str] = field(default_factory=set)
    faults: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Archive:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        # "localhost" (127.0.0.1 here) is another host to the fetcher than the live
        # site's 127.0.0.1, as web.archive.org is to jamestown.org: a block of one
        # never pauses the other.
        self.base = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def capture(self, timestamp: str, original: str, body: str | bytes, **kw: str) -> Stored:
        stored = Stored(timestamp, original, body, **kw)
        self.captures.append(stored)
        return stored

    def cdx_requests(self) -> int:
        return self.hits[CDX]

    def capture_requests(self) -> int:
        return sum(n for path, n in self.hits.items() if path.startswith("/web/"))

    def cdx(self, query: dict[str, list[str]]) -> tuple[int, bytes]:
        if query.get("output") != ["json"]:
            return 400, b"this fake answers output=json only"
        wanted = query["url"][0]
        rows = sorted(self.captures, key=lambda c: (c.urlkey, c.timestamp))
        rows = [c for c in rows if _matches(c, wanted)]
        low = query.get("from", [""])[0].ljust(14, "0")
        high = query.get("to", ["9"])[0].ljust(14, "9")
        rows = [c for c in rows if low <= c.timestamp <= high]
        resume = query.get("resumeKey", [""])[0]
        if resume:
            rows = [c for c in rows if f"{c.urlkey} {c.timestamp}!" > resume]
        limit = int(query.get("limit", ["0"])[0] or 0)
        filters = [spec.partition(":") for spec in query.get("filter", [])]
        if limit < 0:  # the last rows (the server reads in reverse)
            rows = [c for c in rows if _passes(c, filters)][limit:]
        cap = min(limit, self.max_rows) if limit > 0 else self.max_rows
        written: list[Stored] = []
        scanned = 0
        # CDXServer.writeCdxResponse (internetarchive/wayback): every index line read
        # counts toward queryMaxLimit, kept or filtered out; the loop ends at the row
        # limit or the scan limit, and a resume key is written only when the row limit
        # was reached. (The date range is applied before counting here, as if the index
        # were read from `from`; the real server's prefix scan counts those lines too.)
        for c in rows:
            if len(written) >= cap or scanned >= self.max_scan:
                break
            scanned += 1
            if not _passes(c, filters):
                continue
            if query.get("collapse") == ["urlkey"] and written and written[-1].urlkey == c.urlkey:
                continue
            written.append(c)
        if not written:
            return 200, b"[]"
        fields = self._fields(query)
        table: list[list[str]] = [fields]
        table += [[str(getattr(c, f)) for f in fields] for c in written]
        if len(written) >= cap and query.get("showResumeKey") == ["true"]:
            last = written[-1]
            table += [[], [self.stuck_key or f"{last.urlkey} {last.timestamp}!"]]
        return 200, json.dumps(table).encode()

    def _fields(self, query: dict[str, list[str]]) -> list[str]:
        return query.get("fl", ["urlkey,timestamp,original,mimetype,statuscode"])[0].split(",")

    def raw(self, path: str) -> tuple[int, bytes, str]:
        match = re.fullmatch(r"/web/(\d{14})id_/(.+)", path)
        if match is None:
            return 404, b"not a raw capture", "text/plain"
        for c in self.captures:
            if c.timestamp == match[1] and c.original == match[2]:
                body = c.body.encode() if isinstance(c.body, str) else c.body
                return 200, body, c.content_type
        return 404, b"no such capture", "text/plain"


def _passes(capture: Stored, filters: list[tuple[str, str, str]]) -> bool:
    return all(re.fullmatch(pattern, str(getattr(capture, name))) for name, _, pattern in filters)


def _matches(capture: Stored, wanted: str) -> bool:
    plain = re.sub(r"^https?://", "", capture.filed_as or capture.original).removeprefix("www.")
    if wanted.endswith("/*"):
        return plain.startswith(wanted[:-2].removeprefix("www."))
    return plain == wanted.removeprefix("www.")


def _handler(archive: Archive) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            # The raw path: an original URL after `id_/` keeps its own `?query`.
            path = self.path
            with archive.lock:
                key = path if path.startswith("/web/") else urlsplit(path).path
                archive.hits[key] += 1
                archive.agents.add(self.headers.get("User-Agent", ""))
                fault = archive.faults.pop(0) if archive.faults and key == CDX else None
            if fault is not None:
                self._send(fault[0], b"slow down", fault[1])
                return
            if key == CDX:
                status, body = archive.cdx(parse_qs(urlsplit(path).query))
                self._send(status, body, {"Content-Type": "text/plain"})
            elif path.startswith("/web/"):
                status, body, kind = archive.raw(path)
                self._send(status, body, {"Content-Type": kind})
            else:
                self._send(404, b"not found", {})

    return Handler


# ---- pages in the shapes of the site's generations (issue 17), written here ---------
def table_page(title: str, header: str, paragraphs: list[str]) -> str:
    """The 1990s-2000s layout: tables, a navigation cell, the title in bold, the
    Monitor's header line in the text, a copyright footer; no metadata, no JSON-LD."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title} - The Jamestown Foundation</title></head><body>"
        '<table width="100%"><tr><td width="150"><a href="/index.php">Home</a><br>'
        '<a href="/about.php">About us</a></td><td><table><tr><td><font size="2">'
        f"<b>{title}</b><br><br>{header}<br><br>{body}</font></td></tr></table></td></tr>"
        "</table><table><tr><td>Copyright The Jamestown Foundation</td></tr></table>"
        "</body></html>"
    )


def wordpress_page(title: str, header: str, paragraphs: list[str]) -> str:
    """The WordPress layout (2010s /program/<slug>/ and today's /<slug>/)."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title} - The Jamestown Foundation</title></head><body>"
        f'<nav><a href="/">Home</a></nav><article><h1 class="entry-title">{title}</h1>'
        f'<div class="entry-content"><p>{header}</p>{body}</div></article>'
        "<footer>Copyright The Jamestown Foundation</footer></body></html>"
    )
