"""What a user's search means, for both stores: clauses, known entities, filters.

Pure functions over the enrichers' own tables (the gazetteer, the outlet list, the
publication registry), read-only, so `monitor search Kiriyenko` finds the articles
about Sergei Kirienko in the embedded store and in Elasticsearch alike.

A query is a list of clauses, all of which must match; a clause matches when any of
its phrases does. `Putin OR Yeltsin Chechnya` is two clauses: (Putin | Yeltsin) and
Chechnya; `NOT Gazprom` negates one clause. A phrase that names a known entity by
any spelling (`Kiriyenko`, `U.S.`, `Eltsin`) widens its clause to every spelling of
that entity, so the text match and the entity match rank together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from workers.enrich import publications
from workers.enrich.citations import canonical_source
from workers.enrich.entities import Entry, gazetteer, translit_key
from workers.model import EntityType

# Highlight markers inside the stores (private-use characters no article contains);
# `unmark` turns them into offsets, the CLI into bold or **stars**.
MARK_PRE, MARK_POST = "\ue000", "\ue001"
_QUERY_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_OPERATORS = {"AND", "OR", "NOT"}
_WIKIDATA = re.compile(r"^Q\d+$")
_HAS_WORD = re.compile(r"\w")
_WORDS = re.compile(r"\w+")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
# Spellings too short to search for on their own: "US" would match every "us".
_MIN_SAFE_LETTERS = 3
_MAX_NGRAM = 4
# Scholarly (ISO 9 / Czech-style) transliteration marks to the English spellings the
# gazetteer holds: "Kučma" is Kuchma, "Žirinovskij" Zhirinovsky.
_SCHOLARLY = str.maketrans(
    {"č": "ch", "Č": "Ch", "š": "sh", "Š": "Sh", "ž": "zh", "Ž": "Zh", "ŝ": "shch", "Ŝ": "Shch"}
)
# What the archive calls a country's people and things: "Ukraine" should find "the
# Ukrainian authorities" (without it, "Ukraine" missed the Kuchma/Gongadze article).
# Search-only: the enrichers must not read "Ukrainian" as the place, so this stays here.
DEMONYMS = {
    "Russia": ("Russian", "Russians"),
    "Ukraine": ("Ukrainian", "Ukrainians"),
    "Georgia": ("Georgian", "Georgians"),
    "Belarus": ("Belarusian", "Belarusan", "Belarussian"),
    "Moldova": ("Moldovan", "Moldovans"),
    "Armenia": ("Armenian", "Armenians"),
    "Azerbaijan": ("Azerbaijani", "Azeri", "Azerbaijanis"),
    "Kazakhstan": ("Kazakh", "Kazakhstani", "Kazakhs"),
    "Uzbekistan": ("Uzbek", "Uzbeks"),
    "Kyrgyzstan": ("Kyrgyz",),
    "Tajikistan": ("Tajik", "Tajiks"),
    "Turkmenistan": ("Turkmen",),
    "Latvia": ("Latvian", "Latvians"),
    "Estonia": ("Estonian", "Estonians"),
    "Lithuania": ("Lithuanian", "Lithuanians"),
    "Chechnya": ("Chechen", "Chechens"),
    "Dagestan": ("Dagestani",),
    "Abkhazia": ("Abkhaz", "Abkhazian"),
    "Japan": ("Japanese",),
    "China": ("Chinese",),
    "United States": ("American", "Americans"),
    "Poland": ("Polish",),
    "Germany": ("German", "Germans"),
    "Iran": ("Iranian", "Iranians"),
    "Turkey": ("Turkish",),
}
ENTITY_TYPES: dict[str, EntityType] = {
    "person": "person",
    "place": "location",
    "org": "organization",
}


@dataclass(frozen=True, slots=True)
class Clause:
    """Any of `phrases` (OR); `entity` names the known entity the clause was widened to."""

    phrases: tuple[str, ...]
    negated: bool = False
    entity: str | None = None


@dataclass(frozen=True, slots=True)
class EntityFilter:
    """Articles mentioning an entity of `type` with one of `keys` (translit keys of its
    names) or with the Wikidata id `wikidata`."""

    type: EntityType
    names: tuple[str, ...]
    keys: tuple[str, ...]
    wikidata: str | None = None


def parse(text: str) -> list[Clause]:
    """The clauses of a query, before entity expansion.

    Unquoted neighbouring words that together name a known entity ("United States",
    "Sergei Kiriyenko") stay one phrase; quoted phrases are taken as written.
    """
    tokens: list[tuple[str, bool]] = []  # (text, quoted)
    for phrase, word in _QUERY_TOKEN.findall(text):
        term = (phrase or word).replace('"', "").replace("\\", " ").strip()
        if _HAS_WORD.search(term):
            tokens.append((" ".join(term.split()), bool(phrase)))
    clauses: list[Clause] = []
    join_next = negate_next = False
    i = 0
    while i < len(tokens):
        term, quoted = tokens[i]
        if not quoted and term in _OPERATORS and clauses and not join_next and not negate_next:
            join_next, negate_next = term == "OR", term == "NOT"
            i += 1
            continue
        width = 1 if quoted else _entity_span(tokens, i)
        phrase = " ".join(t for t, _ in tokens[i : i + width])
        i += width
        if join_next and not clauses[-1].negated:
            clauses[-1] = Clause((*clauses[-1].phrases, phrase))
        else:
            clauses.append(Clause((phrase,), negated=negate_next))
        join_next = negate_next = False
    return clauses


def _entity_span(tokens: list[tuple[str, bool]], start: int) -> int:
    """How many unquoted words from `start` name one known entity (1 if none)."""
    for width in range(min(_MAX_NGRAM, len(tokens) - start), 1, -1):
        words = tokens[start : start + width]
        if any(quoted or t in _OPERATORS for t, quoted in words):
            continue
        if lookup(" ".join(t for t, _ in words)) is not None:
            return width
    return 1


def expand(clauses: list[Clause]) -> list[Clause]:
    """Each phrase naming a known entity replaced by every safe spelling of it."""
    out: list[Clause] = []
    for clause in clauses:
        phrases: list[str] = []
        entity = None
        for phrase in clause.phrases:
            found = lookup(phrase)
            if found is None:
                phrases.append(phrase)
                continue
            entity = found.name
            spellings = query_spellings(found.name)
            if _safe(phrase) and phrase.casefold() not in {s.casefold() for s in spellings}:
                phrases.append(phrase)
            phrases.extend(spellings)
        unique = tuple(dict.fromkeys(phrases))
        out.append(Clause(unique, negated=clause.negated, entity=entity))
    return out


def query_clauses(text: str) -> list[Clause]:
    """`parse` then `expand`: what both stores search for. Empty when nothing is left
    to search for, or when every clause is negated (nothing to rank)."""
    clauses = expand(parse(text))
    return clauses if any(not c.negated for c in clauses) else []


def shortest(clauses: list[Clause]) -> list[Clause]:
    """Each clause without the phrases that contain another of its phrases.

    "Vladimir Putin" matches nothing that "Putin" does not, so the shorter clause
    finds the same articles; in a bm25 sum the longer phrase would only count the same
    mention twice, and each phrase costs the ranking a pass over its matches.
    """

    def words(phrase: str) -> tuple[str, ...]:
        return tuple(_WORDS.findall(phrase.casefold()))

    out = []
    for clause in clauses:
        spans = [words(p) for p in clause.phrases]
        kept = tuple(
            phrase
            for phrase, span in zip(clause.phrases, spans, strict=True)
            if not any(other != span and _contains(span, other) for other in spans if other)
        )
        out.append(Clause(kept, negated=clause.negated, entity=clause.entity))
    return out


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    """Whether `shorter` occurs in `longer` as consecutive words."""
    width = len(shorter)
    return any(longer[i : i + width] == shorter for i in range(len(longer) - width + 1))


def lookup(name: str) -> Entry | None:
    """The gazetteer entry a name spells, by any alias or transliteration.

    Short all-capital spellings ("US", "EU") count only as written: "us" in a query is
    the pronoun."""
    cleaned = " ".join(name.split()).strip(" ,;:")
    if not cleaned:
        return None
    gaz = gazetteer()
    exact = gaz.by_surface.get(cleaned)
    if exact is not None:
        return exact
    if not _safe(cleaned):
        return None
    return gaz.by_key.get(translit_key(cleaned)) or gaz.by_key.get(
        translit_key(cleaned.translate(_SCHOLARLY))
    )


def searchable_spellings(canonical: str) -> tuple[str, ...]:
    """Every spelling of a known entity worth searching for (canonical name first)."""
    return _spellings().get(canonical, (canonical,))


@lru_cache(maxsize=1)
def _spellings() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for surface, entry in gazetteer().by_surface.items():
        names = table.setdefault(entry.name, [entry.name])
        if _safe(surface) and surface.casefold() not in {n.casefold() for n in names}:
            names.append(surface)
    return {name: tuple(names) for name, names in table.items()}


def query_spellings(canonical: str) -> tuple[str, ...]:
    """What a query term naming `canonical` searches for: its spellings and, for a
    country, the adjective ("Ukraine" also finds "Ukrainian")."""
    return (*searchable_spellings(canonical), *DEMONYMS.get(canonical, ()))


def _safe(spelling: str) -> bool:
    """Long enough, or dotted ("U.S."), to search for without matching common words."""
    letters = sum(ch.isalpha() for ch in spelling)
    return letters >= _MIN_SAFE_LETTERS or "." in spelling


def entity_filter(kind: str, value: str) -> EntityFilter:
    """`--person/--place/--org VALUE`: canonical name, any alias, or a Wikidata id."""
    entity_type = ENTITY_TYPES[kind]
    value = " ".join(value.split())
    if _WIKIDATA.match(value):
        return EntityFilter(entity_type, (), (), value)
    found = lookup(value)
    names = [value]
    wikidata = None
    if found is not None:
        names = [*searchable_spellings(found.name), value]
        wikidata = found.wikidata
    keys = tuple(dict.fromkeys(translit_key(n) for n in names))
    return EntityFilter(entity_type, tuple(dict.fromkeys(names)), keys, wikidata)


def outlet(name: str) -> str:
    """`--cites VALUE`: the canonical outlet name ('itar tass' → 'ITAR-TASS')."""
    return canonical_source(" ".join(name.split()))[0]


def publication(name: str) -> str:
    """`--publication VALUE`: the registry name for a code or name ('edm' →
    'Eurasia Daily Monitor'); an unknown name is searched as given."""
    found = publications.lookup(name)
    return found.name if found is not None else " ".join(name.split())


def date_bound(value: str, *, end: bool) -> str:
    """A date filter as the user wrote it ('2001', '2001-03', '2001-03-27') as an ISO
    day: the first day of that period, or its last when it is an upper bound. Checked,
    never guessed: ValueError says what is wrong."""
    match = _PARTIAL_DATE.match(value.strip())
    if match is None:
        raise ValueError("is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    try:
        if day:
            return date(int(year), int(month), int(day)).isoformat()
        if month:
            first = date(int(year), int(month), 1)
            if not end:
                return first.isoformat()
            next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return date.fromordinal(next_month.toordinal() - 1).isoformat()
    except ValueError:
        raise ValueError("is not a valid date") from None
    return f"{year}-12-31" if end else f"{year}-01-01"


def unmark(marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A snippet with MARK_PRE/MARK_POST around matches → (plain text, [start, end) offsets)."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for piece in re.split(f"({MARK_PRE}|{MARK_POST})", marked):
        if piece == MARK_PRE:
            start = length
        elif piece == MARK_POST:
            if start is not None and length > start:
                spans.append((start, length))
            start = None
        else:
            plain.append(piece)
            length += len(piece)
    return "".join(plain), tuple(spans)


def mark(text: str, spans: tuple[tuple[int, int], ...], pre: str, post: str) -> str:
    """`text` with `pre`/`post` around each span (what `unmark` took apart)."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        out += [text[last:start], pre, text[start:end], post]
        last = end
    out.append(text[last:])
    return "".join(out)
