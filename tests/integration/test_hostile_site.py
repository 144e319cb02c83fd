"""Issue 11: a feed of 4 good pages and 6 hostile ones, through the real fetch path.

The hostile pages are the issue's list: a double-gzip bomb (a few KB that decode to
1 GiB), a corrupt gzip body, 6,000 nested <div>s, `charset=idna`, a page that drips
one byte a second, and deeply nested JSON. `monitor ingest FEED` runs as its own
process (so its peak resident memory is its own, read with wait4): every good page
is indexed, every bad one is reported alone with its reason, memory stays bounded
and the run ends long before the drip would.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devsupport.site import Fault, Site
from workers.settings import Settings
from workers.stores import open_store
from workers.stores.base import SearchQuery

pytestmark = pytest.mark.integration
MONITOR = str(Path(sys.executable).with_name("monitor"))
# Runs the command and reports its peak resident memory (its own, not this test's).
MEASURE = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
    "print(f'peak_rss_kb={kb}', file=sys.stderr); sys.exit(done.returncode)"
)


def bomb() -> bytes:
    """1 GiB of zeros gzipped twice: about 1 KB on the wire, `Content-Encoding: gzip, gzip`.

    Built a megabyte at a time into one gzip stream, so the test itself never holds it."""
    inner = gzip.compress(_zeros_gzipped(1 << 30), 9)
    assert len(inner) < 10_000
    return inner


def _zeros_gzipped(size: int) -> bytes:
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"\0" * (1 << 20)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + packer.flush()


def hostile_site() -> tuple[Site, dict[str, str]]:
    site = Site().start()
    good = site.add(4)
    # Each hostile page is a feed entry like the good ones; its fault says what it serves.
    hostile = {
        "bomb": Fault(
            status=200,
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"},
            body=bomb(),
        ),
        "corrupt-gzip": Fault(
            status=200,
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
            body=b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03this is not deflate data at all",
        ),
        "nested-divs": Fault(
            status=200,
            headers={"Content-Type": "text/html"},
            body=b"<html><body>" + b"<div>" * 6000 + b"</div>" * 6000 + b"</body></html>",
        ),
        "idna": Fault(
            status=200,
            headers={"Content-Type": "text/html; charset=idna"},
            body=site.article_html(good[0]).replace("Article number 0", "Idna article").encode(),
        ),
        "drip": Fault(drip_s=1.0),
        "nested-json": Fault(
            status=200,
            headers={"Content-Type": "application/json"},
            body=b"[" * 200_000 + b"]" * 200_000,
        ),
    }
    for slug, fault in hostile.items():
        site.faults[f"/program/{slug}/"].append(fault)
    entries = [f"{site.base}/program/{p.slug}/" for p in good] + [
        f"{site.base}/program/{slug}/" for slug in hostile
    ]
    site.feed_override = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        + "".join(f"<item><title>x</title><link>{url}</link></item>" for url in entries)
        + "</channel></rss>"
    ).encode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return site, env


def test_good_pages_are_indexed_and_each_hostile_one_fails_alone(tmp_path: Path) -> None:
    site, env = hostile_site()
    env.update(
        MONITOR_DATA_DIR=str(tmp_path / "var"),
        MONITOR_ALLOWED_HOSTS="127.0.0.1:*",
        MONITOR_HOST_RATE_PER_S="500",
        MONITOR_HOST_BURST="50",
        MONITOR_FETCH_BACKOFF_S="0.01",
        MONITOR_FETCH_TIMEOUT_S="5",
        MONITOR_FETCH_DEADLINE_S="4",
    )
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", MEASURE, MONITOR, "ingest", site.url("/feed/")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, stderr = process.communicate(timeout=120)
    finally:
        site.stop()
    elapsed = time.monotonic() - started
    assert process.returncode == 1, stderr  # some items failed: exit 1, no traceback
    assert "Traceback" not in stderr
    stderr, _, peak = stderr.rstrip().rpartition("\n")
    peak_mb = int(peak.removeprefix("peak_rss_kb=")) / 1024
    assert peak_mb < 500, peak_mb
    failures = dict(re.findall(r"/program/([a-z-]+)/: (.+)", stderr))
    assert sorted(failures) == ["bomb", "corrupt-gzip", "drip", "nested-divs", "nested-json"]
    assert "byte limit" in failures["bomb"]
    assert "corrupt gzip body" in failures["corrupt-gzip"]
    assert "deadline" in failures["drip"]
    assert "not an HTML page (application/json)" in failures["nested-json"]
    assert failures["nested-divs"].strip()  # a reason, whichever the extractor gives
    store = open_store(Settings(data_dir=tmp_path / "var"))
    try:
        assert store.stats().documents == 5  # the 4 good pages and the idna one, read as UTF-8
        assert store.search(SearchQuery(text="Idna")).total == 1
    finally:
        store.close()
    # The drip alone would take a day; the deadline cuts it (and the timeouts are far).
    assert elapsed < 60, elapsed
    print(f"hostile feed: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")
