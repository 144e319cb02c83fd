"""`monitor eval`: the scores a user sees, and clear errors for unusable gold files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tasks.cli import main

GOLD = Path(__file__).resolve().parents[2] / "fixtures" / "gold"


def test_json_report(nlp: Any) -> None:
    result = CliRunner().invoke(main, ["eval", str(GOLD / "seeds-gold.json"), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["articles"] == 2
    assert report["citation_pairs"]["tp"] == 10
    assert report["publication_year"] == {"accuracy": 1.0, "correct": 2, "total": 2}
    assert {"precision", "recall", "f1"} <= set(report["persons"])


def test_table_report(nlp: Any) -> None:
    result = CliRunner().invoke(main, ["eval", str(GOLD / "real-articles-gold.json")])
    assert result.exit_code == 0, result.output
    assert "citation pairs" in result.output
    assert "publication year" in result.output


def test_scores_drop_when_the_gold_disagrees(tmp_path: Path, nlp: Any) -> None:
    gold = json.loads((GOLD / "seeds-gold.json").read_text())
    for article in gold["articles"]:
        article["file"] = str(GOLD / article["file"])
        article["citations"] = [{"source": "Pravda", "date": "1990-01-01", "kind": "press"}]
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(gold))
    result = CliRunner().invoke(main, ["eval", str(path), "--format", "json"])
    assert json.loads(result.output)["citation_pairs"]["tp"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not JSON"),
        ('{"articles": 3}', "'articles' list"),
        ('{"articles": [{"file": "missing.txt"}]}', "missing.txt"),
    ],
)
def test_unusable_gold_exits_non_zero(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "gold.json"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(main, ["eval", str(path)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
