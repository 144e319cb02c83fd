"""The project's one error family, and the one decision every retry makes.

Every exception the project raises on purpose is a `MonitorError`, in one of three
branches, so a caller switches on what a failure *means* and never on which library
raised it:

- `TransientError`: a store, broker or site that is down or overloaded, a lost
  connection. The same input may succeed later: a task retries the whole batch with
  backoff, the CLI says the service is unavailable (exit 3).
- `PermanentError`: this item cannot succeed (bad input, a 4xx, a document the index
  refuses). Waiting never helps: the item goes to the dead-letter queue at once, the
  CLI reports it (exit 2 when it ends a command).
- `UsageError`: what the user asked for, or how they set the system up, is wrong (a
  bad query or date, a malformed setting, a gold file that cannot be read, a missing
  model, a rebuild or setup the credentials or the data refuse, a lock another run
  holds). The CLI shows it as one `monitor: error:` line (exit 2); a task does not
  retry it.

Backend libraries' own exceptions (elasticsearch-py, sqlite3, redis, kombu, pydantic)
are translated where they are called: the stores turn theirs into these types, and
`translate` covers the client libraries a face calls directly (a Redis cache or the
broker). Anything else, a bare `ValueError` included, is a bug: the CLI shows it as an
internal error, never as the user's mistake.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

# Exceptions that interrupt a whole batch rather than describe one item (a task's soft
# time limit): registered by the Celery face (workers/ never imports Celery), treated as
# transient so per-item handlers re-raise them instead of failing an innocent item.
_INTERRUPTS: list[type[BaseException]] = []


class MonitorError(Exception):
    """The base of every error the project raises on purpose.

    `reason` is what went wrong, `hint` (may be empty) what to do about it; `str()` is
    both, as one sentence ("reason: hint"), which is what a log line or the CLI shows.
    Subclasses may carry more (a URL, a status, a lock's name) as attributes.
    """

    def __init__(self, reason: str = "", *, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}: {self.hint}" if self.hint and text else text or self.hint


class TransientError(MonitorError):
    """Worth retrying later: the same input may succeed when a service recovers."""


class PermanentError(MonitorError):
    """Retrying cannot help: the item goes to the dead-letter queue with this reason."""


class UsageError(MonitorError):
    """The user's input or setup is wrong: said in one line, never retried by a task."""


class ServiceUnavailable(TransientError):
    """A service other than the store (the broker, the cache Redis) cannot be reached
    or refused the connection: transient, retry later (see `translate`)."""

    def __init__(self, reason: str = "", *, hint: str = "", service: str = "") -> None:
        super().__init__(reason, hint=hint)
        self.service = service


def register_interrupt(kind: type[BaseException]) -> None:
    """Mark `kind` as interrupting the batch (see `_INTERRUPTS`)."""
    if kind not in _INTERRUPTS:
        _INTERRUPTS.append(kind)


def is_interrupt(exc: BaseException) -> bool:
    """Whether `exc` interrupts the whole batch (see `register_interrupt`): even code
    that contains every other failure, like an enricher's note, must let it through."""
    return isinstance(exc, tuple(_INTERRUPTS))


def is_transient(exc: BaseException) -> bool:
    """Whether a batch that raised `exc` should be retried rather than dead-lettered.

    Connection-level errors from any client (Redis, sockets, sqlite's "database is
    locked" surfaces as `StoreUnavailable`) are transient; everything else is treated as
    permanent, because retrying a bug only delays the dead-letter entry that reports it.
    """
    if isinstance(exc, (TransientError, *_INTERRUPTS)):
        return True
    if isinstance(exc, MonitorError):
        return False
    return isinstance(exc, (ConnectionError, TimeoutError)) or _is_redis_connection_error(exc)


def _is_redis_connection_error(exc: BaseException) -> bool:
    import redis.exceptions

    return isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError))


# Translators that modules above this one register for their own library's errors
# (settings: pydantic's summary of a bad variable); a module never imported cannot
# have raised, and this module imports nothing of the project's.
_TRANSLATORS: list[Callable[[BaseException], MonitorError | None]] = []


def register_translator(translator: Callable[[BaseException], MonitorError | None]) -> None:
    """Let `translate` turn another library's error into a `MonitorError` (`translator`
    returns None for errors it does not know)."""
    if translator not in _TRANSLATORS:
        _TRANSLATORS.append(translator)


def translate(exc: BaseException) -> BaseException:
    """`exc` as a `MonitorError` when it is a client library's error that reached a
    face untranslated (a Redis or SQLite cache or dead-letter call, the broker behind
    an `--async` command, a settings object built without `get_settings`); else `exc`.

    The one table of foreign errors outside the stores, so neither face imports a
    backend's exception types. Classes are looked up among the *loaded* modules: a
    library never imported cannot have raised (and importing it only to ask would
    cost a command its start-up time).
    """
    if isinstance(exc, MonitorError):
        return exc
    for translator in _TRANSLATORS:
        if (translated := translator(exc)) is not None:
            return translated
    if isinstance(exc, _loaded("kombu.exceptions", "OperationalError")):
        return _unavailable(exc, "broker", f"broker unavailable (MONITOR_BROKER_URL): {exc}")
    if isinstance(exc, _loaded("redis.exceptions", "RedisError")):
        return _unavailable(
            exc, "redis", f"Redis unavailable (MONITOR_BROKER_URL/MONITOR_REDIS_URL): {exc}"
        )
    if isinstance(exc, _loaded("sqlite3", "OperationalError")):
        # The SQLite cache or dead-letter file of a laptop run, locked past its busy
        # timeout or on a failing disk (the embedded *store* translates its own).
        return _unavailable(exc, "sqlite", f"local database unavailable (MONITOR_DATA_DIR): {exc}")
    return exc


def _unavailable(exc: BaseException, service: str, message: str) -> ServiceUnavailable:
    translated = ServiceUnavailable(message, service=service)
    translated.__cause__ = exc
    return translated


def _loaded(module: str, name: str) -> type[BaseException] | tuple[()]:
    """The exception class `module.name` if that module is loaded, else `()` (which no
    exception is an instance of)."""
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else ()
