"""The one error family, the one retry decision and its backoff."""

from __future__ import annotations

import ast
import importlib
import pickle
import random
import sqlite3
from pathlib import Path

import pytest
import redis

from workers.errors import (
    MonitorError,
    PermanentError,
    ServiceUnavailable,
    TransientError,
    UsageError,
    is_transient,
    translate,
)
from workers.model import InputError
from workers.retry import backoff_delay
from workers.stores.base import StoreUnavailable


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (StoreUnavailable("locked"), True),
        (TransientError("x"), True),
        (ConnectionRefusedError("refused"), True),
        (TimeoutError("slow"), True),
        (redis.exceptions.ConnectionError("gone"), True),
        (InputError("empty"), False),
        (PermanentError("4xx"), False),
        (KeyError("bug"), False),
    ],
)
def test_is_transient(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_backoff_doubles_up_to_the_cap_and_waits_at_least_half() -> None:
    rand = random.Random(1).random
    for attempt in range(12):
        step = min(10, 2**attempt)
        delays = [backoff_delay(attempt=attempt, base_s=1, cap_s=10, rand=rand) for _ in range(50)]
        assert all(step / 2 <= d <= step for d in delays)


def test_backoff_is_jittered() -> None:
    rand = random.Random(2).random
    delays = {backoff_delay(attempt=5, base_s=1, cap_s=60, rand=rand) for _ in range(20)}
    assert len(delays) == 20


class _Interrupt(Exception):
    """Stands in for Celery's SoftTimeLimitExceeded (an Exception subclass)."""


def test_registered_interrupts_pass_per_item_handlers() -> None:
    from workers import errors

    assert is_transient(_Interrupt()) is False
    errors.register_interrupt(_Interrupt)
    try:
        assert is_transient(_Interrupt()) is True
    finally:
        errors._INTERRUPTS.remove(_Interrupt)


# -- one family ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
# The client libraries behind the stores, the cache and the broker: their exception
# types are translated where they are called, never named by a face.
BACKENDS = {
    "billiard",
    "celery",
    "elastic_transport",
    "elasticsearch",
    "kombu",
    "pydantic_core",
    "redis",
    "sqlite3",
}


def _modules(*packages: str) -> list[tuple[str, ast.Module]]:
    found = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found.append((name.removesuffix(".__init__"), ast.parse(path.read_text())))
    return found


def _exception_classes() -> list[type[BaseException]]:
    """Every exception class defined in workers/ and tasks/: found in the source (a
    `class` statement), then imported, so a subclass of a subclass is seen for what it
    is whatever its bases are called."""
    classes = []
    for name, tree in _modules("workers", "tasks"):
        defined = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
        if not defined or name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for class_name in defined:
            cls = getattr(module, class_name)
            if isinstance(cls, type) and issubclass(cls, BaseException):
                classes.append(cls)
    return classes


def test_every_project_exception_is_in_the_family() -> None:
    classes = _exception_classes()
    outside = [
        f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, MonitorError)
    ]
    assert not outside, f"not a MonitorError: {outside}"
    # The scan sees the classes the issue named, wherever they live.
    names = {c.__name__ for c in classes}
    assert {"RebuildRefused", "SetupRefused", "GoldError", "ModelMissing", "LockHeld"} <= names
    assert {"QueryTooLong", "BadDate", "SettingsError", "StoreUnavailable"} <= names


def test_each_error_is_on_its_branch() -> None:
    from workers.cache import LockHeld
    from workers.enrich.ner import ModelMissing
    from workers.evaluate import GoldError
    from workers.settings import SettingsError
    from workers.stores.base import QueryRefused, RebuildRefused, StoreBroken, StoreRefused
    from workers.stores.es_indices import IndexRefused, SetupRefused
    from workers.stores.search_terms import BadDate, QueryTooLong

    usage = (RebuildRefused, SetupRefused, IndexRefused, GoldError, ModelMissing, LockHeld)
    usage += (QueryTooLong, BadDate, QueryRefused, SettingsError)
    assert all(issubclass(c, UsageError) for c in usage)
    assert all(issubclass(c, PermanentError) for c in (InputError, StoreRefused, StoreBroken))
    assert issubclass(StoreUnavailable, TransientError)
    # No branch is a ValueError any more: a bare ValueError means a bug.
    for branch in (TransientError, PermanentError, UsageError):
        assert not issubclass(branch, ValueError)
        assert is_transient(branch("x")) is (branch is TransientError)


def test_an_error_carries_its_reason_and_hint() -> None:
    from workers.cache import LockHeld
    from workers.enrich.ner import ModelMissing
    from workers.stores.search_terms import BadDate, date_bound

    missing = ModelMissing("spaCy model 'x' unavailable (OSError)", hint="pip install it")
    assert missing.reason == "spaCy model 'x' unavailable (OSError)"
    assert str(missing) == "spaCy model 'x' unavailable (OSError): pip install it"
    assert LockHeld("reprocess").name == "reprocess"
    with pytest.raises(BadDate) as bad:
        date_bound("2001-02-30", end=False)
    assert bad.value.value == "2001-02-30" and str(bad.value).startswith("is not a date")
    # An exception that crosses processes (the prefork pool sends a task's back to its
    # parent pickled) keeps its data.
    again = pickle.loads(pickle.dumps(missing))  # noqa: S301 (our own bytes)
    assert (again.reason, again.hint, str(again)) == (missing.reason, missing.hint, str(missing))


def test_translate_turns_client_errors_into_the_family() -> None:
    from pydantic import ValidationError

    from workers.settings import Settings, SettingsError

    down = translate(redis.exceptions.ConnectionError("Error 111 connecting to localhost:6390"))
    assert isinstance(down, ServiceUnavailable) and str(down).startswith("Redis unavailable")
    locked = translate(sqlite3.OperationalError("database is locked"))
    assert isinstance(locked, TransientError) and "database is locked" in str(locked)
    try:
        Settings(batch_size="abc")  # type: ignore[arg-type]
    except ValidationError as exc:
        setting = translate(exc)
    assert isinstance(setting, SettingsError) and "MONITOR_BATCH_SIZE" in str(setting)
    bug = ValueError("invalid literal")
    assert translate(bug) is bug  # not ours, not a client's: a bug stays a bug


def test_the_cli_never_imports_a_backend_exception_type() -> None:
    """tasks/cli/ switches on the project's types only: no import of a backend library
    (the stores and `workers.errors.translate` own those), and no lookup of one by
    name either (`sys.modules["redis.exceptions"]`)."""
    found = []
    for name, tree in _modules("tasks/cli"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                roots = [(node.module or "").split(".")[0]]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                roots = [node.value.split(".")[0]] if node.value.split(".")[0] in BACKENDS else []
                roots = [r for r in roots if node.value == r or node.value.startswith(r + ".")]
            else:
                continue
            found += [f"{name}:{node.lineno} {root}" for root in roots if root in BACKENDS]
    assert not found, found


def test_a_bug_that_raises_valueerror_is_an_internal_error_not_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before the family, every ValueError was shown as the user's mistake (exit 2)."""
    from click.testing import CliRunner

    import workers.settings
    from tasks.cli import main
    from tasks.cli.base import EXIT_INTERNAL, EXIT_USAGE

    def broken() -> None:
        raise ValueError("invalid literal for int() with base 10: 'x'")

    monkeypatch.setattr(workers.settings, "get_settings", broken)
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == EXIT_INTERNAL != EXIT_USAGE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("monitor: error: internal error")
    assert "ValueError: invalid literal" in lines[0]


def test_a_usage_error_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import workers.settings
    from tasks.cli import main
    from tasks.cli.base import EXIT_USAGE

    def refused() -> None:
        raise workers.settings.SettingsError("bad setting MONITOR_BATCH_SIZE='abc': not a number")

    monkeypatch.setattr(workers.settings, "get_settings", refused)
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == EXIT_USAGE
    assert result.stderr == "monitor: error: bad setting MONITOR_BATCH_SIZE='abc': not a number\n"


def test_the_embedded_store_translates_sqlite_errors(tmp_path: Path) -> None:
    from workers.stores.base import StoreBroken
    from workers.stores.embedded import EmbeddedStore, sqlite_errors

    damaged = tmp_path / "monitor.sqlite3"
    damaged.write_bytes(b"not a database, only text " * 40)
    with pytest.raises(StoreBroken, match="file is not a database"):
        EmbeddedStore(damaged)
    with pytest.raises(StoreUnavailable, match="database is locked"), sqlite_errors(damaged):
        raise sqlite3.OperationalError("database is locked")
    with pytest.raises(sqlite3.IntegrityError), sqlite_errors(damaged):  # a bug stays one
        raise sqlite3.IntegrityError("UNIQUE constraint failed")
