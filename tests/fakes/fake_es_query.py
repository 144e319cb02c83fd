"""Query evaluation for FakeElasticsearch: the small DSL subset the store sends.

Supported: bool (must/filter/should/must_not, minimum_should_match as an integer or
in Elasticsearch's string forms: "2", "-1", "75%", "-25%", "2<-1 4<75%"),
constant_score (filter, boost, `_name`: a hit lists the names of the queries it
matched in `matched_queries`), term (with case_insensitive), range, exists, nested,
match_all and simple_query_string in the form the store writes (quoted terms, `-`
negation, `|` for OR). Aggregations: `terms`
(with size) and a yearly `date_histogram`, the shapes Elasticsearch answers with.
Anything else is a violation: the store started sending something the fake (and so
the tests) do not understand.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"\w+")
_SQS_TOKEN = re.compile(r'(\|)|(-?)"([^"]*)"')


class Unsupported(ValueError):
    pass


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def values(doc: dict[str, Any], path: str) -> list[Any]:
    """Every value at a dotted path (lists flattened); `title.keyword` reads `title`."""
    current: list[Any] = [doc]
    for part in path.split("."):
        nxt: list[Any] = []
        for item in current:
            if isinstance(item, dict) and part in item:
                v = item[part]
                nxt.extend(v if isinstance(v, list) else [v])
            elif not isinstance(item, dict) or part in ("keyword", "text"):
                nxt.append(item)
        current = nxt
    return [v for v in current if v is not None]


def matches(query: dict[str, Any], doc: dict[str, Any], named: set[str] | None = None) -> float:
    """0 when `doc` does not match, else a positive crude score; the `_name`s of the
    matching named queries are added to `named`."""
    ((kind, body),) = query.items()
    if kind == "match_all":
        return 1.0
    if kind == "constant_score":
        unknown = set(body) - {"filter", "boost", "_name"}
        if unknown or "filter" not in body:
            raise Unsupported(f"constant_score with {sorted(unknown) or 'no filter'}")
        boost = float(body.get("boost", 1.0))
        if boost < 0:
            raise Unsupported("negative boost")
        if not matches(body["filter"], doc, named):
            return 0.0
        if named is not None and "_name" in body:
            named.add(body["_name"])
        # A zero boost still matches (its name is reported); the crude scores here
        # are positive for "matched", so it counts as a hair above nothing.
        return boost or 1e-9
    if kind == "bool":
        unknown = set(body) - {"must", "filter", "should", "must_not", "minimum_should_match"}
        if unknown:
            raise Unsupported(f"bool with {sorted(unknown)}")
        score = 1.0
        for clause in body.get("must", []) + body.get("filter", []):
            s = matches(clause, doc, named)
            if not s:
                return 0.0
            score += s if clause in body.get("must", []) else 0
        if any(matches(c, doc) for c in body.get("must_not", [])):
            return 0.0
        should = body.get("should", [])
        # Real Elasticsearch: with must/filter present, should is optional unless
        # minimum_should_match says otherwise (a trap the fake reproduces).
        if "minimum_should_match" in body:
            wanted = minimum_should_match(body["minimum_should_match"], len(should))
        else:
            wanted = 0 if (body.get("must") or body.get("filter")) else min(1, len(should))
        scores = [matches(c, doc, named) for c in should]
        if sum(1 for s in scores if s) < wanted:
            return 0.0
        return score + sum(scores)
    if kind == "term":
        ((field, spec),) = body.items()
        want = spec["value"] if isinstance(spec, dict) else spec
        fold = isinstance(spec, dict) and spec.get("case_insensitive")
        for v in values(doc, field):
            if v == want or (fold and str(v).lower() == str(want).lower()):
                return 1.0
        return 0.0
    if kind == "range":
        ((field, bounds),) = body.items()
        for v in values(doc, field):
            s = str(v)
            if all(
                (op not in bounds)
                or (op == "gte" and s >= bounds[op])
                or (op == "lte" and s[: len(bounds[op])] <= bounds[op])
                for op in ("gte", "lte")
            ):
                return 1.0
        return 0.0
    if kind == "exists":
        return 1.0 if values(doc, body["field"]) else 0.0
    if kind == "nested":
        for item in values(doc, body["path"]):
            prefixed = {body["path"]: item}
            if matches(body["query"], prefixed):
                return 1.0
        return 0.0
    if kind == "simple_query_string":
        return _sqs(body, doc)
    raise Unsupported(f"query type {kind!r}")


def minimum_should_match(spec: Any, optional: int) -> int:
    """How many of `optional` should clauses must match, by Elasticsearch's rules
    (query-dsl-minimum-should-match): an integer or "N", "-N" (all but N), "N%" /
    "-N%" (rounded down), and "p<spec" combinations (all required up to p clauses;
    of several, the one with the largest p below the clause count applies)."""
    if isinstance(spec, bool) or not isinstance(spec, int | str):
        raise Unsupported(f"minimum_should_match {spec!r}")
    text = str(spec).strip()
    if "<" in text:
        applies = None
        for part in text.split():
            bound, _, rule = part.partition("<")
            if not bound.isdigit() or not rule:
                raise Unsupported(f"minimum_should_match {spec!r}")
            if optional > int(bound):
                applies = rule
        return optional if applies is None else minimum_should_match(applies, optional)
    match = re.fullmatch(r"(-?)(\d+)(%?)", text)
    if match is None:
        raise Unsupported(f"minimum_should_match {spec!r}")
    negative, number, percent = match.groups()
    count = optional * int(number) // 100 if percent else int(number)
    wanted = optional - count if negative else count
    return max(0, min(optional, wanted))


def _sqs(body: dict[str, Any], doc: dict[str, Any]) -> float:
    if body.get("default_operator") != "and":
        raise Unsupported("simple_query_string without default_operator and")
    fields = [
        (f.split("^")[0], float(f.split("^")[1]) if "^" in f else 1.0) for f in body["fields"]
    ]
    groups: list[list[tuple[bool, list[str]]]] = [[]]
    for bar, neg, term in _SQS_TOKEN.findall(body["query"]):
        if bar:
            groups[-1].append((False, ["|"]))
            continue
        groups[-1].append((bool(neg), words(term)))
    # Split on `|` into alternatives of AND-ed terms (the store's shapes only).
    alternatives: list[list[tuple[bool, list[str]]]] = [[]]
    for neg, term in groups[0]:
        if term == ["|"]:
            alternatives.append([])
        else:
            alternatives[-1].append((neg, term))
    best = 0.0
    for terms in alternatives:
        score = 0.0
        for neg, term in terms:
            hit = sum(boost * _phrase_count(doc, field, term) for field, boost in fields)
            if bool(hit) == neg:
                score = 0.0
                break
            score += hit
        best = max(best, score)
    return best


def _phrase_count(doc: dict[str, Any], field: str, phrase: list[str]) -> int:
    if not phrase:
        return 0
    count = 0
    for v in values(doc, field):
        tokens = words(str(v))
        n = len(phrase)
        count += sum(
            1 for i in range(len(tokens) - n + 1) if _stems(tokens[i : i + n]) == _stems(phrase)
        )
    return count


def _stems(tokens: list[str]) -> list[str]:
    """The english analyzer's stemming: Porter's algorithm, which Lucene's
    `porter_stem` filter implements ("protesting" and "protests" are "protest")."""
    return [_porter(t) for t in tokens]


# SQLite's FTS5 `porter` tokenizer is the same (original) Porter stemmer; asking it
# keeps the fake from carrying a stemmer of its own. One in-memory table, one lock:
# the fake may answer from a server thread.
_PORTER = sqlite3.connect(":memory:", check_same_thread=False)
_PORTER.executescript(
    "CREATE VIRTUAL TABLE words USING fts5(word, tokenize='porter ascii');"
    "CREATE VIRTUAL TABLE stems USING fts5vocab(words, 'instance');"
)
_PORTER_LOCK = threading.Lock()


@lru_cache(maxsize=65_536)
def _porter(token: str) -> str:
    """One lowercase word's Porter stem (itself when the stemmer leaves it whole)."""
    with _PORTER_LOCK:
        _PORTER.execute("INSERT INTO words (rowid, word) VALUES (1, ?)", (token,))
        row = _PORTER.execute("SELECT term FROM stems WHERE offset = 0").fetchone()
        _PORTER.execute("DELETE FROM words")
    return str(row[0]) if row else token


def query_words(query: Any) -> set[str]:
    """The (stemmed) words of every simple_query_string in a query: what to highlight."""
    found: set[str] = set()
    if isinstance(query, dict):
        for key, value in query.items():
            if key == "simple_query_string":
                found.update(_stems(words(" ".join(re.findall(r'"([^"]*)"', value["query"])))))
            else:
                found |= query_words(value)
    elif isinstance(query, list):
        for item in query:
            found |= query_words(item)
    return found


def highlight(
    text: str, phrase_words: set[str], size: int, tags: tuple[str, str] = ("<em>", "</em>")
) -> str:
    """First fragment around a matching word, matches wrapped in `tags`."""
    tokens = list(_WORD.finditer(text))
    hit = next((t for t in tokens if _stems([t.group().lower()])[0] in phrase_words), None)
    start = 0 if hit is None else max(0, hit.start() - size // 2)
    fragment = text[start : start + size]
    return re.sub(
        r"\w+",
        lambda m: (
            f"{tags[0]}{m.group()}{tags[1]}"
            if _stems([m.group().lower()])[0] in phrase_words
            else m.group()
        ),
        fragment,
    )


def aggregate(aggs: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The `aggregations` answer for `aggs` over the matching documents."""
    out: dict[str, Any] = {}
    for name, spec in aggs.items():
        ((kind, body),) = spec.items()
        if kind == "terms":
            counts: dict[Any, int] = {}
            for doc in docs:
                for value in set(values(doc, body["field"])):
                    counts[value] = counts.get(value, 0) + 1
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
            size = int(body.get("size", 10))
            out[name] = {
                "doc_count_error_upper_bound": 0,
                "sum_other_doc_count": sum(n for _, n in ranked[size:]),
                "buckets": [{"key": k, "doc_count": n} for k, n in ranked[:size]],
            }
        elif kind == "date_histogram":
            if body.get("calendar_interval") != "year" or body.get("format") != "yyyy":
                raise Unsupported(f"date_histogram {body}")
            years: dict[str, int] = {}
            for doc in docs:
                for year in {str(v)[:4] for v in values(doc, body["field"])}:
                    years[year] = years.get(year, 0) + 1
            out[name] = {
                "buckets": [
                    {"key_as_string": y, "key": _epoch_ms(y), "doc_count": n}
                    for y, n in sorted(years.items())
                    if n >= int(body.get("min_doc_count", 0))
                ]
            }
        else:
            raise Unsupported(f"aggregation type {kind!r}")
    return out


def _epoch_ms(year: str) -> int:
    return int(datetime(int(year), 1, 1, tzinfo=UTC).timestamp() * 1000)


def check_object(
    mapping: dict[str, Any],
    value: dict[str, Any],
    path: str,
    check: Callable[[dict[str, Any], Any, str], str | None],
) -> str | None:
    """`dynamic: strict`: unknown fields are an error, known ones are type-checked."""
    props = mapping.get("properties", {})
    for key, v in value.items():
        full = f"{path}.{key}" if path else key
        if key not in props:
            if mapping.get("dynamic") == "strict":
                return (
                    f"mapping set to strict, dynamic introduction of [{key}] within "
                    f"[{path or '_doc'}] is not allowed"
                )
            continue
        err = check(props[key], v, full)
        if err:
            return err
    return None
