"""`monitor enrich FILE --format json` prints documents valid against the contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from tasks.cli import main

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "tests/fixtures/schema/article.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
INPUTS = sorted(
    [
        *(ROOT / "tests/fixtures/gold").glob("*/*.txt"),
        *(ROOT / "tests/fixtures/gold").glob("*/*.json"),
        *(ROOT / "samples").glob("*.txt"),
    ]
)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_enrich_output_validates(path: Path, nlp: Any) -> None:
    result = CliRunner().invoke(main, ["enrich", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    VALIDATOR.validate(doc)
    assert doc["published_at"] is not None
    assert doc["entities"] and doc["dates"]
    for item in (*doc["dates"], *doc["citations"]):
        start, end = item["span"]
        assert 0 <= start < end <= len(doc["body"])
