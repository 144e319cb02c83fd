"""Shared CLI pieces: the root group, error reporting and progress display.

User mistakes and unavailable services end in one line on stderr and a non-zero exit
code, never a traceback: exit 1 when some items failed, 2 for usage errors (a bad
setting, a missing file, a request the index refuses), 3 when a service (broker, Redis,
Elasticsearch, the embedded store) cannot be reached. Every command runs inside
`MonitorGroup.invoke`, which turns any exception into that line (`classify`); the
line goes through `redact_text`, so no password reaches the terminal.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click
import redis
from pydantic import ValidationError

from workers import __version__, logs
from workers.ingest import BatchReport
from workers.settings import Settings, describe_error, redact, redact_text
from workers.stores import search_terms
from workers.stores.base import StoreUnavailable

EXIT_ITEMS_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
# Skipped items listed one a line before the summary; the rest only in JSON.
MAX_SKIP_LINES = 20
F = TypeVar("F", bound=Callable[..., Any])


class MonitorGroup(click.Group):
    """The root group: whatever a command raises ends in one `monitor: error:` line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            message, code = classify(exc)
            fail(message, code)


def classify(exc: BaseException) -> tuple[str, int]:
    """The one line and exit code for an exception a command did not handle itself."""
    from elastic_transport import TransportError as EsTransportError
    from elasticsearch import ApiError
    from kombu.exceptions import OperationalError as BrokerError

    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, ValidationError):
        return describe_error(exc), EXIT_USAGE
    if isinstance(exc, StoreUnavailable):
        return f"store unavailable: {exc}", EXIT_UNAVAILABLE
    if isinstance(exc, BrokerError):
        return f"broker unavailable (MONITOR_BROKER_URL): {exc}", EXIT_UNAVAILABLE
    if isinstance(exc, redis.RedisError):
        return f"Redis unavailable (MONITOR_BROKER_URL/MONITOR_REDIS_URL): {exc}", EXIT_UNAVAILABLE
    if isinstance(exc, EsTransportError):
        return f"Elasticsearch unavailable (MONITOR_ELASTICSEARCH_URL): {detail}", EXIT_UNAVAILABLE
    if isinstance(exc, ApiError):
        code = EXIT_UNAVAILABLE if exc.status_code in (401, 403) or exc.status_code >= 500 else 2
        return f"Elasticsearch answered HTTP {exc.status_code}: {exc.message}", code
    if isinstance(exc, OSError) and exc.filename is not None:
        # A local file (missing, a directory, no permission, disk full): not a service.
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}", EXIT_USAGE
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return f"service unavailable: {detail}", EXIT_UNAVAILABLE
    if isinstance(exc, ValueError):
        return str(exc), EXIT_USAGE
    return f"unexpected {detail}", EXIT_ITEMS_FAILED


@click.group(
    cls=MonitorGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="monitor")
def main() -> None:
    """Ingest, enrich and search the Jamestown Foundation's Monitor publications.

    With no MONITOR_* services configured everything runs in this process against the
    embedded store in ./var; set MONITOR_BROKER_URL, MONITOR_REDIS_URL and
    MONITOR_ELASTICSEARCH_URL for the production mode (see README.md).
    """
    logs.protect_default_handler()


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    one_line = " ".join(redact_text(message).split())
    click.echo(f"monitor: error: {one_line}", err=True)
    sys.exit(code)


def warn(message: str) -> None:
    click.echo(f"monitor: {redact_text(message)}", err=True)


def handle_service_errors(func: F) -> F:
    """Let a reader leaving a pipe end the command quietly (every other error is
    `MonitorGroup`'s: one line, exit 2 or 3)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            # `monitor search ... | head`: the reader left; that is not an error.
            # Point stdout at /dev/null so the interpreter's final flush cannot fail too.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        return None

    return wrapper  # type: ignore[return-value]


def date_bound(value: str | None, flag: str, *, end: bool) -> str | None:
    """'2001' → 2001-01-01 (or 2001-12-31 as an upper bound); a bad date is one error line."""
    if value is None:
        return None
    try:
        return search_terms.date_bound(value, end=end)
    except ValueError as exc:
        fail(f"{flag} {value!r} {exc}")


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in order, in lists of at most `size`: the batches a task takes (a
    thousand items as one task would be one giant batch, past every time limit)."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def require_broker(settings: Settings) -> str:
    """The broker's URL as users may see it (redacted); one error line without one."""
    if settings.broker_url is None:
        fail("--async needs a broker: set MONITOR_BROKER_URL (or drop --async to run here)")
    return redact(settings.broker_url.get_secret_value())


def read_ids(lines: Iterable[str]) -> list[str]:
    """Article ids, one a line, blank lines skipped (`--ids FILE`, `-` for stdin)."""
    return [line.strip() for line in lines if line.strip()]


def print_report(report: BatchReport, fmt: str) -> None:
    """An ingest report: one line per failure, note and skipped item, then the counts
    and the skips per reason (or all as JSON)."""
    counts = report.counts
    if fmt == "json":
        echo_json(report.to_dict())
        return
    for failure in report.failures:
        warn(f"{failure.origin}: {failure.reason}")
    ingested = counts["created"] + counts["updated"]
    notes = Counter(note for item in report.items for note in item.notes)
    for note, times in notes.items():
        warn(f"note on {times} article(s): {note}")
    for item in report.skipped[:MAX_SKIP_LINES]:
        warn(f"{item.origin}: skipped: {item.reason}")
    if len(report.skipped) > MAX_SKIP_LINES:
        more = len(report.skipped) - MAX_SKIP_LINES
        warn(f"… and {more} more skipped (--format json lists them)")
    click.echo(
        f"ingested {ingested} (new {counts['created']}, updated {counts['updated']}), "
        f"unchanged {counts['unchanged']}, failed {counts['failed']}"
        + (f", with notes {sum(1 for i in report.items if i.notes)}" if notes else "")
    )
    if counts["skipped"]:
        click.echo(skip_summary(report.skip_reasons()))


def skip_summary(reasons: dict[str, int]) -> str:
    """`skipped 3: not an article (book), 1: no text`: what a run left out, and why."""
    parts = [f"{n}: {reason}" for reason, n in reasons.items()]
    return "skipped " + ", ".join(parts)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Human-readable table or machine-readable JSON.",
)


class Progress:
    """A progress bar with rate and ETA on a terminal; periodic plain lines otherwise."""

    def __init__(self, label: str, total: int, *, every_s: float = 5.0) -> None:
        self.label, self.total, self.done, self.every_s = label, total, 0, every_s
        self.started = self._last = time.monotonic()
        self._tty = sys.stderr.isatty()

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self._tty:
            self._draw(now)
        elif now - self._last >= self.every_s or self.done >= self.total:
            self._last = now
            click.echo(f"{self.label}: {self._status(now)}", err=True)

    def _status(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        return f"{self.done}/{self.total} ({rate:.1f}/s, ETA {eta:.0f}s)"

    def _draw(self, now: float) -> None:
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if self.done >= self.total else ""
        click.echo(f"\r{self.label} [{bar}] {self._status(now)}", err=True, nl=False)
        if end:
            click.echo("", err=True)
