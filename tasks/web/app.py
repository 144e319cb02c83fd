"""The read-only web app: Starlette routes over one `Store`, pages from Jinja2.

Bounded by construction: GET (and HEAD) only, so nothing can write; parameters are
checked by `forms` (query length, page size, how deep pages go); every store call
runs in one dedicated thread that owns the store (SQLite connections belong to the
thread that opened them) and is abandoned with a 503 page after the request
timeout. A bad parameter is a 400 page saying what is wrong, a missing article a
404, an unreachable store a 503: never a traceback. Host headers are checked, so a
page elsewhere cannot reach the local server under its own name (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any, TypeVar

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasks import export
from tasks.web import views
from tasks.web.forms import EXPORT_ROWS, MAX_QUERY_CHARS, BadRequest, SearchForm, parse_form
from workers.errors import MonitorError, PermanentError, TransientError, UsageError, translate
from workers.settings import redact_text
from workers.stores import search_terms
from workers.stores.base import Store, StoreRefused, StoreUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
# No script may run, whatever a page holds: escaping is the first guard, this the second.
HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


class StoreThread:
    """One thread that opens the store on first use and runs every call on it."""

    def __init__(self, opener: Callable[[], Store], *, timeout_s: float) -> None:
        self._opener = opener
        self._store: Store | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitor-web-store")
        self.timeout_s = timeout_s

    def _call(self, work: Callable[[Store], T]) -> T:
        if self._store is None:
            self._store = self._opener()
        try:
            return work(self._store)
        except StoreUnavailable:
            self._close()  # opened again by the next request
            raise

    def _close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()

    async def run(self, work: Callable[[Store], T]) -> T:
        """`work(store)` in the store's thread; TimeoutError after `timeout_s`."""
        future = asyncio.wrap_future(self._pool.submit(self._call, work))
        return await asyncio.wait_for(future, self.timeout_s)

    def warm(self) -> None:
        """Load the gazetteer (every search reads it) before the first request, in
        the store thread, so that request is not the one that waits for it."""
        self._pool.submit(search_terms.query_clauses, "Moscow")

    def close(self) -> None:
        """Close the store once the call under way ends (bounded: a stuck call is
        left to the store's own timeouts, and the process exits anyway)."""
        closing = self._pool.submit(self._close)
        self._pool.shutdown(wait=False)
        try:
            closing.result(timeout=self.timeout_s)
        except TimeoutError:
            log.warning("the store was still busy at shutdown; left open")


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tasks.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["article_url"] = views.article_url
    env.globals["max_query_chars"] = MAX_QUERY_CHARS
    env.globals["export_rows"] = EXPORT_ROWS
    return env


class SecurityHeaders:
    """Adds HEADERS to every response, error pages included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    opener: Callable[[], Store],
    *,
    timeout_s: float = 10.0,
    allowed_hosts: Sequence[str] = LOCAL_HOSTS,
) -> Starlette:
    """The app over the store `opener()` gives (opened on the first request, in the
    store thread). `allowed_hosts`: the Host names the page answers to ("*": any)."""
    store = StoreThread(opener, timeout_s=timeout_s)
    templates = _templates()
    style = resources.files("tasks.web").joinpath("templates/style.css").read_bytes()

    def page(name: str, code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=code)

    def timed(response: Response, started: tuple[float, float]) -> Response:
        """Server time, readable in a browser's network panel and by the bench: `app`
        is the wall time of the request, `cpu` the process's CPU time meanwhile (on
        a busy machine the first grows with the load, the second far less)."""
        wall, cpu = (
            (time.perf_counter() - started[0]) * 1000,
            (time.process_time() - started[1]) * 1000,
        )
        response.headers["server-timing"] = f"app;dur={wall:.1f}, cpu;dur={cpu:.1f}"
        return response

    async def search(request: Request) -> Response:
        started = time.perf_counter(), time.process_time()
        form = parse_form(request.query_params)
        found = await store.run(lambda s: views.search_page(s, form))
        return timed(page("search.html", result=found, form=form), started)

    async def article(request: Request) -> Response:
        started = time.perf_counter(), time.process_time()
        doc_id = request.query_params.get("id", "").strip()
        if not doc_id or len(doc_id) > 2000:
            raise BadRequest("give an article id: /article?id=ID (ids are on the search page)")
        shown = await store.run(lambda s: views.article_page(s, doc_id))
        if shown is None:
            raise HTTPException(404, f"no article with id {doc_id!r}")
        return timed(page("article.html", shown=shown, form=SearchForm()), started)

    async def exported(request: Request) -> tuple[int, list[dict[str, object]]]:
        """The total and the first EXPORT_ROWS rows of the search the URL asks for."""
        form = parse_form(request.query_params)
        found = await store.run(lambda s: s.search(form.query(facets=False, export=True)))
        return found.total, export.search_rows(found)

    async def export_csv(request: Request) -> Response:
        _, rows = await exported(request)
        out = io.StringIO()
        export.write_csv(rows, export.SEARCH_COLUMNS, out)
        return _download(out.getvalue(), "text/csv; charset=utf-8", "monitor-search.csv")

    async def export_json(request: Request) -> Response:
        total, rows = await exported(request)
        body = json.dumps({"total": total, "hits": rows}, ensure_ascii=False, indent=2)
        return _download(body, "application/json", "monitor-search.json")

    async def stylesheet(request: Request) -> Response:
        return Response(style, media_type="text/css")

    def error_page(status: int, message: str) -> HTMLResponse:
        return page("error.html", status, status=status, message=message, form=SearchForm())

    async def on_bad_request(request: Request, exc: Exception) -> Response:
        return error_page(400, str(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_page(exc.status_code, str(exc.detail))

    async def on_timeout(request: Request, exc: Exception) -> Response:
        return error_page(503, f"the store did not answer within {timeout_s:g} s; try again")

    async def on_error(request: Request, exc: Exception) -> Response:
        # A 500 also reaches the server log with its traceback (Starlette re-raises
        # it after this page); the others are one line.
        status, message = classify(exc)
        if status != 500:
            log.warning("%s %s: %s", request.url.path, status, message)
        return error_page(status, message)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store.warm()
        yield
        store.close()

    routes = [
        Route("/", search, methods=["GET"]),
        Route("/article", article, methods=["GET"]),
        Route("/export.csv", export_csv, methods=["GET"]),
        Route("/export.json", export_json, methods=["GET"]),
        Route("/style.css", stylesheet, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
        ],
        exception_handlers={
            BadRequest: on_bad_request,
            HTTPException: on_http,
            TimeoutError: on_timeout,
            **dict.fromkeys(EXPECTED_ERRORS, on_error),
            Exception: on_error,
        },
        lifespan=lifespan,
    )


# What a store may raise that is not a bug: handled as a page of its own status.
# The stores translate their backends' errors into the project's (workers/errors.py),
# so the page switches on those only; anything else (a bare ValueError too) is a bug.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (MonitorError, OSError)


def classify(exc: BaseException) -> tuple[int, str]:
    """The status and one sentence for an error a page did not handle itself."""
    exc = translate(exc)
    if isinstance(exc, UsageError):  # the store refused the query as written
        return 400, str(exc)
    if isinstance(exc, (TransientError, ConnectionError, OSError)):
        return 503, redact_text(f"the store is unavailable: {exc}")
    if isinstance(exc, StoreRefused):  # the cluster refused, not the user's query
        return 503, redact_text(str(exc))
    if isinstance(exc, PermanentError):
        return 400, redact_text(str(exc))
    return 500, f"unexpected {type(exc).__name__}; the server log has the details"


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
