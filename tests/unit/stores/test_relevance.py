"""Search relevance over samples/: 20+ analyst queries with their expected top hits
(tests/fixtures/search/relevance.json), scored with precision@5 and MRR, in both
stores (Elasticsearch through FakeElasticsearch, or a real cluster when
MONITOR_TEST_ELASTICSEARCH_URL is set; the fake's ranking is crude, so there the
figures check that the right articles come back, not ES's own scoring).

precision@5 here is the share of a query's relevant articles found in its top five
(the relevant count is at most four, so the plain /5 form could never reach 1);
MRR is the mean of 1/rank of the first relevant hit (0 when none is in the top ten).
The floors in the fixture are the figures measured when the set was written
(docs/search.md): a change that ranks worse fails here. Run this module as a script
to print the figures: `.venv/bin/python -m tests.unit.stores.test_relevance`.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.es_cluster import Cluster, cluster
from workers.model import RawArticle
from workers.pipeline import DEFAULT_PIPELINE
from workers.sources.files import read_file
from workers.stores import open_store
from workers.stores.base import Indexable, SearchQuery, Store
from workers.stores.embedded import EmbeddedStore

__all__ = ["cluster"]
ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "search" / "relevance.json"
_FILTERS = ("publication", "person", "place", "org", "cites", "mentions_from", "mentions_to")


@dataclass(frozen=True)
class Figures:
    precision_at_5: float
    mrr: float
    per_query: list[tuple[str, float, float]]


def load() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def process_samples() -> tuple[list[Indexable], dict[str, str]]:
    """The samples through the whole pipeline; and article id → file name."""
    items: list[Indexable] = []
    names: dict[str, str] = {}
    for sample in sorted((ROOT / "samples").iterdir()):
        if sample.suffix not in (".txt", ".json"):
            continue
        raw: RawArticle = read_file(sample, max_bytes=10_000_000)
        article = DEFAULT_PIPELINE.process(raw)
        items.append(Indexable(article, raw))
        names[article.id] = sample.name
    return items, names


def measure(store: Store, names: dict[str, str]) -> Figures:
    rows = []
    for case in load()["queries"]:
        filters = {k: case[k] for k in _FILTERS if k in case}
        found = store.search(SearchQuery(case["query"], limit=10, **filters))
        ranked = [names[h.id] for h in found.hits]
        relevant = set(case["relevant"])
        p5 = len(relevant & set(ranked[:5])) / min(5, len(relevant))
        first = next((i for i, name in enumerate(ranked, 1) if name in relevant), None)
        label = " ".join([case["query"], *(f"--{k}={v}" for k, v in filters.items())]).strip()
        rows.append((label, p5, 1 / first if first else 0.0))
    return Figures(
        precision_at_5=round(statistics.mean(r[1] for r in rows), 3),
        mrr=round(statistics.mean(r[2] for r in rows), 3),
        per_query=rows,
    )


@pytest.fixture(scope="module")
def samples() -> tuple[list[Indexable], dict[str, str]]:
    return process_samples()


def written(request: pytest.FixtureRequest, tmp_path: Path, items: list[Indexable]) -> Store:
    """A store of the kind `request.param` names ("embedded" or "elasticsearch": the
    fake, or a real cluster), holding `items`, searchable."""
    if request.param == "embedded":
        store: Store = EmbeddedStore(tmp_path / "db.sqlite3")
        store.write(items)
        return store
    es: Cluster = request.getfixturevalue("cluster")
    store = open_store(es.settings())
    store.write(items)
    es.refresh()
    return store


@pytest.fixture(params=["embedded", "elasticsearch"])
def figures(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    samples: tuple[list[Indexable], dict[str, str]],
) -> Figures:
    items, names = samples
    store = written(request, tmp_path, items)
    try:
        return measure(store, names)
    finally:
        store.close()


def test_the_set_is_big_enough_and_names_real_samples() -> None:
    cases = load()["queries"]
    assert len(cases) >= 20
    samples = {p.name for p in (ROOT / "samples").iterdir()}
    for case in cases:
        assert case["relevant"] and set(case["relevant"]) <= samples, case
        assert set(case) - {"query", "relevant", "why"} <= set(_FILTERS), case


def test_precision_at_5_and_mrr_do_not_regress(figures: Figures) -> None:
    floors = load()["floors"]
    missed = [(q, p, r) for q, p, r in figures.per_query if r == 0.0]
    assert figures.precision_at_5 >= floors["precision_at_5"], missed
    assert figures.mrr >= floors["mrr"], missed


if __name__ == "__main__":  # pragma: no cover - a report for docs/search.md
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        opened = EmbeddedStore(Path(tmp) / "db.sqlite3")
        processed, by_id = process_samples()
        opened.write(processed)
        result = measure(opened, by_id)
        opened.close()
    for query, p5, rr in result.per_query:
        print(f"{p5:5.2f} {rr:5.2f}  {query}")
    print(
        f"precision@5 {result.precision_at_5}  MRR {result.mrr}  ({len(result.per_query)} queries)"
    )
