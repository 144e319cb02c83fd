"""Enrichment speed: `python -m bench.enrich [--words N] [--repeat R]`.

Two numbers, on one core, over the dev articles (tests/fixtures/gold) repeated to
about N words:

1. dates + citations throughput in words/s (target ≥ 100,000);
2. the whole enrich stage (publication date, dates, citations, entities — no cache)
   against spaCy's own NER on the same texts with the same model (target ≤ 1.25×);
3. with `--series`: one name-dense article of 0.25, 0.5, 1 and 2 MB (the dev
   articles' bodies joined, with rosters of gazetteer names), each enriched in a
   fresh process, its time and peak resident memory (target for 2 MB: ≤ 20 s
   within the worker's 350 MB; both growing linearly with size).

The best of R runs is reported for each, so other work on the machine adds less noise.
"""

from __future__ import annotations

import os

# One core: BLAS/threading libraries read these at import time.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

from bench import machine  # noqa: E402
from workers.enrich import ner  # noqa: E402
from workers.enrich.enrichers import Citations, Dates, PublicationDate  # noqa: E402
from workers.enrich.gazetteer import gazetteer  # noqa: E402
from workers.model import Article  # noqa: E402
from workers.pipeline import DEFAULT_PIPELINE, Pipeline  # noqa: E402
from workers.runtime import Runtime  # noqa: E402
from workers.settings import get_settings  # noqa: E402
from workers.sources.files import expand_paths, read_file  # noqa: E402

GOLD = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "gold"


def enriching() -> Pipeline:
    """The workers' pipeline (MONITOR_SPACY_MODEL), without a cache: every run computes."""
    return Runtime.from_settings(get_settings(), enrich_cache=False).pipeline


def corpus(words: int) -> list[Article]:
    files, _ = expand_paths([GOLD / "seeds", GOLD / "real-articles"])
    base = [DEFAULT_PIPELINE.build(read_file(f, max_bytes=10_000_000)) for f in files]
    out: list[Article] = []
    while sum(a.word_count for a in out) < words:
        out.extend(base)
    return out


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


SERIES_MB = (0.25, 0.5, 1.0, 2.0)


def one_article(size: int) -> Article:
    """One article of about `size` characters, dense with names: the dev bodies
    joined, each time followed by a roster of 200 gazetteer names (people, places,
    institutions, outlets), as in a list of delegates or signatories."""
    bodies = [a.body for a in corpus(1)]
    names = sorted({e.name for e in gazetteer().by_surface.values()})
    rosters = [
        "Among those present: " + ", ".join(names[i : i + 200]) + "."
        for i in range(0, len(names), 200)
    ]
    body, turn = "", 0
    while len(body) < size:
        body += "\n\n".join(bodies) + "\n\n" + rosters[turn % len(rosters)] + "\n\n"
        turn += 1
    first = DEFAULT_PIPELINE.build(
        read_file(GOLD / "seeds" / "monitor-v7-i14.txt", max_bytes=10**7)
    )
    return dataclasses.replace(first, body=body[:size])


def run_one(size: int) -> None:
    """Enrich one article of `size` characters; print seconds and peak RSS in MB."""
    article = one_article(size)
    pipeline = enriching()
    ner.load(get_settings().spacy_model)
    start, cpu = time.perf_counter(), time.process_time()
    (done,) = pipeline.enrich_batch([article])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{size} {seconds:.2f} {peak_mb:.0f} {len(done.entities)} {cpu:.2f}")


def series() -> None:
    print(
        "one name-dense article, fresh process each (target 2 MB: <= 20 s, <= 350 MB; "
        f"load average now {os.getloadavg()[0]:.1f})"
    )
    for mb in SERIES_MB:
        size = int(mb * 1_000_000)
        out = subprocess.run(
            [sys.executable, "-m", "bench.enrich", "--one", str(size)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        seconds, peak, found, cpu = float(out[1]), float(out[2]), int(out[3]), float(out[4])
        print(
            f"  {mb:5.2f} MB  {seconds:7.2f} s ({cpu:6.2f} s CPU, {cpu / mb:6.2f} s/MB)  "
            f"peak RSS {peak:5.0f} MB  {found:,} entities"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--series", action="store_true", help="also the 0.25-2 MB series")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.one)
        return
    model = get_settings().spacy_model
    articles = corpus(args.words)
    total_words = sum(a.word_count for a in articles)
    dated = [PublicationDate()(a) for a in articles]
    dates, citations = Dates(), Citations()

    def dates_and_citations() -> None:
        for article in dated:
            citations(dates(article))

    nlp = ner.load(model)
    bodies = [a.body for a in articles]
    nlp(bodies[0])  # warm-up outside the timings

    def spacy_alone() -> None:
        for _ in nlp.pipe(bodies, batch_size=32):
            pass

    pipeline = enriching()

    def whole_stage() -> None:
        pipeline.enrich_batch(articles)

    regex_s = best(args.repeat, dates_and_citations)
    spacy_s = best(args.repeat, spacy_alone)
    stage_s = best(args.repeat, whole_stage)
    print(f"{machine.describe()} (this benchmark uses one core)")
    print(f"spacy      {metadata.version('spacy')}, model {model} {nlp.meta.get('version')}")
    print(f"corpus     {len(articles)} articles, {total_words:,} words (best of {args.repeat})")
    print(
        f"dates+citations  {regex_s:7.3f} s  {total_words / regex_s:12,.0f} words/s "
        "(target >= 100,000)"
    )
    print(f"spaCy NER alone  {spacy_s:7.3f} s  {total_words / spacy_s:12,.0f} words/s")
    print(
        f"enrich stage     {stage_s:7.3f} s  {total_words / stage_s:12,.0f} words/s  "
        f"= {stage_s / spacy_s:.2f}x spaCy alone (target <= 1.25x)"
    )
    if args.series:
        series()


if __name__ == "__main__":
    main()
