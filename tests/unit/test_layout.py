"""The import arrows ruff cannot check.

- bench/ and devsupport/ stand without tests/ (shared helpers live in devsupport/), and
  tasks/ stands without its CLI (tasks/cli/).
- workers/ and tasks/ are floors (`LAYERS`, drawn in docs/architecture.md "Layers"):
  each module imports its own floor or one its floor names in `may_import`, and the
  table itself points one way (a floor names only floors below it).
- No import cycle: between two modules, nor between two packages.
- docs/architecture.md draws every arrow between floors, and only those.

Every import counts: a function-level import (the CLI imports its workers inside each
command so `monitor` starts fast) and a `TYPE_CHECKING` one bind the two modules as
firmly as a top-level one, only later.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture.md"


@dataclass(frozen=True)
class Layer:
    name: str
    members: tuple[str, ...]  # modules; `pkg.*`: a package with everything in it
    may_import: frozenset[str] = frozenset()  # floors below it; its own floor always


def _layer(name: str, members: str, may_import: str = "") -> Layer:
    return Layer(name, tuple(members.split()), frozenset(may_import.split()))


# Bottom to top. A floor sees its own modules and the floors it names, nothing above.
LAYERS = (
    # Pure values and rules: the data model, URL and text rules, settings, errors.
    _layer(
        "ground",
        "workers workers.errors workers.settings workers.model workers.urls"
        " workers.normalize workers.parse workers.headline workers.retry workers.logs",
    ),
    # Shared state: the cache (Redis or SQLite: validators, checkpoints, locks) and
    # the dead-letter list.
    _layer("state", "workers.cache workers.deadletter workers.source_state", "ground"),
    # A leaf for HTTP politeness and decoding: it fetches, it never decides what.
    _layer("fetching", "workers.fetching.*", "ground state"),
    # Enrichment, and the publication catalogue extraction reads headers against.
    _layer("enrich", "workers.enrich.*", "ground"),
    # Extraction: markup → fields. Fetches nothing, knows no source.
    _layer("extract", "workers.extract.*", "ground enrich"),
    # Discovery: what to fetch (feeds, sitemaps, REST, listings, archive captures).
    _layer("sources", "workers.sources.*", "ground state fetching extract"),
    _layer("stores", "workers.stores.*", "ground enrich"),
    # Orchestration: one Pipeline, batches through it, runs of a source, rebuilds.
    _layer("pipeline", "workers.pipeline", "ground state enrich"),
    _layer("ingest", "workers.ingest", "ground enrich sources stores pipeline"),
    _layer(
        "crawl", "workers.crawl", "ground state fetching extract sources stores pipeline ingest"
    ),
    _layer("reprocess", "workers.reprocess", "ground state stores pipeline ingest"),
    _layer("evaluate", "workers.evaluate", "ground enrich sources pipeline"),
    # The composition root (issue 27, part 2): builds store, cache, pipeline, fetcher
    # and archive from settings for every face. Empty until that module lands.
    _layer(
        "runtime",
        "workers.runtime",
        "ground state fetching enrich extract sources stores pipeline ingest crawl reprocess",
    ),
    # The faces: Celery tasks, the search page, the command line.
    _layer(
        "tasks",
        "tasks.*",
        "ground state fetching sources stores pipeline ingest crawl reprocess runtime",
    ),
    _layer("web", "tasks.web.*", "ground stores ingest tasks runtime"),
    _layer(
        "cli",
        "tasks.cli.*",
        "ground state fetching enrich sources stores pipeline ingest crawl reprocess"
        " evaluate runtime tasks web",
    ),
)
BY_NAME = {layer.name: layer for layer in LAYERS}
FETCHING_MUST_NOT_IMPORT = (
    "workers.sources",
    "workers.extract",
    "workers.crawl",
    "workers.ingest",
    "workers.reprocess",
    "workers.pipeline",
    "workers.evaluate",
)


def imported(path: Path, known: frozenset[str] = frozenset()) -> set[str]:
    """The modules `path` imports, by full dotted name. `from a import b` names `a.b`
    when that is one of the `known` modules, else `a` (`b` is a name in it)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                names.add(full if full in known else node.module)
    return names


def importers(files: list[Path], package: str) -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for path in files
        if any(name == package or name.startswith(f"{package}.") for name in imported(path))
    )


@cache
def modules() -> dict[str, Path]:
    """Every module of workers/ and tasks/ by dotted name (a package by its own)."""
    found: dict[str, Path] = {}
    for top in ("workers", "tasks"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


@cache
def graph() -> dict[str, frozenset[str]]:
    """module → the project modules it imports (`from a.b import c`: `a.b.c` when
    that is a module, else `a.b`)."""
    known = modules()
    edges: dict[str, frozenset[str]] = {}
    for name, path in known.items():
        edges[name] = frozenset(imported(path, frozenset(known)) & known.keys() - {name})
    return edges


def layer_of(module: str) -> Layer:
    """The floor a module lives on: its longest matching member."""
    best: tuple[int, Layer] | None = None
    for layer in LAYERS:
        for member in layer.members:
            package = member.removesuffix(".*")
            matches = module == package or (
                member.endswith(".*") and module.startswith(f"{package}.")
            )
            if matches and (best is None or len(package) > best[0]):
                best = (len(package), layer)
    if best is None:
        raise LookupError(f"{module} is on no floor of LAYERS: classify it")
    return best[1]


def layer_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for source, targets in graph().items():
        for target in targets:
            a, b = layer_of(source).name, layer_of(target).name
            if a != b:
                edges.setdefault(a, set()).add(b)
    return edges


def package_of(module: str) -> str:
    """A module's package: `workers.stores` for `workers.stores.base`, `tasks` for
    `tasks.app`; a module right under workers/ counts as one (`workers.crawl`)."""
    if modules()[module].name == "__init__.py":
        return module
    parent = module.rpartition(".")[0]
    return module if parent == "workers" else parent


def cycle(edges: dict[str, frozenset[str]] | dict[str, set[str]]) -> list[str] | None:
    """One cycle of `edges` as a path (first node repeated last), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, path)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node, [])) is not None:
            return found
    return None


@pytest.mark.parametrize("folder", ["bench", "devsupport"])
def test_bench_and_devsupport_import_nothing_from_tests(folder: str) -> None:
    assert importers(sorted((ROOT / folder).rglob("*.py")), "tests") == []


def test_tasks_do_not_import_the_cli() -> None:
    assert importers(sorted((ROOT / "tasks").glob("*.py")), "tasks.cli") == []


def test_every_module_is_on_a_floor() -> None:
    for module in modules():
        layer_of(module)
    with pytest.raises(LookupError):
        layer_of("workers.unclassified")  # the root package holds no floor by prefix


def test_the_floor_table_points_one_way() -> None:
    below: set[str] = set()
    for layer in LAYERS:
        assert layer.may_import <= below, f"{layer.name} names a floor above it or unknown"
        below.add(layer.name)


def test_every_import_goes_down_or_sideways() -> None:
    climbing = sorted(
        f"{source} ({layer_of(source).name}) imports {target} ({layer_of(target).name})"
        for source, targets in graph().items()
        for target in targets
        if layer_of(target).name not in {layer_of(source).name, *layer_of(source).may_import}
    )
    assert climbing == []


def test_fetching_is_a_leaf() -> None:
    fetching = sorted((ROOT / "workers" / "fetching").rglob("*.py"))
    assert fetching
    for package in FETCHING_MUST_NOT_IMPORT:
        assert importers(fetching, package) == [], f"fetching/ imports {package}"


def test_no_two_modules_import_each_other_round() -> None:
    assert cycle(graph()) is None


def test_no_two_packages_import_each_other_round() -> None:
    packages: dict[str, set[str]] = {}
    for source, targets in graph().items():
        for target in targets:
            a, b = package_of(source), package_of(target)
            if a != b:
                packages.setdefault(a, set()).add(b)
    assert packages["workers.crawl"] >= {"workers.sources", "workers.extract"}  # it sees them
    assert cycle(packages) is None


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}}) is None


ARROW = re.compile(r"^\s*([\w.]+)\s+─►\s+(.+?)\s*$")


def drawn_arrows(text: str) -> dict[str, set[str]]:
    """`a ─► b, c` lines of the document: a imports b and c."""
    arrows: dict[str, set[str]] = {}
    for line in text.splitlines():
        if match := ARROW.match(line):
            targets = {t.strip() for t in match.group(2).split(",")}
            arrows.setdefault(match.group(1), set()).update(targets)
    return arrows


def as_arrows(edges: dict[str, set[str]]) -> str:
    """The block docs/architecture.md should hold, top floor first."""
    order = [layer.name for layer in reversed(LAYERS)]
    return "\n".join(
        f"{source} ─► {', '.join(sorted(edges[source], key=order.index))}"
        for source in order
        if source in edges
    )


def test_architecture_draws_the_import_graph() -> None:
    real = layer_edges()
    drawn = drawn_arrows(ARCHITECTURE.read_text(encoding="utf-8"))
    assert drawn, "docs/architecture.md draws no `a ─► b` arrows"
    assert drawn == real, f"docs/architecture.md should draw:\n{as_arrows(real)}"


def test_drawn_arrows_are_read_as_drawn() -> None:
    assert drawn_arrows("x\n  cli ─► tasks, web\nweb ─► ground\n") == {
        "cli": {"tasks", "web"},
        "web": {"ground"},
    }


def test_unit_tests_mirror_the_packages() -> None:
    folders = {p.name for p in (ROOT / "tests" / "unit").iterdir() if (p / "__init__.py").exists()}
    folders |= {p.name for p in (ROOT / "tests" / "unit").iterdir() if (p / "conftest.py").exists()}
    packages = {p.parent.name for p in (ROOT / "workers").glob("*/__init__.py")}
    assert folders <= packages, "a tests/unit/ folder names no workers/ package"
    assert {"fetching", "extract", "sources", "stores", "enrich"} <= folders


# What starts a process (redis-server through the `redis_server` fixture, celery
# workers, the `monitor` console script, a fresh interpreter): such tests live in
# tests/integration/.
SPAWNING = ("subprocess", "multiprocessing", "tests.support.redis_server", "devsupport.processes")


def test_unit_tests_start_no_process() -> None:
    unit = sorted((ROOT / "tests" / "unit").rglob("*.py"))
    for module in SPAWNING:
        assert importers(unit, module) == [], f"a unit test imports {module}"
    uses_server = [
        str(path.relative_to(ROOT))
        for path in unit
        if path != Path(__file__) and "redis_server" in path.read_text(encoding="utf-8")
    ]
    assert uses_server == []
