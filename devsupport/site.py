"""A small jamestown.org look-alike served over real HTTP on 127.0.0.1 for the tests
and `bench/fetch.py`.

Two shapes, as the site was and as it is (issue 16, "What the site looks like now"):

- `Site()` (before the 2025 rebuild): articles at /program/<slug>/, listings at
  /program-name/edm/page/N/.
- `Site(rebuilt=True)`: articles at root-level /<slug>/ with /program/<slug>/
  answering 301 to them; listings at /publications/edm/ (paged /page/N/) and feeds at
  /publications/edm/feed/; analysts at /analyst/<slug>/; the main /feed/ carrying
  /book/ and /report/ entries beside the posts (with content:encoded, 10 newest).

Both serve the WordPress REST API (`/wp-json/wp/v2/posts`, or `/?rest_route=/wp/v2/posts`
when `pretty` is off) with `per_page`, `page`, `modified_after` (exclusive, as
WordPress's date_query), `orderby=modified&order=asc`, the `X-WP-Total` and
`X-WP-TotalPages` headers and `_embed` (author, wp:term) per the REST API handbook
(developer.wordpress.org/rest-api: "Pagination", "Global Parameters", "Posts"); and
the core sitemaps (`/wp-sitemap.xml` index of `wp-sitemap-posts-post-N.xml` URL sets
with `<lastmod>`, plus page/book/user sitemaps that are not articles; the index has
no lastmod, as WordPress core's; format per sitemaps.org), named in robots.txt by a
`Sitemap:` line. `rest` and `sitemaps` switch either off (404).

Every response carries an ETag and honours If-None-Match. `hits` counts requests per
path (query included for the API), so tests can assert what a run really asked for;
`faults` queues misbehaviour (a status, a delay, a redirect, a body) per path;
`challenges` answers the next N requests, whatever their path, with Cloudflare's
block `challenge` (by default its managed challenge: 403 and `cf-mitigated:
challenge`; `FIREWALL_1020` is the firewall block, shaped as cloudscraper issue #100
and cloudflare-scraper issue #27 show it).
"""

from __future__ import annotations

import gzip
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

from devsupport.quiet_http import QuietHandler


@dataclass
class Page:
    slug: str
    title: str
    body: str
    modified: datetime
    volume: int = 22
    issue: int = 1
    author: str = "Paul Goble"
    id: int = 0


@dataclass
class Fault:
    status: int | None = None
    headers: dict[str, str] | None = None
    sleep_s: float = 0.0
    body: bytes | None = None
    redirect: str | None = None
    stream_bytes: int = 0  # a huge body sent in chunks without Content-Length
    drip_s: float = 0.0  # a 200 whose body comes one byte every drip_s seconds, forever
    # The status line, then one header byte every drip_headers_s seconds (header
    # slowloris, issue 22), `drip_header_bytes` of them, then a small page.
    drip_headers_s: float = 0.0
    drip_header_bytes: int = 60


CHALLENGE = Fault(status=403, headers={"cf-mitigated": "challenge"})
# "Error 1020 Access denied": a 403 from the edge, a cf-ray, no cf-mitigated header.
FIREWALL_1020 = Fault(
    status=403,
    headers={"Server": "cloudflare", "CF-RAY": "540859d7bcadced4-IAD"},
    body=b"error code: 1020",
)


class Site:
    per_page = 10
    sitemap_size = 2000  # URLs per core sitemap page
    gzip_sitemaps = False  # the URL sets as `.xml.gz` files (other generators do this)

    def __init__(self, *, rebuilt: bool = False) -> None:
        self.rebuilt = rebuilt
        self.rest = True
        self.pretty = True
        self.sitemaps = True
        self.challenges = 0
        self.challenge = CHALLENGE
        self.pages: list[Page] = []  # newest first
        self.hits: Counter[str] = Counter()
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.robots_rules = "User-agent: *\nDisallow: /private/\n"
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

    @property
    def robots(self) -> str:
        sitemap = f"Sitemap: {self.base}/wp-sitemap.xml\n" if self.sitemaps else ""
        return self.robots_rules + sitemap

    @robots.setter
    def robots(self, rules: str) -> None:
        self.robots_rules = rules

    def add(self, count: int, *, start: int = 0) -> list[Page]:
        """`count` new articles, published after every existing one (newest first)."""
        now = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=len(self.pages))
        # Root-level slugs read like headlines (several words), as the site's do.
        stem = "caucasus-article" if self.rebuilt else "article"
        new = [
            Page(
                id=1000 + start + i,
                slug=f"{stem}-{start + i}",
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
        """Requests for article pages (either URL form)."""
        paths = {self.path_of(p) for p in self.pages} | {f"/program/{p.slug}/" for p in self.pages}
        return Counter(
            {p: n for p, n in self.hits.items() if p in paths or p.startswith("/program/")}
        )

    def path_of(self, page: Page) -> str:
        return f"/{page.slug}/" if self.rebuilt else f"/program/{page.slug}/"

    def url(self, path: str) -> str:
        return self.base + path

    def requests(self) -> int:
        return sum(self.hits.values())

    # ---- rendering -------------------------------------------------------------
    def content_html(self, page: Page) -> str:
        """The entry content as WordPress renders it (REST `content.rendered`, the feed's
        content:encoded): the Jamestown header line, then the paragraphs."""
        header = (
            f"<p>Publication: Eurasia Daily Monitor Volume: {page.volume} Issue: {page.issue}</p>"
        )
        return header + "".join(f"<p>{html.escape(p)}</p>" for p in page.body.split("\n"))

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
            f'<div class="teaser"><h3><a href="{self.path_of(p)}">{html.escape(p.title)}</a>'
            f"</h3><p>{html.escape(p.body[:60])}... "
            f'<a href="{self.base}{self.path_of(p).rstrip("/")}?utm_source=listing">MORE</a>'
            f'</p><a href="/analyst/{p.author.lower().replace(" ", "-")}/">{p.author}</a></div>'
            for p in chunk
        )
        listing = "/publications/edm/" if self.rebuilt else "/program-name/edm/"
        return (
            "<html><body><nav><a href='/programs/edm/'>EDM home</a>"
            "<a href='/about-us/'>About</a><a href='/publications/'>Publications</a>"
            "<a href='/book/the-long-war-in-the-caucasus/'>Our new book</a></nav>"
            f"<h2>Latest Eurasia Daily Monitor Articles</h2>{teasers}"
            f"<a href='{listing}page/{number + 1}/'>Older</a></body></html>"
        )

    def feed_xml(self) -> bytes:
        if self.feed_override is not None:
            return self.feed_override
        items = "".join(
            f"<item><title>{html.escape(p.title)}</title>"
            f"<link>{self.base}{self.path_of(p)}</link>"
            f"<pubDate>{format_datetime(p.modified, usegmt=True)}</pubDate>"
            f"<content:encoded><![CDATA[{self.content_html(p)}]]></content:encoded></item>"
            for p in self.pages[: 10 if self.rebuilt else 20]
        )
        if self.rebuilt:  # today's main feed mixes in books and reports
            items += (
                f"<item><title>A book</title><link>{self.base}/book/the-long-war-in-the-"
                f"caucasus/</link></item><item><title>A report</title><link>{self.base}"
                "/report/black-sea-security-after-the-war/</link></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>The Jamestown Foundation</title><link>{self.base}/</link>{items}"
            "</channel></rss>"
        ).encode()

    def post_json(self, page: Page) -> dict[str, Any]:
        local = page.modified.replace(tzinfo=None).isoformat(timespec="seconds")
        return {
            "id": page.id,
            "type": "post",
            "link": f"{self.base}{self.path_of(page)}",
            "date": local,
            "date_gmt": local,
            "modified": local,
            "modified_gmt": local,
            "title": {"rendered": html.escape(page.title)},
            "content": {"rendered": self.content_html(page), "protected": False},
            "excerpt": {"rendered": f"<p>{html.escape(page.body[:60])}</p>"},
            "_links": {"author": [{"embeddable": True, "href": f"{self.base}/wp-json/..."}]},
            "_embedded": {
                "author": [{"id": 7, "name": page.author, "link": f"{self.base}/analyst/x/"}],
                "wp:term": [
                    [
                        {
                            "id": 3,
                            "name": "Eurasia Daily Monitor",
                            "slug": "edm",
                            "taxonomy": "category",
                        }
                    ],
                    [],
                ],
            },
        }

    def wp_posts(self, query: dict[str, list[str]]) -> tuple[int, bytes, dict[str, str]]:
        per_page = int(query.get("per_page", ["10"])[0])
        page = int(query.get("page", ["1"])[0])
        after = query.get("modified_after", [None])[0]
        # `orderby` as the REST handbook's posts reference lists it (id, modified, date).
        order = query.get("orderby", ["date"])[0]
        if order == "id":
            posts = sorted(self.pages, key=lambda p: p.id)
        else:
            posts = sorted(self.pages, key=lambda p: (p.modified, p.id))
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
        data = [self.post_json(p) for p in chunk]
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "X-WP-Total": str(len(posts)),
            "X-WP-TotalPages": str(pages),
        }
        return 200, json.dumps(data).encode(), headers

    def sitemap_index(self) -> bytes:
        count = max(1, -(-len(self.pages) // self.sitemap_size))
        children = [f"wp-sitemap-posts-post-{n}.xml" for n in range(1, count + 1)] + [
            "wp-sitemap-posts-page-1.xml",
            "wp-sitemap-posts-book-1.xml",
            "wp-sitemap-taxonomies-category-1.xml",
            "wp-sitemap-users-1.xml",
        ]
        suffix = ".gz" if self.gzip_sitemaps else ""
        entries = "".join(
            f"<sitemap><loc>{self.base}/{c}{suffix}</loc></sitemap>" for c in children
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
        ).encode()

    def sitemap_urls(self, name: str) -> bytes | None:
        if name.startswith("wp-sitemap-posts-post-"):
            number = int(name.removeprefix("wp-sitemap-posts-post-").removesuffix(".xml"))
            oldest_first = sorted(self.pages, key=lambda p: p.id)
            chunk = oldest_first[(number - 1) * self.sitemap_size : number * self.sitemap_size]
            if not chunk:
                return None
            entries = [(self.path_of(p), p.modified.isoformat(timespec="seconds")) for p in chunk]
        elif name == "wp-sitemap-posts-page-1.xml":
            entries = [("/about-us/", None)]
        elif name == "wp-sitemap-posts-book-1.xml":
            entries = [("/book/the-long-war-in-the-caucasus/", None)]
        elif name in ("wp-sitemap-users-1.xml", "wp-sitemap-taxonomies-category-1.xml"):
            entries = [("/analyst/paul-goble/", None)]
        else:
            return None
        body = "".join(
            f"<url><loc>{self.base}{path}</loc>"
            + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
            + "</url>"
            for path, lastmod in entries
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><urlset '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
        ).encode()

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes, dict[str, str]]:
        html_type = {"Content-Type": "text/html; charset=utf-8"}
        not_found = (404, b"<html><body>Not found</body></html>", html_type)
        if path == "/robots.txt":
            return 200, self.robots.encode(), {"Content-Type": "text/plain"}
        if path in ("/feed/", "/publications/edm/feed/"):
            return 200, self.feed_xml(), {"Content-Type": "application/rss+xml"}
        rest_route = query.get("rest_route", [""])[0] if path == "/" else ""
        if (path == "/wp-json/wp/v2/posts" and self.pretty) or rest_route == "/wp/v2/posts":
            return self.wp_posts(query) if self.rest else not_found
        xml_type = {"Content-Type": "application/xml; charset=UTF-8"}
        if path == "/wp-sitemap.xml" and self.sitemaps:
            return 200, self.sitemap_index(), xml_type
        if path.startswith("/wp-sitemap-") and self.sitemaps:
            packed = path.endswith(".gz")
            body = self.sitemap_urls(path.lstrip("/").removesuffix(".gz"))
            if body is None or packed != self.gzip_sitemaps:
                return not_found
            if packed:  # a gzip file, as sitemaps.org allows: no Content-Encoding
                return 200, gzip.compress(body), {"Content-Type": "application/x-gzip"}
            return 200, body, xml_type
        for listing in ("/program-name/edm/", "/publications/edm/"):
            if path.startswith(listing):
                rest = path.removeprefix(listing).strip("/")
                number = int(rest.removeprefix("page/")) if rest.startswith("page/") else 1
                page_html = self.listing_html(number)
                if page_html is None:
                    return not_found
                return 200, page_html.encode(), html_type
        slug = path.removeprefix("/program/").strip("/")
        for page in self.pages:
            if page.slug != slug:
                continue
            if path != self.path_of(page):  # the old /program/ address of a rebuilt site
                return 301, b"", {"Location": f"{self.base}{self.path_of(page)}"}
            return 200, self.article_html(page).encode(), html_type
        return not_found


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            api = parts.path.startswith("/wp-json") or (parts.path == "/" and parts.query)
            key = parts.path + (f"?{parts.query}" if api else "")
            with site.lock:
                site.hits[key] += 1
                queue = site.faults.get(parts.path)
                fault = queue.pop(0) if queue else None
                if fault is None and site.challenges > 0:
                    site.challenges -= 1
                    fault = site.challenge
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
            if fault is not None and fault.drip_headers_s:
                self.close_connection = True
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(fault.drip_header_bytes):  # until done or the client hangs up
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(fault.drip_headers_s)
                page = b"<html><body><p>Slow headers, then a page.</p></body></html>"
                self.wfile.write(
                    b"\r\nContent-Type: text/html\r\nConnection: close\r\n"
                    + f"Content-Length: {len(page)}\r\n\r\n".encode()
                    + page
                )
                return
            if fault is not None and fault.drip_s:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for _ in range(100_000):  # until the client hangs up (BrokenPipe)
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(fault.drip_s)
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

    return Handler
