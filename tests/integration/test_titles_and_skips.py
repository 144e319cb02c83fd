"""One title whichever road read the article; skipped entries said, with their reason;
a source run whose every request failed ends as failed (issue 21 items 5-7).

`YoastSite` is the look-alike of today's site (`devsupport.site`, rebuilt) with what
WordPress and Yoast SEO print around a title, since a stock WordPress without Yoast
cannot show it: `wptexturize` turns the apostrophe into `&#8217;` in
`title.rendered` and in the `<title>`; Yoast's JSON-LD `headline` is
`get_the_title()` with tags stripped and is never decoded, so the JSON string holds
`&#8217;` literally (issue 21 item 5, seen on a real WordPress 6.3 with Yoast);
`og:title` encoded twice (`&amp;#8217;`) is the second page's case, a title typed
with an entity in it, which the REST API then renders encoded twice as well.
"""

from __future__ import annotations

import html
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from devsupport.archive import Archive as FakeArchive
from devsupport.runs import run_in_process
from devsupport.site import Fault, Page, Site
from workers.cache import Cache
from workers.crawl import SourceRun, ingest_urls, run_source
from workers.fetching.fetch import Fetcher
from workers.ingest import BatchReport
from workers.runtime import Runtime
from workers.settings import Settings
from workers.sources.config import SourceConfig
from workers.sources.feed import FeedSource
from workers.sources.wayback import Archive
from workers.stores import open_store
from workers.stores.base import SearchQuery

pytestmark = pytest.mark.integration
MONITOR = str(Path(sys.executable).with_name("monitor"))
YOAST_TITLE = "Why Moscow Doesn’t Blink on Georgia’s Border"
TYPED_TITLE = "Tbilisi’s Answer to the Kremlin’s Offer"


def texturized(title: str) -> str:
    """`title` as WordPress prints it: `wptexturize`'s ’ as the entity `&#8217;`."""
    return html.escape(title, quote=False).replace("’", "&#8217;")


class YoastSite(Site):
    """The rebuilt look-alike with WordPress's and Yoast's entity-laden titles."""

    def __init__(self) -> None:
        super().__init__(rebuilt=True)

    def article_html(self, page: Page) -> str:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in page.body.split("\n"))
        once = texturized(page.title)
        if page.title == YOAST_TITLE:
            ld = json.dumps(
                {
                    "@context": "https://schema.org",
                    "@graph": [{"@type": "Article", "headline": once}],
                }
            )
            head = f'<script type="application/ld+json">{ld}</script>'
        else:  # no JSON-LD; og:title encoded twice
            head = f'<meta property="og:title" content="{html.escape(once)}">'
        return (
            f"<!doctype html><html><head><title>{once} - The Jamestown Foundation</title>{head}"
            f'<meta property="article:published_time" content="{page.modified.isoformat()}">'
            f'</head><body><article><h1 class="entry-title">{once}</h1>'
            f"<p>Publication: Eurasia Daily Monitor Volume: {page.volume} Issue: {page.issue}</p>"
            f'<p>By: {page.author}</p><div class="entry-content">{paragraphs}</div>'
            "</article></body></html>"
        )

    def post_json(self, page: Page) -> dict[str, Any]:
        post = super().post_json(page)
        once = texturized(page.title)
        post["title"] = {"rendered": once if page.title == YOAST_TITLE else html.escape(once)}
        return post


@pytest.fixture
def site() -> Iterator[YoastSite]:
    running = YoastSite().start()
    body = "Moscow and Tbilisi disagreed again on the line at the border.\nA second paragraph."
    for page, (slug, title) in zip(
        running.add(2),
        [
            ("why-moscow-doesnt-blink-on-georgias-border", YOAST_TITLE),
            ("tbilisis-answer-to-the-kremlins-offer", TYPED_TITLE),
        ],
        strict=True,
    ):
        page.slug, page.title, page.body = slug, title, body
    yield running
    running.stop()


@pytest.fixture
def archive() -> Iterator[FakeArchive]:
    running = FakeArchive().start()
    yield running
    running.stop()


def titles(settings: Settings) -> list[str]:
    """The titles of the documents a road stored, sorted."""
    store = open_store(settings)
    try:
        hits = store.search(SearchQuery(text="Tbilisi", limit=10)).hits
        found = [store.get(hit.id) for hit in hits]
    finally:
        store.close()
    return sorted(a.title or "" for a in found if a is not None)


def test_every_road_stores_one_decoded_title(
    site: YoastSite,
    archive: FakeArchive,
    settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    redis_client: redis.Redis[str],
    tmp_path: Path,
) -> None:
    roads: dict[str, list[str]] = {}

    def road(name: str, kind: str, path: str, **extra: Any) -> tuple[SourceRun, BatchReport]:
        redis_client.flushdb()  # each road sees the articles for the first time
        here = settings.model_copy(update={"data_dir": tmp_path / name, **extra})
        config = SourceConfig(name=name, kind=kind, url=site.url(path))  # type: ignore[arg-type]
        client = Archive.from_settings(here, cache=cache) if kind == "wayback" else None
        try:
            done = run_in_process(
                config, settings=here, fetcher=fetcher, cache=cache, backfill=True, archive=client
            )
        finally:
            if client is not None:
                client.close()
        roads[name] = titles(here)
        return done

    road("rest", "wordpress", "/")
    road("sitemap", "sitemap", "/")
    road("feed", "feed", "/feed/")
    road("listing", "listing", "/publications/edm/")
    for page in site.pages:  # the archive's copy is the live page as captured
        archive.capture("20260101000000", site.url(site.path_of(page)), site.article_html(page))
    road("archive", "wayback", "/", wayback_url=archive.base, wayback_rate_per_s=500.0)
    redis_client.flushdb()
    by_hand = settings.model_copy(update={"data_dir": tmp_path / "article"})
    store = open_store(by_hand)
    try:
        urls = [site.url(site.path_of(p)) for p in site.pages]
        ingest_urls(urls, fetcher=fetcher, cache=cache, store=store, ttl_s=60)
    finally:
        store.close()
    roads["article"] = titles(by_hand)

    expected = sorted([YOAST_TITLE, TYPED_TITLE])
    assert roads == dict.fromkeys(roads, expected), roads
    assert len(roads) == 6


def test_a_feed_of_pages_the_short_slug_rule_leaves_out_says_so(
    site: YoastSite, settings: Settings, fetcher: Fetcher, cache: Cache
) -> None:
    """Issue 21: a stock WordPress feed (`/hello-world/`) ended "ingested 0, failed 0"."""
    site.feed_override = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><link>{site.base}/hello-world/</link></item>"
        f"<item><link>{site.base}/sample-page/</link></item>"
        f"<item><link>{site.base}/book/the-long-war-in-the-caucasus/</link></item>"
        "</channel></rss>"
    ).encode()
    config = SourceConfig(name="feed", kind="feed", url=site.url("/feed/"))  # type: ignore[arg-type]
    done, report = run_in_process(config, settings=settings, fetcher=fetcher, cache=cache)
    assert done.discovered == 0 and done.status == "succeeded"
    assert done.skipped == {"not an article (short slug)": 2, "not an article (book)": 1}
    assert report.items == []


def test_a_sitemap_of_pages_counts_what_it_leaves_out(
    site: YoastSite, settings: Settings, fetcher: Fetcher, cache: Cache
) -> None:
    url = site.url("/wp-sitemap-posts-page-1.xml")  # WordPress core's page sitemap
    config = SourceConfig(name="pages", kind="sitemap", url=url)  # type: ignore[arg-type]
    done, _ = run_in_process(config, settings=settings, fetcher=fetcher, cache=cache)
    assert done.discovered == 0 and done.skipped == {"not an article (about-us)": 1}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_run_whose_every_request_fails_is_failed_and_warns(
    settings: Settings, cache: Cache, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 21: with the site unreachable (DNS down; here a closed port, which fails
    the same way and at once) the run was logged at INFO as "succeeded"."""
    dead = f"http://127.0.0.1:{closed_port()}/feed/"
    quick = settings.model_copy(update={"fetch_max_attempts": 1})
    fetcher = Fetcher.from_settings(quick, cache=cache)
    config = SourceConfig(name="dead", kind="feed", url=dead)  # type: ignore[arg-type]
    try:
        with caplog.at_level("WARNING", logger="workers.crawl"):
            run = run_source(
                FeedSource(config, fetcher=fetcher),
                cache=cache,
                submit=lambda batches: None,
                batch_size=10,
            )
    finally:
        fetcher.close()
    assert run.status == "failed" and run.cause is not None and "127.0.0.1" in run.cause
    [record] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "source dead failed" in record.getMessage() and run.cause in record.getMessage()


def test_the_task_of_a_failed_run_ends_as_failed(
    settings: Settings, cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tasks.app
    from tasks.sources import SourceRunFailed, run_source_task

    quick = settings.model_copy(update={"fetch_max_attempts": 1})
    fetcher = Fetcher.from_settings(quick, cache=cache)
    runtime = Runtime(quick, cache=cache, fetcher=fetcher)
    monkeypatch.setattr(tasks.app, "_runtime", runtime)
    config = {"name": "dead", "kind": "feed", "url": f"http://127.0.0.1:{closed_port()}/feed/"}
    try:
        result = run_source_task.apply(kwargs={"name": "dead", "config": config}, throw=False)
    finally:
        runtime.close()
        fetcher.close()
    assert result.state == "FAILURE" and isinstance(result.result, SourceRunFailed)
    assert "source dead failed" in str(result.result)


# ---- through the command, as a user sees it -------------------------------------------
@pytest.fixture
def env(tmp_path: Path, redis_url: str, redis_client: object) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {
        **clean,
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
        "MONITOR_REDIS_URL": redis_url,
        "MONITOR_ALLOWED_HOSTS": "127.0.0.1:*",
        "MONITOR_HOST_RATE_PER_S": "500",
        "MONITOR_HOST_BURST": "50",
        "MONITOR_FETCH_BACKOFF_S": "0.01",
        "MONITOR_FETCH_MAX_ATTEMPTS": "1",
    }


def monitor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MONITOR, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_command_reports_skips_with_reasons_and_indexes_none_of_them(
    site: YoastSite, env: dict[str, str]
) -> None:
    site.feed_override = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><link>{site.base}/hello-world/</link></item>"
        f"<item><link>{site.base}/sample-page/</link></item>"
        f"<item><link>{site.base}/book/the-long-war-in-the-caucasus/</link></item>"
        f"<item><link>{site.url(site.path_of(site.pages[0]))}</link></item>"
        "</channel></rss>"
    ).encode()
    # The article's page comes back as a broken template: one word, no title.
    site.faults[site.path_of(site.pages[0])].append(
        Fault(body=b"<html><body><p>Mindblown</p></body></html>")
    )
    done = monitor(env, "ingest", site.url("/feed/"))
    assert done.returncode == 0, done.stderr
    assert "ingested 0 (new 0, updated 0), unchanged 0, failed 0" in done.stdout
    assert (
        "skipped 2: not an article (short slug), 1: not an article (book), "
        "1: too little text (under 10 words)"
    ) in done.stdout
    assert f"{site.url(site.path_of(site.pages[0]))}: skipped: too little text" in done.stderr
    status = monitor(env, "status", "--format", "json")
    assert json.loads(status.stdout)["documents"] == 0
    # The template mended, the page is an article; the feed's pages are still skipped.
    again = monitor(env, "ingest", "--backfill", "--format", "json", site.url("/feed/"))
    report = json.loads(again.stdout)
    assert report["counts"]["created"] == 1 and report["counts"]["skipped"] == 3
    assert report["skipped_reasons"] == {
        "not an article (short slug)": 2,
        "not an article (book)": 1,
    }


def test_monitor_sources_shows_a_failed_run_and_its_cause(
    env: dict[str, str], tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/feed/"
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "dead-feed"\nkind = "feed"\nurl = "{dead}"\n')
    env = {**env, "MONITOR_SOURCES_FILE": str(sources)}
    done = monitor(env, "ingest", dead)
    assert done.returncode == 1
    # run_source's WARNING (the CLI prints warnings as they come), then the error itself.
    assert "source dead-feed failed: every request failed: " in done.stderr
    table = monitor(env, "sources")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("dead-feed"))
    assert lines[row].endswith("FAILED")
    assert lines[row + 2].startswith("  FAILED: ") and "127.0.0.1" in lines[row + 2]
    rows = json.loads(monitor(env, "sources", "--format", "json").stdout)
    assert rows[0]["last_run"]["status"] == "failed"
    status = monitor(env, "status").stdout
    assert "FAILED: " in status and "127.0.0.1" in status.split("FAILED: ", 1)[1]
