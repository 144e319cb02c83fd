"""A real WordPress on a free loopback port, private to the test run (issue 21).

Debian's `wordpress` package (its files in /usr/share/wordpress), served by
`php -S` through `router.php` (what WordPress's .htaccess rewrite rules do), over a
database in a `mariadbd` of our own: a temporary datadir, a free port on 127.0.0.1,
its own socket. Never the machine's MariaDB, never its socket or port 3306.

The site directory is a tree of symlinks into the package plus copies of the
top-level PHP files (PHP resolves `__FILE__` through symlinks, and `wp-load.php`
looks for `wp-config.php` beside itself) and our own `wp-config.php`. The site is
installed with `wp_install()` and changed through `tool.php`, i.e. through
WordPress's own functions (`wp_insert_post`, `wp_update_post`).

Needs: `apt-get install wordpress php-cli php-mysql php-xml php-mbstring
mariadb-server` (`.ci/run` installs them when missing).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from devsupport.redis_server import free_port

WORDPRESS = Path("/usr/share/wordpress")
HERE = Path(__file__).resolve().parent / "wordpress"
NEEDED = ("php", "mariadbd", "mariadb-install-db", "mariadb")
TIMEZONE = "America/New_York"


def missing() -> list[str]:
    """What this machine lacks to run a WordPress (empty when nothing)."""
    lacking = [name for name in NEEDED if shutil.which(name) is None]
    if not (WORDPRESS / "wp-settings.php").is_file():
        lacking.append(str(WORDPRESS))
    return lacking


def _until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `check` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


class RealWordPress:
    def __init__(self, directory: Path) -> None:
        lacking = missing()
        if lacking:
            raise RuntimeError(
                f"a real WordPress needs {', '.join(lacking)}: apt-get install wordpress "
                "php-cli php-mysql php-xml php-mbstring mariadb-server"
            )
        self.directory = directory
        self.db_port = free_port()
        self.port = free_port()
        self.root = directory / "site"
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def home(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.home + path

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> RealWordPress:
        try:
            self._start_database()
            self._build_site()
            self.tool("install")
            self._start_php()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """PHP first (it holds database connections), then the database. Each runs in
        its own process group, signalled whole: `php -S` with PHP_CLI_SERVER_WORKERS
        forks workers that outlive a signal to their parent alone."""
        for process in reversed(self._processes):
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        self._processes.clear()

    def _start_database(self) -> None:
        data = self.directory / "db"
        subprocess.run(
            [
                "mariadb-install-db", "--no-defaults", f"--datadir={data}",
                "--auth-root-authentication-method=normal", "--skip-test-db",
                f"--user={_user()}",
            ],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        log = (self.directory / "mariadbd.log").open("ab")
        self._processes.append(
            subprocess.Popen(
                [
                    "mariadbd", "--no-defaults", f"--datadir={data}",
                    f"--port={self.db_port}", "--bind-address=127.0.0.1",
                    f"--socket={self.directory / 'mariadbd.sock'}",
                    f"--pid-file={self.directory / 'mariadbd.pid'}",
                    f"--user={_user()}", "--skip-name-resolve", "--skip-log-bin",
                    "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
                ],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        )  # fmt: skip
        log.close()
        _until(self._database_answers, timeout=60, what="mariadbd to accept connections")
        self.sql("CREATE DATABASE wordpress CHARACTER SET utf8mb4")

    def _database_answers(self) -> bool:
        if self._processes[0].poll() is not None:
            raise RuntimeError(f"mariadbd exited at start; see {self.directory}/mariadbd.log")
        result = subprocess.run(
            [*self._client(), "-e", "SELECT 1"], capture_output=True, timeout=30, check=False
        )
        return result.returncode == 0

    def _client(self) -> list[str]:
        return [
            "mariadb", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1",
            "-P", str(self.db_port), "-u", "root",
        ]  # fmt: skip

    def sql(self, statement: str) -> str:
        """One statement through the `mariadb` client; its tab-separated output."""
        result = subprocess.run(
            [*self._client(), "--batch", "--skip-column-names", "-e", statement],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return result.stdout

    def _build_site(self) -> None:
        self.root.mkdir(parents=True)
        for entry in WORDPRESS.iterdir():
            if entry.name in {"wp-config.php", ".htaccess", "wp-content"}:
                continue
            target = self.root / entry.name
            if entry.is_file():
                shutil.copy(entry, target)  # __FILE__ must be in our tree
            else:
                target.symlink_to(entry)
        content = self.root / "wp-content"
        (content / "uploads").mkdir(parents=True)
        for name in ("themes", "plugins", "languages"):
            (content / name).symlink_to(WORDPRESS / "wp-content" / name)
        config = (HERE / "wp-config.php.in").read_text()
        config = config.replace("@DB_PORT@", str(self.db_port)).replace("@HOME@", self.home)
        (self.root / "wp-config.php").write_text(config)
        for name in ("router.php", "tool.php"):
            shutil.copy(HERE / name, self.root / name)

    def _start_php(self) -> None:
        log = (self.directory / "php.log").open("ab")
        self._processes.append(
            subprocess.Popen(
                ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(self.root), "router.php"],
                cwd=self.root,
                env={"PATH": "/usr/bin:/bin", "PHP_CLI_SERVER_WORKERS": "2"},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        )  # fmt: skip
        log.close()
        _until(self._site_answers, timeout=60, what="php -S to serve the site")

    def _site_answers(self) -> bool:
        if self._processes[-1].poll() is not None:
            raise RuntimeError(f"php -S exited at start; see {self.directory}/php.log")
        try:
            return httpx.get(self.url("/robots.txt"), timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    # -- changing the site ---------------------------------------------------------

    def tool(self, *args: str) -> Any:
        """Run a `tool.php` command (WordPress loaded); its JSON answer."""
        result = subprocess.run(
            ["php", "tool.php", *args], cwd=self.root, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"tool.php {args[0]} failed: {result.stderr or result.stdout}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def seed(self, posts: Iterable[Mapping[str, Any]]) -> list[int]:
        """Insert posts with `wp_insert_post()`; their ids, in order."""
        listing = self.directory / f"seed-{time.monotonic_ns()}.json"
        listing.write_text(json.dumps(list(posts)))
        ids: list[int] = self.tool("seed", str(listing))
        return ids

    def edit(self, post_id: int, **fields: str) -> None:
        """`wp_update_post()` with `fields` (post_title, post_content, ...)."""
        answer = self.tool("edit", str(post_id), json.dumps(fields))
        if "error" in answer:
            raise RuntimeError(answer["error"])

    def stamp(self, post_id: int, *, local: str, gmt: str) -> None:
        """Set when the post was last modified, as a save at that moment writes it."""
        self.tool("stamp", str(post_id), local, gmt)

    def access_count(self) -> int:
        """Requests the PHP server has answered so far (its access log lines)."""
        log = (self.directory / "php.log").read_text(errors="replace")
        return sum(1 for line in log.splitlines() if line.endswith(" Accepted"))


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the process's group (started with `start_new_session`: its id is the
    process's own), whatever is left of it."""
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(process.pid, sig)


def _user() -> str:
    """mariadbd refuses to run as root unless told to; any other user runs as itself."""
    import getpass

    return getpass.getuser()


# -- the standard seed (issue 21's "Done when") --------------------------------------

POSTS = 250


@dataclass(frozen=True, slots=True)
class SeededWordPress:
    """The session's site and what was put in it."""

    site: RealWordPress
    posts: list[int]  # published posts, all with the modified time `bulk_modified`
    bulk_modified: tuple[str, str]  # (local, GMT) post_modified of every seeded post
    page: str  # a published page's path: never an article
    draft: str  # a draft post's title: never public
    fall_back: datetime  # the latest end of daylight-saving time, in UTC


def last_fall_back(now: datetime) -> datetime:
    """When America/New_York last left daylight-saving time before `now` (UTC): at that
    instant the local hour 01:00-02:00 starts again, so local times run backwards."""
    zone = ZoneInfo(TIMEZONE)
    moment = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while True:
        offset = moment.astimezone(zone).utcoffset()
        earlier = (moment - timedelta(hours=1)).astimezone(zone).utcoffset()
        if offset is not None and earlier is not None and offset < earlier:
            return moment
        moment -= timedelta(hours=1)


def local_and_gmt(moment: datetime) -> tuple[str, str]:
    """The (post_modified, post_modified_gmt) WordPress writes for a save at `moment`."""
    form = "%Y-%m-%d %H:%M:%S"
    return moment.astimezone(ZoneInfo(TIMEZONE)).strftime(form), moment.astimezone(UTC).strftime(
        form
    )


def seed_standard(site: RealWordPress) -> SeededWordPress:
    """250 posts whose `post_modified` is one shared second (a bulk edit two days before
    the last DST change), titles with apostrophes (WordPress renders them `&#8217;`),
    one category; a published page; a draft."""
    fall_back = last_fall_back(datetime.now(UTC))
    bulk = local_and_gmt(fall_back - timedelta(days=2))
    posts = [
        {
            "title": f"Moscow doesn't wait: Tbilisi talks, round {n}",
            "content": "\n\n".join(
                f"<!-- wp:paragraph --><p>{sentence}</p><!-- /wp:paragraph -->"
                for sentence in (
                    f"Round {n} of the talks between Georgia and Russia opened in Tbilisi "
                    "on Monday, and the delegations disagreed about the agenda at once.",
                    "Georgian officials said Moscow's proposals on Abkhazia were not new; "
                    "Russian diplomats answered that Tbilisi was not ready to listen.",
                    f"Observers expect round {n + 1} within a month.",
                )
            ),
            "date": (fall_back - timedelta(days=400 - n)).strftime("%Y-%m-%d %H:%M:%S"),
            "modified": list(bulk),
            "category": "Eurasia Daily Monitor",
        }
        for n in range(1, POSTS + 1)
    ]
    extra = [
        {"title": "About the Foundation", "content": "<p>Who we are.</p>", "type": "page"},
        {"title": "Unfinished draft about Baku", "content": "<p>Not yet.</p>", "status": "draft"},
    ]
    ids = site.seed([*posts, *extra])
    return SeededWordPress(
        site=site,
        posts=ids[:POSTS],
        bulk_modified=bulk,
        page="/about-the-foundation/",
        draft="Unfinished draft about Baku",
        fall_back=fall_back,
    )
