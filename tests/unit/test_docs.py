"""README's configuration table is the settings object's, field for field."""

from __future__ import annotations

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
