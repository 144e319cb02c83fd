"""`monitor delete ID...` on both stores, as a user runs it (real subprocesses).

The articles follow the seed format of README "Input formats"; on Elasticsearch the
store is FakeElasticsearch over real HTTP (or the real cluster of
MONITOR_TEST_ELASTICSEARCH_URL), and the delete goes through the alias.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.es_cluster import Cluster, cluster
from tests.support.processes import monitor

pytestmark = pytest.mark.integration
__all__ = ["cluster"]
ARTICLE = "Publication: Monitor Volume: 7 Issue: {n}\n\nTalks in Ulan Bator on issue {n}.\n"


@pytest.fixture(params=["embedded", "elasticsearch"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "embedded":
        return {"MONITOR_DATA_DIR": str(tmp_path / "var")}
    found: Cluster = request.getfixturevalue("cluster")
    return found.env()


def hits(env: dict[str, str]) -> list[str]:
    result = monitor("search", "Ulan Bator", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return [hit["id"] for hit in json.loads(result.stdout)["hits"]]


def test_delete_removes_articles_and_reports_unknown_ids(
    env: dict[str, str], tmp_path: Path
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for n in (14, 15):
        (inbox / f"a{n}.txt").write_text(ARTICLE.format(n=n), encoding="utf-8")
    assert monitor("ingest", str(inbox), env=env).returncode == 0
    found = hits(env)
    assert len(found) == 2
    doomed, kept = found

    result = monitor("delete", "--yes", doomed, env=env)
    assert result.returncode == 0, result.stderr
    assert "deleted 1 article(s)" in result.stdout
    assert hits(env) == [kept]
    status = json.loads(monitor("status", "--format", "json", env=env).stdout)
    assert status["documents"] == 1

    again = monitor("delete", "--yes", doomed, env=env)
    assert again.returncode == 1
    assert f"monitor: {doomed}: not in the index" in again.stderr
    assert "deleted 0 article(s)" in again.stdout


def test_delete_reads_ids_from_stdin_and_asks_first(env: dict[str, str], tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE.format(n=3), encoding="utf-8")
    assert monitor("ingest", str(article), env=env).returncode == 0
    (doc_id,) = hits(env)

    refused = monitor("delete", doc_id, env=env, stdin="n\n")
    assert refused.returncode != 0
    assert hits(env) == [doc_id]

    result = monitor("delete", "--yes", "-", env=env, stdin=f"{doc_id}\n")
    assert result.returncode == 0, result.stderr
    assert hits(env) == []
