"""The Internet Archive as a source (issue 17), against the fake CDX and capture server
in `devsupport/archive.py` (shapes from the wayback CDX server README) and the
live-site look-alike in `devsupport/site.py`, both on 127.0.0.1.

Captured originals name jamestown.org: they are only identities, never fetched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devsupport.archive import Archive, table_page, wordpress_page
from devsupport.runs import run_in_process
from devsupport.site import Site
from workers.cache import Cache
from workers.fetching.crawl import SourceRun, UrlBatch, ingest_urls
from workers.fetching.fetch import Fetcher
from workers.ingest import BatchReport
from workers.model import Article
from workers.settings import Settings
from workers.sources.config import SourceConfig
from workers.sources.wayback import Archive as ArchiveClient
from workers.stores import open_store
from workers.stores.base import SearchQuery

pytestmark = pytest.mark.integration
MONITOR = str(Path(sys.executable).with_name("monitor"))

TITLE = "Russia Moves Troops To Chechen Border"
HEADER = "Publication: Monitor Volume: 1 Issue: 5"
TEXT = [
    "Defense Ministry sources said yesterday that two regiments had moved (Itar-Tass, May 22).",
    "The move follows weeks of reported clashes in the region.",
    "Moscow denied that an operation was planned.",
]
OLD = "http://www.jamestown.org/publications_details.php?volume_id=1&issue_id=5&article_id=23"
PROGRAM = "http://www.jamestown.org/program/russia-moves-troops-to-chechen-border/"
ROOT = "https://jamestown.org/russia-moves-troops-to-chechen-border/"


@pytest.fixture
def archive() -> Iterator[Archive]:
    running = Archive().start()
    yield running
    running.stop()


@pytest.fixture
def wayback_settings(settings: Settings, archive: Archive) -> Settings:
    return settings.model_copy(update={"wayback_url": archive.base, "wayback_rate_per_s": 500.0})


@pytest.fixture
def client(wayback_settings: Settings, cache: Cache) -> Iterator[ArchiveClient]:
    made = ArchiveClient.from_settings(wayback_settings, cache=cache)
    yield made
    made.close()


def backfill(
    *,
    settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    client: ArchiveClient,
    site: str = "https://jamestown.org/",
    **config: object,
) -> tuple[SourceRun, BatchReport]:
    """One wayback source run, its batches ingested in-process (eager mode)."""
    source_config = SourceConfig(
        name="jamestown-wayback", kind="wayback", url="https://jamestown.org/", **config
    )  # type: ignore[arg-type]
    return run_in_process(
        source_config,
        settings=settings,
        fetcher=fetcher,
        cache=cache,
        archive=client,
        batch_size=10,
    )


def documents(settings: Settings, text: str = "Moscow") -> list[Article]:
    store = open_store(settings)
    try:
        hits = store.search(SearchQuery(text=text, limit=50)).hits
        found = [store.get(hit.id) for hit in hits]
    finally:
        store.close()
    return [a for a in found if a is not None]


def test_three_url_generations_of_one_article_are_one_document(
    archive: Archive,
    wayback_settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    client: ArchiveClient,
) -> None:
    archive.capture("20050101000000", OLD, table_page(TITLE, HEADER, TEXT))
    archive.capture("20120101000000", PROGRAM, wordpress_page(TITLE, HEADER, TEXT))
    archive.capture("20260101000000", ROOT, wordpress_page(TITLE, HEADER, TEXT))
    # Not articles: the home page, an about page, a listing, an analyst; never fetched.
    for other in (
        "http://www.jamestown.org/",
        "https://jamestown.org/about-us/",
        "https://jamestown.org/publications/edm/",
        "https://jamestown.org/analyst/paul-goble/",
    ):
        archive.capture("20100101000000", other, wordpress_page("Home", "", ["Welcome."]))
    # Not a 200 capture, not HTML: filtered out by the CDX query itself.
    archive.capture("20100101000000", "https://jamestown.org/a-b-c/", "x", statuscode="404")
    archive.capture("20100101000000", "https://jamestown.org/d-e-f/", "x", mimetype="text/css")

    run, report = backfill(settings=wayback_settings, fetcher=fetcher, cache=cache, client=client)

    assert report.failures == []
    assert len({item.id for item in report.items if item.status != "unchanged"}) == 1
    (article,) = documents(wayback_settings)
    assert article.title == TITLE
    assert (article.publication, article.volume, article.issue) == ("Monitor", 1, 5)
    assert article.body.splitlines()[0] == TEXT[0]
    assert "Copyright" not in article.body and "Home" not in article.body
    assert article.fetched_from is not None and article.fetched_from["kind"] == "archive"
    assert article.fetched_from["captured_at"][:4] in ("2005", "2012", "2026")
    # The /program/ and root captures are one article: only one of them is fetched;
    # the old page cannot be told apart before it is read.
    assert archive.capture_requests() == 2
    assert not any(p.startswith("/web/") and "about-us" in p for p in archive.hits)
    assert run.discovered == 2


def test_a_fetched_capture_is_never_fetched_again_and_years_limit_the_walk(
    archive: Archive,
    wayback_settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    client: ArchiveClient,
) -> None:
    archive.capture("20050101000000", OLD, table_page(TITLE, HEADER, TEXT))
    archive.capture(
        "20150101000000",
        "https://jamestown.org/program/later-article-here/",
        wordpress_page("Later article here", HEADER, TEXT),
    )
    backfill(
        settings=wayback_settings,
        fetcher=fetcher,
        cache=cache,
        client=client,
        from_year=2004,
        to_year=2006,
    )
    assert archive.capture_requests() == 1
    cdx = [json.loads(json.dumps(p)) for p in archive.hits if p == "/cdx/search/cdx"]
    assert cdx

    again, report = backfill(
        settings=wayback_settings,
        fetcher=fetcher,
        cache=cache,
        client=client,
        from_year=2004,
        to_year=2006,
    )
    assert again.discovered == 0
    assert archive.capture_requests() == 1
    assert report.items == []


def test_a_long_walk_resumes_from_the_cdx_resume_key(
    archive: Archive,
    wayback_settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    client: ArchiveClient,
) -> None:
    archive.max_rows = 2  # the server's own cap: a resume key after every 2 rows
    for n in range(5):
        slug = f"monitor-item-number-{n}"
        archive.capture(
            f"2001010{n + 1}000000",
            f"http://www.jamestown.org/program/{slug}/",
            wordpress_page(f"Monitor item number {n}", HEADER, TEXT),
        )
    first, _ = backfill(
        settings=wayback_settings, fetcher=fetcher, cache=cache, client=client, max_pages=2
    )
    assert first.discovered == 4
    assert first.checkpoint is not None and json.loads(first.checkpoint)["resume"]
    second, _ = backfill(
        settings=wayback_settings, fetcher=fetcher, cache=cache, client=client, max_pages=2
    )
    assert second.discovered == 1
    assert second.checkpoint is not None and "resume" not in json.loads(second.checkpoint)
    assert archive.capture_requests() == 5  # each capture once
    assert len(documents(wayback_settings)) == 5


def test_the_archive_is_asked_politely_and_429_is_waited_out(
    archive: Archive,
    wayback_settings: Settings,
    fetcher: Fetcher,
    cache: Cache,
    client: ArchiveClient,
) -> None:
    archive.capture("20050101000000", OLD, table_page(TITLE, HEADER, TEXT))
    archive.faults.append((429, {"Retry-After": "0"}))
    archive.faults.append((503, {}))
    run, report = backfill(settings=wayback_settings, fetcher=fetcher, cache=cache, client=client)
    assert run.errors == [] and report.counts["created"] == 1
    assert archive.cdx_requests() == 3  # 429, 503, then the answer
    (agent,) = archive.agents
    assert "contact:" in agent and "MonitorIngest" in agent
    assert client.fetcher.policy.concurrency == 1
    assert Settings().wayback_rate_per_s < 1


def _blocked_run(
    site: Site,
    url: str,
    *,
    fetcher: Fetcher,
    cache: Cache,
    settings: Settings,
    client: ArchiveClient,
) -> UrlBatch:
    store = open_store(settings)
    try:
        return ingest_urls(
            [url], fetcher=fetcher, cache=cache, store=store, ttl_s=3600, archive=client
        )
    finally:
        store.close()


@pytest.fixture
def live() -> Iterator[Site]:
    running = Site(rebuilt=True).start()
    yield running
    running.stop()


def test_a_blocked_live_url_is_served_from_its_capture_then_replaced_by_the_live_text(
    live: Site, archive: Archive, wayback_settings: Settings, cache: Cache
) -> None:
    (page,) = live.add(1)
    url = live.url(live.path_of(page))
    captured = wordpress_page(
        page.title,
        "Publication: Eurasia Daily Monitor Volume: 22 Issue: 1",
        ["Moscow said an archived sentence.", "Second archived paragraph, on the port."],
    )
    archive.capture("20250601000000", url, captured)
    settings = wayback_settings.model_copy(update={"wayback_fallback_after_s": 0})
    client = ArchiveClient.from_settings(settings, cache=cache)
    fetcher = Fetcher.from_settings(settings, cache=cache)
    try:
        live.challenges = 10_000  # Cloudflare refuses every request
        blocked = _blocked_run(
            live, url, fetcher=fetcher, cache=cache, settings=settings, client=client
        )
        assert blocked.blocked == [url] and blocked.archived == [url]
        (served,) = documents(settings)
        assert served.body.startswith("Moscow said an archived sentence.")
        assert served.fetched_from == {
            "kind": "archive",
            "captured_at": "2025-06-01T00:00:00+00:00",
            "capture": f"{archive.base}/web/20250601000000id_/{url}",
        }
        # Still blocked: the capture is not read again, the item waits for the site.
        again = _blocked_run(
            live, url, fetcher=fetcher, cache=cache, settings=settings, client=client
        )
        assert again.blocked == [url] and again.archived == []
        assert archive.capture_requests() == 1

        live.challenges = 0
        cache.delete(f"block:{live.base.split('//')[1].split(':')[0]}")  # the pause ends
        lifted = _blocked_run(
            live, url, fetcher=fetcher, cache=cache, settings=settings, client=client
        )
        assert lifted.retry == [] and lifted.report.counts["updated"] == 1
        (replaced,) = documents(settings)
        assert replaced.id == served.id
        assert replaced.fetched_from == {"kind": "live"}
        assert "archived sentence" not in replaced.body
    finally:
        client.close()
        fetcher.close()


def test_a_backfill_never_replaces_live_text_with_a_capture(
    live: Site,
    archive: Archive,
    wayback_settings: Settings,
    cache: Cache,
    client: ArchiveClient,
    fetcher: Fetcher,
) -> None:
    (page,) = live.add(1)
    url = live.url(live.path_of(page))
    done = _blocked_run(
        live, url, fetcher=fetcher, cache=cache, settings=wayback_settings, client=client
    )
    assert done.report.counts["created"] == 1
    old = wordpress_page(page.title, HEADER, ["Moscow said an archived sentence."])
    archive.capture("20200101000000", live.url(f"/program/{page.slug}/"), old)
    run, _ = backfill(
        settings=wayback_settings, fetcher=fetcher, cache=cache, client=client, site=live.base
    )
    assert run.discovered == 0 and archive.capture_requests() == 0
    (article,) = documents(wayback_settings)
    assert article.fetched_from == {"kind": "live"}


def test_a_short_block_is_not_served_from_the_archive(
    live: Site,
    archive: Archive,
    wayback_settings: Settings,
    cache: Cache,
    client: ArchiveClient,
    fetcher: Fetcher,
) -> None:
    (page,) = live.add(1)
    url = live.url(live.path_of(page))
    archive.capture("20250601000000", url, wordpress_page(page.title, HEADER, TEXT))
    live.challenges = 10_000
    blocked = _blocked_run(
        live, url, fetcher=fetcher, cache=cache, settings=wayback_settings, client=client
    )
    assert blocked.blocked == [url] and blocked.archived == []
    assert archive.hits == {} or archive.capture_requests() == 0
    assert documents(wayback_settings) == []


def test_monitor_ingest_kind_wayback_backfills_and_sources_shows_the_checkpoint(
    tmp_path: Path, archive: Archive, redis_url: str, redis_client: object
) -> None:
    archive.capture("20050101000000", OLD, table_page(TITLE, HEADER, TEXT))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname = "jamestown-wayback"\nkind = "wayback"\n'
        'url = "https://jamestown.org/"\nfrom_year = 2004\nto_year = 2006\nenabled = false\n'
    )
    env = {
        **clean,
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
        "MONITOR_REDIS_URL": redis_url,
        "MONITOR_SOURCES_FILE": str(sources),
        "MONITOR_WAYBACK_URL": archive.base,
        "MONITOR_WAYBACK_RATE_PER_S": "500",
    }

    def monitor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MONITOR, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    done = monitor("ingest", "--kind", "wayback", "--from", "2004", "--to", "2006", "jamestown.org")
    assert done.returncode == 0, done.stderr
    assert "ingested 1 (new 1" in done.stdout
    listed = monitor("sources", "--all")
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith("jamestown-wayback"))
    assert "2005-01-01T00:00:00+00:00" in line and "found 1" in line

    wrong = monitor("ingest", "--from", "2004", "https://jamestown.org/")
    assert wrong.returncode == 2 and wrong.stderr.startswith("monitor: error: --from/--to")
    assert "Traceback" not in wrong.stderr
