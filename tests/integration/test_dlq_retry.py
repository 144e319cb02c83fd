"""`monitor dlq retry --all` sends the items back in batches of the normal size.

The entries are written as a failed worker run writes them (`deadletter.record` on the
embedded mode's SQLite queue): five files that failed to parse, since fixed. Without a
broker the retried batches run in this process, through the same task code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.processes import monitor
from workers import deadletter
from workers.deadletter import SqliteDeadLetters

pytestmark = pytest.mark.integration
ARTICLE = "Publication: Monitor Volume: 5 Issue: {n}\n\nNews from Yerevan on issue {n}.\n"


def test_retry_all_runs_batches_of_the_configured_size(tmp_path: Path) -> None:
    env = {"MONITOR_DATA_DIR": str(tmp_path / "var"), "MONITOR_BATCH_SIZE": "2"}
    queue = SqliteDeadLetters(tmp_path / "var" / "deadletter.sqlite3")
    for n in range(1, 6):
        path = tmp_path / f"a{n}.txt"
        path.write_text(ARTICLE.format(n=n), encoding="utf-8")  # fixed since it failed
        deadletter.record(
            queue, kind="file", ref=str(path), stage="parse", error_type="InputError", message="x"
        )
    assert queue.size() == 5

    result = monitor("dlq", "retry", "--all", env=env)
    assert result.returncode == 0, result.stderr
    assert "retried 5 item(s) in 3 batch(es); 0 item(s) in the dead-letter queue now" in (
        result.stdout
    )
    status = json.loads(monitor("status", "--format", "json", env=env).stdout)
    assert status["documents"] == 5
    assert status["dead_letters"] == 0
