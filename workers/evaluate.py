"""Score the pipeline against a hand-annotated gold file (`monitor eval GOLD.json`).

Gold files (tests/fixtures/gold/*-gold.json) list per input file the citation
(source, date) pairs, the date mentions with their resolved start/end, the people,
places and organizations by canonical name, and the publication year. Two gold
conventions are honoured: `optional` citations count neither for nor against, and
`allowed` persons (e.g. a name from the next article's headline) are not false
positives. Outlet names are compared through the file's `source_aliases` classes.

Everything is micro-averaged over articles; citations are multisets (the same pair
cited twice is two citations).

`items` gold files (real-articles-gold-extra.json, modern-gold.json) compare names
through one formal name on both sides (`_formal`); the modern one's conventions (its
`about`) are read as written there: only dated pairs, optional alternates standing
for a missed required pair, citation dates not scored, repeated dates kept.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers.enrich import orgs
from workers.enrich.citations import canonical_source
from workers.enrich.gazetteer import gazetteer, translit_key
from workers.errors import UsageError
from workers.model import Article, DateMention, InputError, RawArticle, Span
from workers.pipeline import DEFAULT_PIPELINE, Pipeline
from workers.sources.files import read_file

MAX_INPUT_BYTES = 5_000_000


class GoldError(UsageError):
    """The gold file cannot be used (missing, not JSON, wrong shape): the user named
    it, so theirs to fix, and no partial score is printed (exit 2)."""


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
    # Per measure, how many errors of each kind (see `ERROR_KINDS`).
    error_kinds: dict[str, Counter[str]] = field(default_factory=dict)

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
            "error_kinds": {
                m: {k: n for k, n in sorted(c.items()) if n} for m, c in self.error_kinds.items()
            },
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
    if isinstance(data, dict) and isinstance(data.get("items"), dict):
        data = {**data, "articles": _items_as_articles(path, data)}
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise GoldError(f"{path}: expected an object with an 'articles' list")
    for item in data["articles"]:
        if not isinstance(item, dict) or not isinstance(item.get("file"), str):
            raise GoldError(f"{path}: every article needs a 'file' (path relative to the gold)")
    return data


def evaluate(path: Path, *, pipeline: Pipeline = DEFAULT_PIPELINE) -> Report:
    """Run `pipeline` (by default the full set, uncached) on every file the gold names
    and score it."""
    gold = load_gold(path)
    aliases = _alias_table(gold.get("source_aliases") or [])
    raws: list[RawArticle] = []
    for item in gold["articles"]:
        try:
            raws.append(read_file(path.parent / item["file"], max_bytes=MAX_INPUT_BYTES))
        except InputError as exc:
            raise GoldError(f"{item['file']}: {exc}") from exc
    report = Report(articles=len(raws))
    for item, result in zip(gold["articles"], pipeline.process_batch(raws), strict=True):
        if isinstance(result, Exception):
            raise GoldError(f"{item['file']}: {result}")
        _score_article(report, item, result, aliases)
    return report


def _score_article(
    report: Report, item: dict[str, Any], article: Article, aliases: dict[str, str]
) -> None:
    misses: dict[str, Any] = {}

    def source(name: str) -> str:
        if item.get("dated_pairs_only"):
            # Gold sources as written, the pipeline's canonical: one name for both
            # ("Izvestiya" is Izvestia, an article's address is its site).
            name = canonical_source(name)[0]
        key = name.casefold().removeprefix("the ")
        return aliases.get(key, key)

    def pair(value: Any) -> tuple[str, str | None]:
        if isinstance(value, dict):
            return source(value["source"]), value.get("date")
        return source(value[0]), value[1]

    if "citations" in item:
        gold = Counter(pair(c) for c in item["citations"])
        optional = Counter(pair(c) for c in item.get("optional") or [])
        predicted = Counter(
            (source(c.source), c.date)
            for c in article.citations
            if not item.get("dated_pairs_only") or (c.date and len(c.date) == 10)
        )
        tp = gold & predicted
        fp = predicted - gold - optional
        fn = gold - predicted
        tp, fn = _alternates(tp, fn, (predicted - gold) & optional)
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
    if "named" in item:
        _score_named(report, item, article, misses)
    if "date_values" in item:
        cited = _cited_regions(article, item.get("cited_sources"))
        repeats = "cited_sources" in item  # the modern gold keeps duplicates
        _score_date_values(report, item["date_values"], article, misses, cited, repeats=repeats)
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
    if isinstance(item.get("publication_date_estimate"), str):
        return int(item["publication_date_estimate"][:4])
    return None


def _alias_table(classes: Iterable[list[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for names in classes:
        canonical = names[0].casefold().removeprefix("the ")
        for name in names:
            table[name.casefold().removeprefix("the ")] = canonical
    return table


def _alternates(
    tp: Counter[tuple[str, str | None]],
    fn: Counter[tuple[str, str | None]],
    accepted: Counter[tuple[str, str | None]],
) -> tuple[Counter[tuple[str, str | None]], Counter[tuple[str, str | None]]]:
    """Required pairs found under an optional alternate: the gold lists another
    spelling of a required source ("kavkaz-uzel.ru" for its article's address), or
    the other reading of an ambiguous year, as acceptable; such a prediction stands
    for the required pair it shares a source or a date with."""
    tp, fn, accepted = Counter(tp), Counter(fn), Counter(accepted)
    for (source, day), missing in list(fn.items()):
        for _ in range(missing):
            alt = next((a for a in accepted if a[0] == source or a[1] == day), None)
            if alt is None:
                break
            accepted[alt] -= 1
            accepted += Counter()  # drop used-up alternates
            fn[(source, day)] -= 1
            tp[(source, day)] += 1
    return tp, +fn


def _pairs(counter: Counter[tuple[str, str | None]]) -> list[str]:
    return [f"{s} {d}" for (s, d), n in sorted(counter.items(), key=str) for _ in range(n)]


def _add(score: Score, tp: int, fp: int, fn: int) -> None:
    score.tp += tp
    score.fp += fp
    score.fn += fn


# Gold files with an `items` object (real-articles-gold-extra.json): per input, places
# and organizations by canonical name with `*_optional` borderline ones, a top-level
# `aliases` object of name groups (first entry canonical), and dates as
# (text, value) with value YYYY-MM-DD, YYYY-MM or YYYY.

# What went wrong, per measure, so the next change is easy to aim:
# - fragment: a reported name that is no gold item nor part of one ("Stockholm Kozyrev");
# - wrong type: a gold name of the other kind ("Georgia" reported as an organization);
# - split: a piece of a longer gold name ("Europe" of "Conventional Forces in Europe");
# - missed: a gold item not reported;
# - wrong value (dates): the gold text found with another value.
ERROR_KINDS = ("fragment", "wrong type", "split", "missed", "wrong value")
_NAMED = {"location": "locations", "organization": "organizations"}


def _items_as_articles(path: Path, gold: dict[str, Any]) -> list[dict[str, Any]]:
    """`items` keyed by input name ("item00") as `articles` entries with a `file`."""
    aliases = {m: _alias_table(groups) for m, groups in (gold.get("aliases") or {}).items()}
    articles = []
    for key, item in gold["items"].items():
        if not isinstance(item, dict):
            raise GoldError(f"{path}: item {key!r} is not an object")
        found = sorted(p for p in (*path.parent.glob(f"{key}.*"), *path.parent.glob(f"*/{key}.*")))
        if not found:
            raise GoldError(f"{key}: no input file named {key}.* next to {path.name}")
        named = {
            kind: {
                "gold": item.get(field_name) or [],
                "optional": item.get(f"{field_name}_optional") or [],
            }
            for kind, field_name in _NAMED.items()
        }
        article: dict[str, Any] = {}
        if "citations" in item:
            # The modern gold (dev/modern): citation pairs scored as in `articles`
            # files, and their dates left out of the date measure (`cited_sources`).
            article["citations"] = item["citations"]
            article["optional"] = item.get("optional") or []
            article["dated_pairs_only"] = True  # "(WHO, undated)", a bare URL: no pair
            article["cited_sources"] = [c[0] for c in (*item["citations"], *article["optional"])]
        if "persons" in item:
            article["persons"] = item["persons"]
            article["allowed"] = item.get("persons_optional") or []
        if isinstance(item.get("pub_year"), int):
            article["pub_year"] = item["pub_year"]
        articles.append(
            {
                **article,
                "publication_date_estimate": item.get("publication_date_estimate"),
                "file": str(found[0].relative_to(path.parent)),
                "named": named,
                "name_aliases": aliases,
                "date_values": {
                    "gold": item.get("dates") or [],
                    "optional": item.get("dates_optional") or [],
                },
            }
        )
    return articles


def _score_named(
    report: Report, item: dict[str, Any], article: Article, misses: dict[str, Any]
) -> None:
    named: dict[str, dict[str, list[str]]] = item["named"]
    aliases: dict[str, dict[str, str]] = item["name_aliases"]

    def key(kind: str, name: str) -> str:
        folded = _formal(kind, name).casefold().removeprefix("the ").replace("’", "'")
        return aliases.get(_NAMED[kind], {}).get(folded, folded)

    every = {k: {key(k, n) for n in (*v["gold"], *v["optional"])} for k, v in named.items()}
    for kind, gold_lists in named.items():
        score = getattr(report, _NAMED[kind])
        kinds = report.error_kinds.setdefault(_NAMED[kind], Counter())
        gold = {key(kind, n) for n in gold_lists["gold"]}
        optional = {key(kind, n) for n in gold_lists["optional"]}
        found = {key(kind, e.name) for e in article.entities if e.type == kind}
        fp = found - gold - optional
        fn = gold - found
        _add(score, len(found & gold), len(fp), len(fn))
        others = set().union(*(names for k, names in every.items() if k != kind))
        longer = set().union(*every.values())
        for name in fp:
            if name in others:
                kinds["wrong type"] += 1
            elif any(_inside(name, g) for g in longer):
                kinds["split"] += 1
            else:
                kinds["fragment"] += 1
        kinds["missed"] += len(fn)
        if fp or fn:
            misses[_NAMED[kind]] = {"unexpected": sorted(fp), "missing": sorted(fn)}


def _formal(kind: str, name: str) -> str:
    """One name for the spellings of one thing, on both sides of the comparison: the
    gazetteer's for any of its aliases ("WHO" is the World Health Organization), and
    for a state body named by its country the formal name ("Russian Ministry of
    Defense" is the Ministry of Defense of Russia). Gold files write names as the
    text does; the pipeline writes one canonical name."""
    entry = gazetteer().by_key.get(translit_key(name))
    if entry is not None and entry.type == kind:
        return entry.name
    if kind == "organization":
        return orgs.canonical_name(name) or name
    return name


def _inside(part: str, whole: str) -> bool:
    """`part` is a proper piece of `whole`, on word boundaries."""
    return part != whole and f" {part} " in f" {whole} "


_PARENTHETICAL = re.compile(r"\([^()\n]{1,500}\)")


def _cited_regions(article: Article, sources: list[str] | None) -> list[Span]:
    """Where the gold's citations are: the parentheticals naming one of its sources,
    and the citations the pipeline found. `None` when the gold does not annotate
    citations (then their dates are ordinary dates)."""
    if sources is None:
        return []
    names = [s.casefold() for s in sources]
    regions = [
        m.span()
        for m in _PARENTHETICAL.finditer(article.body)
        if any(n in m.group().casefold() for n in names)
    ]
    regions.extend(c.span for c in article.citations if c.span and c.date)
    return regions


def _inside_any(span: Span | None, regions: Sequence[Span]) -> bool:
    return span is not None and any(a <= span[0] < b for a, b in regions)


def _score_date_values(
    report: Report,
    gold: dict[str, list[dict[str, str]]],
    article: Article,
    misses: dict[str, Any],
    cited: Sequence[Span] = (),
    *,
    repeats: bool = False,
) -> None:
    """A gold (text, value) is found by a mention with that value whose text contains
    it or lies inside it; mentions of kinds the gold does not annotate (weeks,
    decades), mentions inside the `cited` regions when the gold annotates citations
    on their own, and pieces of an optional expression ("early June" of "late
    May–early June") count neither way. `repeats`: the gold lists a date each time
    it is written, so predictions are not merged either."""
    kinds = report.error_kinds.setdefault("dates", Counter())
    scored = [
        (d.text.casefold(), date_value(d))
        for d in article.dates
        if _annotated(d) and not _inside_any(d.span, cited)
    ]
    predicted = scored if repeats else list(dict.fromkeys(scored))
    used: set[int] = set()

    def take(text: str, value: str) -> bool:
        for index, (p_text, p_value) in enumerate(predicted):
            if index not in used and p_value == value and _overlap(text, p_text):
                used.add(index)
                return True
        return False

    missing = []
    for mention in gold["gold"]:
        text, value = mention["text"].casefold(), mention["value"]
        if take(text, value):
            report.dates.tp += 1
            continue
        report.dates.fn += 1
        missing.append(f"{mention['text']} = {value}")
        kinds["wrong value" if any(_overlap(text, t) for t, _ in predicted) else "missed"] += 1
    for mention in gold["optional"]:
        take(mention["text"].casefold(), mention["value"])
    gold_texts = [m["text"].casefold() for m in gold["gold"]]
    optional_texts = [m["text"].casefold() for m in gold["optional"]]
    unexpected = []
    for index, (text, value) in enumerate(predicted):
        if index in used or any(_overlap(text, t) for t in gold_texts):
            continue  # a wrong value is counted once, as a miss
        if any(text in t for t in optional_texts):
            continue
        report.dates.fp += 1
        kinds["fragment"] += 1
        unexpected.append(f"{text} = {value}")
    if missing or unexpected:
        misses["date_values"] = {"unexpected": unexpected, "missing": missing}


def date_value(mention: DateMention) -> str:
    """The gold's notation: a day (a range's first), else the month or year holding it."""
    if mention.granularity == "day":
        return mention.start
    if mention.start[:7] == mention.end[:7]:
        return mention.start[:7]
    return mention.start[:4]


def _annotated(mention: DateMention) -> bool:
    if mention.granularity == "week":
        return False
    return int(mention.end[:4]) - int(mention.start[:4]) < 9  # a decade is not annotated


def _overlap(a: str, b: str) -> bool:
    return a in b or b in a
