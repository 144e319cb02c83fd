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
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from devsupport.archive import Archive, table_page, wordpress_page
from devsupport.runs import run_in_process
from devsupport.site import Site
from workers.cache import Cache
from workers.crawl import SourceRun, UrlBatch, ingest_urls
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


Backfill = Callable[..., tuple[SourceRun, BatchReport]]


@pytest.fixture
def backfill(
    wayback_settings: Settings, fetcher: Fetcher, cache: Cache, client: ArchiveClient
) -> Backfill:
    """One wayback source run on this test's archive, fetcher and cache, its batches
    ingested in-process (eager mode): tests name only the source options they vary."""

    def run(url: str = "https://jamestown.org/", **config: object) -> tuple[SourceRun, BatchReport]:
        source_config = SourceConfig(name="jamestown-wayback", kind="wayback", url=url, **config)  # type: ignore[arg-type]
        return run_in_process(
            source_config,
            settings=wayback_settings,
            fetcher=fetcher,
            cache=cache,
            archive=client,
            batch_size=10,
        )

    return run


def documents(settings: Settings, text: str = "Moscow") -> list[Article]:
    store = open_store(settings)
    try:
        hits = store.search(SearchQuery(text=text, limit=50)).hits
        found = [store.get(hit.id) for hit in hits]
    finally:
        store.close()
    return [a for a in found if a is not None]


def test_three_url_generations_of_one_article_are_one_document(
    archive: Archive, wayback_settings: Settings, backfill: Backfill
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

    run, report = backfill()

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
    archive: Archive, backfill: Backfill
) -> None:
    archive.capture("20050101000000", OLD, table_page(TITLE, HEADER, TEXT))
    archive.capture(
        "20150101000000",
        "https://jamestown.org/program/later-article-here/",
        wordpress_page("Later article here", HEADER, TEXT),
    )
    backfill(from_year=2004, to_year=2006)
    assert archive.capture_requests() == 1
    cdx = [json.loads(json.dumps(p)) for p in archive.hits if p == "/cdx/search/cdx"]
    assert cdx

    again, report = backfill(from_year=2004, to_year=2006)
    assert again.discovered == 0
    assert archive.capture_requests() == 1
    assert report.items == []


def test_a_long_walk_resumes_from_the_cdx_resume_key(
    archive: Archive, wayback_settings: Settings, backfill: Backfill
) -> None:
    archive.max_rows = 2  # the server's own cap: a resume key after every 2 rows
    for n in range(5):
        slug = f"monitor-item-number-{n}"
        archive.capture(
            f"2001010{n + 1}000000",
            f"http://www.jamestown.org/program/{slug}/",
            wordpress_page(f"Monitor item number {n}", HEADER, TEXT),
        )
    first, _ = backfill(max_pages=2)
    assert first.discovered == 4
    assert first.checkpoint is not None and json.loads(first.checkpoint)["resume"]
    second, _ = backfill(max_pages=2)
    assert second.discovered == 1
    assert second.checkpoint is not None and "resume" not in json.loads(second.checkpoint)
    assert archive.capture_requests() == 5  # each capture once
    assert len(documents(wayback_settings)) == 5


def test_the_archive_is_asked_politely_and_429_is_waited_out(
    archive: Archive, backfill: Backfill, client: ArchiveClient
) -> None:
    archive.capture("20050101000000", OLD, table_page(TITLE, HEADER, TEXT))
    archive.faults.append((429, {"Retry-After": "0"}))
    archive.faults.append((503, {}))
    run, report = backfill()
    assert run.errors == [] and report.counts["created"] == 1
    # 429, 503, then the answer: two requests more than the walk's own
    assert archive.faults == [] and archive.cdx_requests() == run.requests + 2
    (agent,) = archive.agents
    assert "contact:" in agent and "MonitorIngest" in agent
    assert client.fetcher.policy.concurrency == 1
    assert Settings().wayback_rate_per_s < 1


def _ingest_live(
    url: str, *, settings: Settings, fetcher: Fetcher, cache: Cache, client: ArchiveClient
) -> UrlBatch:
    """One live article URL ingested as a worker's batch is, the archive at hand for a
    blocked page."""
    store = open_store(settings)
    try:
        return ingest_urls(
            [url], fetcher=fetcher, cache=cache, store=store, ttl_s=3600, archive=client
        )
    finally:
        store.close()


@pytest.fixture
def ingest_live(
    wayback_settings: Settings, fetcher: Fetcher, cache: Cache, client: ArchiveClient
) -> Callable[[str], UrlBatch]:
    """`_ingest_live` on this test's settings, fetcher, cache and archive client."""
    return partial(
        _ingest_live, settings=wayback_settings, fetcher=fetcher, cache=cache, client=client
    )


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
    ingest = partial(
        _ingest_live, url, settings=settings, fetcher=fetcher, cache=cache, client=client
    )
    try:
        live.challenges = 10_000  # Cloudflare refuses every request
        blocked = ingest()
        assert blocked.blocked == [url] and blocked.archived == [url]
        (served,) = documents(settings)
        assert served.body.startswith("Moscow said an archived sentence.")
        assert served.fetched_from == {
            "kind": "archive",
            "captured_at": "2025-06-01T00:00:00+00:00",
            "capture": f"{archive.base}/web/20250601000000id_/{url}",
        }
        # Still blocked: the capture is not read again, the item waits for the site.
        again = ingest()
        assert again.blocked == [url] and again.archived == []
        assert archive.capture_requests() == 1

        live.challenges = 0
        cache.delete(f"block:{live.base.split('//')[1].split(':')[0]}")  # the pause ends
        lifted = ingest()
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
    ingest_live: Callable[[str], UrlBatch],
    backfill: Backfill,
) -> None:
    (page,) = live.add(1)
    url = live.url(live.path_of(page))
    done = ingest_live(url)
    assert done.report.counts["created"] == 1
    old = wordpress_page(page.title, HEADER, ["Moscow said an archived sentence."])
    archive.capture("20200101000000", live.url(f"/program/{page.slug}/"), old)
    run, _ = backfill(url=live.base)
    assert run.discovered == 0 and archive.capture_requests() == 0
    (article,) = documents(wayback_settings)
    assert article.fetched_from == {"kind": "live"}


def test_a_short_block_is_not_served_from_the_archive(
    live: Site,
    archive: Archive,
    wayback_settings: Settings,
    ingest_live: Callable[[str], UrlBatch],
) -> None:
    (page,) = live.add(1)
    url = live.url(live.path_of(page))
    archive.capture("20250601000000", url, wordpress_page(page.title, HEADER, TEXT))
    live.challenges = 10_000
    blocked = ingest_live(url)
    assert blocked.blocked == [url] and blocked.archived == []
    assert archive.hits == {} or archive.capture_requests() == 0
    assert documents(wayback_settings) == []


def test_monitor_ingest_kind_wayback_backfills_and_sources_shows_the_checkpoint(
    tmp_path: Path, archive: Archive, redis_url: str, redis_client: object
) -> None:
    archive.capture("20050101000000", OLD, table_page(TITLE, HEADER, TEXT * 6))
    # Its WordPress post, under a slug WordPress cut: matched by text, said on stderr.
    post = "https://jamestown.org/program/troops-to-chechen-border/"
    archive.capture("20060101000000", post, wordpress_page(TITLE, HEADER, TEXT * 6))
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
    assert "ingested 1 (new 1" in done.stdout, done.stdout
    assert f"monitor: identity: matched {archive.base}/web/20050101000000id_/{OLD}" in done.stderr
    assert f"to {post}" in done.stderr
    listed = monitor("sources", "--all")
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith("jamestown-wayback"))
    assert "2006-01-01T00:00:00+00:00" in line and "found 2" in line

    wrong = monitor("ingest", "--from", "2004", "https://jamestown.org/")
    assert wrong.returncode == 2 and wrong.stderr.startswith("monitor: error: --from/--to")
    assert "Traceback" not in wrong.stderr


# ---- early ends and broken answers (issues 22 and 23) ---------------------------------
# CDXServer.java (internetarchive/wayback, wayback-cdx-server, `writeCdxResponse`):
#     while (cdx.hasNext() && ((writeLimit == 0) || (writeCount < writeLimit)) &&
#            (allCount < readLimit) && ...) { rawLine = cdx.next(); allCount++; ...
#         filter / collapse `continue` ... writeCount += outputProcessor.writeLine(line); }
#     if (query.showResumeKey && (line != null) && (writeLimit > 0) &&
#            (writeCount >= writeLimit)) { ... writeResumeKey(resumeKey); }
# with readLimit = queryMaxLimit for a non-paged query. Every line read counts, filtered
# out or not, and the key is printed only when the *row* limit was reached: a scan cut
# short by queryMaxLimit ends with fewer rows and no key, like a finished walk.


def _site_of_years(archive: Archive, years: range, *, images_per_year: int) -> list[str]:
    """One article page a year (captured in December), each followed in urlkey order by
    image captures (the `wp-content/uploads` lines the mimetype filter drops)."""
    titles = []
    for year in years:
        title = f"Monitor report of the year {year}"
        archive.capture(
            f"{year}1201000000",
            f"https://jamestown.org/y{year}-monitor-report/",
            wordpress_page(title, HEADER, [f"Moscow said something in {year}.", *TEXT]),
        )
        for n in range(images_per_year):
            archive.capture(
                f"{year}0301000000",
                f"https://jamestown.org/y{year}-monitor-report/image-{n}.jpg",
                "x",
                mimetype="image/jpeg",
            )
        titles.append(title)
    return titles


def test_a_walk_cut_by_the_servers_scan_limit_narrows_the_range_until_every_year_is_read(
    archive: Archive, wayback_settings: Settings, backfill: Backfill
) -> None:
    titles = _site_of_years(archive, range(2001, 2007), images_per_year=5)
    # The whole range is 36 lines; the server stops after 10: rows for 2001 and 2002,
    # fewer than the limit, no resume key, nothing after 2002 in a range up to 2006.
    archive.max_scan = 10
    run, _ = backfill(from_year=2001, to_year=2006, max_pages=4)
    assert run.discovered == 3  # 2001 and 2002 from the cut answer, then 2003
    state = json.loads(run.checkpoint or "{}")
    assert state["windows"] == [["2004", "2004"], ["2005", "2005"], ["2006", "2006"]]

    again, _ = backfill(from_year=2001, to_year=2006)
    assert again.errors == [] and again.discovered == 3
    assert "windows" not in json.loads(again.checkpoint or "{}")  # finished only now
    assert sorted(a.title for a in documents(wayback_settings)) == titles


def test_a_resume_key_that_never_changes_stops_the_walk_with_a_word(
    archive: Archive, backfill: Backfill
) -> None:
    for n in range(3):
        archive.capture(
            f"2005010{n + 1}000000",
            f"https://jamestown.org/program/item-{n}/",
            wordpress_page(f"Item {n}", HEADER, TEXT),
        )
    archive.max_rows = 1
    archive.stuck_key = "org,jamestown)/program/item-0 20050101000000!"
    run, _ = backfill(from_year=2005, to_year=2005)
    assert any("resume key" in reason and "again" in reason for _, reason in run.errors)
    # The year: its first key, the same key again, so its twelve months: January's key
    # repeats too (reported, January cannot be narrowed), the eleven others are empty.
    # Before, the same request was sent 50 times and the run ended with no word.
    assert archive.cdx_requests() == 2 + 2 + 11
    assert "windows" not in json.loads(run.checkpoint or "{}")


def test_a_bad_cdx_row_is_skipped_alone_with_its_reason(
    archive: Archive, backfill: Backfill
) -> None:
    # issue 22: a row whose original is `http://[::1/x/` (urlsplit: "Invalid IPv6 URL")
    archive.capture("20050101000000", "http://[::1/x/", "x", filed_as="https://jamestown.org/x/")
    archive.capture("20050601000000", OLD, table_page(TITLE, HEADER, TEXT))
    run, report = backfill(from_year=2005, to_year=2005)
    assert [origin for origin, _ in run.errors] == ["http://[::1/x/"]
    assert "CDX row skipped" in run.errors[0][1]
    assert report.counts["created"] == 1


# ---- seven articles, three URL generations, one windows-1252 page (issue 23) ----------
# Each WordPress slug differs from the slug its title would give (WordPress slugs were
# cut and edited by hand), so only the text can tell which old page is which post.
# Items 1 and 2, and items 4 and 5, open with the same lead, as items of one daily
# Monitor issue often do. The 2000s page of item 0 exists only as a windows-1252
# capture served as `text/html` with no charset, the way such captures are replayed.
_LEAD_A = (
    "Russian President Boris Yeltsin yesterday signed a decree dismissing the government "
    "of Prime Minister Viktor Chernomyrdin and named Sergei Kirienko acting prime minister."
)
_LEAD_B = (
    "Georgian President Eduard Shevardnadze said yesterday that the Russian peacekeeping "
    "contingent in Abkhazia protects the separatist regime along the Inguri river."
)
SEVEN = [
    (
        "Moscow Mayor Hedges His Bets",
        "",
        "Moscow bookmakers were taking a \u00a32 bet on Yuri Luzhkov\u2019s \u201cFatherland\u201d "
        "movement \u2014 sterling, for the British press corps \u2014 and the odds shortened all "
        "week as regional governors lined up behind the mayor. Luzhkov himself denied any "
        "plan to run for the presidency, telling reporters that the capital\u2019s budget "
        "needed him more than the Kremlin did (Interfax, August 4).",
    ),
    (
        "Yeltsin Fires The Cabinet",
        "yeltsin-sacks-government",
        f"{_LEAD_A} The Duma now has one week to consider the nomination. Communist leader "
        "Gennady Zyuganov said his faction would not back a candidate deputies know almost "
        "nothing about, and Grigory Yavlinsky demanded a program before any vote is held "
        "(Itar-Tass, March 24).",
    ),
    (
        "Markets Shrug Off The Dismissal",
        "markets-calm-kirienko",
        f"{_LEAD_A} The ruble held its ground on the Moscow interbank exchange and shares in "
        "the oil companies rose slightly, which traders put down to hopes that the liberal "
        "technocrat from Nizhny Novgorod would keep the tight money policy agreed with the "
        "International Monetary Fund (Reuters, March 24).",
    ),
    (
        "Chechen Leaders Meet In Grozny",
        "maskhadov-basaev-meeting-1998",
        "Chechen President Aslan Maskhadov met field commanders in Grozny on Tuesday to "
        "discuss the kidnappings that have kept foreign aid workers out of the republic. "
        "Shamil Basaev, who had resigned as first deputy prime minister in January, stayed "
        "away; aides said he was ill, while Moscow papers said he was forming a rival "
        "congress of the peoples of Chechnya and Dagestan (NTV, July 14).",
    ),
    (
        "Shevardnadze Rebukes Moscow Over Abkhazia",
        "shevardnadze-peacekeepers-izvestia",
        f"{_LEAD_B} Interviewed by Izvestia, he said he had done his utmost to have United "
        "Nations peacekeepers introduced and complained that the 1992 and 1997 agreements "
        "guaranteeing Georgia\u2019s territorial integrity, signed by Yeltsin, remained a dead "
        "letter (Izvestia, June 18).",
    ),
    (
        "Tbilisi Asks For A New Mandate",
        "georgia-cis-mandate-vote",
        f"{_LEAD_B} Georgia\u2019s parliament voted to ask the CIS heads of state to change "
        "the mandate of the force, so that it would protect the return of refugees to the "
        "Gali district, and to withdraw it if they refuse when the mandate lapses at the "
        "end of July (Prime News, June 20).",
    ),
    (
        "Ukraine Debates The Gas Debt",
        "naftohaz-debt-talks",
        "Ukrainian and Russian negotiators failed again in Kyiv to agree on how the gas debt "
        "of some $1.4 billion should be repaid. Moscow wants shares in the pipelines that "
        "carry its gas to Europe; Kyiv offers bonds and barter, and its prime minister said "
        "that the pipelines were not for sale at any price (UNIAN, October 2).",
    ),
]


def test_seven_articles_under_three_url_generations_are_seven_documents_with_text_intact(
    archive: Archive,
    wayback_settings: Settings,
    backfill: Backfill,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from workers.sources.wayback import wp_slug
    from workers.urls import article_key

    old = (
        "http://www.jamestown.org/publications_details.php?volume_id=4&issue_id={n}&article_id={n}"
    )
    for n, (title, slug, text) in enumerate(SEVEN):
        header = f"Publication: Monitor Volume: 4 Issue: {n + 10}"
        paragraphs = [text, "The Jamestown Foundation will follow the story."]
        page = table_page(title, header, paragraphs)
        if n == 0:  # the 2000s page alone, windows-1252, no charset anywhere
            archive.capture(
                "20030801000000",
                old.format(n=n),
                page.encode("windows-1252"),
                content_type="text/html",
            )
            continue
        assert slug != wp_slug(title)
        archive.capture(f"2005010{n}000000", old.format(n=n), page)
        curly = [p.replace("'", "\u2019") for p in paragraphs]
        if n % 2 or n == 6:  # item 6: only the /program/ generation besides
            archive.capture(
                f"2012010{n}000000",
                f"http://www.jamestown.org/program/{slug}/",
                wordpress_page(title, header, curly),
            )
        if n % 3:
            archive.capture(
                f"2026010{n}000000",
                f"https://jamestown.org/{slug}/",
                wordpress_page(title, header, curly),
            )
    caplog.set_level("INFO", logger="workers.crawl")

    run, report = backfill(from_year=2003)

    assert run.errors == [] and report.failures == []
    docs = documents(wayback_settings, "Jamestown Foundation will follow")
    assert len(docs) == 7
    by_title = {doc.title: doc for doc in docs}
    assert set(by_title) == {title for title, _, _ in SEVEN}
    for title, slug, text in SEVEN:
        body = by_title[title].body
        assert text.split(" (")[0][:120] in body, title  # text intact, quotes and all
        if slug:  # under its WordPress URL (/program/<slug>/ and /<slug>/ are one id)
            assert (
                article_key(by_title[title].url or "") == f"https://jamestown.org/program/{slug}/"
            )
    assert (
        "\u00a32 bet" in by_title[SEVEN[0][0]].body and "\ufffd" not in by_title[SEVEN[0][0]].body
    )
    # Every old page of items 1-6 was matched to its WordPress capture, and reported.
    matched = [r.message for r in caplog.records if "identity: matched" in r.message]
    assert len(matched) == 6


def test_a_daily_issue_page_becomes_its_items_and_each_joins_its_post(
    archive: Archive, wayback_settings: Settings, backfill: Backfill
) -> None:
    """A 1990s issue page (one header line, three titled items) is three articles; the
    item that also has a WordPress post is matched to it by its text: three documents."""
    items = [(title, text) for title, _, text in SEVEN[1:4]]
    body = "".join(f"<p><b>{title}</b></p><p>{text}</p>" for title, text in items)
    issue = (
        "<html><head><title>The Monitor</title></head><body><table><tr><td>"
        '<a href="/">Home</a></td><td><b>The Monitor</b><br><br>'
        f"Publication: Monitor Volume: 4 Issue: 60<br><br>{body}</td></tr></table>"
        "</body></html>"
    )
    page = "http://www.jamestown.org/publications_details.php?volume_id=4&issue_id=60&article_id=1"
    archive.capture("19990101000000", page, issue)
    post = "https://jamestown.org/program/markets-calm-kirienko/"
    title, text = items[1]
    archive.capture("20120101000000", post, wordpress_page(title, "Publication: Monitor", [text]))

    run, report = backfill(from_year=1999)

    assert run.errors == [] and report.failures == []
    docs = documents(wayback_settings, "yesterday OR Chechen OR ruble")
    assert sorted(d.title for d in docs) == sorted(t for t, _ in items)
    markets = next(d for d in docs if d.title == title)
    assert markets.url == post
    origins = {item.origin for item in report.items}
    assert {f"{archive.base}/web/19990101000000id_/{page}#item-{n}" for n in (2, 3)} <= origins
