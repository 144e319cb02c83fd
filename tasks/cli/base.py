"""Shared CLI pieces: the root group, error reporting and progress display.

User mistakes and unavailable services end in one line on stderr and a non-zero exit
code, never a traceback: exit 1 when some items failed, 2 for usage errors (a bad
setting, a missing file, a request the index refuses), 3 when a service (broker, Redis,
Elasticsearch, the embedded store) cannot be reached, 141 (silently) when the reader
of the output left. Every command runs inside `MonitorGroup.invoke`, which turns any
exception into that line (`classify`), and `MonitorGroup.main` does the same for
Click's own usage errors; the line goes through `redact_text`, so no password reaches
the terminal.

`classify` switches on the project's error family only (`workers.errors`: usage,
transient, permanent) and on Python's own OS errors; it never names a backend
library's exception (the stores translate theirs, `workers.errors.translate` the
rest). An exception outside the family, a bare `ValueError` included, is a bug and
says so ("internal error", exit 1): never dressed up as the user's mistake.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from workers import __version__
from workers.errors import (
    PermanentError,
    ServiceUnavailable,
    TransientError,
    UsageError,
    translate,
)

if TYPE_CHECKING:
    from workers.ingest import BatchReport
    from workers.runtime import Runtime
    from workers.settings import Settings

EXIT_ITEMS_FAILED = 1
# An exception outside the project's error family: a bug. The same status as before
# the family existed (README: "internal error"), so scripts that test for 1 still do.
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
# Skipped items listed one a line before the summary; the rest only in JSON.
MAX_SKIP_LINES = 20
EXIT_PIPE_CLOSED = 128 + 13  # 128 + SIGPIPE, as a shell reports a tool the pipe stopped


class MonitorGroup(click.Group):
    """The root group: whatever a command raises ends in one `monitor: error:` line,
    Click's own usage errors included, and a reader leaving the pipe ends it quietly."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's `main` without its standalone error printing (three lines: usage,
        a hint, "Error: …"), which README's one-line promise replaces."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()  # bare `monitor` or `monitor dlq`: the help, as Click prints it
            sys.exit(EXIT_USAGE)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "monitor"
            fail(f"{exc.format_message().rstrip('.')} (see '{where} --help')", EXIT_USAGE)
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            click.echo("monitor: aborted", err=True)
            sys.exit(EXIT_ITEMS_FAILED)
        except BrokenPipeError:
            reader_left()
        # Standalone, `--help`/`--version` come back as their exit code; a command's
        # own return value (always None here) means success.
        sys.exit(result if isinstance(result, int) else 0)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """`monitor --help | head -1`: the root's help and version are printed while
        its options are parsed, where Click would end a closed pipe with exit 1."""
        try:
            return super().parse_args(ctx, args)
        except BrokenPipeError:
            reader_left()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            reader_left()
        except Exception as exc:
            message, code = classify(exc)
            fail(message, code)


def reader_left() -> NoReturn:
    """`monitor enrich samples/ | head -1`: the reader closed the pipe. Not an outage and
    not worth a line: end quietly with the status a shell reports for a Unix tool the
    closed pipe stopped (128 + SIGPIPE = 141, as for `yes | head -1`). Stdout goes to
    /dev/null first, so the interpreter's final flush cannot fail a second time."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_PIPE_CLOSED)


def classify(exc: BaseException) -> tuple[str, int]:
    """The one line and exit code for an exception a command did not handle itself.

    Only the project's own types and Python's OS errors are told apart (module
    docstring); `translate` first turns a client library's error that reached here
    (Redis, the broker, a settings object) into one of them."""
    from workers.stores.base import StoreRefused, StoreUnavailable  # on the error path only

    exc = translate(exc)
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, UsageError):
        return str(exc), EXIT_USAGE
    if isinstance(exc, TransientError):
        if isinstance(exc, ServiceUnavailable):
            return str(exc), EXIT_UNAVAILABLE
        if isinstance(exc, StoreUnavailable):
            return f"store unavailable: {exc}", EXIT_UNAVAILABLE
        return f"service unavailable: {detail}", EXIT_UNAVAILABLE
    if isinstance(exc, PermanentError):
        # A request the store refused for good is exit 2, unless the cluster itself
        # failed (an HTTP 5xx that is not an overload): a service problem, exit 3.
        failed = isinstance(exc, StoreRefused) and exc.status >= 500
        return str(exc), EXIT_UNAVAILABLE if failed else EXIT_USAGE
    if isinstance(exc, OSError) and exc.filename is not None:
        # A local file (missing, a directory, no permission, disk full): not a service.
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}", EXIT_USAGE
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return f"service unavailable: {detail}", EXIT_UNAVAILABLE
    # Outside the family: a bug (a bare ValueError too), not the user's mistake.
    return f"internal error (a bug, not your input; please report it): {detail}", EXIT_INTERNAL


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
    from workers import logs

    logs.protect_default_handler()


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    from workers.settings import redact_text

    one_line = " ".join(redact_text(message).split())
    click.echo(f"monitor: error: {one_line}", err=True)
    sys.exit(code)


def warn(message: str) -> None:
    from workers.settings import redact_text

    click.echo(f"monitor: {redact_text(message)}", err=True)


def date_bound(value: str | None, flag: str, *, end: bool) -> str | None:
    """'2001' → 2001-01-01 (or 2001-12-31 as an upper bound); a bad date is one error line."""
    if value is None:
        return None
    from workers.stores import search_terms  # here: the gazetteer is no start-up cost

    try:
        return search_terms.date_bound(value, end=end)
    except search_terms.BadDate as exc:
        fail(f"{flag} {value!r} {exc}")


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in order, in lists of at most `size`: the batches a task takes (a
    thousand items as one task would be one giant batch, past every time limit)."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def require_broker(settings: Settings) -> str:
    """The broker's URL as users may see it (redacted); one error line without one."""
    from workers.settings import redact

    if settings.broker_url is None:
        fail("--async needs a broker: set MONITOR_BROKER_URL (or drop --async to run here)")
    return redact(settings.broker_url.get_secret_value())


def open_runtime(**given: Any) -> Runtime:
    """This command's parts (store, cache, pipeline, fetcher, archive, dead letters),
    each built from the settings when the command first asks for it. Use it in a
    `with` block, which closes what it opened; `given` as `Runtime` takes it."""
    from workers.runtime import Runtime
    from workers.settings import get_settings

    return Runtime.from_settings(get_settings(), **given)


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


def issue_label(volume: int | None, issue: int | None) -> str:
    """ " vol 7 issue 14", " vol 7" or nothing: a JSON input or a fetched page often has
    no volume or issue, and "vol None issue None" reads as a bug."""
    parts = (f"vol {volume}" if volume is not None else "", f"issue {issue}" if issue else "")
    shown = " ".join(p for p in parts if p)
    return f" {shown}" if shown else ""


def aligned(rows: Sequence[Sequence[str]], *, right: Collection[int] = ()) -> list[str]:
    """Rows as text lines whose columns line up: each as wide as its longest cell (a
    long source or setting name widens its column instead of shifting the rest), the
    `right` ones right-aligned; two spaces between columns, no trailing blanks."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    return [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


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
