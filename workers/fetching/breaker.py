"""Block detection and the block circuit breaker: a host that keeps blocking us is paused.

Cloudflare in front of jamestown.org answers some requests with a block instead of the
page (`block_reason` reads the response as a whole):
- a managed/JS challenge: 403 or 503 with `cf-mitigated: challenge`, or a challenge
  page (`/cdn-cgi/challenge-platform/`, `cf-chl-`, "Just a moment...");
- a firewall block, "Error 1020 Access denied": a 403 from `server: cloudflare` with a
  `cf-ray` and *no* `cf-mitigated` header, its body an "Access denied | … used
  Cloudflare to restrict access" page with `<span class="cf-error-code">1020</span>`
  (cloudscraper issue #100, 2019) or only the text `error code: 1020`
  (cloudflare-scraper issue #27, 2021); the 2018-style captcha page ("Attention
  Required! | Cloudflare", `cf-captcha-container`) is the same 403 (cloudscraper
  issue #185: Cloudflare changes its pages, so the headers count, not one page);
- Cloudflare's other access errors in such a page: 1006/1007/1008 (IP or ASN
  banned), 1010 (browser signature banned), 1012 (access denied).
A 403 from Cloudflare's edge with a `cf-ray` is a block even when its body is unknown:
the origin is never asked, and a new block page must not become a permanent failure.
A 503 from the edge is a block only with a marker or code; else it is the site down.

A block is neither the page nor a permanent error: the item is retried later. But hammering a site
that has decided to block us only prolongs the block, so after `threshold` blocks in
a row the host is *paused* for `pause_s` (doubling with every further block, up to a
day): no request goes to it until then, source runs skip it and `monitor status` /
`monitor sources` say so. One successful response closes the breaker again.

The state lives in the cache (`block:<host>`), so every worker sees the same pause.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from workers.cache import Cache

MAX_PAUSE_S = 86400
# Cloudflare's error codes that mean "this client is refused" (developers.cloudflare.com,
# "Cloudflare 1xxx errors"): not the page, not the page's fault.
BLOCK_CODES = {
    1006: "access denied: IP banned",
    1007: "access denied: IP banned",
    1008: "access denied: IP banned",
    1010: "access denied: browser signature banned",
    1012: "access denied",
    1020: "access denied: firewall rule",
}
_CHALLENGE_MARKERS = (
    b"cf-chl-",
    b"challenge-platform",
    b"<title>just a moment...</title>",
    b"cf-captcha-container",
    b"attention required! | cloudflare",
    b"used cloudflare to restrict access",
)
_ERROR_CODE = re.compile(rb'cf-error-code">\s*(\d{4})\s*<|error code:\s*(\d{4})', re.IGNORECASE)
ADVICE = (
    "the site's bot protection is challenging our requests; wait for the pause to end, "
    "or set MONITOR_HTTP_PROXY to an egress the site accepts"
)


def block_reason(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """Why a response is a block by the site's bot protection rather than an answer, or
    None (module docstring). `body` is the start of the error page (enough for markers)."""
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("cf-mitigated", "").strip().lower() == "challenge":
        return f"blocked: HTTP {status} with cf-mitigated: challenge (Cloudflare)"
    if status not in (403, 429, 503):
        return None
    text = body.lower()
    found = _ERROR_CODE.search(text)
    code = int(found[1] or found[2]) if found else None
    if code in BLOCK_CODES:
        return f"blocked: HTTP {status}, Cloudflare error {code} ({BLOCK_CODES[code]})"
    if any(marker in text for marker in _CHALLENGE_MARKERS):
        return f"blocked: HTTP {status} challenge page (Cloudflare)"
    edge = lower.get("server", "").strip().lower().startswith("cloudflare") and "cf-ray" in lower
    if edge and status == 403:
        return f"blocked: HTTP 403 from Cloudflare's edge (cf-ray {lower['cf-ray']})"
    return None


@dataclass(frozen=True, slots=True)
class BlockState:
    host: str
    blocks: int  # challenges in a row
    reason: str
    last_at: str
    paused_until: str | None = None

    def pause_left_s(self, now: datetime | None = None) -> float:
        if self.paused_until is None:
            return 0.0
        until = datetime.fromisoformat(self.paused_until)
        return max(0.0, (until - (now or datetime.now(UTC))).total_seconds())

    def describe(self, now: datetime | None = None) -> str:
        if self.paused_until is not None and self.pause_left_s(now) > 0:
            return (
                f"PAUSED until {self.paused_until}: {self.blocks} blocks ({self.reason}); {ADVICE}"
            )
        return f"blocked {self.blocks} time(s) in a row ({self.reason})"


class BlockBreaker:
    def __init__(self, cache: Cache, *, threshold: int, pause_s: int) -> None:
        self.cache = cache
        self.threshold = threshold
        self.pause_s = pause_s

    def state(self, host: str) -> BlockState | None:
        value = self.cache.get(f"block:{host}")
        return None if value is None else BlockState(**json.loads(value))

    def blocked(self, host: str, reason: str, *, now: datetime | None = None) -> BlockState:
        """Record one challenge; returns the new state (paused once over the threshold)."""
        moment = now or datetime.now(UTC)
        previous = self.state(host)
        blocks = (previous.blocks if previous else 0) + 1
        paused_until = None
        if blocks >= self.threshold:
            pause = min(MAX_PAUSE_S, self.pause_s * 2 ** (blocks - self.threshold))
            paused_until = (moment + timedelta(seconds=pause)).isoformat(timespec="seconds")
        state = BlockState(host, blocks, reason, moment.isoformat(timespec="seconds"), paused_until)
        self.cache.set(f"block:{host}", json.dumps(asdict(state)), ttl_s=2 * MAX_PAUSE_S)
        return state

    def cleared(self, host: str) -> None:
        self.cache.delete(f"block:{host}")
