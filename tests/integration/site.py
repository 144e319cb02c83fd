"""A small jamestown.org look-alike served over real HTTP on 127.0.0.1 for the tests.

Articles live at /program/<slug>/, listings at /program-name/edm/page/N/, the feed at
/feed/, the WordPress API at /wp-json/wp/v2/posts and rules at /robots.txt. Every
response carries an ETag and honours If-None-Match. `hits` counts requests per path
(query included for the API), so tests can assert what a run really asked for;
`faults` queues misbehaviour (a status, a delay, a redirect, a body) per path.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Page:
    slug: str
    title: str
    body: str
    modified: datetime
    volume: int = 22
    issue: int = 1
    author: str = "Paul Goble"


@dataclass
class Fault:
    status: int | None = None
    headers: dict[str, str] | None = None
    sleep_s: float = 0.0
    body: bytes | None = None
    redirect: str | None = None
    stream_bytes: int = 0  # a huge body sent in chunks without Content-Length


class Site:
    per_page = 10

    def __init__(self) -> None:
        self.pages: list[Page] = []  # newest first
        self.hits: Counter[str] = Counter()
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.robots = "User-agent: *\nDisallow: /private/\n"
        self.feed_override: bytes | None = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> Site:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, count: int, *, start: int = 0) -> list[Page]:
        """`count` new articles, published after every existing one (newest first)."""
        now = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=len(self.pages))
        new = [
            Page(
                slug=f"article-{start + i}",
                title=f"Article number {start + i} on Caucasus security",
                body=f"Moscow and Tbilisi disagreed again on March {i % 28 + 1}. "
                f"Paragraph about item {start + i}.\nA second paragraph with details.",
                modified=now + timedelta(minutes=i),
                issue=start + i + 1,
            )
            for i in range(count)
        ]
        with self.lock:
            self.pages[:0] = list(reversed(new))
        return new

    def change(self, slug: str, body: str) -> None:
        with self.lock:
            for page in self.pages:
                if page.slug == slug:
                    page.body = body
                    page.modified = max(p.modified for p in self.pages) + timedelta(minutes=5)

    def article_hits(self) -> Counter[str]:
        return Counter({p: n for p, n in self.hits.items() if p.startswith("/program/")})

    def url(self, path: str) -> str:
        return self.base + path

    # ---- rendering -------------------------------------------------------------
    def article_html(self, page: Page) -> str:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in page.body.split("\n"))
        return (
            f"<!doctype html><html><head><title>{html.escape(page.title)} - The Jamestown "
            f'Foundation</title><meta property="article:published_time" '
            f'content="{page.modified.isoformat()}"><script>var tracker = "Publication: x";'
            f"</script><style>p {{ margin: 0 }}</style></head><body>"
            f'<nav><a href="/program-name/edm/">EDM</a></nav><article>'
            f'<h1 class="entry-title">{html.escape(page.title)}</h1><div class="meta">'
            f"<p>Publication: Eurasia Daily Monitor Volume: {page.volume} Issue: {page.issue}</p>"
            f'<p>By: {page.author}</p></div><div class="entry-content">{paragraphs}</div>'
            f"</article><footer>Jamestown Foundation, 1310 L Street</footer></body></html>"
        )

    def listing_html(self, number: int) -> str | None:
        chunk = self.pages[(number - 1) * self.per_page : number * self.per_page]
        if not chunk and number > 1:
            return None
        teasers = "".join(
            f'<div class="teaser"><h3><a href="/program/{p.slug}/">{html.escape(p.title)}</a>'
            f"</h3><p>{html.escape(p.body[:60])}... "
            f'<a href="{self.base}/program/{p.slug}?utm_source=listing">MORE</a></p></div>'
            for p in chunk
        )
        return (
            "<html><body><nav><a href='/programs/edm/'>EDM home</a></nav>"
            f"<h2>Latest Eurasia Daily Monitor Articles</h2>{teasers}"
            f"<a href='/program-name/edm/page/{number + 1}/'>Older</a></body></html>"
        )

    def feed_xml(self) -> bytes:
        if self.feed_override is not None:
            return self.feed_override
        items = "".join(
            f"<item><title>{html.escape(p.title)}</title>"
            f"<link>{self.base}/program/{p.slug}/</link>"
            f"<pubDate>{format_datetime(p.modified, usegmt=True)}</pubDate></item>"
            for p in self.pages[:20]
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>The Jamestown Foundation</title><link>{self.base}/</link>{items}"
            "</channel></rss>"
        ).encode()

    def wp_posts(self, query: dict[str, list[str]]) -> tuple[int, bytes, dict[str, str]]:
        per_page = int(query.get("per_page", ["10"])[0])
        page = int(query.get("page", ["1"])[0])
        after = query.get("modified_after", [None])[0]
        posts = sorted(self.pages, key=lambda p: p.modified)
        if after:
            posts = [
                p
                for p in posts
                if p.modified.replace(tzinfo=None).isoformat(timespec="seconds") > after
            ]
        pages = max(1, -(-len(posts) // per_page))
        if page > pages:
            return 400, b'{"code":"rest_post_invalid_page_number"}', {}
        chunk = posts[(page - 1) * per_page : page * per_page]
        data = [
            {
                "id": i,
                "link": f"{self.base}/program/{p.slug}/",
                "modified": p.modified.replace(tzinfo=None).isoformat(timespec="seconds"),
            }
            for i, p in enumerate(chunk)
        ]
        headers = {"X-WP-Total": str(len(posts)), "X-WP-TotalPages": str(pages)}
        return 200, json.dumps(data).encode(), headers

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes, dict[str, str]]:
        html_type = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, self.robots.encode(), {"Content-Type": "text/plain"}
        if path == "/feed/":
            return 200, self.feed_xml(), {"Content-Type": "application/rss+xml"}
        if path == "/wp-json/wp/v2/posts":
            return self.wp_posts(query)
        if path.startswith("/program-name/edm/"):
            rest = path.removeprefix("/program-name/edm/").strip("/")
            number = int(rest.removeprefix("page/")) if rest.startswith("page/") else 1
            body = self.listing_html(number)
            return (
                (404, b"not found", html_type) if body is None else (200, body.encode(), html_type)
            )
        if path.startswith("/program/"):
            slug = path.removeprefix("/program/").strip("/")
            for page in self.pages:
                if page.slug == slug:
                    return 200, self.article_html(page).encode(), html_type
        return 404, b"<html><body>Not found</body></html>", html_type


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            key = parts.path + (f"?{parts.query}" if parts.path.startswith("/wp-json") else "")
            with site.lock:
                site.hits[key] += 1
                queue = site.faults.get(parts.path)
                fault = queue.pop(0) if queue else None
            try:
                self._respond(parts.path, parse_qs(parts.query), fault)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _respond(self, path: str, query: dict[str, list[str]], fault: Fault | None) -> None:
            if fault is not None and fault.sleep_s:
                time.sleep(fault.sleep_s)
            if fault is not None and fault.redirect:
                self._send(302, b"", {"Location": fault.redirect})
                return
            if fault is not None and fault.stream_bytes:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                chunk = b"<p>" + b"x" * 65536 + b"</p>"
                sent = 0
                while sent < fault.stream_bytes:
                    self.wfile.write(chunk)
                    sent += len(chunk)
                return
            if fault is not None and fault.status:
                self._send(fault.status, fault.body or b"busy", fault.headers or {})
                return
            status, body, headers = site.route(path, query)
            if fault is not None and fault.body is not None:
                body = fault.body
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if status == 200:
                headers = {**headers, "ETag": etag}
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", {"ETag": etag})
                    return
            self._send(status, body, headers)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

    return Handler
