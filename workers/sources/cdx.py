"""The Wayback Machine's CDX server: the query, its answers, and a walk over them.

`cdx_query` asks for the 200 HTML captures under a URL (`url=<site>/*`, a prefix
query), `output=json`, `fl=timestamp,original`, `collapse=urlkey` (one capture per
URL), `from`/`to`, in pages of `PAGE_ROWS` rows chained by the server's resumption
key (`showResumeKey=true`, then `resumeKey=`), as the wayback CDX server README
describes (internetarchive/wayback, wayback-cdx-server/README.md). `parse_cdx` reads
an answer, skipping rows that are not captures. `Walked` decides, answer by answer,
how a walk over date windows goes on (`workers.sources.wayback` drives it and keeps
the checkpoint).

Early ends. The CDX server stops reading its index after `queryMaxLimit` lines
(filtered-out lines included) and prints a resume key only when the *row* limit was
reached (CDXServer.java, `writeCdxResponse`): a prefix query whose filters drop most
lines can end short, without a key, exactly like a finished walk. So a walk is a list
of date windows (`from`/`to`), first the whole range asked. An answer short of
`PAGE_ROWS`, without a key, whose rows stop before the window's last year (or, for a
window of one past year, its last month) replaces its window by the window's years (or
months); a month is the narrowest window and is read as it answers. A resume key
already seen in a window (a server sending the same key again) narrows it the same
way, or ends a month with an error in the run's report instead of 50 identical
requests. The checkpoint keeps the windows left (and the first one's key): the walk
is finished, and only its newest capture kept, once every window is read. A CDX row
whose URL cannot be read (`http://[::1/x/`) is skipped and reported alone.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from workers.model import InputError

CDX_PATH = "/cdx/search/cdx"
PAGE_ROWS = 5000  # rows per CDX request: the server's own cap is 150,000
ARCHIVE_START_YEAR = 1996  # the Wayback Machine's first captures: a walk with no start
_TIMESTAMP = re.compile(r"^\d{14}$")


@dataclass(frozen=True, slots=True)
class Capture:
    """One archived copy of one URL: when (14 digits, UTC) and what was captured."""

    timestamp: str
    original: str

    def raw_url(self, base: str) -> str:
        """The capture as it was served, without the archive's toolbar (`id_`)."""
        return f"{base.rstrip('/')}/web/{self.timestamp}id_/{self.original}"

    @property
    def captured_at(self) -> str:
        moment = datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        return moment.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class CdxPage:
    captures: list[Capture]
    resume_key: str | None = None


def cdx_query(
    base: str,
    *,
    url: str,
    prefix: bool = True,
    from_: str | None = None,
    to: str | None = None,
    resume_key: str | None = None,
    limit: int = PAGE_ROWS,
) -> str:
    """The CDX request for 200 HTML captures of `url` (`url/*` when `prefix`)."""
    params: list[tuple[str, str]] = [
        ("url", f"{url.rstrip('/')}/*" if prefix else url),
        ("output", "json"),
        ("fl", "timestamp,original"),
        ("filter", "statuscode:200"),
        ("filter", "mimetype:text/html"),
    ]
    if prefix:
        params.append(("collapse", "urlkey"))
        params.append(("showResumeKey", "true"))
    params += [(k, v) for k, v in (("from", from_), ("to", to)) if v]
    params.append(("limit", str(limit)))
    if resume_key:
        params.append(("resumeKey", resume_key))
    return f"{base.rstrip('/')}{CDX_PATH}?{urlencode(params)}"


def parse_cdx(body: bytes) -> CdxPage:
    """A CDX JSON answer: a header row naming the fields, capture rows, and, when more
    rows remain, an empty row followed by `[resumeKey]`. No captures is `[]`.
    Rows that are not captures (a wrong length, a malformed timestamp) are skipped;
    an answer that is not this shape at all is an `InputError`."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"CDX answer is not JSON: {exc}") from exc
    except RecursionError as exc:  # `[[[[…` 100,000 deep: a broken or hostile answer
        raise InputError("CDX answer is nested too deeply to be CDX rows") from exc
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise InputError("CDX answer is not a list of rows")
    if not data:
        return CdxPage([])
    header = data[0]
    if "timestamp" not in header or "original" not in header:
        raise InputError(f"CDX answer has no timestamp/original columns: {header!r:.80}")
    at, orig = header.index("timestamp"), header.index("original")
    rows, resume = data[1:], None
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
        resume = rows[-1][0] if isinstance(rows[-1][0], str) and rows[-1][0] else None
        rows = rows[:-2]
    captures = [
        Capture(row[at], row[orig])
        for row in rows
        if len(row) == len(header)
        and _is_timestamp(row[at])
        and isinstance(row[orig], str)
        and row[orig]
    ]
    return CdxPage(captures, resume)


def parse_capture_url(url: str, base: str) -> Capture | None:
    """The capture a raw capture URL names, or None for any other URL."""
    prefix = f"{base.rstrip('/')}/web/"
    if not url.startswith(prefix):
        return None
    stamp, _, original = url[len(prefix) :].partition("id_/")
    return Capture(stamp, original) if _is_timestamp(stamp) and original else None


@dataclass(frozen=True, slots=True)
class Step:
    """What one CDX answer means for the walk: the resume key to send next in the same
    window, or the windows to put in its place (`[]`: it is done), and an error to report."""

    resume: str | None = None
    replace: list[tuple[str, str]] | None = None
    error: str | None = None


@dataclass(slots=True)
class Walked:
    """The walk of the current window so far: resume keys seen, its newest row."""

    keys: set[str] = dataclasses.field(default_factory=set)
    newest: str = ""

    def step(self, page: CdxPage, window: tuple[str, str], sent: str | None) -> Step:
        """The next step after `page`, the answer to `window` sent with key `sent`.

        A resume key already seen in this window (`sent` again, or an earlier one) would
        loop: the window is narrowed, or dropped with an error when it cannot be. An
        answer short of `PAGE_ROWS` without a key whose rows stop before the window's
        last year (or month) was cut by the server's scan limit (module docstring): the
        window is narrowed; a month still cut is reported and counted as done."""
        low, high = window
        self.newest = max([self.newest, *(c.timestamp for c in page.captures)])
        key = page.resume_key
        if key is not None and key != sent and key not in self.keys:
            self.keys.add(key)
            return Step(resume=key)
        where = f"{low}-{high}"
        if key is not None:
            reason = f"the CDX server sent the resume key {key!r:.80} again for {where}"
        elif (
            page.captures
            and len(page.captures) < PAGE_ROWS
            and _stops_early(self.newest, low, high)
        ):
            reason = (
                f"the CDX answer for {where} ended without a resume key at {self.newest}, "
                "before the end of the range (the server's scan limit)"
            )
        else:
            self._reset()
            return Step(replace=[])  # the window is done
        self._reset()
        parts = narrower(low, high)
        if parts is not None:
            return Step(replace=parts)
        return Step(replace=[], error=f"{reason}; it cannot be narrowed further")

    def _reset(self) -> None:
        self.keys.clear()
        self.newest = ""


def narrower(low: str, high: str) -> list[tuple[str, str]] | None:
    """The window `low`-`high` (CDX `from`/`to`: 4 to 14 digits, `to` a prefix) cut into
    its years, or, within one year, its months; None for a window of one month."""
    first, last = int(low[:4]), int(high[:4])
    if first < last:
        return [
            (low if year == first else f"{year:04d}", high if year == last else f"{year:04d}")
            for year in range(first, last + 1)
        ]
    start, end = int(low[4:6] or 1), int(high[4:6] or 12)
    if start >= end:
        return None
    return [
        (
            low if month == start and len(low) > 4 else f"{first:04d}{month:02d}",
            f"{first:04d}{month:02d}",
        )
        for month in range(start, end + 1)
    ]


def _stops_early(newest: str, low: str, high: str) -> bool:
    """Whether rows whose newest timestamp is `newest` stop before the window's last
    year (a window of years) or last month (a window within one past year; this year's
    captures are still coming in, so an incremental run's window is taken as it is)."""
    if low[:4] < high[:4]:
        return newest[:4] < high[:4]
    if high[:4] >= datetime.now(UTC).strftime("%Y"):
        return False
    return newest[:6] < (high[:6] if len(high) >= 6 else f"{high[:4]}12")


def _is_timestamp(value: object) -> bool:
    """14 digits that are a real time (a row with day 00 is not a capture we can name)."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return False
    try:
        datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


def cdx_url(url: str) -> str:
    """A site or page URL as the CDX server takes it: host and path, no scheme."""
    parts = urlsplit(url)
    path = parts.path if parts.path != "/" else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.netloc}{path}{query}"


def cdx_timestamp(iso: str) -> str:
    """An ISO time as the CDX server's 14 digits (`from=` takes 1 to 14)."""
    return re.sub(r"\D", "", iso)[:14]
