"""Search cost in instructions: a figure a busy or drifting VM cannot move.

Wall and CPU times of the same search code moved by 2x between runs on this VM
(bench/results.md, 2026-12-02). `valgrind --tool=callgrind` counts the instructions
executed, Python's and SQLite's alike, and gives the same count for the same code and
store whatever else the machine does. Run it twice, with 0 and with N rounds; the
difference over N x (number of queries) is the instructions one search costs:

    python -m bench.search_ir --build STORE                # once: 20,000 enriched articles
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python -m bench.search_ir STORE --rounds 0         # "Collected : A"
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python -m bench.search_ir STORE --rounds 1         # "Collected : B"
    # (B - A) / 22 instructions per search as the CLI asks (`--queries cli`)

Both runs open the store and run every query once first (the gazetteer, SQLite's page
cache), so the difference holds only the searches. Compare two versions of the code on
copies of one store built by the older one (the newer migrates it when opened).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from bench.corpus import build
from bench.pipeline import ENTITY_QUERIES, FILTERED, QUERIES, search_store
from workers.sources.files import read_file
from workers.stores.base import SearchQuery
from workers.stores.embedded import EmbeddedStore

SETS = {
    "plain": [SearchQuery(q, limit=10) for q in QUERIES],
    "cli": [SearchQuery(q, limit=10, facets=True) for q in QUERIES + ENTITY_QUERIES],
    "filtered": [dataclasses.replace(q, limit=10, facets=True) for q in FILTERED],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="an embedded store file (see --build)")
    parser.add_argument("--build", action="store_true", help="build STORE first")
    parser.add_argument("--articles", type=int, default=300, help="corpus articles (--build)")
    parser.add_argument("--docs", type=int, default=20_000, help="documents (--build)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--queries", choices=sorted(SETS), default="cli")
    args = parser.parse_args()
    if args.build:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            files = build(work / "corpus", count=args.articles)
            raws = [read_file(f, max_bytes=10**7) for f in files]
            search_store(raws, args.docs, work).close()
            (work / "search.sqlite3").replace(args.store)
        print(f"built {args.store}: {args.docs:,} documents")
        return
    if not args.store.is_file():
        parser.error(f"{args.store} does not exist (build it with --build)")
    store = EmbeddedStore(args.store)
    queries = SETS[args.queries]
    for _ in range(args.rounds + 1):  # the first round warms; both runs have it
        for query in queries:
            store.search(query)
    store.close()
    print(f"{args.rounds} round(s) of {len(queries)} {args.queries} queries")


if __name__ == "__main__":
    main()
