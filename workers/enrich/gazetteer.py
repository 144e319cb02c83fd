"""The domain gazetteer: canonical names of people, places and organizations.

`data/gazetteer.json` (leaders, countries, regions, institutions of the post-Soviet
space and East Asia, Wikidata QIDs only where certain) and the outlet names of
`data/outlets.json`, loaded once per process into a key table (one key per
transliteration family, `translit_key`) and one prefix-factored regex that finds
every listed surface in a text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from workers.model import EntityType


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    type: EntityType
    wikidata: str | None


@dataclass(slots=True)
class Gazetteer:
    by_key: dict[str, Entry]
    pattern: re.Pattern[str]
    by_surface: dict[str, Entry] = field(default_factory=dict)
    first_names: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()  # never places: "translated into Urdu"


@lru_cache(maxsize=16_384)
def fold(text: str) -> str:
    """`text` casefolded, its accents dropped ("Kučma" → "kucma"): where every name
    key starts, and what the full-text index's tokenizer does to a word."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@lru_cache(maxsize=16_384)
def translit_key(name: str) -> str:
    """One key for the spellings of a Russian/Ukrainian/Belarusian name in English text:
    Aleksandr/Alexander, Sergei/Sergey, Yeltsin/Eltsin, Shoigu/Shoygu, Aliyev/Aliev,
    Zelensky/Zelenskyy/Zelenskiy, Lukashenka/Lukashenko."""
    text = fold(name).replace("’", "'").replace("x", "ks").replace("iye", "ie").replace("yo", "e")
    words = []
    for word in re.findall(r"[\w'-]+", text):
        word = re.sub(r"^ye", "e", word)
        word = re.sub(r"(?<=[aeiou])ye", "e", word)  # Nazarbayev/Nazarbaev, Aliyev/Aliev
        word = re.sub(r"(?<=[aeou])y(?=[^aeiouy'-])", "i", word)  # Shoygu/Shoigu, Gaydar
        word = re.sub(r"(?:ei|ey)$", "ey", word)
        word = re.sub(r"(?:yy|iy|ii|yi|i|y)$", "y", word)  # Zelenskyy/Zelenskiy/Zelensky
        word = re.sub(r"ander$", "andr", word)
        word = re.sub(r"(?<=\w{3})enka$", "enko", word)  # Lukashenka (Belarusian)/Lukashenko
        words.append(word)
    return " ".join(words)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    data = json.loads(
        resources.files("workers.enrich").joinpath("data/gazetteer.json").read_text("utf-8")
    )
    by_key: dict[str, Entry] = {}
    surfaces: dict[str, Entry] = {}
    for item in data["entities"]:
        entry = Entry(item["name"], item["type"], item.get("wikidata"))
        for alias in (item["name"], *item["aliases"]):
            by_key.setdefault(translit_key(alias), entry)
            surfaces.setdefault(alias, entry)
            if "'" in alias:  # "People’s Liberation Army", as typeset today
                surfaces.setdefault(alias.replace("'", "’"), entry)
    for alias, canonical in _outlet_surfaces().items():
        entry = Entry(canonical, "organization", None)
        by_key.setdefault(translit_key(alias), entry)
        surfaces.setdefault(alias, entry)
    pattern = re.compile(r"(?<!\w)" + trie_regex(surfaces) + r"(?![\w$])")
    first = frozenset(translit_key(n) for n in data.get("first_names", ()))
    languages = frozenset(data.get("languages", ()))
    return Gazetteer(
        by_key=by_key, pattern=pattern, by_surface=surfaces, first_names=first, languages=languages
    )


_Trie = dict[str, "_Trie"]


def trie_regex(words: Iterable[str]) -> str:
    """One regex for `words` with shared prefixes factored out ("Vladimir (?:Putin|…)").

    A flat alternation of a thousand names makes the regex engine try every name at
    every position; the trie tries one branch per character (five times faster on the
    bench corpus). Matches are the same: the text selects at most one child per
    character, and the optional tails are greedy, so the longest name that passes the
    caller's trailing check wins, as with names sorted longest first.
    """
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a name ends here

    def emit(node: _Trie) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


def _outlet_surfaces() -> dict[str, str]:
    """Outlet names as written in outlets.json (the citation table is case-folded)."""
    data = json.loads(
        resources.files("workers.enrich").joinpath("data/outlets.json").read_text("utf-8")
    )
    out: dict[str, str] = {}
    for canonical, aliases in data["outlets"].items():
        for alias in (canonical, *aliases):
            if len(alias) > 3:  # "AP", "FT", "NG": too ambiguous to match in prose
                out[alias] = canonical
    return out
