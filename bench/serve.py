"""The search page's latency: a real `monitor serve` over 20,000 enriched articles.

The store is `bench.pipeline.search_store` (the corpus through the whole pipeline,
repeated under new ids); the queries are the search bench's, asked as URLs the
page builds: words and spellings widened to every name (with facets, as the page
always asks), the CLI's filters, the newest articles (no query), a later page, and
article pages. Server time is what the app reports in its `Server-Timing` header
(parameters read, store asked, page rendered); wall time adds HTTP on localhost.
The same asks of `store.search` alone, in-process, say what the page adds: on a
shared machine the absolute figures move with the load, the difference much less.

    python -m bench.serve [--articles 300] [--docs 20000] [--rounds 5] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench import machine
from bench.corpus import build
from bench.pipeline import ENTITY_QUERIES, QUERIES, search_store
from devsupport.serve import serve
from tasks.web.forms import parse_form
from workers.sources.files import read_file
from workers.stores.embedded import EmbeddedStore

FILTERED = [
    {"person": "Putin"},
    {"q": "Moscow", "place": "Japan"},
    {"mentions_from": "2001-01", "mentions_to": "2001-03"},
    {"cites": "Itar-Tass"},
    {"q": "Chechnya", "publication": "edm"},
]
TARGET_MS = 50.0


def measure(
    client: httpx.Client, path: str, asks: list[dict[str, str]], rounds: int
) -> tuple[list[float], list[float], list[float]]:
    """Server, server CPU and wall milliseconds of every ask, `rounds` times each."""
    server, cpu, wall = [], [], []
    for _ in range(rounds):
        for params in asks:
            started = time.perf_counter()
            answer = client.get(path, params=params)
            wall.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            timing = dict(  # "app;dur=12.3, cpu;dur=11.9"
                part.strip().split(";dur=") for part in answer.headers["server-timing"].split(",")
            )
            server.append(float(timing["app"]))
            cpu.append(float(timing["cpu"]))
    return server, cpu, wall


def summary(samples: list[float]) -> str:
    p95 = statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]
    return f"median {statistics.median(samples):5.1f} ms, p95 {p95:5.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the store here, and reuse the one found there (building it costs "
        "minutes of NER; a second run measures at once)",
    )
    args = parser.parse_args()
    print(machine.describe())
    with tempfile.TemporaryDirectory() as tmp:
        work = args.data_dir or Path(tmp)
        if (work / "monitor.sqlite3").exists():
            print(f"reusing the store in {work}")
        else:
            files = build(work / "corpus", count=args.articles)
            raws = [read_file(f, max_bytes=10**7) for f in files]
            search_store(raws, args.docs, work).close()
            (work / "search.sqlite3").rename(work / "monitor.sqlite3")  # settings.embedded_db
            print(f"{len(raws)} corpus articles enriched, repeated to {args.docs:,}")
        asks = {
            "words and spellings": [{"q": q} for q in QUERIES + ENTITY_QUERIES],
            "filters": FILTERED,
            "newest (no query)": [{}],
            "page 5 of a search": [{"q": q, "page": "5"} for q in QUERIES[:5]],
        }
        articles = [{"id": f"search-{n}"} for n in range(0, args.docs, args.docs // 20)]
        alone, alone_cpu = store_alone(
            work / "monitor.sqlite3", [a for p in asks.values() for a in p], args.rounds
        )
        with (
            serve({"MONITOR_DATA_DIR": str(work)}) as served,
            httpx.Client(base_url=served.url, timeout=60) as client,
        ):
            client.get("/", params={"q": "warm up"}).raise_for_status()
            every: list[float] = []
            every_cpu: list[float] = []
            for name, params in asks.items():
                server, cpu, wall = measure(client, "/", params, args.rounds)
                every += server
                every_cpu += cpu
                print(f"search page, {name:<22} server {summary(server)}; cpu {summary(cpu)}")
                print(f"{'':<36} wall {summary(wall)}")
            server, cpu, wall = measure(client, "/article", articles, args.rounds)
            print(f"article page{'':<24} server {summary(server)}; cpu {summary(cpu)}")
        median = statistics.median(every)
        verdict = "met" if median < TARGET_MS else "NOT met"
        print(
            f"store.search alone, the same asks{'':<4} {summary(alone)}; cpu {summary(alone_cpu)}"
        )
        print(
            f"search page, all {len(every)} asks: server median {median:.1f} ms "
            f"(target < {TARGET_MS:g} ms: {verdict}), server CPU median "
            f"{statistics.median(every_cpu):.1f} ms; store.search alone "
            f"{statistics.median(alone):.1f} ms, CPU {statistics.median(alone_cpu):.1f} ms"
        )


def store_alone(
    path: Path, asks: list[dict[str, str]], rounds: int
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of the page's own `store.search` calls, in this
    process: what the page adds (HTTP, views, the template) is the difference."""
    store = EmbeddedStore(path)
    try:
        wall, cpu = [], []
        for _ in range(rounds):
            for params in asks:
                query = parse_form(params).query()
                started, started_cpu = time.perf_counter(), time.process_time()
                store.search(query)
                wall.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
        return wall, cpu
    finally:
        store.close()


if __name__ == "__main__":
    main()
