"""README's configuration table is the settings object's, field for field."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from tasks.cli import main
from tests.conftest import ROOT


def test_readme_configuration_table_matches_settings() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- settings-table:start -->") + len("<!-- settings-table:start -->")
    table = readme[start : readme.index("<!-- settings-table:end -->")].strip()
    generated = CliRunner().invoke(main, ["config", "--format", "markdown"]).output.strip()
    assert table == generated, "run `monitor config --format markdown` and update README.md"


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


# A path the repo's own files name: under one of its folders, or a top-level document.
_FOLDERS = "workers|tasks|tests|docs|bench|devsupport|infra|scripts|samples|\\.ci"
_NAMED = re.compile(rf"(?<![\w./-])((?:(?:{_FOLDERS})/[\w./-]*\w)|[A-Z][A-Z_-]+\.md)(?![\w/-])")
_LINK = re.compile(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)")


def _tracked() -> list[Path]:
    """The repo's documents, code and config (CHANGELOG.md aside: it is history, naming
    files as they were when each entry was written)."""
    top = [p for p in ROOT.glob("*") if p.is_file() and p.name != "CHANGELOG.md"]
    below = [
        path
        for folder in _FOLDERS.replace("\\", "").split("|")
        for path in (ROOT / folder).rglob("*")
        if "__pycache__" not in path.parts
    ]
    return sorted(p for p in top + below if p.suffix in (".md", ".py", ".toml"))


def _exists(name: str, beside: Path) -> bool:
    name = name.rstrip(".")
    if any(ch in name for ch in "*<>{}") or "/." in name:  # a pattern or a placeholder
        return True
    if "." not in name.rpartition("/")[2]:  # no file named: a folder, a prefix or prose
        return True
    return (ROOT / name).exists() or (beside / name).exists()


def test_every_file_the_docs_and_code_name_is_in_the_repo() -> None:
    """No README line, doc page, docstring or comment points at a file the repository
    does not hold (a design note left outside it, a module since moved)."""
    missing = []
    for path in _tracked():
        text = path.read_text(encoding="utf-8")
        names = set(_NAMED.findall(text))
        if path.suffix == ".md":
            names |= set(_LINK.findall(text))
        missing += [
            f"{path.relative_to(ROOT)}: {name}"
            for name in sorted(names)
            if not _exists(name, path.parent)
        ]
    assert missing == []
