"""`monitor eval` says n/a, not F1 1.000, for a measure the gold file has no items of
(issue 13, item 7). The gold file is the seeds' own (tests/fixtures/gold) with the
organizations left out, as a gold file written before organizations were annotated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tasks.cli import main
from workers.evaluate import Score

GOLD = Path(__file__).resolve().parents[2] / "fixtures" / "gold"


def test_a_score_without_gold_items_is_not_perfect() -> None:
    assert Score(tp=0, fp=3, fn=0).to_dict()["f1"] is None
    assert Score(tp=0, fp=0, fn=0).to_dict()["precision"] is None
    assert Score(tp=1, fp=1, fn=0).to_dict()["f1"] == 0.6667
    assert Score(tp=0, fp=0, fn=2).to_dict()["recall"] == 0.0


def test_eval_prints_n_a_for_a_measure_with_no_gold_items(tmp_path: Path, nlp: Any) -> None:
    gold = json.loads((GOLD / "seeds-gold.json").read_text(encoding="utf-8"))
    for article in gold["articles"]:
        article["file"] = str(GOLD / article["file"])
        article["entities"]["organization"] = []
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(gold), encoding="utf-8")
    table = CliRunner().invoke(main, ["eval", str(path)])
    assert table.exit_code == 0, table.output
    (row,) = [line for line in table.output.splitlines() if line.startswith("organizations")]
    assert row.split()[1:4] == ["n/a", "n/a", "n/a"]
    report = json.loads(CliRunner().invoke(main, ["eval", str(path), "--format", "json"]).output)
    assert report["organizations"]["f1"] is None
    assert report["citation_pairs"]["f1"] is not None
