"""The `monitor` command end to end, in the embedded mode (no servers), as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import SAMPLES, SCHEMA
from tests.support.processes import monitor

pytestmark = pytest.mark.integration


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return {"MONITOR_DATA_DIR": str(data_dir)}


def test_ingest_twice_then_search(env: dict[str, str]) -> None:
    first = monitor("ingest", str(SAMPLES), env=env)
    assert first.returncode == 0, first.stderr
    assert "ingested 2 (new 2, updated 0), unchanged 0, failed 0" in first.stdout

    second = monitor("ingest", str(SAMPLES), env=env)
    assert second.returncode == 0, second.stderr
    assert "ingested 0 (new 0, updated 0), unchanged 2, failed 0" in second.stdout

    found = monitor("search", "Kuril Islands", "--format", "json", env=env)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["total"] == 2
    for hit in result["hits"]:
        assert {"id", "title", "publication", "published_at", "score", "snippet"} <= hit.keys()
        assert any("Kuril" in hit["snippet"][a:b] for a, b in hit["highlights"])

    status = json.loads(monitor("status", "--format", "json", env=env).stdout)
    assert status["documents"] == 2
    assert status["publications"] == {"Monitor": 2}


def test_search_table_and_filters(env: dict[str, str]) -> None:
    monitor("ingest", str(SAMPLES), env=env)
    table = monitor("search", "Kono", env=env)
    assert table.returncode == 0
    assert "1 article(s) match 'Kono'" in table.stdout
    assert "**Kono**" in table.stdout  # highlighted, in **stars** when not on a terminal
    none = monitor("search", "Kono", "--publication", "China Brief", env=env)
    assert "no articles match" in none.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "x", "--from", "January"], "--from 'January' is not a date"),
        (["search", "x", "--to", "2001-02-30"], "--to '2001-02-30' is not a date"),
        (["ingest", "--async", "samples"], "--async needs a broker"),
        # README: a missing file is a user mistake (exit 2), not a failed item.
        (["ingest", "samples", "no-such-dir"], "no such file or directory: no-such-dir"),
        (["enrich", "no-such-file.txt"], "no such file or directory: no-such-file.txt"),
    ],
)
def test_user_mistakes_get_one_line_errors(
    env: dict[str, str], args: list[str], message: str
) -> None:
    result = monitor(*args, env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_files_are_reported_and_good_ones_still_ingested(
    env: dict[str, str], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / "monitor-v7-i14.txt", inbox)
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "junk.txt").write_bytes(b"\x00\x01\x02binary")
    (inbox / "latin1.txt").write_bytes("Publication: Monitor\n\ncaf\xe9".encode("latin-1"))
    (inbox / "header-only.txt").write_text("Publication: Monitor Volume: 7 Issue: 2\n")
    (inbox / "array.json").write_text("[]")
    # A stray README shares words with the archive; indexed it would top searches.
    (inbox / "README.txt").write_text("Notes on the Moscow files\n\nCopied from Moscow.\n")
    result = monitor("ingest", str(inbox), env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("monitor: ")]
    reasons = {
        "empty.txt": "file is empty",
        "junk.txt": "binary file",
        "latin1.txt": "not UTF-8",
        "header-only.txt": "no article body",
        "array.json": "must be an object",
        "README.txt": "no 'Publication: …' header line",
    }
    for name, reason in reasons.items():
        assert any(name in line and reason in line for line in errors), (name, errors)
    assert "ingested 1 (new 1, updated 0), unchanged 0, failed 6" in result.stdout
    status = json.loads(monitor("status", "--format", "json", env=env).stdout)
    assert status["documents"] == 1
    assert not json.loads(monitor("search", "Moscow files", "--format", "json", env=env).stdout)[
        "hits"
    ]

    taken = monitor("ingest", "--allow-headerless", str(inbox / "README.txt"), env=env)
    assert taken.returncode == 0, taken.stderr
    assert "ingested 1 (new 1" in taken.stdout
    assert monitor("search", "Moscow files", "--format", "json", env=env).stdout.count('"id"') == 1


def test_enrich_prints_documents_that_follow_the_contract(env: dict[str, str]) -> None:
    schema = json.loads(SCHEMA.read_text())
    one = monitor("enrich", str(SAMPLES / "monitor-v7-i14.txt"), "--format", "json", env=env)
    assert one.returncode == 0, one.stderr
    jsonschema.validate(json.loads(one.stdout), schema)

    several = monitor("enrich", str(SAMPLES), "--format", "json", env=env)
    lines = several.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        doc = json.loads(line)
        jsonschema.validate(doc, schema)
        assert doc["publication"] == "Monitor"
    # enrich indexes nothing
    status = json.loads(monitor("status", "--format", "json", env=env).stdout)
    assert status["documents"] == 0


def test_help_explains_every_command(env: dict[str, str]) -> None:
    for command in ["ingest", "search", "enrich", "status"]:
        result = monitor(command, "--help", env=env)
        assert result.returncode == 0
        assert "Usage: monitor" in result.stdout


def test_status_reports_sources_and_the_last_reprocess(env: dict[str, str]) -> None:
    monitor("ingest", str(SAMPLES), env=env)
    before = json.loads(monitor("status", "--format", "json", env=env).stdout)
    assert before["last_reprocess"] is None
    assert {s["name"] for s in before["sources"]} >= {"jamestown"}  # the packaged site source
    assert all(s["last_run"] is None for s in before["sources"])
    reprocessed = monitor("reprocess", env=env)
    assert reprocessed.returncode == 0, reprocessed.stderr
    assert "unchanged 2" in reprocessed.stdout
    # No Redis here: the cache file in the data dir keeps the run for the next command.
    after = json.loads(monitor("status", "--format", "json", env=env).stdout)
    last = after["last_reprocess"]
    assert (last["rewritten"], last["unchanged"], last["failed"]) == (0, 2, 0)


def test_a_missing_spacy_model_is_counted_and_shown(env: dict[str, str], tmp_path: Path) -> None:
    # Issue 11: not a silent success. The note is the entities enricher's own.
    missing = {**env, "MONITOR_SPACY_MODEL": "xx_no_such_model"}
    article = tmp_path / "a.txt"
    article.write_text(
        "Publication: Monitor Volume: 7 Issue: 3\n\nPresident Putin met officials in Moscow.\n"
    )
    result = monitor("ingest", str(article), env=missing)
    assert result.returncode == 0, result.stderr
    assert "ingested 1 (new 1, updated 0), unchanged 0, failed 0, with notes 1" in result.stdout
    assert "note on 1 article(s): entities: ModelMissing\n" in result.stderr  # no message
    assert "xx_no_such_model" in result.stderr  # the message, logged once

    shown = monitor("status", env=missing).stdout
    assert "spaCy model xx_no_such_model NOT INSTALLED" in shown
    data = json.loads(monitor("status", "--format", "json", env=missing).stdout)
    assert data["spacy_model"] == {"name": "xx_no_such_model", "installed": False}
    assert json.loads(monitor("status", "--format", "json", env=env).stdout)["spacy_model"][
        "installed"
    ]
