"""Extraction quality on public corpora of real article pages with known answers.

Scores `workers.extract.html.article_from_html` ("ours") beside trafilatura used
alone (`trafilatura.bare_extraction` with metadata) on:

- `readability`: Mozilla Readability's test pages (`test/test-pages/<name>/`:
  `source.html`, `expected.html` = the article body, `expected-metadata.json` =
  title, byline, publishedTime): title, author, date and body;
- `aeb`: Zyte's article-extraction-benchmark (`html/<id>.html.gz` and
  `ground-truth.json` with `articleBody`): body only.

The corpus is read from a directory (a checkout or `git archive` of the corpus
repository, never committed here). Per document, each field is scored on tokens
(lowercase `\\w+`, as the benchmark tokenizes): precision = matched / predicted
tokens, recall = matched / true tokens, averaged over the documents that have a
prediction (precision) or a true value (recall). Dates score 1 when the calendar day
matches. Prints one table per corpus.

    python -m bench.extract readability DIR
    python -m bench.extract aeb DIR [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trafilatura
from selectolax.lexbor import LexborHTMLParser

from workers.extract.html import article_from_html
from workers.extract.metadata import iso_date
from workers.model import InputError

FIELDS = ("title", "author", "date", "body")
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Fields:
    title: str | None = None
    author: str | None = None
    date: str | None = None
    body: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    html: str
    url: str
    truth: Fields


@dataclass
class Score:
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)

    def add(self, true: str | None, pred: str | None, *, exact: bool = False) -> None:
        if exact:
            hit = float(bool(true) and true == pred)
            if pred and true:
                self.precision.append(hit)
            if true:
                self.recall.append(hit)
            return
        true_tokens, pred_tokens = tokens(true), tokens(pred)
        matched = sum((true_tokens & pred_tokens).values())
        if pred_tokens and true_tokens:
            self.precision.append(matched / sum(pred_tokens.values()))
        if true_tokens:
            self.recall.append(matched / sum(true_tokens.values()))

    def row(self) -> str:
        p = statistics.mean(self.precision) if self.precision else 0.0
        r = statistics.mean(self.recall) if self.recall else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return f"P {p:.3f}  R {r:.3f}  F1 {f1:.3f}  (n={len(self.recall)})"


def tokens(text: str | None) -> Counter[str]:
    return Counter(_TOKEN.findall((text or "").lower()))


def ours(case: Case) -> Fields:
    try:
        raw = article_from_html(case.html, url=case.url)
    except InputError:
        return Fields()
    return Fields(raw.title, "; ".join(raw.authors) or None, raw.published_at, raw.text)


def trafilatura_alone(case: Case) -> Fields:
    try:
        doc = trafilatura.bare_extraction(case.html, url=case.url, with_metadata=True)
    except Exception:  # a crash scores as an empty prediction
        return Fields()
    if doc is None or isinstance(doc, dict):
        return Fields()
    return Fields(doc.title, doc.author, iso_date(doc.date), doc.text)


EXTRACTORS: dict[str, Callable[[Case], Fields]] = {
    "ours": ours,
    "trafilatura alone": trafilatura_alone,
}


def readability_cases(root: Path) -> Iterator[Case]:
    pages = root / "test" / "test-pages" if (root / "test").is_dir() else root
    for folder in sorted(p for p in pages.iterdir() if (p / "source.html").is_file()):
        meta: dict[str, Any] = json.loads((folder / "expected-metadata.json").read_text())
        expected = LexborHTMLParser((folder / "expected.html").read_text(encoding="utf-8"))
        byline = meta.get("byline") or None
        yield Case(
            name=folder.name,
            html=(folder / "source.html").read_text(encoding="utf-8", errors="replace"),
            url="http://fakehost/test/page.html",  # the base Readability's tests use
            truth=Fields(
                title=meta.get("title") or None,
                author=re.sub(r"^\s*by\b", "", byline, flags=re.I) if byline else None,
                date=iso_date(meta.get("publishedTime")),
                body=expected.text(separator=" ") if expected.root is not None else None,
            ),
        )


def aeb_cases(root: Path) -> Iterator[Case]:
    truth: dict[str, Any] = json.loads((root / "ground-truth.json").read_text())
    for key, item in sorted(truth.items()):
        data = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        yield Case(
            name=key,
            html=data.decode("utf-8", errors="replace"),
            url=item.get("url") or "http://example.invalid/",
            truth=Fields(body=item.get("articleBody") or None),
        )


def is_wordpress(case: Case) -> bool:
    """Served by WordPress, like jamestown.org: its asset paths give it away."""
    return "/wp-content/" in case.html or "/wp-includes/" in case.html


def evaluate(cases: list[Case]) -> None:
    for label, extract in EXTRACTORS.items():
        started = time.perf_counter()
        predictions = [extract(case) for case in cases]
        per_page = (time.perf_counter() - started) / max(1, len(cases)) * 1000
        print(f"{label}: {len(cases)} pages, {per_page:.0f} ms/page")
        for subset, keep in (("all pages", lambda _: True), ("WordPress pages", is_wordpress)):
            scores = {name: Score() for name in FIELDS}
            for case, pred in zip(cases, predictions, strict=True):
                if not keep(case):
                    continue
                for name in FIELDS:
                    true_value, pred_value = getattr(case.truth, name), getattr(pred, name)
                    scores[name].add(true_value, pred_value, exact=name == "date")
            print(f"  {subset}")
            for name in FIELDS:
                if scores[name].recall:
                    print(f"    {name:<7} {scores[name].row()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", choices=("readability", "aeb"))
    parser.add_argument("path", type=Path, help="the corpus checkout (or git archive)")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages")
    args = parser.parse_args()
    reader = readability_cases if args.corpus == "readability" else aeb_cases
    cases = list(reader(args.path))[: args.limit]
    if not cases:
        raise SystemExit(f"no pages found under {args.path}")
    evaluate(cases)


if __name__ == "__main__":
    main()
