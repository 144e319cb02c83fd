"""The command line as an analyst types it (issue 24), through the real `monitor`
process: several unquoted words, a bare listing, a mistyped publication, CSV for a
spreadsheet, a pipe closed early, Click's own usage errors, readable tables, the
version and shell completion.

The index holds the two seed articles (tests/fixtures/gold/seeds, Monitor 2000 and
2001) and one Eurasia Daily Monitor input written here in JSON, as a fetched post
arrives: with a date and no volume or issue.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devsupport.processes import ROOT, env_with
from tasks.export import SEARCH_COLUMNS, SHOW_COLUMNS
from tests.conftest import SAMPLES
from tests.support.processes import monitor
from workers import __version__

pytestmark = pytest.mark.integration

EDM = {
    "publication": "Eurasia Daily Monitor",
    "published_at": "2016-04-14",
    "title": "Putin and the National Guard",
    "body": "On April 5, President Vladimir Putin ordered the creation of a new National "
    "Guard (Kommersant, April 6). Yeltsin had discussed such a force in the 1990s.",
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One index for the module; the tests only read it."""
    root = tmp_path_factory.mktemp("analyst")
    (root / "edm.json").write_text(json.dumps(EDM), encoding="utf-8")
    made = {"MONITOR_DATA_DIR": str(root / "var")}
    for path in (SAMPLES, root / "edm.json"):
        done = monitor("ingest", str(path), env=made)
        assert done.returncode == 0, done.stderr
    return made


def search(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = monitor("search", *args, "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def ids(result: dict[str, Any]) -> set[str]:
    return {h["id"] for h in result["hits"]}


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The whole of stderr, which must be one `monitor: error:` line."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("monitor: error: "), done.stderr
    return lines[0].removeprefix("monitor: error: ")


# 1. Several words are one query


def test_unquoted_words_are_one_query(env: dict[str, str]) -> None:
    either = search(env, "Putin", "OR", "Yeltsin")
    assert ids(either) == ids(search(env, "Putin")) | ids(search(env, "Yeltsin"))
    assert len(ids(either)) == 3
    assert either == search(env, "Putin OR Yeltsin")  # the same as one quoted argument
    both = search(env, "Putin", "Guard")
    assert [h["publication"] for h in both["hits"]] == ["Eurasia Daily Monitor"]


# 4. No words: a listing


def test_bare_search_lists_the_newest_articles_with_facets(env: dict[str, str]) -> None:
    listed = search(env)
    assert listed["total"] == 3
    dates = [h["published_at"] for h in listed["hits"]]
    assert dates == sorted(dates, reverse=True) and dates[0] == "2016-04-14"
    assert listed["facets"]["publication"] == {"Monitor": 2, "Eurasia Daily Monitor": 1}
    table = monitor("search", "-n", "2", env=env)
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("3 article(s) in the index; showing the newest 2\n")
    assert "in these results:" in table.stdout
    # Filters still narrow a listing.
    assert search(env, "--publication", "monitor")["total"] == 2


# 5. An unknown publication is named, with hints


def test_an_unknown_publication_is_named_with_the_known_ones(env: dict[str, str]) -> None:
    message = one_error_line(monitor("search", "Putin", "--publication", "XYZ", env=env))
    assert message.startswith("unknown publication 'XYZ'; known publications: Monitor, ")
    assert "Eurasia Daily Monitor (EDM)" in message and "China Brief (CB)" in message
    typo = one_error_line(monitor("search", "--publication", "Eurasia Dialy Monitor", env=env))
    assert "(did you mean 'Eurasia Daily Monitor'" in typo
    # A code, a name in any case, or a publication the index holds is no mistake.
    assert search(env, "Putin", "--publication", "edm")["total"] == 1


def test_a_publication_only_the_index_knows_is_accepted(tmp_path: Path) -> None:
    made = {"MONITOR_DATA_DIR": str(tmp_path / "var")}
    post = {**EDM, "publication": "Jamestown Blog"}
    (tmp_path / "blog.json").write_text(json.dumps(post), encoding="utf-8")
    assert monitor("ingest", str(tmp_path / "blog.json"), env=made).returncode == 0
    assert search(made, "--publication", "jamestown blog")["total"] == 1


# 6. CSV for spreadsheets


def test_search_csv_has_the_columns_and_the_json_hits(env: dict[str, str]) -> None:
    done = monitor("search", "Putin", "OR", "Kono", "--format", "csv", env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == list(SEARCH_COLUMNS)
    hits = search(env, "Putin", "OR", "Kono")["hits"]
    assert [r["id"] for r in rows] == [h["id"] for h in hits]
    assert [float(r["score"]) for r in rows] == [h["score"] for h in hits]
    edm = next(r for r in rows if r["publication"] == "Eurasia Daily Monitor")
    assert edm["title"] == EDM["title"] and edm["published_at"] == "2016-04-14"


def test_show_csv_lists_entities_and_citations(env: dict[str, str]) -> None:
    seed = search(env, "Kono")["hits"][0]["id"]
    doc = json.loads(monitor("show", seed, "--format", "json", env=env).stdout)
    done = monitor("show", seed, "--format", "csv", env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == list(SHOW_COLUMNS)
    entities = [r for r in rows if r["part"] == "entity"]
    citations = [r for r in rows if r["part"] == "citation"]
    assert len(entities) == len(doc["entities"]) and len(citations) == len(doc["citations"])
    assert {(r["name"], r["type"]) for r in entities} == {
        (e["name"], e["type"]) for e in doc["entities"]
    }
    kono = next(r for r in entities if r["name"] == "Yohei Kono")
    assert int(kono["mentions"]) > 1
    assert ("Monitor", "internal", "2001-01-17") in {
        (r["name"], r["type"], r["date"]) for r in citations
    }


# 7. A pipe closed early


@pytest.mark.parametrize(
    "args",
    [["enrich", str(SAMPLES)], ["search", "-n", "3"], ["--help"], ["config"]],
    ids=["enrich", "search", "help", "config"],
)
def test_a_closed_pipe_ends_quietly(env: dict[str, str], args: list[str]) -> None:
    """As `monitor enrich samples/ | head -1` once `head` has gone: the reader's end is
    closed before the first write, so every run meets the closed pipe."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tasks.cli", *args],
            env=env_with(env),
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""  # not "service unavailable: BrokenPipeError", no traceback
    assert done.returncode == 141  # 128 + SIGPIPE: what a shell shows for `yes | head -1`


# 8. Usage mistakes are one line


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["search", "Putin", "--bogus"], "No such option '--bogus'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["search", "-n", "many"], "'many' is not a valid integer"),
        (["ingest"], "Missing argument 'PATHS...'"),
        (["search", "--format", "xlsx"], "'xlsx' is not one of 'table', 'json', 'csv'"),
    ],
)
def test_click_usage_errors_are_one_line(env: dict[str, str], args: list[str], says: str) -> None:
    message = one_error_line(monitor(*args, env=env))
    assert says in message
    assert message.endswith("--help')")  # where to read on


@pytest.mark.parametrize("group", [[], ["dlq"]], ids=["monitor", "monitor dlq"])
def test_a_group_without_its_command_shows_its_help(group: list[str]) -> None:
    done = monitor(*group, env={})
    assert done.returncode == 2
    assert done.stderr.startswith(f"Usage: {' '.join(['monitor', *group])} [OPTIONS] COMMAND")
    assert "monitor: error" not in done.stderr  # the help, not a help squeezed into one line


def test_every_date_option_words_a_bad_date_the_same_way(env: dict[str, str]) -> None:
    malformed = one_error_line(monitor("search", "--mentions-from", "yesterday", env=env))
    impossible = one_error_line(monitor("search", "--from", "2000-13", env=env))
    ending = " is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"
    assert malformed == "--mentions-from 'yesterday'" + ending
    assert impossible == "--from '2000-13'" + ending
    assert one_error_line(monitor("reprocess", "--since", "2001-02-30", env=env)) == (
        "--since '2001-02-30'" + ending
    )


# 9. Readable output


def test_eval_prints_misses_as_words(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "Publication: Monitor Volume: 7 Issue: 3\n\nForeign Minister Yohei Kono arrived in "
        "Moscow for talks (Kyodo, January 16).\n",
        encoding="utf-8",
    )
    gold = {"articles": [{"file": "a.txt", "entities": {"location": ["Moscow", "Atlantis"]}}]}
    (tmp_path / "gold.json").write_text(json.dumps(gold), encoding="utf-8")
    done = monitor("eval", str(tmp_path / "gold.json"), env={})
    assert done.returncode == 0, done.stderr
    assert "missing: atlantis" in done.stdout
    assert not re.search(r"[{}\[\]]|'missing'", done.stdout), done.stdout  # no Python repr


def test_enrich_and_show_leave_out_a_volume_the_article_lacks(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "edm.json").write_text(json.dumps(EDM), encoding="utf-8")
    summary = monitor("enrich", str(tmp_path / "edm.json"), env=env)
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout.startswith("edm.json: Eurasia Daily Monitor, published 2016-04-14")
    seed = monitor("enrich", str(SAMPLES / "monitor-v7-i14.txt"), env=env).stdout
    assert "Monitor vol 7 issue 14, published" in seed
    edm_id = search(env, "Guard")["hits"][0]["id"]
    shown = monitor("show", edm_id, env=env).stdout
    assert "  publication   Eurasia Daily Monitor\n" in shown and "None" not in shown


def _column_starts(line: str) -> list[int]:
    return [m.start() for m in re.finditer(r"(?<=  )\S", line)]


def test_config_keeps_its_columns_on_long_names(env: dict[str, str]) -> None:
    lines = monitor("config", env=env).stdout.splitlines()
    longest = max(lines, key=lambda line: len(line.split()[0]))
    assert len(longest.split()[0]) > 32  # the old fixed width
    values = {line.index(line.split(maxsplit=1)[1]) for line in lines}
    assert len(values) == 1, "every value starts in the same column"


def test_sources_all_keeps_its_columns_on_long_names(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname = "china-brief-notes-and-analysis-feed"\nkind = "feed"\n'
        'url = "https://jamestown.org/publications/cb/feed/"\nenabled = false\n\n'
        '[[source]]\nname = "edm"\nkind = "listing"\n'
        'url = "https://jamestown.org/publications/edm/"\n',
        encoding="utf-8",
    )
    made = {"MONITOR_DATA_DIR": str(tmp_path / "var"), "MONITOR_SOURCES_FILE": str(sources)}
    done = monitor("sources", "--all", env=made)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if not line.startswith("  ")]
    assert len(rows) == 3 and "china-brief-notes-and-analysis-feed (off)" in rows[1]
    # kind and checkpoint start in one column on every row (every is right-aligned)
    assert len({(starts[0], starts[2]) for starts in map(_column_starts, rows)}) == 1, done.stdout


# 12. Version and shell completion


def test_version_is_the_package_version() -> None:
    done = monitor("--version", env={})
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"monitor, version {__version__}\n"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'\nversion = "{__version__}"\n' in pyproject


def test_shell_completion_as_readme_documents_it() -> None:
    script = monitor(env={"_MONITOR_COMPLETE": "bash_source"})
    assert script.returncode == 0, script.stderr
    assert "_MONITOR_COMPLETE=bash_complete" in script.stdout
    assert "complete -o nosort -F" in script.stdout
    words = monitor(
        env={"_MONITOR_COMPLETE": "bash_complete", "COMP_WORDS": "monitor se", "COMP_CWORD": "1"}
    )
    assert "plain,search" in words.stdout.splitlines()
    options = monitor(
        env={
            "_MONITOR_COMPLETE": "bash_complete",
            "COMP_WORDS": "monitor search --for",
            "COMP_CWORD": "2",
        }
    )
    assert "plain,--format" in options.stdout.splitlines()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_MONITOR_COMPLETE=bash_source monitor)"' in readme
