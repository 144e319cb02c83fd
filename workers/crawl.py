"""Source runs and URL batches: discovery under a lock, fetch + dedupe + ingest.

`run_source` is what a beat tick does: under the source's lock (so overlapping ticks
or two beat processes cannot double-fetch), read the checkpoint, discover, hand the
new URLs to `submit` in batches, then save the checkpoint and a last-run record.
`ingest_urls` is what an ingest task does with one batch: fetch each URL (in
parallel, politely), skip what has not changed, and run the rest through
`workers.ingest.ingest_raw`. A batch item may also be a REST post that carries its
content (`workers.sources.base.Item`): it is indexed from the payload, no fetch.

Every item fails alone: whatever a fetch or an extraction raises (a corrupt body,
a hostile page that exhausts recursion, a bug) becomes that item's failure with
its reason; only transient fetch errors are handed back to be retried later.

Dedupe happens twice, cheaply first: a conditional GET answered 304 is "unchanged"
without reading a byte; a 200 whose extracted fields hash to what was indexed last
time is "unchanged" without parsing, enriching or writing. Validators and hashes are
saved only after the store accepted the article, so a failed write is refetched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from workers.cache import Cache, LockHeld
from workers.errors import is_transient
from workers.extract import html
from workers.fetching.fetch import (
    BlockedFetchError,
    Fetcher,
    FetchResult,
    PermanentFetchError,
    TransientFetchError,
)
from workers.ingest import BatchReport, ItemResult, ingest_raw
from workers.model import InputError, RawArticle
from workers.pipeline import DEFAULT_PIPELINE, Pipeline
from workers.settings import Settings
from workers.source_state import checkpoint_of, failure_cause, save_checkpoint, save_last_run
from workers.sources.base import Discovered, Discovery, Item, Source
from workers.sources.cdx import Capture
from workers.sources.config import SourceConfig
from workers.sources.feed import FeedSource
from workers.sources.identity import Known, PrintIndex, Resolution, resolve, textprint
from workers.sources.listing import ListingSource
from workers.sources.site import SiteSource
from workers.sources.sitemap import SitemapSource
from workers.sources.wayback import (
    CAPTURE_TTL_S,
    LIVE,
    Archive,
    WaybackSource,
    article_from_capture,
    articles_from_capture,
    fetched_key,
    indexed_key,
    is_old_article_page,
)
from workers.sources.wordpress import WordPressSource, article_from_rest
from workers.stores.base import Store
from workers.urls import URLError, canonical_url

log = logging.getLogger(__name__)
# What an article page may be served as (an unlabelled body is tried as HTML).
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# A REST walk hands its posts on every this many batches while it goes on, instead of
# holding them all (each carries its content) until the walk ends.
STREAM_BATCHES = 10


@dataclass(frozen=True, slots=True)
class SourceRun:
    """The record of one run, kept in the cache as the source's 'last run'."""

    source: str
    started_at: str
    finished_at: str
    discovered: int
    batches: int
    checkpoint: str | None
    requests: int
    errors: list[tuple[str, str]] = field(default_factory=list)
    locked: bool = False
    via: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)  # entries left out, per reason
    status: str = "succeeded"  # or "failed": `run_status`

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def cause(self) -> str | None:
        """Why a failed run failed (`failure_cause`); None for a run that did not."""
        return failure_cause(self.errors) if self.status == "failed" else None


def run_status(found: Discovery) -> str:
    """`failed` when the run's requests all failed (no answer, nothing found, an
    error: the site's DNS is down, the host refuses): such a run is not a quiet tick
    and must not read as one. Anything answered is `succeeded`, errors or not."""
    if found.errors and not found.items and found.requests == 0:
        return "failed"
    return "succeeded"


def build_source(
    config: SourceConfig,
    *,
    fetcher: Fetcher,
    cache: Cache,
    settings: Settings,
    archive: Archive | None = None,
) -> Source:
    """The source `config` describes; a `wayback` source reads through `archive` (one
    is made from the settings when not given)."""
    if config.kind == "wayback":
        archive = archive or Archive.from_settings(settings, cache=cache)
        return WaybackSource(config, archive=archive, cache=cache)
    pages, seconds = settings.rest_max_pages, settings.discovery_max_s
    if config.kind == "site":
        return SiteSource(config, fetcher=fetcher, max_pages=pages, max_s=seconds)
    if config.kind == "feed":
        return FeedSource(config, fetcher=fetcher)
    if config.kind == "wordpress":
        return WordPressSource(config, fetcher=fetcher, max_pages=pages, max_s=seconds)
    if config.kind == "sitemap":
        return SitemapSource(config, fetcher=fetcher)
    return ListingSource(
        config,
        fetcher=fetcher,
        is_known=partial(is_known, cache),
        max_pages=settings.listing_max_pages,
    )


def is_known(cache: Cache, url: str) -> bool:
    """Indexed before, or already handed to an ingest batch by a source run."""
    return cache.get(f"seen:{url}") is not None or cache.get(f"queued:{url}") is not None


def run_source(
    source: Source,
    *,
    cache: Cache,
    submit: Callable[[list[list[Item]]], None],
    batch_size: int,
    backfill: bool = False,
    lock_ttl_s: int = 1800,
    ttl_s: int = 90 * 86400,
) -> SourceRun:
    """Discover and submit one source's new items; a run already in progress wins.

    `submit` receives batches (enqueue them, or ingest them in-process): a REST walk's
    every `STREAM_BATCHES` batches as it goes, the rest at its end. Returns a run with
    `locked=True` (and nothing done) when another holder has the lock. The checkpoint
    is saved only after the last `submit` returned.
    """
    started = _now()
    handed = [0, 0]  # items, batches

    def hand_on(found: list[Discovered]) -> None:
        items = [item.item for item in found]
        batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
        if batches:
            submit(batches)
        for item in found:
            cache.set(f"queued:{item.url}", "1", ttl_s=ttl_s)
        handed[0] += len(found)
        handed[1] += len(batches)

    if isinstance(source, WordPressSource | SiteSource):  # `Discovery.sink`
        source.sink, source.stream_size = hand_on, batch_size * STREAM_BATCHES
    try:
        with cache.lock(f"source:{source.name}", ttl_s=lock_ttl_s):
            since = checkpoint_of(cache, source.name)
            found = source.discover(since=None if backfill else since, backfill=backfill)
            hand_on(found.items)
            for done in found.on_submitted:
                done()
            if found.checkpoint is not None:
                save_checkpoint(cache, source.name, found.checkpoint)
            run = SourceRun(
                source=source.name,
                started_at=started,
                finished_at=_now(),
                discovered=handed[0],
                batches=handed[1],
                checkpoint=found.checkpoint or since,
                requests=found.requests,
                errors=found.errors,
                via=found.via,
                skipped=dict(found.skipped.most_common()),
                status=run_status(found),
            )
            save_last_run(cache, source.name, run.to_dict())
            if run.status == "failed":
                log.warning(
                    "source %s failed: every request failed: %s",
                    source.name,
                    run.cause,
                    extra={"source": source.name, "stage": "discover"},
                )
            return run
    except LockHeld:
        return SourceRun(source.name, started, _now(), 0, 0, None, 0, locked=True)


@dataclass(slots=True)
class UrlBatch:
    """The outcome of one batch: per-item report, plus items worth retrying later.

    `retry` holds what failed transiently (site down, asked us to wait), `blocked` the
    subset refused by the site's bot protection, with `reasons` per URL."""

    report: BatchReport
    retry: list[Item] = field(default_factory=list)
    retry_after_s: float | None = None
    blocked: list[Item] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    archived: list[str] = field(default_factory=list)  # blocked, served from a capture
    identity: list[str] = field(default_factory=list)  # captures matched or refused by text


def item_url(item: Item) -> str:
    """The URL an item is reported under (a REST post's canonical link)."""
    if isinstance(item, str):
        return item
    link = item.get("link")
    try:
        return canonical_url(link) if isinstance(link, str) else f"post {item.get('id')}"
    except URLError:
        return str(link)


def ingest_urls(
    items: Sequence[Item],
    *,
    fetcher: Fetcher,
    cache: Cache,
    store: Store,
    ttl_s: int,
    archive: Archive | None = None,
    pipeline: Pipeline = DEFAULT_PIPELINE,
) -> UrlBatch:
    """Fetch, dedupe and ingest a batch of article URLs, REST posts and (with `archive`)
    archive captures (module docstring; captures: `workers.sources.wayback`).

    `cache` keeps what the fetch remembers (validators, content hashes, captures read)
    for `ttl_s`; what `pipeline` caches is its own business (in a worker, the same
    cache with the enrichment TTL)."""
    # One id written twice in one bulk write is a bug: one item per URL.
    by_url = {item_url(item): item for item in items}
    captures = _captures(by_url, archive)
    urls = [url for url, item in by_url.items() if isinstance(item, str) and url not in captures]
    with ThreadPoolExecutor(max_workers=fetcher.policy.concurrency) as pool:
        fetched = dict(zip(urls, pool.map(partial(_fetch, fetcher), urls), strict=True))
    batch = UrlBatch(BatchReport())
    for url in captures:  # one at a time, at the archive's own pace
        assert archive is not None
        if cache.get(fetched_key(url)):
            batch.report.items.append(ItemResult(url, "unchanged"))  # captures never change
        else:
            fetched[url] = _fetch(archive.fetcher, url, exact=True)
    loads: list[tuple[str, Callable[[], RawArticle]]] = []
    fresh: dict[str, _Fresh] = {}
    extracted: list[tuple[str, RawArticle]] = []  # captures read, identities to settle
    live: dict[str, RawArticle] = {}  # live pages and posts read
    for url, item in by_url.items():
        if url in captures and url not in fetched:
            continue
        outcome = fetched.get(url) if isinstance(item, str) else None
        if isinstance(outcome, TransientFetchError):
            batch.retry.append(item)
            batch.reasons[url] = outcome.reason
            if isinstance(outcome, BlockedFetchError):
                batch.blocked.append(item)
                served = _fallback(url, archive, cache) if archive is not None else None
                if served is not None:  # indexed from the archive; the live text later
                    fresh[url] = _Fresh(None, f"archive:{extracted_digest(served)}", "archive")
                    loads.append((url, partial(_value, served)))
                    batch.archived.append(url)
            if outcome.retry_after_s is not None:
                batch.retry_after_s = max(batch.retry_after_s or 0.0, outcome.retry_after_s)
            continue
        if isinstance(outcome, Exception):
            loads.append((url, partial(_raise, outcome)))
            continue
        if outcome is not None and outcome.not_modified:
            batch.report.items.append(ItemResult(url, "unchanged"))
            continue
        capture = captures.get(url)
        try:
            if capture is not None and archive is not None:  # identities settled below
                extracted += _capture_items(url, outcome, capture=capture, archive=archive)
                continue
            raw = _extract(item, outcome, max_bytes=fetcher.policy.max_article_bytes)
        except Exception as exc:  # any failure here is this item's alone
            loads.append((url, partial(_raise, _permanent(exc))))
            continue
        digest = extracted_digest(raw)
        if cache.get(f"seen:{url}") == digest:
            if outcome is not None:
                fetcher.save_validators(outcome)
            batch.report.items.append(ItemResult(url, "unchanged"))
            continue
        fresh[url] = _Fresh(outcome, digest, "live", raw.url or url)
        loads.append((url, partial(_value, raw)))
        live[url] = raw
    prints = PrintIndex(cache)
    resolution = _identify(extracted, prints, batch)
    for url, raw in extracted:
        kept = resolution.duplicates.get(url)
        if kept is not None or cache.get(indexed_key(raw.url or url)) == "live":
            cache.set(fetched_key(url), "1", ttl_s=CAPTURE_TTL_S)
            reason = f"the same article as {kept}" if kept else None  # else live text stays
            batch.report.items.append(ItemResult(url, "unchanged", reason=reason))
            continue
        fresh[url] = _Fresh(None, extracted_digest(raw), "capture", raw.url or url)
        loads.append((url, partial(_value, raw)))
    report = ingest_raw(loads, store=store, pipeline=pipeline)
    raws = dict(extracted)
    for done in report.items:
        if done.origin in captures:  # read (or refused for good): never fetched again
            cache.set(fetched_key(done.origin), "1", ttl_s=CAPTURE_TTL_S)
        if done.status != "failed" and done.origin in fresh:
            _remember(fresh[done.origin], done.origin, fetcher=fetcher, cache=cache, ttl_s=ttl_s)
            if done.origin in raws:  # its print, for the captures and pages still to come
                known = Known(
                    raws[done.origin].url or done.origin,
                    resolution.old.get(done.origin, False),
                    resolution.prints[done.origin],
                    done.id,
                )
                prints.remember(known)
                _supersede(resolution.superseded.get(done.origin), prints=prints, store=store)
            elif archive is not None and done.origin in live:  # a capture may match it later
                raw = live[done.origin]
                prints.remember(Known(raw.url or done.origin, False, textprint(raw.text), done.id))
    batch.report.extend(report)
    return batch


def _identify(
    extracted: list[tuple[str, RawArticle]], prints: PrintIndex, batch: UrlBatch
) -> Resolution:
    """The batch's captures under their articles' identities, matched by text
    (`workers.sources.identity`); `extracted` is rewritten in place, every match made
    and near match refused is logged and kept in `batch.identity`."""
    resolution = resolve(
        [(url, raw.url or url, _old_identity(url), textprint(raw.text)) for url, raw in extracted],
        prints,
    )
    extracted[:] = [
        (url, dataclasses.replace(raw, url=resolution.urls.get(url, raw.url)))
        for url, raw in extracted
    ]
    for note in resolution.notes:
        log.info("identity: %s", note)
    batch.identity.extend(resolution.notes)
    return resolution


def _old_identity(capture_url: str) -> bool:
    """Whether a capture's identity so far is an old page's guess (not a WordPress URL)."""
    return is_old_article_page(capture_url.partition("id_/")[2])


def _supersede(known: Known | None, *, prints: PrintIndex, store: Store) -> None:
    """Delete the document indexed under an old page's guessed identity whose article a
    WordPress capture, now written, brought under its own URL."""
    if known is None:
        return
    if known.doc_id:
        store.delete([known.doc_id])
    prints.forget(known.url)
    log.info("identity: %s (document %s) replaced by its WordPress URL", known.url, known.doc_id)


@dataclass(frozen=True, slots=True)
class _Fresh:
    """An item on its way to the store, and what to remember once it is stored."""

    result: FetchResult | None
    digest: str
    # "live": a live page or REST post; "archive": a blocked live URL served from its
    # capture; "capture": a capture found by a wayback source.
    kind: str
    identity: str | None = None  # the article's URL, when not the item's own


def _remember(fresh: _Fresh, url: str, *, fetcher: Fetcher, cache: Cache, ttl_s: int) -> None:
    """After the store accepted an item: validators, content hash, where its text is from.
    A fallback's hash is marked `archive:`, so the live page, once it answers, never
    looks unchanged and replaces it."""
    if fresh.result is not None:
        fetcher.save_validators(fresh.result)
    if fresh.kind != "capture":
        cache.set(f"seen:{url}", fresh.digest, ttl_s=ttl_s)
    key = indexed_key(fresh.identity or url)
    if fresh.kind == "live":
        cache.set(key, "live", ttl_s=CAPTURE_TTL_S)
        cache.delete(f"blocked-since:{url}")
    elif cache.get(key) != "live":
        cache.set(key, "archive", ttl_s=CAPTURE_TTL_S)


def _captures(by_url: Mapping[str, Item], archive: Archive | None) -> dict[str, Capture]:
    """The batch's archive captures, by URL (none without an archive)."""
    found: dict[str, Capture] = {}
    for url, item in by_url.items():
        capture = archive.capture_of(url) if archive and isinstance(item, str) else None
        if capture is not None:
            found[url] = capture
    return found


def _fallback(url: str, archive: Archive, cache: Cache) -> RawArticle | None:
    """The newest capture of a live URL blocked for longer than the fallback wait, read
    as that URL's article and flagged; None when not due yet, when the article has live
    text already, when there is no capture, or when that capture was read already."""
    if cache.get(indexed_key(url)) == "live":
        return None  # an older capture never replaces the live text indexed before
    now = datetime.now(UTC)
    since = cache.get(f"blocked-since:{url}")
    if since is None:
        since = now.isoformat(timespec="seconds")
        cache.set(f"blocked-since:{url}", since, ttl_s=CAPTURE_TTL_S)
    if (now - datetime.fromisoformat(since)).total_seconds() < archive.fallback_after_s:
        return None
    try:
        capture = _newest(url, archive, cache)
        where = capture.raw_url(archive.base) if capture else None
        if capture is None or where is None or cache.get(fetched_key(where)):
            return None
        result = archive.fetcher.get(where, conditional=False, exact=True, article=True)
        cache.set(fetched_key(where), "1", ttl_s=CAPTURE_TTL_S)
        page = result.text()
        html.check_parsable(page)
        raw = article_from_capture(page, capture, base=archive.base)
    except Exception:  # nothing to serve: the item waits for the live site, as before
        return None
    return dataclasses.replace(raw, url=url, origin=url, fetched_at=result.fetched_at)


def _newest(url: str, archive: Archive, cache: Cache) -> Capture | None:
    """The newest capture of `url`, looked up at most once a day."""
    key = f"wayback-newest:{url}"
    known = cache.get(key)
    if known is not None:
        data = json.loads(known)
        return Capture(**data) if data else None
    capture = archive.newest(url)
    value = json.dumps(dataclasses.asdict(capture) if capture else None)
    cache.set(key, value, ttl_s=86400)
    return capture


def extracted_digest(raw: RawArticle) -> str:
    """What was extracted, fetch time aside: a corrected title or byline is a change
    even when the body is not (the body alone is `raw.text` since extraction fills the
    fields directly)."""
    fields = raw.to_dict()
    fields.pop("fetched_at", None)
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()


def _extract(item: Item, result: FetchResult | None, *, max_bytes: int) -> RawArticle:
    if isinstance(item, Mapping):
        _check_post_size(item, max_bytes)
        return dataclasses.replace(article_from_rest(item, fetched_at=_now()), fetched_from=LIVE)
    assert result is not None
    _check_html(result)
    # The page's own address is its identity: an old slug redirecting to the new one
    # must not index the article twice under two ids (and `www.` is the apex).
    raw = html.article_from_html(
        result.text(), url=canonical_url(result.final_url), fetched_at=result.fetched_at
    )
    return dataclasses.replace(raw, fetched_from=LIVE)


def _capture_items(
    url: str, result: FetchResult | Exception | None, *, capture: Capture, archive: Archive
) -> list[tuple[str, RawArticle]]:
    """A capture's articles by origin: the capture URL, and `#item-N` for the further
    items of a daily issue page (`wayback.articles_from_capture`)."""
    if isinstance(result, Exception) or result is None:
        raise result or InputError("capture not fetched")
    _check_html(result)
    page = result.text()
    html.check_parsable(page)  # a capture is parsed whole first (`article_region`)
    raws = articles_from_capture(page, capture, base=archive.base, fetched_at=result.fetched_at)
    return [(url if n == 0 else f"{url}#item-{n + 1}", raw) for n, raw in enumerate(raws)]


def _check_html(result: FetchResult) -> None:
    kind = result.content_type.split(";")[0].strip().lower()
    if kind and kind not in HTML_TYPES:
        raise InputError(f"not an HTML page ({kind})")


def _check_post_size(post: Mapping[str, Any], max_bytes: int) -> None:
    """A REST post's content is held to the article limit, as a fetched page is."""
    content = post.get("content")
    rendered = content.get("rendered") if isinstance(content, Mapping) else None
    size = len(rendered.encode("utf-8", "replace")) if isinstance(rendered, str) else 0
    if size > max_bytes:
        raise InputError(
            f"REST post content is {size:,} bytes, over the {max_bytes:,}-byte article "
            "limit (MONITOR_MAX_ARTICLE_BYTES)"
        )


def _fetch(fetcher: Fetcher, url: str, *, exact: bool = False) -> FetchResult | Exception:
    try:
        return fetcher.get(url, conditional=not exact, exact=exact, article=True)
    except (PermanentFetchError, InputError, TransientFetchError) as exc:
        return exc
    except Exception as exc:  # an error we do not map (say httpx's): fails alone
        return _permanent(exc) if not is_transient(exc) else TransientFetchError(url, str(exc))


def _permanent(exc: Exception) -> Exception:
    """`exc` as a permanent item failure (never a reason to retry the whole batch)."""
    if is_transient(exc):
        return InputError(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, RecursionError):
        return InputError("page nested too deeply to read (RecursionError)")
    return exc


def _raise(exc: Exception) -> RawArticle:
    raise exc


def _value(raw: RawArticle) -> RawArticle:
    return raw


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
