"""The REST walk against servers a stock WordPress cannot be made to be (issues 21, 22).

`Api` answers `/wp-json/wp/v2/posts` with whatever a test gives it. A post's shape is
the one the real WordPress of `test_real_wordpress.py` returns (`id`, `type`, `link`,
`modified` site-local, `modified_gmt`, `title.rendered`, `content.rendered`), with the
paging headers `X-WP-Total`/`X-WP-TotalPages` of the REST handbook's pagination
page; what is hostile in each test (a broken link, year 1, year 9999, a spoofed host,
a server that never stops paging, a miscount) comes from issue 22's audit and
issue 21's run against a real site. `Site(rebuilt=True)` (devsupport/site.py) serves
the sitemaps and pages for the cross-check.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from devsupport.quiet_http import QuietHandler
from devsupport.runs import run_in_process
from devsupport.site import Fault, Site
from workers.cache import Cache
from workers.crawl import SourceRun, build_source, run_source
from workers.fetching.fetch import Fetcher
from workers.ingest import BatchReport
from workers.settings import Settings
from workers.sources.base import Item
from workers.sources.config import SourceConfig
from workers.stores import open_store

pytestmark = pytest.mark.integration
BODY = (
    "<p>Publication: Eurasia Daily Monitor Volume: 22 Issue: {n}</p>"
    "<p>Moscow and Tbilisi disagreed again about Abkhazia in round {n}.</p>"
    "<p>A second paragraph with the details of round {n}.</p>"
)

# One page of posts as the server answers it: (status, body, headers).
Answer = tuple[int, bytes, dict[str, str]]


class Api:
    """`/wp-json/wp/v2/posts` answered by `respond(query)`; `/?rest_route=` by
    `fallback(query)` (404 unless set)."""

    def __init__(self, respond: Callable[[dict[str, str]], Answer]) -> None:
        self.respond = respond
        self.fallback: Callable[[dict[str, str]], Answer] = lambda _: (404, b"{}", {})
        self.hits: Counter[str] = Counter()
        api = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                api.hits[parts.path] += 1
                if parts.path == "/robots.txt":
                    status, body, headers = 200, b"User-agent: *\n", {}
                elif parts.path == "/wp-json/wp/v2/posts":
                    status, body, headers = api.respond(query)
                elif parts.path == "/" and "rest_route" in query:
                    status, body, headers = api.fallback(query)
                else:
                    status, body, headers = 404, b"not found", {}
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def post(self, n: int, **overrides: Any) -> dict[str, Any]:
        return {
            "id": n,
            "type": "post",
            "link": f"{self.base}/round-{n}-of-the-talks/",
            "modified": f"2026-10-01T10:{n % 60:02d}:00",
            "modified_gmt": f"2026-10-01T14:{n % 60:02d}:00",
            "title": {"rendered": f"Round {n} of the talks"},
            "content": {"rendered": BODY.format(n=n)},
            **overrides,
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def page(posts: list[dict[str, Any]], *, total: int | None = None, pages: int = 1) -> Answer:
    headers = {"X-WP-Total": str(len(posts) if total is None else total)}
    headers["X-WP-TotalPages"] = str(pages)
    return 200, json.dumps(posts).encode(), headers


@pytest.fixture
def api() -> Iterator[Api]:
    made = Api(lambda _: page([]))
    yield made
    made.stop()


def run(
    url: str,
    settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    *,
    kind: str = "wordpress",
    backfill: bool = False,
) -> tuple[SourceRun, BatchReport]:
    config = SourceConfig(name=f"rest-{kind}", kind=kind, url=url)  # type: ignore[arg-type]
    return run_in_process(
        config, settings=settings, fetcher=fetcher, cache=cache, backfill=backfill
    )


def urls(settings: Settings) -> set[str | None]:
    store = open_store(settings)
    try:
        return {a.url for a in map(store.get, store.list_ids()) if a is not None}
    finally:
        store.close()


def test_bad_posts_are_skipped_with_reasons_and_the_good_ones_indexed(
    api, settings, fetcher, cache
):
    """Issue 22: `Invalid IPv6 URL` (exit 2) or an OverflowError (exit 1), nothing
    indexed, the checkpoint stuck."""
    bad = [
        api.post(1, link="http://[::1/x/"),
        api.post(2, modified="0001-01-01T00:00:00+01:00"),
        api.post(3, modified_gmt="0001-01-01T00:00:00+01:00"),
    ]
    api.respond = lambda _: page([*bad, api.post(4), api.post(5)])
    done, report = run(api.base + "/", settings, fetcher, cache)
    assert report.counts["created"] == 2 and not report.failures
    reasons = " | ".join(reason for _, reason in done.errors)
    assert "bad link" in reasons and "modified" in reasons and len(done.errors) == 3
    assert done.checkpoint is not None and "2026-10-01T14:05:00" in done.checkpoint


def test_a_spoofed_link_to_another_host_never_overwrites_an_article(api, settings, fetcher, cache):
    """Issue 22: from a source on 127.0.0.1, a post linked to jamestown.org was
    indexed under that URL and overwrote the real article ("updated 1")."""
    settings = settings.model_copy(update={"allowed_hosts": "127.0.0.1:*,jamestown.org"})
    spoofed = api.post(1, link="https://jamestown.org/program/real-article/")
    foreign = api.post(2, link="http://evil.example/program/x/")
    api.respond = lambda _: page([spoofed, foreign, api.post(3)])
    done, report = run(api.base + "/", settings, fetcher, cache)
    assert report.counts["created"] == 1
    assert urls(settings) == {f"{api.base}/round-3-of-the-talks/"}
    assert sum("another site" in reason for _, reason in done.errors) == 2


def test_a_far_future_post_never_becomes_the_checkpoint(api, settings, fetcher, cache):
    """Issue 22: a `modified` of 9999-12-31 became the checkpoint and every later run
    found nothing until a backfill."""
    posts = [
        api.post(1),
        api.post(2, modified="9999-12-31T23:59:59", modified_gmt="9999-12-31T23:59:59"),
    ]
    api.respond = lambda _: page(posts)
    first, report = run(api.base + "/", settings, fetcher, cache)
    assert report.counts["created"] == 2
    assert "9999" not in json.loads(first.checkpoint or "{}")["since"]
    posts.append(api.post(3, modified="2026-10-02T09:00:00", modified_gmt="2026-10-02T13:00:00"))
    later, report = run(api.base + "/", settings, fetcher, cache)
    assert report.counts["created"] == 1  # the new post, and not the future one again
    assert later.discovered == 1


def test_a_server_that_never_stops_paging_is_left_after_one_repeat(api, settings, fetcher, cache):
    """Issue 22: `X-WP-TotalPages: 1000000000` with the same posts on every page cost
    14,772 requests in 120 s."""
    api.respond = lambda _: page([api.post(1), api.post(2)], total=2 * 10**9, pages=10**9)
    done, report = run(api.base + "/", settings, fetcher, cache)
    assert api.hits["/wp-json/wp/v2/posts"] == 2
    assert report.counts["created"] == 2
    assert any("not paging" in reason for _, reason in done.errors)


def test_the_page_bound_cuts_a_long_walk_and_says_so(api, settings, fetcher, cache):
    settings = settings.model_copy(update={"rest_max_pages": 3})
    api.respond = lambda q: page([api.post(int(q["page"]))], total=50, pages=50)
    done, report = run(api.base + "/", settings, fetcher, cache)
    assert api.hits["/wp-json/wp/v2/posts"] == 3 and report.counts["created"] == 3
    assert any("MONITOR_REST_MAX_PAGES" in reason for _, reason in done.errors)


def test_the_time_bound_cuts_a_slow_walk_and_says_so(api, settings, fetcher, cache):
    settings = settings.model_copy(update={"discovery_max_s": 0.3, "fetch_timeout_s": 5.0})

    def slow(query: dict[str, str]) -> Answer:
        time.sleep(0.2)
        return page([api.post(int(query["page"]))], total=50, pages=50)

    api.respond = slow
    started = time.monotonic()
    done, _ = run(api.base + "/", settings, fetcher, cache)
    assert time.monotonic() - started < 5
    assert api.hits["/wp-json/wp/v2/posts"] < 50
    assert any("MONITOR_DISCOVERY_MAX_S" in reason for _, reason in done.errors)


def test_when_the_api_fails_the_real_error_is_reported_not_the_fallbacks_404(
    api, settings, fetcher, cache
):
    """Issue 22: `/wp-json/` answered JSON nested too deep; the report showed only the
    `?rest_route=` form's 404."""
    api.respond = lambda _: (200, b"[" * 100_000 + b"]" * 100_000, {})
    done, _ = run(api.base + "/", settings, fetcher, cache)
    [(origin, reason)] = done.errors
    assert origin.startswith(api.base + "/wp-json/") and "nested too deeply" in reason


def test_a_rest_shortfall_is_reported_and_the_sitemaps_fill_it(settings, fetcher, cache):
    """The API counts five posts (X-WP-Total) and gives three: the site run says so
    and indexes the other two from the post sitemap, each once."""
    site = Site(rebuilt=True).start()
    try:
        pages = site.add(5)
        short = json.dumps([site.post_json(p) for p in pages[:3]]).encode()
        site.faults["/wp-json/wp/v2/posts"].append(Fault(body=short))
        done, report = run(site.url("/"), settings, fetcher, cache, kind="site", backfill=True)
    finally:
        site.stop()
    assert report.counts["created"] == 5 and not report.failures
    assert any("X-WP-Total" in reason for _, reason in done.errors)
    assert len(site.article_hits()) == 2  # only the two the API missed were fetched


def test_a_backfill_in_id_order_keeps_posts_older_than_an_earlier_id(settings, fetcher, cache):
    """In id order a low id can carry the newest change: the posts after it are not
    'already handed on' (the bug a real WordPress showed after an edit)."""
    site = Site(rebuilt=True).start()
    try:
        site.add(30)
        corrected = "A corrected text about Abkhazia and the talks in Sukhumi this week."
        site.change("caucasus-article-3", f"{corrected}\nSecond paragraph.")
        _, report = run(site.url("/"), settings, fetcher, cache, kind="site", backfill=True)
    finally:
        site.stop()
    assert report.counts["created"] == 30


def test_a_post_sitemap_never_hands_on_the_home_or_blog_page(settings, fetcher, cache):
    """Yoast lists the home page (or the posts page) first in `post-sitemap.xml`
    (issue 21): it became an article, "Mindblown: a blog about philosophy."."""
    site = Site(rebuilt=True).start()
    try:
        site.add(3)
        entries = [site.url("/"), site.url("/blog/"), site.url("/2025/01/")]
        entries += [site.url(site.path_of(p)) for p in site.pages]
        body = "".join(f"<url><loc>{u}</loc></url>" for u in entries)
        urlset = (
            '<?xml version="1.0" encoding="UTF-8"?><urlset '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
        ).encode()
        index = (
            '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps'
            f'.org/schemas/sitemap/0.9"><sitemap><loc>{site.url("/post-sitemap.xml")}</loc>'
            "</sitemap></sitemapindex>"
        ).encode()
        xml = {"Content-Type": "application/xml"}
        site.faults["/sitemap_index.xml"].append(Fault(status=200, body=index, headers=xml))
        site.faults["/post-sitemap.xml"].append(Fault(status=200, body=urlset, headers=xml))
        done, report = run(
            site.url("/sitemap_index.xml"), settings, fetcher, cache, kind="sitemap", backfill=True
        )
    finally:
        site.stop()
    assert done.discovered == 3 and report.counts["created"] == 3
    assert "/" not in site.hits and "/blog/" not in site.hits


def test_posts_are_handed_on_while_the_walk_goes_on(api, settings, fetcher, cache):
    """Issue 22: every post (with its content) was held until discovery ended: 568 MB
    after 408 pages. Batches now leave every `STREAM_BATCHES` batches."""
    api.respond = lambda q: page(
        [api.post(100 * int(q["page"]) + i) for i in range(100)], total=600, pages=6
    )
    seen_at: list[int] = []  # API requests made when each submit came

    def submit(batches: list[list[Item]]) -> None:
        seen_at.append(api.hits["/wp-json/wp/v2/posts"])

    config = SourceConfig(name="stream", kind="wordpress", url=api.base + "/")
    source = build_source(config, fetcher=fetcher, cache=cache, settings=settings)
    done = run_source(source, cache=cache, submit=submit, batch_size=10, backfill=True)
    assert done.discovered == 600 and done.batches == 60 and not done.errors
    assert seen_at[0] < 6  # the first batches left before the last page was read
    assert len(seen_at) >= 5
