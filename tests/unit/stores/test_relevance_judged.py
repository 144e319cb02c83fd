"""Search relevance on texts the search was not tuned on (issue 29).

`tests/fixtures/search/relevance-judged.json` holds analyst queries over samples/ and
the modern openings in tests/fixtures/gold/modern/, judged by reading the texts before
any of them was searched. Figures per store (Elasticsearch through FakeElasticsearch or
a real cluster, see tests/fakes/es_cluster.py):

- precision@5: share of a query's relevant articles in its top five (out of at most
  five, as in test_relevance.py);
- MRR: mean of 1/rank of the first relevant hit (0 when none is in the top ten);
- recall@10: share of a query's relevant articles in its top ten;
- and for a query no article answers: nothing may come back at all.

Run as a script for the per-query table:
`.venv/bin/python -m tests.unit.stores.test_relevance_judged`.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.es_cluster import cluster
from tests.unit.stores.test_relevance import written
from workers.model import RawArticle
from workers.pipeline import DEFAULT_PIPELINE
from workers.sources.files import read_file
from workers.stores.base import Indexable, SearchQuery, Store
from workers.stores.embedded import EmbeddedStore

__all__ = ["cluster"]
ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "search" / "relevance-judged.json"
CORPUS = (ROOT / "samples", ROOT / "tests" / "fixtures" / "gold" / "modern")
FLOORS = {"precision_at_5": 0.90, "mrr": 0.90, "recall_at_10": 0.90}


@dataclass(frozen=True)
class Figures:
    precision_at_5: float
    mrr: float
    recall_at_10: float
    answered_nothing: list[tuple[str, list[str]]]  # (query, what came back) for empty ones
    per_query: list[tuple[str, float, float, float]]


def load() -> list[dict[str, Any]]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["queries"]  # type: ignore[no-any-return]


def corpus() -> tuple[list[Indexable], dict[str, str]]:
    """Every corpus file through the whole pipeline; and article id → file name."""
    items: list[Indexable] = []
    names: dict[str, str] = {}
    for folder in CORPUS:
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".txt", ".json") or path.name == "README.md":
                continue
            raw: RawArticle = read_file(path, max_bytes=10_000_000)
            article = DEFAULT_PIPELINE.process(raw)
            items.append(Indexable(article, raw))
            names[article.id] = path.name
    return items, names


def measure(store: Store, names: dict[str, str]) -> Figures:
    rows = []
    empty = []
    for case in load():
        found = store.search(SearchQuery(case["query"], limit=10))
        ranked = [names[h.id] for h in found.hits]
        relevant = set(case["relevant"])
        if not relevant:
            empty.append((case["query"], ranked))
            continue
        p5 = len(relevant & set(ranked[:5])) / min(5, len(relevant))
        first = next((i for i, name in enumerate(ranked, 1) if name in relevant), None)
        r10 = len(relevant & set(ranked[:10])) / len(relevant)
        rows.append((case["query"], p5, 1 / first if first else 0.0, r10))
    return Figures(
        precision_at_5=round(statistics.mean(r[1] for r in rows), 3),
        mrr=round(statistics.mean(r[2] for r in rows), 3),
        recall_at_10=round(statistics.mean(r[3] for r in rows), 3),
        answered_nothing=empty,
        per_query=rows,
    )


@pytest.fixture(scope="module")
def processed() -> tuple[list[Indexable], dict[str, str]]:
    return corpus()


@pytest.fixture(params=["embedded", "elasticsearch"])
def figures(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    processed: tuple[list[Indexable], dict[str, str]],
) -> Figures:
    items, names = processed
    store = written(request, tmp_path, items)
    try:
        return measure(store, names)
    finally:
        store.close()


def test_the_set_is_judged_on_files_that_exist() -> None:
    cases = load()
    assert len(cases) >= 40
    files = {p.name for folder in CORPUS for p in folder.iterdir()}
    for case in cases:
        assert set(case["relevant"]) <= files, case
        assert set(case) == {"query", "relevant", "why"}, case


def test_relevance_on_the_judged_set(figures: Figures) -> None:
    missed = [row for row in figures.per_query if min(row[1:]) < 1.0]
    assert figures.precision_at_5 >= FLOORS["precision_at_5"], missed
    assert figures.mrr >= FLOORS["mrr"], missed
    assert figures.recall_at_10 >= FLOORS["recall_at_10"], missed


def test_queries_no_article_answers_bring_nothing_back(figures: Figures) -> None:
    assert figures.answered_nothing
    assert [(q, hits) for q, hits in figures.answered_nothing if hits] == []


if __name__ == "__main__":  # pragma: no cover - a report for docs/search.md
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        opened = EmbeddedStore(Path(tmp) / "db.sqlite3")
        processed_items, by_id = corpus()
        opened.write(processed_items)
        result = measure(opened, by_id)
        opened.close()
    for query, p5, rr, r10 in result.per_query:
        print(f"{p5:5.2f} {rr:5.2f} {r10:5.2f}  {query}")
    for query, hits in result.answered_nothing:
        print(f"{'ok' if not hits else 'NOISE':>17}  {query}  {hits}")
    print(
        f"precision@5 {result.precision_at_5}  MRR {result.mrr}  recall@10 "
        f"{result.recall_at_10}  ({len(result.per_query)} queries with answers, "
        f"{len(result.answered_nothing)} without)"
    )
