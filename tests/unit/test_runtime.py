"""Issue 27, point 2: one composition root. `workers/runtime.py` is the one place that
builds the pipeline from the settings, nothing under workers/ reads the settings
from the environment, and a `Runtime` builds each part once and closes what it built."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import SecretStr

from workers.cache import MemoryCache, SqliteCache
from workers.deadletter import SqliteDeadLetters
from workers.enrich.enrichers import Entities
from workers.pipeline import ENRICHER_SETS, Pipeline
from workers.runtime import Runtime
from workers.settings import Settings
from workers.stores.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parents[2]
# Everything but the tests (which may build pipelines as they like) and the venv.
SOURCES = [
    path
    for folder in ("workers", "tasks", "devsupport", "bench", "scripts")
    for path in sorted((ROOT / folder).rglob("*.py"))
]


def calls(path: Path) -> list[tuple[str, str]]:
    """(receiver, method) of every `X.method(...)` call in `path`, by source text."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            found.append((ast.unparse(node.func.value), node.func.attr))
    return found


def names_used(path: Path) -> set[str]:
    """Every bare name and attribute name `path` uses or imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.rsplit(".", 1)[-1])
    return names


def test_the_scan_sees_the_sources() -> None:
    assert ROOT / "workers" / "runtime.py" in SOURCES
    assert ("Pipeline", "from_settings") in calls(ROOT / "workers" / "runtime.py")


def test_only_the_runtime_builds_the_pipeline_from_settings() -> None:
    callers = sorted(
        str(path.relative_to(ROOT))
        for path in SOURCES
        if any(
            method == "from_settings" and receiver.endswith("Pipeline")
            for receiver, method in calls(path)
        )
    )
    assert callers == ["workers/runtime.py"]


def test_nothing_in_workers_reads_settings_from_the_environment() -> None:
    assert "get_settings" in names_used(ROOT / "tasks" / "app.py")  # the scan sees a use
    users = sorted(
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "workers").rglob("*.py"))
        if path.name != "settings.py" and "get_settings" in names_used(path)
    )
    assert users == []


def test_tasks_app_keeps_no_settings_or_parts_at_module_level() -> None:
    """Only the Celery app and the per-process runtime slot live at module level."""
    tree = ast.parse((ROOT / "tasks" / "app.py").read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    assert assigned == {"log", "BATCH_TASKS", "app", "_runtime"}


def embedded(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, elasticsearch_url=None, redis_url=None, broker_url=None)


def test_each_part_is_built_once_and_closed_once(tmp_path: Path) -> None:
    runtime = Runtime.from_settings(embedded(tmp_path))
    assert runtime.built() == []  # lazy: nothing until asked
    store, cache, pipeline = runtime.store, runtime.cache, runtime.pipeline
    fetcher, archive, letters = runtime.fetcher, runtime.archive, runtime.dead_letters
    assert runtime.store is store and runtime.cache is cache and runtime.pipeline is pipeline
    assert runtime.fetcher is fetcher and runtime.archive is archive
    assert runtime.dead_letters is letters
    assert sorted(runtime.built()) == sorted(
        ["store", "cache", "pipeline", "fetcher", "archive", "dead_letters"]
    )
    assert isinstance(cache, SqliteCache) and isinstance(letters, SqliteDeadLetters)
    assert pipeline.cache is cache and fetcher.client is not archive.fetcher.client
    assert runtime.broker is None  # eager mode: no broker to count deliveries on
    runtime.close()
    assert runtime.built() == []
    assert fetcher.client.is_closed and archive.fetcher.client.is_closed
    assert runtime.store is not store  # used again after close: built afresh
    runtime.close()


def test_the_store_follows_the_settings(tmp_path: Path) -> None:
    with Runtime.from_settings(embedded(tmp_path)) as runtime:
        store = runtime.store
        assert isinstance(store, EmbeddedStore)
        assert store.stats().location.endswith("monitor.sqlite3")
    elastic = embedded(tmp_path).model_copy(
        update={"elasticsearch_url": SecretStr("http://127.0.0.1:9")}
    )
    opened: list[Settings] = []

    class FakeElasticsearch:
        @classmethod
        def from_settings(cls, settings: Settings) -> str:
            opened.append(settings)
            return "the Elasticsearch store"

    with pytest.MonkeyPatch.context() as patch:
        import workers.stores.elasticsearch as es

        patch.setattr(es, "ElasticsearchStore", FakeElasticsearch)
        runtime = Runtime.from_settings(elastic)
        assert runtime.store == "the Elasticsearch store"
        assert runtime.store == "the Elasticsearch store"
    assert opened == [elastic]  # opened once, with these settings


def test_parts_given_are_used_and_left_open(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "mine.sqlite3")
    cache = MemoryCache()
    with Runtime.from_settings(embedded(tmp_path), store=store, cache=cache) as runtime:
        assert runtime.store is store and runtime.pipeline.cache is cache
        assert runtime.built() == ["pipeline"]
    assert store.stats().documents == 0  # still open: the caller's to close
    store.close()


def test_the_pipeline_carries_the_configured_model_and_ttl(tmp_path: Path) -> None:
    settings = embedded(tmp_path).model_copy(
        update={"spacy_model": "xx_some_model", "enrich_cache_ttl_s": 120}
    )
    pipeline = Runtime.from_settings(settings, cache=MemoryCache()).pipeline
    assert pipeline.enrichers[-1] == Entities(model="xx_some_model")
    assert pipeline.cache_ttl_s == 120
    assert pipeline.version == Pipeline(ENRICHER_SETS["full"]).version  # model is no version
    uncached = Runtime.from_settings(settings, enrich_cache=False)
    assert uncached.pipeline.cache is None and uncached.built() == ["pipeline"]


def test_closing_goes_on_past_a_part_that_fails(tmp_path: Path) -> None:
    closed: list[str] = []

    class Part:
        def __init__(self, name: str, fails: bool = False) -> None:
            self.name, self.fails = name, fails

        def close(self) -> None:
            closed.append(self.name)
            if self.fails:
                raise OSError("disk gone")

    runtime = Runtime.from_settings(embedded(tmp_path))
    runtime._part("store", lambda: Part("store", fails=True))
    runtime._part("cache", lambda: Part("cache"))
    runtime.close()
    assert closed == ["store", "cache"]  # the store first: it may use the cache


def test_a_worker_process_makes_one_runtime_and_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tasks.app
    from workers.settings import get_settings

    monkeypatch.setattr(tasks.app, "_runtime", None)
    runtime = tasks.app.runtime()
    assert tasks.app.runtime() is runtime and runtime.settings is get_settings()
    assert runtime.built() == []  # nothing opened until a task asks
    mine = Runtime.from_settings(embedded(tmp_path))
    monkeypatch.setattr(tasks.app, "_runtime", mine)
    fetcher = tasks.app.runtime().fetcher
    tasks.app._close_runtime()  # what worker_process_shutdown runs
    assert fetcher.client.is_closed and mine.built() == []
