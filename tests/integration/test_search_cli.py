"""`monitor search` with what enrichment knows, and `monitor show`, as a user runs them
(embedded mode, real subprocesses). Articles: the two seeds (tests/fixtures/gold/seeds)
and two short JSON inputs written here in the Monitor's style, one citing the other
("see the Monitor, January 17") and ingested first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLES
from tests.support.processes import monitor

pytestmark = pytest.mark.integration

CITED = {
    "publication": "Monitor",
    "published_at": "2001-01-17",
    "body": "Japanese Foreign Minister Yohei Kono arrived in Moscow for talks on the "
    "Kuril Islands (Kyodo, January 16).",
}
CITING = {
    "publication": "Monitor",
    "published_at": "2001-01-22",
    "body": "The talks in Moscow between Yohei Kono and Igor Ivanov produced little "
    "(see the Monitor, January 17). Izvestia said so (Izvestia, January 19).",
}


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return {"MONITOR_DATA_DIR": str(data_dir)}


def search(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = monitor("search", *args, "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_search_json_has_headlines_highlights_and_facets(env: dict[str, str]) -> None:
    assert monitor("ingest", str(SAMPLES), env=env).returncode == 0
    result = search(env, "Kono")
    hit = result["hits"][0]
    # The seeds have no title: the headline is the first sentence's lead, flagged.
    assert hit["title"] is None and hit["headline_synthesized"] is True
    assert hit["headline"].startswith("As reported last week, the talks in Moscow")
    assert {hit["snippet"][a:b] for a, b in hit["highlights"]} == {"Kono"}
    assert result["facets"]["publication"] == {"Monitor": 1}
    assert result["facets"]["persons"]["Yohei Kono"] == 1
    # Filters alone, no words; dates the text talks about, not publication dates:
    # "(Kyodo, December 26)" in an issue of January 2000 is 1999-12-26.
    december = search(env, "--mentions-from", "1999-12", "--mentions-to", "1999-12")
    assert december["total"] == 1 and december["hits"][0]["published_at"].startswith("2000-")
    assert search(env, "--person", "Kono", "--publication", "the monitor")["total"] == 1
    assert search(env, "Kono", "--publication", "EDM")["total"] == 0


def test_search_table_shows_the_lead_and_the_top_facets(env: dict[str, str]) -> None:
    monitor("ingest", str(SAMPLES), env=env)
    table = monitor("search", "--cites", "Kyodo", env=env)
    assert table.returncode == 0, table.stderr
    assert "match the filters" in table.stdout
    assert "(lead)" in table.stdout
    assert "in these results:" in table.stdout and "Kyodo (" in table.stdout
    widened = monitor("search", "Obuchi OR Kiriyenko", env=env)
    assert "(Kiriyenko as Sergei Kirienko: " in widened.stdout


def test_each_or_term_explains_itself_and_explain_shows_what_matched(
    env: dict[str, str],
) -> None:
    monitor("ingest", str(SAMPLES), env=env)
    either = monitor("search", "Putin OR Eltsin", "--explain", env=env)
    assert either.returncode == 0, either.stderr
    lines = either.stdout.splitlines()
    (putin,) = [line for line in lines if line.startswith("  (Putin as ")]
    (yeltsin,) = [line for line in lines if line.startswith("  (Eltsin as ")]
    assert "Vladimir Putin" in putin and "Yeltsin" not in putin
    assert "Boris Yeltsin" in yeltsin and "Putin" not in yeltsin
    matched = [line for line in lines if line.startswith("    matched: ")]
    assert matched and all("Putin" in m or "Yeltsin" in m for m in matched)
    # A possessive pasted from a text finds what the name finds.
    plain = search(env, "Kono")
    assert plain["total"] >= 1
    assert search(env, "Kono's")["total"] == plain["total"]


def test_a_query_of_too_many_terms_is_one_line(env: dict[str, str]) -> None:
    monitor("ingest", str(SAMPLES), env=env)
    done = monitor("search", " OR ".join(f"term{n}" for n in range(10_000)), env=env)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("monitor: error: a query holds at most 64 words")


def test_show_prints_citation_targets_and_cited_by_across_two_ingests(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "citing.json").write_text(json.dumps(CITING), encoding="utf-8")
    (tmp_path / "cited.json").write_text(json.dumps(CITED), encoding="utf-8")
    assert monitor("ingest", str(tmp_path / "citing.json"), env=env).returncode == 0
    assert monitor("ingest", str(tmp_path / "cited.json"), env=env).returncode == 0
    cited_id = search(env, "Kuril")["hits"][0]["id"]
    citing_id = search(env, "Ivanov")["hits"][0]["id"]

    shown = monitor("show", cited_id, "--format", "json", env=env)
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["id"] == cited_id
    assert [c["id"] for c in doc["cited_by"]] == [citing_id]

    citing = json.loads(monitor("show", citing_id, "--format", "json", env=env).stdout)
    (internal,) = [c for c in citing["citations"] if c["kind"] == "internal"]
    assert internal["target"]["id"] == cited_id

    table = monitor("show", citing_id, env=env)
    assert table.returncode == 0, table.stderr
    assert f"-> {cited_id}" in table.stdout
    assert "cited by (0)" in table.stdout and "Izvestia, 2001-01-19 (press)" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "no-such-id"], "no article with id 'no-such-id'"),
        (["search", "x", "--from", "2000-13"], "--from '2000-13' is not a date"),
        (["search", "x", "--mentions-from", "March"], "--mentions-from 'March' is not a date"),
    ],
)
def test_user_mistakes_are_one_line(env: dict[str, str], args: list[str], message: str) -> None:
    done = monitor(*args, env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == f"monitor: error: {message}" or message in done.stderr
    assert "Traceback" not in done.stderr
