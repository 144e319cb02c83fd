"""Search relevance on texts the search was not tuned on (issue 29).

`tests/fixtures/search/relevance-judged.json` holds analyst queries over samples/ and
the modern openings in tests/fixtures/gold/modern/, judged by reading the texts before
any of them was searched; `relevance-blind.json` a second round over the same texts,
written after the search rules to test them on words they were not written for. Figures
per set and store (Elasticsearch through FakeElasticsearch or
a real cluster, see tests/fakes/es_cluster.py):

- precision@5: share of a query's relevant articles in its top five (out of at most
  five, as in test_relevance.py);
- MRR: mean of 1/rank of the first relevant hit (0 when none is in the top ten);
- recall@10: share of a query's relevant articles in its top ten;
- and for a query no article answers: nothing may come back at all.

Run as a script for the per-query table of each set:
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
SETS = {
    name: ROOT / "tests" / "fixtures" / "search" / f"relevance-{name}.json"
    for name in ("judged", "blind")
}
CORPUS = (ROOT / "samples", ROOT / "tests" / "fixtures" / "gold" / "modern")
FLOORS = {"precision_at_5": 0.90, "mrr": 0.90, "recall_at_10": 0.90}


@dataclass(frozen=True)
class Figures:
    precision_at_5: float
    mrr: float
    recall_at_10: float
    answered_nothing: list[tuple[str, list[str]]]  # (query, what came back) for empty ones
    per_query: list[tuple[str, float, float, float]]


def load(name: str) -> list[dict[str, Any]]:
    return json.loads(SETS[name].read_text(encoding="utf-8"))["queries"]  # type: ignore[no-any-return]


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


def measure(store: Store, names: dict[str, str], cases: list[dict[str, Any]]) -> Figures:
    rows = []
    empty = []
    for case in cases:
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
) -> dict[str, Figures]:
    """Each set's figures on one store (written once for both sets)."""
    items, names = processed
    store = written(request, tmp_path, items)
    try:
        return {name: measure(store, names, load(name)) for name in SETS}
    finally:
        store.close()


@pytest.mark.parametrize("name", list(SETS))
def test_the_set_is_judged_on_files_that_exist(name: str) -> None:
    cases = load(name)
    assert len(cases) >= 40
    files = {p.name for folder in CORPUS for p in folder.iterdir()}
    for case in cases:
        assert set(case["relevant"]) <= files, case
        assert set(case) == {"query", "relevant", "why"}, case


@pytest.mark.parametrize("name", list(SETS))
def test_relevance_on_the_judged_set(figures: dict[str, Figures], name: str) -> None:
    found = figures[name]
    missed = [row for row in found.per_query if min(row[1:]) < 1.0]
    assert found.precision_at_5 >= FLOORS["precision_at_5"], missed
    assert found.mrr >= FLOORS["mrr"], missed
    assert found.recall_at_10 >= FLOORS["recall_at_10"], missed


@pytest.mark.parametrize("name", list(SETS))
def test_queries_no_article_answers_bring_nothing_back(
    figures: dict[str, Figures], name: str
) -> None:
    empty = figures[name].answered_nothing
    assert empty
    assert [(q, hits) for q, hits in empty if hits] == []


if __name__ == "__main__":  # pragma: no cover - a report for docs/search.md
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        opened = EmbeddedStore(Path(tmp) / "db.sqlite3")
        processed_items, by_id = corpus()
        opened.write(processed_items)
        results = {name: measure(opened, by_id, load(name)) for name in SETS}
        opened.close()
    for name, result in results.items():
        print(f"== {name}")
        for query, p5, rr, r10 in result.per_query:
            print(f"{p5:5.2f} {rr:5.2f} {r10:5.2f}  {query}")
        for query, hits in result.answered_nothing:
            print(f"{'ok' if not hits else 'NOISE':>17}  {query}  {hits}")
        print(
            f"precision@5 {result.precision_at_5}  MRR {result.mrr}  recall@10 "
            f"{result.recall_at_10}  ({len(result.per_query)} queries with answers, "
            f"{len(result.answered_nothing)} without)"
        )
