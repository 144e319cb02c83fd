"""Discovery on today's jamestown.org (issue 16), against `Site(rebuilt=True)`.

The site's shape is the issue's ("What the site looks like now"); the REST API's
parameters and headers follow the WordPress REST API handbook
(developer.wordpress.org/rest-api: `per_page` up to 100, `page`, `modified_after`,
`_embed`, `X-WP-Total`/`X-WP-TotalPages`, `?rest_route=` without pretty permalinks),
the sitemaps WordPress core's `wp-sitemap.xml` (an index of
`wp-sitemap-posts-post-N.xml` URL sets with `<lastmod>`, sitemaps.org format).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from devsupport.site import FIREWALL_1020, Site
from tests.support.sources import RunSource, run_source
from workers.cache import Cache
from workers.crawl import SourceRun, UrlBatch, ingest_urls
from workers.fetching.fetch import Fetcher
from workers.ingest import BatchReport
from workers.settings import Settings
from workers.stores import open_store
from workers.stores.base import SearchQuery

pytestmark = pytest.mark.integration


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site(rebuilt=True).start()
    yield running
    running.stop()


@pytest.fixture
def run(site: Site, settings: Settings, fetcher: Fetcher, cache: Cache) -> RunSource:
    """A source run on this test's site, fetcher and cache: tests name only what differs."""

    def once(
        *, kind: str = "site", path: str = "/", backfill: bool = False
    ) -> tuple[SourceRun, BatchReport]:
        return run_source(
            site.url(path),
            name="jamestown",
            kind=kind,
            settings=settings,
            fetcher=fetcher,
            cache=cache,
            backfill=backfill,
        )

    return once


@pytest.fixture
def ingest(settings: Settings, fetcher: Fetcher, cache: Cache) -> Callable[[list[str]], UrlBatch]:
    """Article URLs ingested straight into the store, as one worker's batch is."""

    def batch(urls: list[str]) -> UrlBatch:
        store = open_store(settings)
        try:
            return ingest_urls(urls, fetcher=fetcher, cache=cache, store=store, ttl_s=60)
        finally:
            store.close()

    return batch


def documents(settings: Settings) -> int:
    store = open_store(settings)
    try:
        return store.stats().documents
    finally:
        store.close()


def test_rest_backfill_indexes_from_the_payload_in_pages_of_100(site, run):
    site.add(250)
    first, report = run(backfill=True)
    assert report.counts["created"] == 250 and not report.failures
    assert first.via == "wordpress"
    api = [k for k in site.hits if k.startswith("/wp-json/")]
    assert len(api) == 3 and all("per_page=100" in k and "_embed=" in k for k in api)
    assert not site.article_hits()  # no article page fetched
    assert site.requests() <= 250 / 50 + 10


def test_rest_article_has_the_posts_metadata(site, settings, run):
    [page] = site.add(1)
    run()
    store = open_store(settings)
    try:
        [hit] = store.search(SearchQuery(text="Tbilisi")).hits
    finally:
        store.close()
    assert hit.title == page.title
    assert hit.url == site.url(f"/{page.slug}/")
    assert hit.publication == "Eurasia Daily Monitor"
    assert hit.published_at == page.modified.date().isoformat()


def test_idle_rest_tick_is_one_request_and_changes_come_through(site, run):
    site.add(30)
    run()
    site.hits.clear()
    idle, report = run()
    assert idle.discovered == 0 and report.items == []
    assert site.requests() == 1 and "modified_after=" in next(iter(site.hits))

    site.change("caucasus-article-7", "A new text about Abkhazia.\nWith a second paragraph on it.")
    changed, report = run()
    assert changed.discovered == 1 and report.counts["updated"] == 1


def test_a_post_saved_in_the_checkpoints_second_is_not_missed(site, settings, run):
    """`modified_after` is exclusive: without the overlap, a post modified in the same
    second as the checkpoint (saved just after the last run read the API) is lost."""
    [first] = site.add(1)
    run()
    [late] = site.add(1, start=1)
    late.modified = first.modified  # the same second
    again, report = run()
    assert again.discovered == 1 and report.counts["created"] == 1  # the first not again
    assert documents(settings) == 2


def test_rest_route_form_when_pretty_permalinks_are_off(site, run):
    site.pretty = False
    site.add(5)
    done, report = run()
    assert report.counts["created"] == 5 and done.via == "wordpress"
    assert any(k.startswith("/?") and "rest_route=" in k for k in site.hits)


def test_gzip_sitemap_files_are_read(site, run):
    """sitemaps.org lets a sitemap be a `.xml.gz` file (gzip bytes, no Content-Encoding)."""
    site.rest = False
    site.gzip_sitemaps = True
    site.sitemap_size = 10
    site.add(15)
    done, report = run(backfill=True)
    assert done.via == "sitemap" and report.counts["created"] == 15 and not report.failures
    assert "/wp-sitemap-posts-post-2.xml.gz" in site.hits


def test_sitemaps_when_the_api_is_closed(site, run):
    site.rest = False
    site.sitemap_size = 10
    site.add(25)
    first, report = run(backfill=True)
    assert first.via == "sitemap" and report.counts["created"] == 25 and not report.failures
    read = sorted(k for k in site.hits if k.startswith("/wp-sitemap"))
    assert read == [
        "/wp-sitemap-posts-post-1.xml",
        "/wp-sitemap-posts-post-2.xml",
        "/wp-sitemap-posts-post-3.xml",
        "/wp-sitemap.xml",
    ]  # no pages, books, users
    assert site.requests() <= 25 + 10

    site.hits.clear()
    idle, report = run()
    assert idle.discovered == 0 and report.items == []
    assert site.requests() <= 5

    site.change("caucasus-article-3", "Changed text about Ajaria and Batumi.\nOn the port, too.")
    site.hits.clear()
    changed, report = run()
    assert changed.discovered == 1 and report.counts["updated"] == 1
    assert site.article_hits() == {"/caucasus-article-3/": 1}


def test_the_feed_when_nothing_else_answers_skips_books_and_reports(site, run):
    site.rest = False
    site.sitemaps = False
    site.add(3)
    done, report = run()
    assert done.via == "feed" and report.counts["created"] == 3 and not report.failures
    assert "/book/the-long-war-in-the-caucasus/" not in site.hits
    assert not [k for k in site.hits if k.startswith("/report/")]


def test_publication_listing_takes_only_articles(site, run):
    site.add(15)
    _, report = run(
        kind="listing",
        path="/publications/edm/",
        backfill=True,
    )
    assert report.counts["created"] == 15 and not report.failures
    assert not [k for k in site.hits if k.startswith(("/analyst/", "/book/", "/about-us/"))]


def test_an_article_keeps_its_id_under_its_old_and_new_address(site, settings, run, ingest):
    """Indexed from REST under /<slug>/, fetched again as /program/<slug>/ (301 to the
    new address): one document, the same id."""
    [page] = site.add(1)
    run()
    old = ingest([site.url(f"/program/{page.slug}/")])
    assert site.hits[f"/program/{page.slug}/"] == 1 and site.hits[f"/{page.slug}/"] == 1
    assert old.report.failures == [] and documents(settings) == 1


def test_a_challenge_on_the_first_request_is_retried(site, fetcher, run):
    site.add(3)
    site.challenges = 1  # Cloudflare challenges the very first request (robots.txt)
    done, report = run()
    assert report.counts["created"] == 3 and not done.errors
    assert fetcher.breaker.state("127.0.0.1") is None


def test_repeated_challenges_pause_the_site_and_say_so(site, fetcher, run):
    site.add(3)
    site.challenges = 1000
    done, report = run()
    [(_, reason)] = done.errors
    assert "PAUSED until" in reason and "MONITOR_HTTP_PROXY" in reason
    assert report.items == []
    assert set(json.loads(done.checkpoint or "{}")) <= {"via", "probed"}  # no way advanced
    asked = site.requests()
    again, _ = run()
    assert site.requests() == asked  # paused: not one request more
    assert "PAUSED" in again.errors[0][1]
    state = fetcher.breaker.state("127.0.0.1")
    assert state is not None and state.pause_left_s() > 0
    site.challenges = 0
    fetcher.breaker.cleared("127.0.0.1")  # the operator waited (or set a proxy)
    _, report = run()
    assert report.counts["created"] == 3


def test_blocked_article_pages_are_handed_back_not_failed(site, ingest):
    pages = site.add(2)
    site.challenges = 1000
    batch = ingest([site.url(site.path_of(p)) for p in pages])
    assert batch.report.failures == []  # never a dead letter for a block
    assert sorted(batch.blocked) == sorted(batch.retry) and len(batch.retry) == 2
    assert all("blocked" in r or "PAUSED" in r for r in batch.reasons.values())
    assert batch.retry_after_s is not None and batch.retry_after_s > 0


def test_a_cloudflare_1020_firewall_block_pauses_the_site_and_is_never_a_failure(
    site, fetcher, ingest
):
    """Issue 23: "Error 1020 Access denied" (a 403 from the edge, with a cf-ray and no
    cf-mitigated header; cloudscraper #100, cloudflare-scraper #27) was a permanent
    failure per item and the breaker never tripped."""
    pages = site.add(3)
    site.challenge = FIREWALL_1020
    site.challenges = 1000
    batch = ingest([site.url(site.path_of(p)) for p in pages])
    assert batch.report.failures == []  # nothing for the dead-letter queue
    assert sorted(batch.blocked) == sorted(batch.retry) and len(batch.retry) == 3
    assert any("Cloudflare error 1020" in r for r in batch.reasons.values())
    state = fetcher.breaker.state("127.0.0.1")
    assert state is not None and state.pause_left_s() > 0  # the host is paused
    assert "1020" in state.describe() and "MONITOR_HTTP_PROXY" in state.describe()


def test_overlap_dedupe_survives_a_post_changed_twice(site, run):
    [page] = site.add(1)
    run()
    page.modified += timedelta(seconds=30)  # edited within the overlap window
    site.change(page.slug, "Edited text about Batumi and the port.\nOn the talks, too.")
    again, report = run()
    assert again.discovered == 1 and report.counts["updated"] == 1
