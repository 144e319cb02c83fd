"""Reprocessing unchanged articles on the embedded store, articles/s (issue 25 point 12).

`python -m bench.reprocess [--articles 300] [--rounds 3] [--profile]`: builds the
corpus, ingests it once with the enrichment cache (start-up and NER excluded from the
timing), then reprocesses the whole store `--rounds` times, every article unchanged,
and prints the median rate. An unchanged article should cost little more than reading
its raw payload, a cache hit and a hash comparison. `--profile` prints the top
functions of one round (cProfile, cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from bench import machine
from bench.corpus import build
from workers.cache import MemoryCache
from workers.ingest import ingest_files
from workers.reprocess import reprocess_batch
from workers.runtime import Runtime
from workers.settings import get_settings
from workers.stores.embedded import EmbeddedStore

BATCH = 25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(machine.describe())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = [str(f) for f in build(work / "corpus", count=args.articles)]
        pipeline = Runtime.from_settings(get_settings(), cache=MemoryCache()).pipeline
        store = EmbeddedStore(work / "store.sqlite3")
        for start in range(0, len(files), BATCH):
            ingest_files(
                files[start : start + BATCH], store=store, max_bytes=10**7, pipeline=pipeline
            )
        ids = sorted(store.list_ids())
        rates = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            unchanged = sum(
                reprocess_batch(ids[s : s + BATCH], store=store, pipeline=pipeline).unchanged
                for s in range(0, len(ids), BATCH)
            )
            rates.append(len(ids) / (time.perf_counter() - started))
            assert unchanged == len(ids), f"{len(ids) - unchanged} article(s) changed"
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for s in range(0, len(ids), BATCH):
                reprocess_batch(ids[s : s + BATCH], store=store, pipeline=pipeline)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        store.close()
    print(
        f"reprocess unchanged, embedded store: {statistics.median(rates):.0f} articles/s "
        f"(median of {args.rounds}: {', '.join(f'{r:.0f}' for r in rates)}; "
        f"{len(ids)} articles; target >= 500)"
    )


if __name__ == "__main__":
    main()
