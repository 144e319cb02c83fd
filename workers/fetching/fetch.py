"""Polite HTTP fetching: one client per process, robots.txt, rate limits, retries.

Every request a source or an ingest batch makes goes through `Fetcher.get`, so the
politeness rules live in one place: the allowed-host check (redirects included),
robots.txt, the fleet-wide per-host token bucket, bounded concurrency, conditional
GET from cached validators, the retry policy (`workers.retry`) and a size limit
that stops reading instead of buffering a huge body.

Errors come in two kinds a caller must treat differently: `TransientFetchError`
(retry later: the site is slow, down or asking us to wait) and `PermanentFetchError`
(an `InputError`: 404/410, a refused redirect, too large, robots.txt says no;
retrying cannot help, so the item is reported and dead-lettered).

Validators are only *read* here. `save_validators` is called by the caller after the
response was processed and stored: saving them earlier would turn a failed write into
a 304 next time, and the article would never be indexed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from workers import __version__
from workers.cache import Cache
from workers.errors import TransientError
from workers.fetching.breaker import BlockBreaker, block_reason
from workers.fetching.deadline import deadline_transport, within
from workers.fetching.decode import (
    ACCEPT_ENCODING,
    DecodingError,
    decoded,
    encodings,
    html_text,
)
from workers.fetching.ratelimit import RateLimiter, open_rate_limiter
from workers.fetching.robots import MAX_ROBOTS_BYTES, RobotsRules
from workers.model import InputError
from workers.retry import is_transient_status, parse_retry_after, retry_delay
from workers.settings import Settings
from workers.urls import URLError, canonical_url, check_allowed, site_of


class TransientFetchError(TransientError):
    """The fetch may succeed later (connection error, timeout, 429, 5xx): retry."""

    def __init__(self, url: str, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.retry_after_s = retry_after_s


class BlockedFetchError(TransientFetchError):
    """The site's bot protection answered a challenge instead of the page.

    Not the page and not a permanent error: retried later with backoff, never
    dead-lettered for it (see `workers.fetching.breaker`)."""


class PermanentFetchError(InputError):
    """The fetch cannot succeed as asked (404/410, refused redirect, too large, robots)."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason
        self.status = status


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    user_agent: str
    allowed_hosts: frozenset[str]
    max_bytes: int = 5_000_000  # any response (a feed, a sitemap, a REST page)
    max_article_bytes: int = 2_000_000  # an article's page: what a file may be, too
    max_attempts: int = 4
    backoff_s: float = 1.0
    max_delay_s: float = 60.0
    max_redirects: int = 5
    concurrency: int = 4
    robots_ttl_s: int = 3600
    validators_ttl_s: int = 90 * 86400
    timeout_s: float = 20.0  # one connect or one read
    deadline_s: float = 60.0  # the whole request: connect, headers and every read
    block_threshold: int = 3
    block_pause_s: int = 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            user_agent=user_agent(settings.contact),
            allowed_hosts=settings.allowed_host_set,
            max_bytes=settings.max_page_bytes,
            max_article_bytes=settings.max_article_bytes,
            max_attempts=settings.fetch_max_attempts,
            backoff_s=settings.fetch_backoff_s,
            max_delay_s=settings.fetch_max_delay_s,
            max_redirects=settings.max_redirects,
            concurrency=settings.fetch_concurrency,
            robots_ttl_s=settings.robots_ttl_s,
            validators_ttl_s=settings.validators_ttl_s,
            timeout_s=settings.fetch_timeout_s,
            deadline_s=settings.fetch_deadline_s,
            block_threshold=settings.block_threshold,
            block_pause_s=settings.block_pause_s,
        )


def user_agent(contact: str) -> str:
    return f"MonitorIngest/{__version__} (Jamestown Monitor archive indexer; contact: {contact})"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One successful response (200 with a body, or 304 with none)."""

    url: str  # the canonical URL asked for: the identity, whatever redirects happened
    final_url: str
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    fetched_at: str
    attempts: int
    headers: dict[str, str]

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body as text, its encoding sniffed as the HTML standard says (BOM, header,
        `<meta>`, default): `workers.fetching.decode.html_text`."""
        return html_text(self.body, self.content_type)


class Fetcher:
    """The process's fetcher; thread-safe (one shared keep-alive `httpx.Client`)."""

    def __init__(
        self, *, client: httpx.Client, cache: Cache, limiter: RateLimiter, policy: FetchPolicy
    ) -> None:
        self.client = client
        self.cache = cache
        self.limiter = limiter
        self.policy = policy
        self._slots = threading.BoundedSemaphore(policy.concurrency)
        self.robots = RobotsRules(
            cache=cache, user_agent=policy.user_agent, ttl_s=policy.robots_ttl_s, load=self._robots
        )
        self.breaker = BlockBreaker(
            cache, threshold=policy.block_threshold, pause_s=policy.block_pause_s
        )
        # Hosts with a block on record: the next success clears it.
        self._blocked_hosts: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Settings, *, cache: Cache) -> Fetcher:
        policy = FetchPolicy.from_settings(settings)
        proxy = settings.http_proxy.get_secret_value() if settings.http_proxy else None
        client = httpx.Client(
            # Honest: our name and contact, never a browser's. We decode bodies
            # ourselves (workers.fetching.decode), so we ask only for what we can bound.
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(policy.timeout_s),
            # Every socket operation within the request's total deadline (headers too).
            transport=deadline_transport(
                limits=httpx.Limits(max_connections=policy.concurrency * 2), proxy=proxy
            ),
            follow_redirects=False,  # followed by hand: every hop is checked
            trust_env=False,  # the proxy is MONITOR_HTTP_PROXY, not whatever the env says
        )
        return cls(client=client, cache=cache, limiter=open_rate_limiter(settings), policy=policy)

    def close(self) -> None:
        self.client.close()

    def get(
        self, url: str, *, conditional: bool = True, exact: bool = False, article: bool = False
    ) -> FetchResult:
        """GET `url` politely. `conditional` sends the cached validators (304 possible);
        `exact` sends the URL as given (an archive capture URL holds another URL, which
        canonicalizing would mangle); `article`: the response is one article's page,
        held to the article limit (MONITOR_MAX_ARTICLE_BYTES) as well."""
        try:
            canonical = url if exact else canonical_url(url)
        except URLError as exc:  # a bad URL from a listing is that item's error
            raise PermanentFetchError(url, str(exc)) from exc
        self._check_host(canonical, canonical)
        self._check_paused(canonical)
        if not self.robots.allowed(canonical):
            raise PermanentFetchError(canonical, "disallowed by robots.txt")
        headers = self._validator_headers(canonical) if conditional else {}
        limit = self.policy.max_bytes
        if article:
            limit = min(limit, self.policy.max_article_bytes)
        return self._get(canonical, headers=headers, max_bytes=limit)

    def save_validators(self, result: FetchResult) -> None:
        """Remember ETag/Last-Modified so the next GET of this URL can be a 304."""
        if result.not_modified or not (result.etag or result.last_modified):
            return
        value = json.dumps({"etag": result.etag, "last_modified": result.last_modified})
        self.cache.set(f"http:{result.url}", value, ttl_s=self.policy.validators_ttl_s)

    def _validator_headers(self, url: str) -> dict[str, str]:
        cached = self.cache.get(f"http:{url}")
        if cached is None:
            return {}
        data = json.loads(cached)
        headers = {}
        if data.get("etag"):
            headers["If-None-Match"] = data["etag"]
        if data.get("last_modified"):
            headers["If-Modified-Since"] = data["last_modified"]
        return headers

    def _check_host(self, url: str, origin: str) -> None:
        try:
            check_allowed(url, self.policy.allowed_hosts)
        except URLError as exc:
            raise PermanentFetchError(origin, str(exc)) from exc

    def _check_paused(self, url: str) -> None:
        state = self.breaker.state(site_of(url))
        if state is None:
            return
        self._blocked_hosts.add(state.host)
        if state.pause_left_s() > 0:
            raise BlockedFetchError(url, state.describe(), retry_after_s=state.pause_left_s())

    def _robots(self, where: str) -> str:
        try:
            result = self._get(where, headers={}, max_bytes=MAX_ROBOTS_BYTES)
        except PermanentFetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return ""  # no robots.txt: everything is allowed
            raise TransientFetchError(where, f"robots.txt unusable: {exc.reason}") from exc
        return result.text()

    def _get(self, url: str, *, headers: dict[str, str], max_bytes: int) -> FetchResult:
        current, attempt, visited = url, 0, {url}
        while True:
            attempt += 1
            status: int | None = None
            retry_after: str | None = None
            blocked: str | None = None
            try:
                status, body, resp_headers = self._send(
                    current, headers=headers, max_bytes=max_bytes
                )
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if status in _REDIRECTS and "location" in resp_headers:
                    current, attempt = self._redirect(url, current, resp_headers, visited), 0
                    continue
                if status in (200, 304):
                    self._clear_block(site_of(current))
                    return FetchResult(
                        url=url,
                        final_url=current,
                        status=status,
                        body=body,
                        content_type=resp_headers.get("content-type", ""),
                        etag=resp_headers.get("etag"),
                        last_modified=resp_headers.get("last-modified"),
                        fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
                        attempts=attempt,
                        headers=dict(resp_headers.items()),
                    )
                blocked = block_reason(status, resp_headers, body)
                retry_after = resp_headers.get("retry-after")
                reason = blocked or f"HTTP {status}"
            if blocked is not None:
                self._record_block(current, blocked)
            delay = retry_delay(
                attempt=attempt,
                status=None if blocked else status,  # a challenge is retried like a timeout
                retry_after=retry_after,
                max_attempts=self.policy.max_attempts,
                base_s=self.policy.backoff_s,
                max_delay_s=self.policy.max_delay_s,
            )
            if delay is None:
                if blocked is not None:
                    state = self.breaker.state(site_of(current))
                    raise BlockedFetchError(
                        url,
                        state.describe() if state else blocked,
                        retry_after_s=state.pause_left_s() if state else None,
                    )
                if is_transient_status(status):
                    raise TransientFetchError(
                        url,
                        f"{reason} after {attempt} attempt(s)",
                        retry_after_s=parse_retry_after(retry_after),
                    )
                raise PermanentFetchError(url, f"{reason} at {current}", status=status)
            if blocked is not None:
                self._check_paused(current)  # paused meanwhile: stop now, not after the sleep
            time.sleep(delay)

    def _redirect(
        self, origin: str, current: str, headers: httpx.Headers, visited: set[str]
    ) -> str:
        """The next hop, checked: allowed host, no downgrade, no loop, not too many.

        The target is followed as the server spelled it (not canonicalized): a site
        that redirects the apex to `www.` would otherwise be sent back to the apex
        forever, since the canonical form maps `www.` to the apex."""
        target = str(httpx.URL(current).join(headers["location"]))
        self._check_host(target, origin)
        if current.startswith("https:") and not target.startswith("https:"):
            raise PermanentFetchError(origin, f"refused redirect from https to {target}")
        if target in visited:
            raise PermanentFetchError(origin, f"redirect loop at {target}")
        if len(visited) > self.policy.max_redirects:
            raise PermanentFetchError(origin, f"more than {self.policy.max_redirects} redirects")
        visited.add(target)
        return target

    def _record_block(self, url: str, reason: str) -> None:
        host = site_of(url)
        self._blocked_hosts.add(host)
        self.breaker.blocked(host, reason)

    def _clear_block(self, host: str) -> None:
        if host in self._blocked_hosts:
            self._blocked_hosts.discard(host)
            self.breaker.cleared(host)

    def _send(
        self, url: str, *, headers: dict[str, str], max_bytes: int
    ) -> tuple[int, bytes, httpx.Headers]:
        """One request within the policy's total deadline; the body read for a 200 (and
        the start of an error page, to recognize a challenge), decoded by us and
        counted as decoded, so a compression bomb stops at `max_bytes`."""
        self.limiter.acquire(site_of(url))
        deadline = time.monotonic() + self.policy.deadline_s
        timeout = httpx.Timeout(min(self.policy.timeout_s, self.policy.deadline_s))
        try:
            return self._exchange(url, headers, timeout, max_bytes, deadline)
        except httpx.TimeoutException as exc:
            if time.monotonic() < deadline - _CLOCK_SLACK_S:
                raise  # one slow read: retried here like any timeout
            # The whole request is over its time, headers included: as for a slow body.
            raise TransientFetchError(
                url, f"response not complete within the deadline ({type(exc).__name__})"
            ) from exc

    def _exchange(
        self,
        url: str,
        headers: dict[str, str],
        timeout: httpx.Timeout,
        max_bytes: int,
        deadline: float,
    ) -> tuple[int, bytes, httpx.Headers]:
        with (
            self._slots,
            within(deadline),
            self.client.stream("GET", url, headers=headers, timeout=timeout) as response,
        ):
            status = response.status_code
            if status != 200:
                limit = CHALLENGE_SNIFF_BYTES if status in CHALLENGE_STATUSES else 0
                return status, _read(response, url, limit, deadline, quiet=True), response.headers
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise PermanentFetchError(
                    url, f"response is {int(declared):,} bytes, over the {max_bytes:,}-byte limit"
                )
            return 200, _read(response, url, max_bytes, deadline), response.headers


_REDIRECTS = (301, 302, 303, 307, 308)
# A socket timeout may fire a little before the instant it was computed to end at.
_CLOCK_SLACK_S = 0.05
CHALLENGE_SNIFF_BYTES = 32_768
# The statuses a bot-challenge interstitial answers with (its body is sniffed for markers).
CHALLENGE_STATUSES = frozenset({403, 429, 503})


def _read(
    response: httpx.Response, url: str, limit: int, deadline: float, *, quiet: bool = False
) -> bytes:
    """Up to `limit` decoded bytes of the body; over it: an error (or, `quiet`, a cut)."""
    if limit <= 0:
        return b""
    chunks: list[bytes] = []
    size = 0
    try:
        codings = encodings(response.headers.get("content-encoding"))
        for chunk in decoded(_raw(response, url, deadline), codings):
            size += len(chunk)
            if size > limit:
                if quiet:
                    break
                raise PermanentFetchError(
                    url, f"response is over the {limit:,}-byte limit (stopped reading)"
                )
            chunks.append(chunk)
    except DecodingError as exc:
        if quiet:
            return b""
        raise PermanentFetchError(url, str(exc)) from exc
    return b"".join(chunks)


def _raw(response: httpx.Response, url: str, deadline: float) -> Iterator[bytes]:
    """The body as sent, cut at the deadline (a page that drips one byte a second)."""
    received = 0
    for chunk in response.iter_raw():
        received += len(chunk)
        if time.monotonic() > deadline:
            raise TransientFetchError(
                url, f"response not complete within the deadline ({received:,} bytes received)"
            )
        yield chunk
