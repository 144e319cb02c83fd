"""Enrichment speed: `python -m bench.enrich [--words N] [--repeat R]`.

Two numbers, on one core, over the dev articles (tests/fixtures/gold) repeated to
about N words:

1. dates + citations throughput in words/s (target ≥ 100,000);
2. the whole enrich stage (publication date, dates, citations, entities — no cache)
   against spaCy's own NER on the same texts with the same model (target ≤ 1.25×).

The best of R runs is reported for each, so other work on the machine adds less noise.
"""

from __future__ import annotations

import os

# One core: BLAS/threading libraries read these at import time.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

from bench import machine  # noqa: E402
from workers import pipeline  # noqa: E402
from workers.enrich import ner  # noqa: E402
from workers.enrich.enrichers import Citations, Dates, PublicationDate  # noqa: E402
from workers.model import Article  # noqa: E402
from workers.settings import get_settings  # noqa: E402
from workers.sources.files import expand_paths, read_file  # noqa: E402

GOLD = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "gold"


def corpus(words: int) -> list[Article]:
    files, _ = expand_paths([GOLD / "seeds", GOLD / "real-articles"])
    base = [pipeline.build(read_file(f, max_bytes=10_000_000)) for f in files]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
