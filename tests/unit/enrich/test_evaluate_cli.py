"""`monitor eval`: the scores a user sees, and clear errors for unusable gold files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tasks.cli import main
from workers.evaluate import date_value
from workers.model import DateMention, Granularity

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


def test_gold_with_items_reports_errors_per_kind(nlp: Any) -> None:
    result = CliRunner().invoke(
        main, ["eval", str(GOLD / "real-articles-gold-extra.json"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["articles"] == 8
    assert report["organizations"]["tp"] + report["organizations"]["fn"] == 29
    assert report["locations"]["tp"] + report["locations"]["fn"] == 22
    assert set(report["error_kinds"]) == {"locations", "organizations", "dates"}


def test_error_kinds_name_what_went_wrong(tmp_path: Path, nlp: Any) -> None:
    """A place reported as an organization is a wrong type, a piece of a longer gold
    name a split, an unknown name a fragment, an absent one a miss."""
    (tmp_path / "a.txt").write_text(
        "Publication: Monitor Volume: 6 Issue: 28\n\n"
        "The Georgian Foreign Ministry in Tbilisi thanked the OSCE on January 31.\n",
        encoding="utf-8",
    )
    gold = {
        "items": {
            "a": {
                "publication_date_estimate": "2000-02-09",
                # Deliberately disagreeing gold: Tbilisi as an organization, the
                # ministry under a longer name, a body the text does not name.
                "locations": [],
                "organizations": [
                    "Tbilisi",
                    "Ministry of Foreign Affairs of Georgia in Tbilisi",
                    "Parliament of Georgia",
                ],
                "dates": [{"text": "January 31", "value": "2000-01-30"}],
            }
        }
    }
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(gold))
    result = CliRunner().invoke(main, ["eval", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    kinds = json.loads(result.output)["error_kinds"]
    assert kinds["locations"] == {"wrong type": 1}  # Tbilisi
    assert kinds["organizations"]["split"] == 1  # the ministry inside the longer name
    assert kinds["organizations"]["fragment"] == 1  # OSCE: not in this gold
    assert kinds["organizations"]["missed"] == 3
    assert kinds["dates"] == {"wrong value": 1}
    table = CliRunner().invoke(main, ["eval", str(path)]).output
    assert "organizations errors: fragment 1, missed 3, split 1" in table


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
        ('{"items": {"item99": {}}}', "no input file named item99"),
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


@pytest.mark.parametrize(
    ("text", "start", "end", "granularity", "value"),
    [
        ("September 27-28", "1999-09-27", "1999-09-28", "day", "1999-09-27"),  # range: start
        ("early May", "2008-05-01", "2008-05-10", "month", "2008-05"),
        ("summer 2000", "2000-06-01", "2000-08-31", "month", "2000"),  # across months
        ("early last year", "2007-01-01", "2007-04-30", "year", "2007"),
    ],
)
def test_date_values_in_the_gold_notation(
    text: str, start: str, end: str, granularity: Granularity, value: str
) -> None:
    """real-articles-gold-extra.json `about`: value is YYYY-MM-DD, YYYY-MM or YYYY; a
    range gives its first date."""
    assert date_value(DateMention(text, start, end, granularity)) == value


def test_modern_gold_scores_dated_pairs_persons_and_years(tmp_path: Path, nlp: Any) -> None:
    """The dev/modern gold shape (issue 28): citation pairs only with a day, an
    optional alternate spelling standing for its required pair, dates inside citations
    not scored, dates written twice counted twice, `pub_year`, `persons_optional`."""
    (tmp_path / "m1.txt").write_text(
        "Title\n\nPublication: Eurasia Daily Monitor Volume: 20 Issue: 115\n\n"
        "In June 2023, Sergei Surovikin and the blogger Lana Morozova spoke "
        "(https://www.rbc.ru/politics/1/, July 12; Vedomosti, July 20). "
        "The site was shut (https://www.kommersant.ru/doc/1). In June 2023 again.\n",
        encoding="utf-8",
    )
    gold = {
        "items": {
            "m1": {
                "pub_year": 2023,
                "citations": [
                    ["https://www.rbc.ru/politics/1/", "2023-07-12"],
                    ["Vedomosti", "2023-07-20"],
                ],
                "optional": [["rbc.ru", "2023-07-12"]],
                "persons": ["Sergei Surovikin"],
                "persons_optional": ["Lana Morozova"],
                "locations": [],
                "organizations": ["Vedomosti"],
                "organizations_optional": ["rbc.ru", "kommersant.ru"],
                "dates": [
                    {"text": "June 2023", "value": "2023-06"},
                    {"text": "June 2023", "value": "2023-06"},
                ],
                "dates_optional": [],
            }
        }
    }
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(gold))
    result = CliRunner().invoke(main, ["eval", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # rbc.ru stands for its address; the undated kommersant.ru is no pair.
    assert report["citation_pairs"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "tp": 2,
        "fp": 0,
        "fn": 0,
    }
    assert (report["dates"]["tp"], report["dates"]["fp"]) == (2, 0)  # July 12, 20 unscored
    assert report["persons"]["fp"] == 0 and report["persons"]["tp"] == 1
    assert report["publication_year"] == {"accuracy": 1.0, "correct": 1, "total": 1}
