"""Build N realistic articles in the seed format from the real texts in the repo.

Paragraphs of the real articles in samples/ are recombined with a
seeded RNG, so the same N gives the same corpus on every machine and runs compare.
Paragraphs are kept whole, so the citations and dates inside them survive; the header
varies publication, volume and issue the way the real archive does. Every article
gets a distinct title line, hence a distinct id.

    python -m bench.corpus OUT_DIR [--count N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "samples"]
# (publication, volumes so far, issues per volume) — a spread like the archive's.
PUBLICATIONS = [
    ("Monitor", 9, 240),
    ("Eurasia Daily Monitor", 22, 230),
    ("China Brief", 25, 24),
    ("Terrorism Monitor", 23, 24),
    ("North Caucasus Weekly", 26, 50),
]


def paragraphs() -> list[str]:
    """Every body paragraph of the real seed-format texts in the repo."""
    found: list[str] = []
    for folder in SOURCES:
        for path in sorted(folder.rglob("*.txt")) if folder.exists() else []:
            blocks = path.read_text(encoding="utf-8").split("\n\n")
            found.extend(
                b.strip() for b in blocks if len(b.split()) > 20 and "Publication:" not in b
            )
    if not found:
        raise SystemExit("no source texts found under samples/")
    return found


def article(rng: random.Random, pool: list[str], n: int) -> str:
    publication, volumes, per_volume = rng.choice(PUBLICATIONS)
    volume = rng.randint(1, volumes)
    issue = rng.randint(1, per_volume)
    body = "\n\n".join(rng.sample(pool, k=min(len(pool), rng.randint(3, 7))))
    return (
        f"Bench article {n}\n\nPublication: {publication} Volume: {volume} Issue: {issue}\n\n"
        f"{body}\n"
    )


def build(out: Path, *, count: int, seed: int = 7) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pool = paragraphs()
    files = []
    for n in range(count):
        path = out / f"article-{n:05d}.txt"
        path.write_text(article(rng, pool, n), encoding="utf-8")
        files.append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    files = build(args.out, count=args.count, seed=args.seed)
    print(f"wrote {len(files)} articles to {args.out}")


if __name__ == "__main__":
    main()
