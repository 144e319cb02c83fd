"""Issue 22: hostile input against real local HTTP servers, each bad case alone and
beside good entries.

The cases are the second hostile-input audit's (issue 22); the servers are
`devsupport.site.Site`, the look-alike of jamestown.org, with faults.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from devsupport.site import Fault, Site
from tests.integration.test_hostile_site import MEASURE, MONITOR
from tests.support.peek import stored_count
from tests.support.processes import monitor, private_queue, start_worker, stop, wait_for
from tests.support.redis_server import RedisServer
from workers.cache import MemoryCache
from workers.fetching.fetch import Fetcher, TransientFetchError
from workers.settings import Settings
from workers.stores import open_store
from workers.stores.base import SearchQuery

pytestmark = pytest.mark.integration


def test_headers_dripped_a_byte_at_a_time_are_cut_at_the_total_deadline(tmp_path) -> None:
    """The status line, then one header byte every 0.2 s for 12 s: every read returns
    well within the 5 s read timeout, so only a deadline over the headers stops it."""
    site = Site().start()
    site.faults["/program/slow-headers/"].append(Fault(drip_headers_s=0.2))
    settings = Settings(
        data_dir=tmp_path,
        allowed_hosts=site.base.removeprefix("http://"),
        fetch_timeout_s=5,
        fetch_deadline_s=1.5,
        fetch_max_attempts=1,
    )
    fetcher = Fetcher.from_settings(settings, cache=MemoryCache())
    started = time.monotonic()
    try:
        with pytest.raises(TransientFetchError, match="within the deadline"):
            fetcher.get(site.url("/program/slow-headers/"))
    finally:
        fetcher.close()
        site.stop()
    assert time.monotonic() - started < 5


# --- the mixed run: every bad case of issue 22 beside good entries ---------------------

XML = {"Content-Type": "application/xml; charset=UTF-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
BAD_URL = "http://[::1/x/"
YEAR_ZERO = "0001-01-01T00:00:00+01:00"
BAD_FIELDS_PAGE = """<html><head><title>Bad fields - The Jamestown Foundation</title>
<link rel="canonical" href="http://[::1/x/">
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Page with bad fields",
 "datePublished": "0001-01-01T00:00:00+01:00"}</script></head><body><article>
<h1>Page with bad fields</h1><div class="entry-content">
<p>Moscow and Tbilisi disagreed again on the border, the ministry said on Monday.</p>
<p>A second paragraph with more details about the talks and who attended them.</p>
</div></article></body></html>"""


def urlset(entries: list[tuple[str, str | None]]) -> bytes:
    body = "".join(
        f"<url><loc>{loc}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "") + "</url>"
        for loc, mod in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{body}</urlset>'.encode()


def huge_sitemap(loc: str, unpacked_bytes: int = 49_000_000) -> bytes:
    """A gzip URL set of 49 MB once unpacked (the audit's: 877,000 entries), packed a
    megabyte at a time so the test never holds it unpacked."""
    entry = f"<url><loc>{loc}</loc></url>".encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [packer.compress(f'<?xml version="1.0"?><urlset {NS}>'.encode())]
    block = entry * (1_000_000 // len(entry))
    for _ in range(unpacked_bytes // len(block)):
        parts.append(packer.compress(block))
    parts.append(packer.compress(b"</urlset>") + packer.flush())
    return b"".join(parts)


def hostile_pages(site: Site, other: Site) -> dict[str, Fault]:
    """Article pages that are each one bad case, by slug (served at /program/<slug>/)."""
    return {
        "bad-fields-page": Fault(status=200, headers=HTML, body=BAD_FIELDS_PAGE.encode()),
        "deep-closed": Fault(
            status=200,
            headers=HTML,
            body=b"<html><body>" + b"<div>" * 100_000 + b"<p>x</p>" + b"</div>" * 100_000,
        ),
        "deep-unclosed": Fault(
            status=200, headers=HTML, body=b"<html><body>" + b"<div>" * 500_000 + b"<p>x</p>"
        ),
        "slow-headers": Fault(drip_headers_s=0.5),
        "interfax": Fault(
            status=200,
            headers=HTML,
            body=b"<html><body><p>" + b"(Interfax, March " * 282_000 + b"</p></body></html>",
        ),
        "many-b-tags": Fault(status=200, headers=HTML, body=b"<p>" + b"<b>x" * 500_000),
        "redirect-to-other-port": Fault(redirect=other.url("/program/article-0/")),
    }


def test_a_run_of_every_bad_case_beside_good_entries_indexes_every_good_one(
    tmp_path: Path,
) -> None:
    site, other = Site().start(), Site().start()
    other.add(1)  # a service on another port of the allowed machine: never to be asked
    good = site.add(8)
    loc = lambda page: site.url(site.path_of(page))  # noqa: E731
    pages = hostile_pages(site, other)
    for slug, fault in pages.items():
        site.faults[f"/program/{slug}/"].append(fault)
    post_sitemap = urlset(
        [(loc(p), "2025-01-01T00:00:00+00:00") for p in good[:4]]
        + [(BAD_URL, None), (loc(good[6]), YEAR_ZERO), (other.url("/program/article-0/"), None)]
        + [(site.url(f"/program/{slug}/"), None) for slug in pages]
    )
    index = (
        f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {NS}>'
        f"<sitemap><loc>{site.url('/wp-sitemap-posts-post-1.xml')}</loc></sitemap>"
        f"<sitemap><loc>{site.url('/wp-sitemap-posts-post-2.xml.gz')}</loc></sitemap>"
        "</sitemapindex>"
    ).encode()
    site.faults["/wp-sitemap.xml"].append(Fault(status=200, headers=XML, body=index))
    site.faults["/wp-sitemap-posts-post-1.xml"].append(
        Fault(status=200, headers=XML, body=post_sitemap)
    )
    site.faults["/wp-sitemap-posts-post-2.xml.gz"].append(
        Fault(
            status=200,
            headers={"Content-Type": "application/x-gzip"},
            body=huge_sitemap(loc(good[0])),
        )
    )
    dc = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
    site.feed_override = (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" {dc}><channel><title>t'
        f"</title><item><title>a</title><link>{loc(good[4])}</link></item>"
        f"<item><title>b</title><link>{BAD_URL}</link></item>"
        f"<item><title>c</title><link>{loc(good[7])}</link><dc:date>{YEAR_ZERO}</dc:date></item>"
        f"<item><title>d</title><link>{loc(good[5])}</link></item></channel></rss>"
    ).encode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(
        MONITOR_DATA_DIR=str(tmp_path / "var"),
        MONITOR_ALLOWED_HOSTS=site.base.removeprefix("http://"),  # this port only
        MONITOR_HOST_RATE_PER_S="500",
        MONITOR_HOST_BURST="50",
        MONITOR_FETCH_BACKOFF_S="0.01",
        MONITOR_FETCH_TIMEOUT_S="5",
        MONITOR_FETCH_DEADLINE_S="3",
    )
    command = [MONITOR, "ingest", site.url("/wp-sitemap.xml"), site.url("/feed/")]
    started = time.monotonic()
    try:
        process = subprocess.run(
            [sys.executable, "-c", MEASURE, *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        site.stop()
        other.stop()
    elapsed = time.monotonic() - started
    stderr, _, peak = process.stderr.rstrip().rpartition("\n")
    peak_mb = int(peak.removeprefix("peak_rss_kb=")) / 1024
    print(f"mixed hostile run: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")
    assert process.returncode == 1, stderr  # some items failed: exit 1
    assert "Traceback" not in stderr
    assert elapsed < 120, elapsed
    assert peak_mb < 500, peak_mb

    store = open_store(Settings(data_dir=tmp_path / "var"))
    try:
        documents = store.stats().documents
        found = store.search(SearchQuery(text="Moscow", limit=50))
        titles = sorted(hit.title or "" for hit in found.hits)
    finally:
        store.close()
    wanted = [p.title for p in good[:6]] + ["Page with bad fields"]
    assert titles == sorted(wanted) and documents == len(wanted)
    assert other.requests() == 0  # neither the <loc> nor the redirect reached it

    failures = dict(re.findall(r"/program/([a-z-]+)/: (.+)", stderr))
    assert "nests over 10,000 elements deep" in failures["deep-closed"]
    assert "limit" in failures["deep-unclosed"] or "nests over" in failures["deep-unclosed"]
    assert "within the deadline" in failures["slow-headers"]
    assert "byte limit" in failures["interfax"]
    assert "byte limit" in failures["many-b-tags"] or "nests over" in failures["many-b-tags"]
    assert "not in the allowed hosts" in failures["redirect-to-other-port"]
    assert "not in the allowed hosts" in stderr.split(other.base, 1)[1].split("\n", 1)[0]
    assert "not a valid URL" in stderr
    assert f"<lastmod> {YEAR_ZERO!r} is out of range" in stderr
    assert "more than 50,000 entries" in stderr
    assert "entry 2 ('b') has no link" in stderr and "entry 3: date" in stderr


def _documents(env: dict[str, str]) -> int:
    result = monitor("status", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["documents"])


def test_in_a_worker_bad_entries_fail_alone_and_the_checkpoint_moves(
    redis_server: RedisServer, data_dir: Path, tmp_path: Path
) -> None:
    """The audit's worker case: a run_source task on a sitemap holding `http://[::1/x/`
    and a year-0 `<lastmod>` ended in a traceback, nothing indexed and the checkpoint
    stuck, the same failure every tick. Now: the good entries are indexed, each bad
    one is an error of the run, the checkpoint is the newest good `lastmod`, and the
    next tick finds nothing new."""
    site = Site().start()
    good = site.add(3)
    stamps = [f"2025-01-0{i + 1}T00:00:00+00:00" for i in range(3)]
    sitemap = urlset(
        [(site.url(site.path_of(p)), stamp) for p, stamp in zip(good, stamps, strict=True)]
        + [(BAD_URL, None), (site.url("/program/year-zero-here/"), YEAR_ZERO)]
    )
    for _ in range(2):  # one per tick
        site.faults["/hostile-sitemap.xml"].append(Fault(status=200, headers=XML, body=sitemap))
    for db in (0, 1):
        redis_server.client(db).flushdb()
    env = {
        "MONITOR_BROKER_URL": redis_server.url(0),
        "MONITOR_REDIS_URL": redis_server.url(1),
        "MONITOR_DATA_DIR": str(data_dir),
        "MONITOR_INGEST_QUEUE": private_queue(),
        "MONITOR_ALLOWED_HOSTS": site.base.removeprefix("http://"),
        "MONITOR_HOST_RATE_PER_S": "500",
        "MONITOR_HOST_BURST": "50",
    }
    cache = redis_server.client(1)
    log = tmp_path / "worker.log"
    worker = start_worker(env, log=log, hostname="hostile")
    try:
        tick = monitor("ingest", "--async", site.url("/hostile-sitemap.xml"), env=env)
        assert tick.returncode == 0, tick.stderr
        wait_for(lambda: stored_count(env) == 3, timeout=120, what="the 3 good entries")
        assert _documents(env) == 3
        [key] = cache.keys("monitor:lastrun:*")
        first = json.loads(cache.get(key) or "{}")
        monitor("ingest", "--async", site.url("/hostile-sitemap.xml"), env=env)
        wait_for(
            lambda: json.loads(cache.get(key) or "{}") != first,
            timeout=60,
            what="the second tick's run record",
        )
        second = json.loads(cache.get(key) or "{}")
    finally:
        stop(worker)
        site.stop()
    assert first["discovered"] == 3 and first["checkpoint"] == stamps[-1]
    reasons = " | ".join(reason for _, reason in first["errors"])
    assert "not a valid URL" in reasons and "is out of range" in reasons
    assert second["discovered"] == 0 and second["checkpoint"] == stamps[-1]
    assert "Traceback" not in log.read_text()
