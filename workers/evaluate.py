"""Score the pipeline against a hand-annotated gold file (`monitor eval GOLD.json`).

Gold files (tests/fixtures/gold/*-gold.json) list per input file the citation
(source, date) pairs, the date mentions with their resolved start/end, the people,
places and organizations by canonical name, and the publication year. Two gold
conventions are honoured: `optional` citations count neither for nor against, and
`allowed` persons (e.g. a name from the next article's headline) are not false
positives. Outlet names are compared through the file's `source_aliases` classes.

Everything is micro-averaged over articles; citations are multisets (the same pair
cited twice is two citations).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers import pipeline
from workers.model import Article, InputError, RawArticle
from workers.sources.files import read_file

MAX_INPUT_BYTES = 5_000_000


class GoldError(ValueError):
    """The gold file cannot be used (missing, not JSON, wrong shape)."""


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def has_gold(self) -> bool:
        """False when the gold file has no items of this kind: nothing to score, so
        the scores are n/a (null), not a perfect 1.0."""
        return self.tp + self.fn > 0

    def to_dict(self) -> dict[str, float | int | None]:
        known = self.has_gold
        return {
            "precision": round(self.precision, 4) if known else None,
            "recall": round(self.recall, 4) if known else None,
            "f1": round(self.f1, 4) if known else None,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(slots=True)
class Report:
    citations: Score = field(default_factory=Score)
    dates: Score = field(default_factory=Score)
    persons: Score = field(default_factory=Score)
    locations: Score = field(default_factory=Score)
    organizations: Score = field(default_factory=Score)
    years_correct: int = 0
    years_total: int = 0
    articles: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def year_accuracy(self) -> float:
        return self.years_correct / self.years_total if self.years_total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "citation_pairs": self.citations.to_dict(),
            "dates": self.dates.to_dict(),
            "persons": self.persons.to_dict(),
            "locations": self.locations.to_dict(),
            "organizations": self.organizations.to_dict(),
            "publication_year": {
                "accuracy": round(self.year_accuracy, 4),
                "correct": self.years_correct,
                "total": self.years_total,
            },
            "errors": self.errors,
        }


def load_gold(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GoldError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"{path}: cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise GoldError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise GoldError(f"{path}: expected an object with an 'articles' list")
    for item in data["articles"]:
        if not isinstance(item, dict) or not isinstance(item.get("file"), str):
            raise GoldError(f"{path}: every article needs a 'file' (path relative to the gold)")
    return data


def evaluate(
    path: Path,
    *,
    process: Callable[[list[RawArticle]], list[Article | Exception]] | None = None,
) -> Report:
    """Run the pipeline on every file the gold names and score it."""
    gold = load_gold(path)
    run = process or (lambda raws: pipeline.process_batch(raws))
    aliases = _alias_table(gold.get("source_aliases") or [])
    raws: list[RawArticle] = []
    for item in gold["articles"]:
        try:
            raws.append(read_file(path.parent / item["file"], max_bytes=MAX_INPUT_BYTES))
        except InputError as exc:
            raise GoldError(f"{item['file']}: {exc}") from exc
    report = Report(articles=len(raws))
    for item, result in zip(gold["articles"], run(raws), strict=True):
        if isinstance(result, Exception):
            raise GoldError(f"{item['file']}: {result}")
        _score_article(report, item, result, aliases)
    return report


def _score_article(
    report: Report, item: dict[str, Any], article: Article, aliases: dict[str, str]
) -> None:
    misses: dict[str, Any] = {}

    def source(name: str) -> str:
        key = name.casefold().removeprefix("the ")
        return aliases.get(key, key)

    def pair(value: Any) -> tuple[str, str | None]:
        if isinstance(value, dict):
            return source(value["source"]), value.get("date")
        return source(value[0]), value[1]

    if "citations" in item:
        gold = Counter(pair(c) for c in item["citations"])
        optional = Counter(pair(c) for c in item.get("optional") or [])
        predicted = Counter((source(c.source), c.date) for c in article.citations)
        tp = gold & predicted
        fp = predicted - gold - optional
        fn = gold - predicted
        _add(report.citations, sum(tp.values()), sum(fp.values()), sum(fn.values()))
        if fp or fn:
            misses["citations"] = {"unexpected": _pairs(fp), "missing": _pairs(fn)}
    if "dates" in item:
        _score_dates(report, item["dates"], article, misses)
    entities = dict(item.get("entities") or {})
    if "persons" in item:
        entities["person"] = item["persons"]
    allowed = {n.casefold() for n in item.get("allowed") or []}
    for kind, score in (
        ("person", report.persons),
        ("location", report.locations),
        ("organization", report.organizations),
    ):
        if kind not in entities:
            continue
        gold_names = {n.casefold() for n in entities[kind]}
        found = {e.name.casefold() for e in article.entities if e.type == kind}
        fp_names = found - gold_names - allowed
        fn_names = gold_names - found
        _add(score, len(found & gold_names), len(fp_names), len(fn_names))
        if fp_names or fn_names:
            misses[kind] = {"unexpected": sorted(fp_names), "missing": sorted(fn_names)}
    year = _gold_year(item)
    if year is not None:
        report.years_total += 1
        got = int(article.published_at[:4]) if article.published_at else None
        if got == year:
            report.years_correct += 1
        else:
            misses["publication_year"] = {"expected": year, "got": got}
    if misses:
        report.errors.append({"file": item["file"], **misses})


def _score_dates(
    report: Report, gold: list[dict[str, Any]], article: Article, misses: dict[str, Any]
) -> None:
    """Recall: a gold mention is found when a prediction has its start and end (or,
    for gold relative mentions given without values, its text and granularity)."""
    by_value = {(d.start, d.end) for d in article.dates}
    by_text = {(d.text.casefold(), d.granularity) for d in article.dates}
    missing = []
    matched: set[tuple[str, str]] = set()
    for mention in gold:
        if "start" in mention:
            key = (mention["start"], mention["end"])
            hit = key in by_value
            matched.add(key)
        else:
            hit = (mention["text"].casefold(), mention["granularity"]) in by_text
            matched.update(
                (d.start, d.end)
                for d in article.dates
                if d.text.casefold() == mention["text"].casefold()
            )
        if hit:
            report.dates.tp += 1
        else:
            report.dates.fn += 1
            missing.append(mention["text"])
    unexpected = sorted(
        {f"{d.text} ({d.start}..{d.end})" for d in article.dates if (d.start, d.end) not in matched}
    )
    report.dates.fp += len(unexpected)
    if missing or unexpected:
        misses["dates"] = {"unexpected": unexpected, "missing": missing}


def _gold_year(item: dict[str, Any]) -> int | None:
    if isinstance(item.get("pub_year"), int):
        return int(item["pub_year"])
    estimate = item.get("published_at_estimate")
    if isinstance(estimate, dict) and isinstance(estimate.get("value"), str):
        return int(estimate["value"][:4])
    return None


def _alias_table(classes: Iterable[list[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for names in classes:
        canonical = names[0].casefold().removeprefix("the ")
        for name in names:
            table[name.casefold().removeprefix("the ")] = canonical
    return table


def _pairs(counter: Counter[tuple[str, str | None]]) -> list[str]:
    return [f"{s} {d}" for (s, d), n in sorted(counter.items(), key=str) for _ in range(n)]


def _add(score: Score, tp: int, fp: int, fn: int) -> None:
    score.tp += tp
    score.fp += fp
    score.fn += fn
