"""The import arrows ruff cannot check: bench/ and devsupport/ stand without tests/
(shared helpers live in devsupport/), and tasks/ stands without its CLI (tasks/cli/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported(path: Path) -> set[str]:
    """The modules `path` imports, by full dotted name."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def importers(files: list[Path], package: str) -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for path in files
        if any(name == package or name.startswith(f"{package}.") for name in imported(path))
    )


@pytest.mark.parametrize("folder", ["bench", "devsupport"])
def test_bench_and_devsupport_import_nothing_from_tests(folder: str) -> None:
    assert importers(sorted((ROOT / folder).rglob("*.py")), "tests") == []


def test_tasks_do_not_import_the_cli() -> None:
    assert importers(sorted((ROOT / "tasks").glob("*.py")), "tasks.cli") == []
