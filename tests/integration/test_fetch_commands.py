"""`monitor ingest URL`, `monitor sources` and a real Celery worker fetching a source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devsupport.site import Site
from workers.settings import Settings
from workers.stores import open_store

pytestmark = pytest.mark.integration
MONITOR = str(Path(sys.executable).with_name("monitor"))


@pytest.fixture
def env(tmp_path: Path, site: Site, redis_url: str, redis_client: object) -> dict[str, str]:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "site-root"\nkind = "site"\nurl = "{site.base}/"\n'
        f'[[source]]\nname = "site-feed"\nkind = "feed"\nurl = "{site.base}/feed/"\n'
        f'[[source]]\nname = "site-edm"\nkind = "listing"\nurl = "{site.base}/program-name/edm/"\n'
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {
        **clean,
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
        "MONITOR_REDIS_URL": redis_url,
        "MONITOR_SOURCES_FILE": str(sources),
        "MONITOR_ALLOWED_HOSTS": "127.0.0.1:*",
        "MONITOR_HOST_RATE_PER_S": "500",
        "MONITOR_HOST_BURST": "50",
        "MONITOR_FETCH_BACKOFF_S": "0.01",
    }


def monitor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MONITOR, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "laptop"])
def test_ingest_site_root_then_sources_shows_the_checkpoint(
    site: Site, env: dict[str, str], with_redis: bool
) -> None:
    """Each command is its own process: the checkpoint and the last run must outlive
    it, in the cache Redis or, on a laptop without one, in the data dir's cache file."""
    if not with_redis:
        del env["MONITOR_REDIS_URL"]
    site.add(4)
    done = monitor(env, "ingest", site.base + "/")
    assert done.returncode == 0, done.stderr
    assert "ingested 4 (new 4" in done.stdout
    assert not site.article_hits()  # the REST API answered: indexed from its payload
    site.hits.clear()
    again = monitor(env, "ingest", site.base + "/")
    assert again.returncode == 0 and "ingested 0" in again.stdout
    assert list(site.hits) == [k for k in site.hits if k.startswith("/wp-json/")]
    assert site.requests() == 1  # robots.txt cached; one API page, nothing new in it
    listed = monitor(env, "sources", "--format", "json")
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["site-root"]["checkpoint"] is not None
    assert rows["site-root"]["last_run"]["discovered"] == 0  # the second run found nothing
    assert rows["site-root"]["last_run"]["via"] == "wordpress"
    assert rows["site-feed"]["last_run"] is None
    table = monitor(env, "sources")
    assert "via wordpress" in table.stdout


def test_ingest_listing_backfill_and_an_article(site: Site, env: dict[str, str]) -> None:
    site.add(12)
    done = monitor(
        env, "ingest", "--backfill", "--format", "json", site.url("/program-name/edm/page/2/")
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["created"] == 12
    one = monitor(env, "ingest", site.url("/program/article-3/"))
    assert one.returncode == 0 and "unchanged 1" in one.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["https://example.com/feed/"], "not in the allowed hosts"),
        (["https://staging.jamestown.org/feed/"], "staging mirror"),
        (["{base}/about-us/"], "--kind"),
        (["{base}/feed/", "some/file.txt"], "not both"),
    ],
)
def test_url_mistakes_are_one_line_errors(
    site: Site, env: dict[str, str], args: list[str], message: str
) -> None:
    done = monitor(env, "ingest", *[a.format(base=site.base) for a in args])
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_missing_page_fails_the_command_with_its_reason(site: Site, env: dict[str, str]) -> None:
    done = monitor(env, "ingest", site.url("/program/gone/"))
    assert done.returncode == 1 and "404" in done.stderr


def test_celery_worker_fetches_a_source_enqueued_by_the_cli(
    site: Site, env: dict[str, str], redis_url: str, tmp_path: Path
) -> None:
    site.add(23)
    broker = redis_url.rsplit("/", 1)[0] + "/3"
    worker_env = {**env, "MONITOR_BROKER_URL": broker, "MONITOR_BATCH_SIZE": "10"}
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tasks.app",
            "worker",
            "--pool",
            "solo",
            "-Q",
            "ingest",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # The site root: REST posts (with their content) travel through the broker.
        enqueued = monitor(worker_env, "ingest", "--async", site.url("/"))
        assert enqueued.returncode == 0, enqueued.stderr
        settings = Settings(data_dir=tmp_path / "var")
        deadline = time.monotonic() + 60
        documents = 0
        while time.monotonic() < deadline and documents < 23:
            time.sleep(0.5)
            if (tmp_path / "var").exists():
                store = open_store(settings)
                try:
                    documents = store.stats().documents
                finally:
                    store.close()
        assert documents == 23, (tmp_path / "worker.log").read_text()
        assert not site.article_hits()  # no page fetched: the posts carried the content
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()


def test_a_blocked_site_is_paused_and_the_commands_say_what_to_do(
    site: Site, env: dict[str, str]
) -> None:
    """Cloudflare challenges every request: the run fails with the reason, the host is
    paused, and `monitor sources` / `monitor status` say so with the way out."""
    site.add(2)
    site.challenges = 1000
    done = monitor(env, "ingest", site.base + "/")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "PAUSED until" in done.stderr and "MONITOR_HTTP_PROXY" in done.stderr
    asked = site.requests()
    assert asked <= 8  # a few tries, then the pause: no hammering
    listed = monitor(env, "sources")
    assert "PAUSED until" in listed.stdout and "MONITOR_HTTP_PROXY" in listed.stdout
    status = monitor(env, "status")
    assert status.returncode == 0 and "PAUSED until" in status.stdout
    again = monitor(env, "ingest", site.base + "/")
    assert again.returncode == 1 and site.requests() == asked  # paused: nothing sent
