"""One article under every URL generation, told by its text (issue 23).

jamestown.org named one article three ways over the years: a 2000s
`publications_details.php?…&article_id=N` page, a 2010s `/program/<slug>/` post and
today's `/<slug>/`. The last two are one already (`urls.article_key`); the old page
has no slug, and guessing one from its title fails whenever WordPress's slug was cut
or edited. So an archive capture is matched to an article on what it *holds*: a
fingerprint of its extracted body.

The fingerprint (`textprint`) is a MinHash of the body's 5-word shingles (words
lower-cased, NFKC, punctuation and quote styles gone, so a straight-quoted 2005 page
and a curly-quoted 2020 post agree), plus a second MinHash of the body's *last
third*. Two bodies match when both estimates reach their thresholds:
- whole text, estimated Jaccard similarity >= `MATCH` (0.8): an edited typo or a
  dropped footer line moves a few shingles out of hundreds;
- last third >= `TAIL_MATCH` (0.6): daily *Monitor* items of one issue often open
  with the same lead ("Russian President Boris Yeltsin yesterday…"); two different
  items sharing an opening part their ways after it, so their endings differ even
  when a long shared lead lifts the whole-text estimate.
A pair at or above `NEAR` (0.15; unrelated texts share almost no 5-word shingles)
on the whole text that fails either test is a
*near match*, refused and reported; bodies under `MIN_WORDS` are never matched.

Candidates are found by locality-sensitive hashing: the 64 MinHash values in 16
bands of 4, each band a cache key listing the articles that share it
(`textband:<n>:<digest>`), so a lookup reads 16 keys, whatever the archive's size.
Each indexed article's print is kept under its identity (`textprint:<article key>`)
with whether that identity is an old page's guess (`old`) and the document id.

Who wins. A capture that matches an article indexed already is that article: it is
reported and not indexed again (a new text for it comes from the live site). An old
page's guessed identity yields to a WordPress one: the capture that brings the
WordPress URL is indexed under it, and the document indexed earlier under the guess
is deleted (`Resolution.superseded`), so the live page, when it is fetched,
overwrites the one document instead of adding a second.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from workers.cache import Cache
from workers.urls import article_key

SHINGLE = 5
PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
MATCH = 0.8
TAIL_MATCH = 0.6
NEAR = 0.15
MIN_WORDS = 40
MAX_WORDS = 20_000  # the longest jamestown.org articles are under 10,000 words
MAX_BAND_MEMBERS = 32  # a band shared by more articles is boilerplate, not evidence
PRINT_TTL_S = 400 * 86400
_PRIME = 4_294_967_311  # the first prime above 2**32: a*x+b of 32-bit values fits 64 bits
_SEEDS = random.Random(23)  # fixed: prints made by any process, any day, compare
_A = np.array([_SEEDS.randrange(1, 1 << 32) for _ in range(PERMUTATIONS)], dtype=np.uint64)
_B = np.array([_SEEDS.randrange(0, 1 << 32) for _ in range(PERMUTATIONS)], dtype=np.uint64)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class TextPrint:
    """A body's fingerprint: MinHash of the whole and of its last third, word count."""

    whole: tuple[int, ...]
    tail: tuple[int, ...]
    words: int

    def bands(self) -> list[str]:
        """The LSH keys of the whole-text MinHash (module docstring)."""
        keys = []
        for band in range(BANDS):
            rows = self.whole[band * ROWS : (band + 1) * ROWS]
            digest = hashlib.blake2b(repr(rows).encode(), digest_size=8).hexdigest()
            keys.append(f"textband:{band}:{digest}")
        return keys

    def to_json(self) -> dict[str, object]:
        return {"whole": list(self.whole), "tail": list(self.tail), "words": self.words}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> TextPrint:
        whole, tail, words = data.get("whole"), data.get("tail"), data.get("words")
        if not (isinstance(whole, list) and isinstance(tail, list) and isinstance(words, int)):
            raise ValueError("not a text print")
        return cls(tuple(int(x) for x in whole), tuple(int(x) for x in tail), words)


def words_of(text: str) -> list[str]:
    """The body's words, as the fingerprint compares them (module docstring)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold().replace("_", " "))


def textprint(text: str) -> TextPrint:
    """The fingerprint of a body; past `MAX_WORDS` words the rest is not read (a 64 x
    n array per MinHash: 10 MB at the cap, whatever the page's size)."""
    words = words_of(text[: MAX_WORDS * 20])[:MAX_WORDS]
    return TextPrint(_minhash(words), _minhash(words[len(words) * 2 // 3 :]), len(words))


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """The MinHash estimate of two shingle sets' Jaccard similarity."""
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def _minhash(words: list[str]) -> tuple[int, ...]:
    """64 minima of (a*x + b) mod p over the shingles' CRC-32s (stable across processes,
    unlike `hash()`), computed at once with numpy: 24 ms for a 1,056-word body on a busy
    2-core machine (load 12), where a pure-Python loop took 300 ms."""
    shingles = {
        zlib.crc32(" ".join(words[i : i + SHINGLE]).encode())
        for i in range(max(1, len(words) - SHINGLE + 1))
    }
    values = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    minima = ((_A[:, None] * values[None, :] + _B[:, None]) % np.uint64(_PRIME)).min(axis=1)
    return tuple(int(x) for x in minima)


@dataclass(frozen=True, slots=True)
class Known:
    """An article the index knows a print of: its identity URL, whether that identity is
    an old page's guess, its document id (once written) and its print."""

    url: str
    old: bool
    print: TextPrint
    doc_id: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The best candidate for one print: a match, or the nearest refused near match."""

    known: Known
    whole: float
    tail: float

    @property
    def matched(self) -> bool:
        return self.whole >= MATCH and self.tail >= TAIL_MATCH


def compare(mine: TextPrint, known: Known) -> Verdict:
    return Verdict(
        known, similarity(mine.whole, known.print.whole), similarity(mine.tail, known.print.tail)
    )


def best(mine: TextPrint, candidates: Sequence[Known]) -> tuple[Verdict | None, list[Verdict]]:
    """The match for `mine` among `candidates` (None if none), and the near matches
    refused (at least `NEAR` on the whole text but not a match)."""
    if mine.words < MIN_WORDS:
        return None, []
    verdicts = [compare(mine, known) for known in candidates if known.print.words >= MIN_WORDS]
    matches = sorted((v for v in verdicts if v.matched), key=lambda v: -v.whole)
    near = [v for v in verdicts if not v.matched and v.whole >= NEAR]
    return (matches[0] if matches else None), near


class PrintIndex:
    """The prints of indexed articles, in the cache (module docstring), shared by
    every worker; concurrent writers may lose a band entry, which costs a missed match
    reported as a new article, never a wrong merge."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def candidates(self, mine: TextPrint) -> list[Known]:
        keys: dict[str, None] = {}
        for value in self.cache.get_many(mine.bands()):
            for key in _members(value):
                keys[key] = None
        found = []
        for key, value in zip(
            keys, self.cache.get_many([_print_key(k) for k in keys]), strict=True
        ):
            known = _known(value)
            if known is not None and article_key(known.url) == key:
                found.append(known)
        return found

    def remember(self, known: Known) -> None:
        key = article_key(known.url)
        value = {
            "url": known.url,
            "old": known.old,
            "id": known.doc_id,
            "print": known.print.to_json(),
        }
        updates = {_print_key(key): json.dumps(value)}
        bands = known.print.bands()
        for band, current in zip(bands, self.cache.get_many(bands), strict=True):
            members = _members(current)
            if key not in members:
                updates[band] = json.dumps([*members, key][-MAX_BAND_MEMBERS:])
        self.cache.set_many(updates, ttl_s=PRINT_TTL_S)  # 2 round trips, not 33

    def forget(self, url: str) -> None:
        """An identity that gave way to another (its bands drop it lazily: a band entry
        whose print is gone is skipped)."""
        self.cache.delete(_print_key(article_key(url)))


@dataclass(slots=True)
class Resolution:
    """What resolving one batch's captures decided (module docstring, "Who wins")."""

    urls: dict[str, str] = field(default_factory=dict)  # capture URL -> identity URL
    old: dict[str, bool] = field(default_factory=dict)  # capture URL -> identity is a guess
    prints: dict[str, TextPrint] = field(default_factory=dict)  # capture URL -> its print
    # capture URL -> the capture of this batch, or the indexed article's URL, it repeats
    duplicates: dict[str, str] = field(default_factory=dict)
    # old identities to delete once the capture (the key) that replaces them is written
    superseded: dict[str, Known] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # every match made or refused


def resolve(captures: Sequence[tuple[str, str, bool, TextPrint]], index: PrintIndex) -> Resolution:
    """Identities for a batch's captures, given as (capture URL, identity URL so far,
    whether that identity is an old page's guess, print), in batch order.

    Each is matched against the index and the captures before it in the batch. A
    capture of an article indexed already is a duplicate (reported, not rewritten: the
    WordPress generations come first, `WaybackSource.discover`), unless it brings a
    WordPress URL to an article known only by an old page's guess (module docstring).
    Two captures of one batch that match are one article: the one with a WordPress
    identity is kept (or the first), the other reported as a duplicate of it."""
    out = Resolution()
    batch: list[tuple[str, Known]] = []  # (capture URL, its article so far)
    for capture, url, old, mine in captures:
        out.prints[capture] = mine
        same = next((c for c, k in batch if article_key(k.url) == article_key(url)), None)
        if same is not None:  # /program/<slug>/ and /<slug>/ of one batch
            out.duplicates[capture] = same
            continue
        local = [known for _, known in batch]
        verdict, near = best(mine, [*index.candidates(mine), *local])
        for refused in near:
            out.notes.append(
                f"refused near match: {capture} ~ {refused.known.url} "
                f"(whole {refused.whole:.2f}, last third {refused.tail:.2f}; "
                f"needs {MATCH:.2f} and {TAIL_MATCH:.2f})"
            )
        here = Known(url, old, mine)
        if verdict is None or article_key(verdict.known.url) == article_key(url):
            batch.append((capture, here))
            out.urls[capture], out.old[capture] = url, old
            continue
        other = verdict.known
        score = f"(whole {verdict.whole:.2f}, last third {verdict.tail:.2f})"
        earlier = next((c for c, k in batch if k is other), None)
        if other.old and not old:  # a WordPress identity replaces an old page's guess
            out.notes.append(f"matched {capture} to {other.url} {score}; {url} replaces it")
            if earlier is not None:  # in this batch: the earlier capture is dropped
                out.duplicates[earlier] = capture
                out.urls.pop(earlier, None)
                batch = [(c, k) for c, k in batch if k is not other]
            else:
                out.superseded[capture] = other
            batch.append((capture, here))
            out.urls[capture], out.old[capture] = url, old
            continue
        out.notes.append(f"matched {capture} to {other.url} {score}")
        out.duplicates[capture] = earlier or other.url  # indexed already: not rewritten
    return out


def _print_key(key: str) -> str:
    return f"textprint:{key}"


def _members(value: str | None) -> list[str]:
    try:
        data = json.loads(value) if value else []
    except json.JSONDecodeError:
        return []
    return [x for x in data if isinstance(x, str)] if isinstance(data, list) else []


def _known(value: str | None) -> Known | None:
    try:
        data = json.loads(value) if value else None
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            return None
        doc_id = data.get("id")
        return Known(
            data["url"],
            bool(data.get("old")),
            TextPrint.from_json(data["print"]),
            doc_id if isinstance(doc_id, str) else None,
        )
    except (ValueError, TypeError, KeyError):
        return None
