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
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from workers import __version__
from workers.cache import Cache
from workers.errors import TransientError
from workers.model import InputError
from workers.ratelimit import RateLimiter, open_rate_limiter
from workers.retry import parse_retry_after, retry_delay
from workers.robots import MAX_ROBOTS_BYTES, RobotsRules
from workers.settings import Settings
from workers.urls import URLError, canonical_url, check_allowed, host_of


class TransientFetchError(TransientError):
    """The fetch may succeed later (connection error, timeout, 429, 5xx): retry."""

    def __init__(self, url: str, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.retry_after_s = retry_after_s


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
    max_bytes: int = 5_000_000
    max_attempts: int = 4
    backoff_s: float = 1.0
    max_delay_s: float = 60.0
    max_redirects: int = 5
    concurrency: int = 4
    robots_ttl_s: int = 3600
    validators_ttl_s: int = 90 * 86400

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            user_agent=user_agent(settings.contact),
            allowed_hosts=settings.allowed_host_set,
            max_bytes=settings.max_page_bytes,
            max_attempts=settings.fetch_max_attempts,
            backoff_s=settings.fetch_backoff_s,
            max_delay_s=settings.fetch_max_delay_s,
            max_redirects=settings.max_redirects,
            concurrency=settings.fetch_concurrency,
            robots_ttl_s=settings.robots_ttl_s,
            validators_ttl_s=settings.validators_ttl_s,
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
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip("\"' ")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


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

    @classmethod
    def from_settings(cls, settings: Settings, *, cache: Cache) -> Fetcher:
        policy = FetchPolicy.from_settings(settings)
        client = httpx.Client(
            headers={"User-Agent": policy.user_agent},
            timeout=httpx.Timeout(settings.fetch_timeout_s),
            limits=httpx.Limits(max_connections=policy.concurrency * 2),
            follow_redirects=False,  # followed by hand: every hop is checked
        )
        return cls(client=client, cache=cache, limiter=open_rate_limiter(settings), policy=policy)

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, conditional: bool = True) -> FetchResult:
        """GET `url` politely. `conditional` sends the cached validators (304 possible)."""
        canonical = canonical_url(url)
        self._check_host(canonical, canonical)
        if not self.robots.allowed(canonical):
            raise PermanentFetchError(canonical, "disallowed by robots.txt")
        headers = self._validator_headers(canonical) if conditional else {}
        return self._get(canonical, headers=headers, max_bytes=self.policy.max_bytes)

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

    def _robots(self, where: str) -> str:
        try:
            result = self._get(where, headers={}, max_bytes=MAX_ROBOTS_BYTES)
        except PermanentFetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return ""  # no robots.txt: everything is allowed
            raise TransientFetchError(where, f"robots.txt unusable: {exc.reason}") from exc
        return result.text()

    def _get(self, url: str, *, headers: dict[str, str], max_bytes: int) -> FetchResult:
        current, hops, attempt = url, 0, 0
        while True:
            attempt += 1
            status: int | None = None
            retry_after: str | None = None
            try:
                response = self._send(current, headers=headers, max_bytes=max_bytes)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                status, body, resp_headers = response
                if status in (301, 302, 303, 307, 308) and "location" in resp_headers:
                    hops += 1
                    if hops > self.policy.max_redirects:
                        raise PermanentFetchError(
                            url, f"more than {self.policy.max_redirects} redirects", status=status
                        )
                    target = str(httpx.URL(current).join(resp_headers["location"]))
                    self._check_host(target, url)
                    current, attempt = canonical_url(target), 0
                    continue
                if status in (200, 304):
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
                retry_after = resp_headers.get("retry-after")
                reason = f"HTTP {status}"
            delay = retry_delay(
                attempt=attempt,
                status=status,
                retry_after=retry_after,
                max_attempts=self.policy.max_attempts,
                base_s=self.policy.backoff_s,
                max_delay_s=self.policy.max_delay_s,
            )
            if delay is None:
                if status is None or status in (408, 425, 429) or status >= 500:
                    raise TransientFetchError(
                        url,
                        f"{reason} after {attempt} attempt(s)",
                        retry_after_s=parse_retry_after(retry_after),
                    )
                raise PermanentFetchError(url, f"{reason} at {current}", status=status)
            time.sleep(delay)

    def _send(
        self, url: str, *, headers: dict[str, str], max_bytes: int
    ) -> tuple[int, bytes, httpx.Headers]:
        """One request, the body read only for a 200 and only up to `max_bytes`."""
        self.limiter.acquire(host_of(url))
        with self._slots, self.client.stream("GET", url, headers=headers) as response:
            if response.status_code != 200:
                return response.status_code, b"", response.headers
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise PermanentFetchError(
                    url, f"response is {int(declared):,} bytes, over the {max_bytes:,}-byte limit"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise PermanentFetchError(
                        url, f"response is over the {max_bytes:,}-byte limit (stopped reading)"
                    )
                chunks.append(chunk)
            return 200, b"".join(chunks), response.headers
