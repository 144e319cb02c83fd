"""Fetching from a jamestown-like site over real HTTP, with a real Redis.

Each test builds the site it needs, runs sources or URL batches through the same
functions the Celery tasks call, and asserts on what the server saw (`site.hits`)
and what the store holds.
"""

from __future__ import annotations

import threading
import time

import pytest
from pydantic import SecretStr

from devsupport.runs import run_in_process
from devsupport.site import Fault, Site
from workers.cache import Cache, RedisCache
from workers.crawl import SourceRun, build_source, ingest_urls, run_source
from workers.fetching.fetch import Fetcher
from workers.ingest import BatchReport
from workers.settings import Settings
from workers.source_state import checkpoint_of
from workers.sources.config import SourceConfig
from workers.stores import open_store
from workers.stores.base import StoreUnavailable

pytestmark = pytest.mark.integration


def run(
    site: Site,
    kind: str,
    path: str,
    *,
    settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    backfill: bool = False,
    name: str = "test",
) -> tuple[SourceRun, BatchReport]:
    """One source run with its batches ingested in-process (what eager mode does)."""
    url = site.base + "/" if kind == "wordpress" else site.url(path)
    config = SourceConfig(name=name, kind=kind, url=url, per_page=4)  # type: ignore[arg-type]
    return run_in_process(
        config, settings=settings, fetcher=fetcher, cache=cache, backfill=backfill
    )


def test_feed_first_run_fetches_all_second_run_fetches_nothing(site, settings, fetcher, cache):
    site.add(12)
    first, report = run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    assert report.counts["created"] == 12 and not report.failures
    assert set(site.article_hits().values()) == {1}
    assert checkpoint_of(cache, "test") == first.checkpoint is not None

    site.hits.clear()
    second, report = run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    assert second.discovered == 0 and report.items == []
    assert site.hits == {"/feed/": 1}  # answered 304; robots.txt came from the cache


def test_a_failed_store_write_loses_nothing(site, settings, fetcher, cache):
    """Validators and checkpoint are saved only after the items were ingested."""
    site.add(3)
    config = SourceConfig(name="test", kind="feed", url=site.url("/feed/"))
    source = build_source(config, fetcher=fetcher, cache=cache, settings=settings)

    def store_down(batches: list[list[str]]) -> None:
        raise StoreUnavailable("index is read-only")

    with pytest.raises(StoreUnavailable):
        run_source(source, cache=cache, submit=store_down, batch_size=10)
    assert checkpoint_of(cache, "test") is None
    _, report = run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    assert report.counts["created"] == 3


def test_indexed_article_has_page_metadata(site, settings, fetcher, cache):
    [page] = site.add(1)
    run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    store = open_store(settings)
    try:
        hits = store.search(_query("Tbilisi")).hits
    finally:
        store.close()
    assert len(hits) == 1
    assert hits[0].title == page.title
    assert hits[0].publication == "Eurasia Daily Monitor"
    assert hits[0].published_at == page.modified.date().isoformat()


def test_changed_article_is_reindexed_once(site, settings, fetcher, cache):
    site.add(5)
    run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    site.change("article-2", "An entirely new text about Abkhazia.\nWith a second paragraph on it.")
    site.hits.clear()
    _, report = run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    assert report.counts == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert site.article_hits() == {"/program/article-2/": 1}
    _, report = run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    assert report.items == []


def test_unchanged_page_without_validators_is_not_reindexed(site, settings, fetcher, cache):
    """A 200 whose text hashes as before is 'unchanged' and never reaches the store."""
    site.add(3)
    urls = [site.url(f"/program/article-{i}/") for i in range(3)]
    store = open_store(settings)
    try:
        ingest_urls(urls, fetcher=fetcher, cache=cache, store=store, ttl_s=3600)
        cache.client.delete(*cache.client.keys("monitor:http:*"))  # server forgot ETags
        again = ingest_urls(urls, fetcher=fetcher, cache=cache, store=store, ttl_s=3600)
    finally:
        store.close()
    assert again.report.counts["unchanged"] == 3
    assert set(site.article_hits().values()) == {2}


def test_corrected_byline_with_the_same_body_is_reindexed(site, settings, fetcher, cache):
    """Extraction fills title and authors beside the body: a page whose byline was
    corrected (body untouched) must be updated, not called unchanged."""
    site.add(1)
    url = site.url("/program/article-0/")
    store = open_store(settings)
    try:
        ingest_urls([url], fetcher=fetcher, cache=cache, store=store, ttl_s=3600)
        with site.lock:
            site.pages[0].author = "Vladimir Socor"
        again = ingest_urls([url], fetcher=fetcher, cache=cache, store=store, ttl_s=3600)
        doc = store.get(again.report.items[0].id or "")
    finally:
        store.close()
    assert again.report.counts["updated"] == 1
    assert doc is not None and doc.authors == ("Vladimir Socor",)


def test_listing_backfill_then_incremental(site, settings, fetcher, cache):
    site.add(25)  # three listing pages
    first, report = run(
        site,
        "listing",
        "/program-name/edm/",
        settings=settings,
        fetcher=fetcher,
        cache=cache,
        backfill=True,
    )
    assert report.counts["created"] == 25 and first.discovered == 25
    assert site.hits["/program-name/edm/page/4/"] == 1  # walked past the end once

    site.hits.clear()
    second, report = run(
        site, "listing", "/program-name/edm/", settings=settings, fetcher=fetcher, cache=cache
    )
    assert second.discovered == 0 and site.hits == {"/program-name/edm/": 1}

    site.add(3, start=100)
    site.hits.clear()
    _, report = run(
        site, "listing", "/program-name/edm/", settings=settings, fetcher=fetcher, cache=cache
    )
    assert report.counts["created"] == 3
    assert sorted(site.article_hits()) == [f"/program/article-{i}/" for i in (100, 101, 102)]
    assert "/program-name/edm/page/2/" not in site.hits  # stopped at the first known link


def test_wordpress_pages_and_checkpoint(site, settings, fetcher, cache):
    site.add(10)
    _, report = run(site, "wordpress", "", settings=settings, fetcher=fetcher, cache=cache)
    assert report.counts["created"] == 10
    api_calls = [k for k in site.hits if k.startswith("/wp-json/")]
    assert len(api_calls) == 3  # per_page=4: X-WP-TotalPages said 3

    site.hits.clear()
    second, report = run(site, "wordpress", "", settings=settings, fetcher=fetcher, cache=cache)
    assert second.discovered == 0 and not site.article_hits()
    # The window reaches an hour back (local time runs back when DST ends): the last
    # hour's ten posts are read again, over three pages of four, and none handed on.
    assert site.hits and all("modified_after=" in call for call in site.hits)


def test_429_with_retry_after_is_honoured(site, settings, fetcher, cache):
    site.add(1)
    site.faults["/program/article-0/"].append(Fault(status=429, headers={"Retry-After": "1"}))
    started = time.monotonic()
    report = _ingest(site, ["/program/article-0/"], settings, fetcher, cache)
    assert time.monotonic() - started >= 1.0
    assert report.counts["created"] == 1
    assert site.hits["/program/article-0/"] == 2


def test_a_long_retry_after_hands_the_url_back_instead_of_sleeping(site, settings, fetcher, cache):
    site.add(1)
    site.faults["/program/article-0/"].append(Fault(status=503, headers={"Retry-After": "120"}))
    store = open_store(settings)
    try:
        batch = ingest_urls(
            [site.url("/program/article-0/")], fetcher=fetcher, cache=cache, store=store, ttl_s=60
        )
    finally:
        store.close()
    assert batch.retry == [site.url("/program/article-0/")]
    assert batch.retry_after_s == 120.0 and site.hits["/program/article-0/"] == 1


def test_a_feed_that_stays_down_is_a_run_error_not_a_crash(site, settings, fetcher, cache):
    site.faults["/feed/"].extend(Fault(status=503) for _ in range(3))
    run_, report = run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    assert run_.errors and "503" in run_.errors[0][1] and report.items == []
    assert checkpoint_of(cache, "test") is None


def test_500_then_success(site, settings, fetcher, cache):
    site.add(1)
    site.faults["/program/article-0/"].append(Fault(status=500))
    report = _ingest(site, ["/program/article-0/"], settings, fetcher, cache)
    assert report.counts["created"] == 1 and site.hits["/program/article-0/"] == 2


def test_timeouts_retry_then_hand_back_as_transient(site, settings, fetcher, cache):
    site.add(2)
    site.faults["/program/article-0/"].append(Fault(sleep_s=1.0))  # once: retried
    site.faults["/program/article-1/"].extend(Fault(sleep_s=1.0) for _ in range(3))  # always
    store = open_store(settings)
    try:
        urls = [site.url("/program/article-0/"), site.url("/program/article-1/")]
        batch = ingest_urls(urls, fetcher=fetcher, cache=cache, store=store, ttl_s=3600)
    finally:
        store.close()
    assert batch.report.counts["created"] == 1
    assert batch.retry == [site.url("/program/article-1/")]


def test_404_is_recorded_and_not_retried(site, settings, fetcher, cache):
    report = _ingest(site, ["/program/no-such-article/"], settings, fetcher, cache)
    [failure] = report.failures
    assert "404" in (failure.reason or "")
    assert site.hits["/program/no-such-article/"] == 1


@pytest.mark.parametrize(
    "target", ["http://localhost:{port}/program/x/", "https://staging.jamestown.org/program/x/"]
)
def test_redirect_to_another_host_is_refused(site, settings, fetcher, cache, target):
    site.add(1)
    port = site.base.rsplit(":", 1)[1]
    site.faults["/program/article-0/"].append(Fault(redirect=target.format(port=port)))
    report = _ingest(site, ["/program/article-0/"], settings, fetcher, cache)
    [failure] = report.failures
    assert "staging" in (failure.reason or "") or "not in the allowed hosts" in (
        failure.reason or ""
    )


def test_redirect_within_the_site_is_followed(site, settings, fetcher, cache):
    site.add(1)
    site.faults["/program/old-slug/"].append(Fault(redirect="/program/article-0/"))
    report = _ingest(site, ["/program/old-slug/"], settings, fetcher, cache)
    assert report.counts["created"] == 1


def test_huge_page_is_refused_without_reading_it(site, settings, fetcher, cache):
    site.add(1)
    site.faults["/program/article-0/"].append(Fault(stream_bytes=20_000_000))
    started = time.monotonic()
    report = _ingest(site, ["/program/article-0/"], settings, fetcher, cache)
    [failure] = report.failures
    assert "byte limit" in (failure.reason or "")
    assert time.monotonic() - started < 5


def test_robots_txt_is_honoured(site, settings, fetcher, cache):
    site.add(1)
    site.robots = "User-agent: *\nDisallow: /program/article-0/\n"
    report = _ingest(site, ["/program/article-0/"], settings, fetcher, cache)
    [failure] = report.failures
    assert "robots.txt" in (failure.reason or "")
    assert "/program/article-0/" not in site.hits


def test_malformed_feed_entries_are_reported_and_the_run_goes_on(site, settings, fetcher, cache):
    site.add(2)
    site.feed_override = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>No link here</title></item>"
        f"<item><title>Broken page</title><link>{site.base}/program/broken/</link></item>"
        f"<item><title>Good</title><link>{site.base}/program/article-0/</link></item>"
        "</channel></rss>"
    ).encode()
    site.faults["/program/broken/"].append(
        Fault(status=None, body=b"<html><body><script>x()</script></body></html>")
    )
    run_, report = run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    assert any("has no link" in reason for _, reason in run_.errors)
    assert report.counts["created"] == 1
    assert [f.origin for f in report.failures] == [site.url("/program/broken/")]


def test_feed_that_is_not_xml_is_one_error(site, settings, fetcher, cache):
    site.feed_override = b"<html><body>Service temporarily moved</body>"
    run_, report = run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
    assert run_.errors and report.items == []


def test_malformed_wordpress_json_page_is_reported(site, settings, fetcher, cache):
    site.add(6)
    run_, report = run(site, "wordpress", "", settings=settings, fetcher=fetcher, cache=cache)
    assert report.counts["created"] == 6
    site.change("article-1", "Changed text about the talks in Geneva.\nAgain, and at length.")
    # Both forms answer garbage (the ?rest_route= form is tried when /wp-json/ does not).
    site.faults["/wp-json/wp/v2/posts"].append(Fault(body=b'[{"link": '))
    site.faults["/"].append(Fault(body=b'[{"link": '))
    run_, report = run(site, "wordpress", "", settings=settings, fetcher=fetcher, cache=cache)
    assert run_.errors and "invalid JSON" in run_.errors[0][1]
    run_, report = run(site, "wordpress", "", settings=settings, fetcher=fetcher, cache=cache)
    assert report.counts["updated"] == 1  # the checkpoint did not move past the bad page


def test_two_workers_running_one_source_fetch_each_url_once(site, settings, redis_url):
    site.add(15)
    # Create the embedded store's schema first: two first-opens at once can meet
    # SQLite's "database is locked" (the store's concern, not this test's).
    open_store(settings).close()
    barrier = threading.Barrier(2)
    runs: list[SourceRun] = []

    def worker() -> None:
        cache = RedisCache.from_url(redis_url)
        fetcher = Fetcher.from_settings(settings, cache=cache)
        barrier.wait()
        outcome, _ = run(site, "feed", "/feed/", settings=settings, fetcher=fetcher, cache=cache)
        runs.append(outcome)
        fetcher.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.locked for r in runs) == [False, True]
    assert len(site.article_hits()) == 15 and set(site.article_hits().values()) == {1}
    assert site.hits["/feed/"] == 1


def test_rate_limit_is_shared_through_redis(settings, redis_url):
    from workers.fetching.ratelimit import open_rate_limiter

    slow = settings.model_copy(update={"host_rate_per_s": 20.0, "host_burst": 1})
    limiters = [open_rate_limiter(slow) for _ in range(2)]
    started = time.monotonic()

    def take(limiter) -> None:
        for _ in range(5):
            limiter.acquire("example.org")

    threads = [threading.Thread(target=take, args=(lim,)) for lim in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 10 requests at 20/s with a burst of 1: at least 9 intervals of 50 ms.
    assert time.monotonic() - started >= 0.44


def _ingest(site, paths, settings, fetcher, cache) -> BatchReport:
    store = open_store(settings)
    try:
        batch = ingest_urls(
            [site.url(p) for p in paths], fetcher=fetcher, cache=cache, store=store, ttl_s=3600
        )
    finally:
        store.close()
    assert not batch.retry
    return batch.report


def _query(text: str):
    from workers.stores.base import SearchQuery

    return SearchQuery(text=text)


def test_requests_go_through_the_configured_proxy(site, settings, cache):
    """MONITOR_HTTP_PROXY (httpx's own proxy support): a plain HTTP proxy receives the
    absolute-form request line (RFC 9112 §3.2.2) and answers for the site."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)
            body = b"User-agent: *\n" if self.path.endswith("/robots.txt") else b"via proxy"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    proxied = settings.model_copy(
        update={"http_proxy": SecretStr(f"http://127.0.0.1:{proxy.server_address[1]}")}
    )
    fetcher = Fetcher.from_settings(proxied, cache=cache)
    try:
        result = fetcher.get(site.url("/program/anything/"))
    finally:
        fetcher.close()
        proxy.shutdown()
        proxy.server_close()
    assert result.body == b"via proxy"
    assert site.url("/program/anything/") in seen and not site.hits
    assert "MonitorIngest/" in fetcher.policy.user_agent  # honest, never a browser's
