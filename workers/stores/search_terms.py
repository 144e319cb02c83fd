"""What a user's search means, for both stores: clauses, known entities, filters.

Pure functions over the enrichers' own tables (the gazetteer, the outlet list, the
publication registry), read-only, so `monitor search Kiriyenko` finds the articles
about Sergei Kirienko in the embedded store and in Elasticsearch alike.

A query is a list of clauses; a clause matches when any of its phrases does.
`Putin OR Yeltsin Chechnya` is two clauses: (Putin | Yeltsin) and Chechnya; `NOT
Gazprom` negates one clause. Up to two clauses must all match; of longer queries most
must (`required`), and articles with every clause rank first. A phrase that names a
known entity by any spelling (`Kiriyenko`, `U.S.`, `Eltsin`) widens its clause to
every spelling of that entity, a word of the field's vocabulary to its synonyms
(`militants` → rebels, fighters …), and every phrase also matches by its name key
(`name_keys.name_key`: Shoygu/Shoigu, Basayev/Basaev, Yeltsin/Jeltsin), so names no list holds
match by the rules of transliteration, in the query and in the text alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from workers.enrich import publications
from workers.enrich.citations import canonical_source
from workers.enrich.entities import Entry, gazetteer, translit_key
from workers.errors import UsageError
from workers.model import Entity, EntityType
from workers.stores.name_keys import (
    POSSESSIVE,
    SCHOLARLY,
    keyable,
    name_key,
    phrase_key,
    skeleton,
)

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
# More words than this in one query is not an analyst's question: refused with a
# clear error before any work (a 10,000-word OR once held search for minutes).
MAX_QUERY_TERMS = 64
# The field's own synonyms, applied in both stores (docs/search.md lists them): an
# analyst asking for "militants" wants the article that says "rebels". Singular forms;
# a plural in the query is matched by its singular (`_singular`), the stores' stemmers
# match the plurals in the text.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("militant", "rebel", "guerrilla", "insurgent", "fighter"),
    ("accord", "agreement", "treaty", "deal"),
    ("summit", "meeting"),
    # Unrest as the field reports it ("Prison Revolts", "Uprising in Stavropol").
    ("riot", "revolt", "uprising", "unrest"),
    ("protest", "demonstration", "rally"),
    # Russia's federal subjects as English texts name them ("Stavropol Krai" is the
    # "Stavropol region" of the text).
    ("krai", "kray", "oblast", "region"),
)
# Romanization keys among an entity's keys start with this, apart from the gazetteer's
# transliteration keys (`entity_keys`).
_RULED = "~"
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


class QueryTooLong(UsageError):
    """More than MAX_QUERY_TERMS words: a user's mistake, said in one line."""


class BadDate(UsageError):
    """A date filter that is not YYYY, YYYY-MM or YYYY-MM-DD (or no real day, like
    2001-02-30): the user's to fix. The message is the predicate ("is not a date
    (use …)"), so each face puts the option and the value in front; `value` is the
    text as given."""

    def __init__(self, value: str) -> None:
        super().__init__(NOT_A_DATE)
        self.value = value


NOT_A_DATE = "is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"


@dataclass(frozen=True, slots=True)
class Term:
    """One thing the user typed in a clause and what it was widened to: the known
    entity it names and that entity's spellings, or the field's synonyms of a word."""

    typed: str
    entity: str | None = None
    spellings: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    # A word no list knows also matches by its consonant skeleton (Zawahri/Zawahiri,
    # `name_keys.skeleton`); known names have their spellings instead.
    skeleton: str = ""


@dataclass(frozen=True, slots=True)
class Clause:
    """Any of `phrases` (OR), or any of `keys` in the stores' name-key field.

    `terms` says, per typed term, what the clause was widened to (the "(as …)" line
    and `--explain`); equality is about what is searched, so it leaves them out."""

    phrases: tuple[str, ...]
    negated: bool = False
    keys: tuple[str, ...] = field(default=(), compare=False)
    terms: tuple[Term, ...] = field(default=(), compare=False)


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
        if not phrase:
            term = POSSESSIVE.sub("", term)
        if _HAS_WORD.search(term):
            tokens.append((" ".join(term.split()), bool(phrase)))
        if len(tokens) > MAX_QUERY_TERMS:
            raise QueryTooLong(
                f"a query holds at most {MAX_QUERY_TERMS} words or phrases; "
                "search for fewer, or use filters"
            )
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
    for width in range(min(_longest_name(), len(tokens) - start), 1, -1):
        words = tokens[start : start + width]
        if any(quoted or t in _OPERATORS for t, quoted in words):
            continue
        if lookup(" ".join(t for t, _ in words)) is not None:
            return width
    return 1


def expand(clauses: list[Clause]) -> list[Clause]:
    """Each phrase naming a known entity replaced by every safe spelling of it, a word
    of the field's vocabulary joined by its synonyms, and every phrase's name key."""
    out: list[Clause] = []
    for clause in clauses:
        phrases: list[str] = []
        terms: list[Term] = []
        for phrase in clause.phrases:
            found = lookup(phrase)
            if found is None:
                synonyms = synonyms_of(phrase)
                phrases += [phrase, *synonyms]
                bone = "" if " " in phrase else skeleton(phrase)
                terms.append(Term(phrase, synonyms=synonyms, skeleton=bone))
                continue
            spellings = query_spellings(found.name)
            if _safe(phrase) and phrase.casefold() not in {s.casefold() for s in spellings}:
                phrases.append(phrase)
            phrases.extend(spellings)
            terms.append(Term(phrase, entity=found.name, spellings=spellings))
        unique = tuple(dict.fromkeys(phrases))
        out.append(
            Clause(
                unique,
                negated=clause.negated,
                keys=_keys_of(unique, tuple(terms)),
                terms=tuple(terms),
            )
        )
    return out


def _keys_of(phrases: tuple[str, ...], terms: tuple[Term, ...]) -> tuple[str, ...]:
    """The distinct name keys a clause of these phrases searches for, and the
    skeletons of its terms (`Term.skeleton`)."""
    keys = [k for p in phrases if p not in _OPERATORS and (k := keyable(p))]
    keys += [t.skeleton for t in terms if t.skeleton]
    return tuple(dict.fromkeys(keys))


def synonyms_of(phrase: str) -> tuple[str, ...]:
    """The field's synonyms of a one-word phrase ("militants" → "militant", "rebel" …),
    without the word itself; () for any other phrase."""
    word = _singular(phrase.casefold())
    for group in SYNONYMS:
        if word in group:
            return tuple(w for w in group if w != phrase.casefold())
    return ()


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def required(clauses: list[Clause]) -> int:
    """How many of the positive clauses an article must match.

    All of one or two; one may be missing of three or four; a quarter of longer
    queries (Elasticsearch's `minimum_should_match` "2<-1 4<75%", MIN_SHOULD_MATCH).
    Articles that match every clause still rank first (both stores)."""
    n = sum(not c.negated for c in clauses)
    if n <= 2:
        return n
    if n <= 4:
        return n - 1
    return math.floor(n * 0.75)


MIN_SHOULD_MATCH = "2<-1 4<75%"
# Queries of this many plain words at most also rank the words side by side first.
_MAX_ADJACENT = 4


def adjacent(clauses: list[Clause]) -> str | None:
    """The query's words as one phrase, when it is two to four plain terms (no OR, no
    NOT): an article that has them side by side ranks before one that has them apart,
    in both stores. "Denis Ivanov" then finds Colonel Denis Ivanov before an article
    that names Igor Ivanov and says "denied" (stemmed like "Denis"); "peace treaty"
    finds the treaty before a peace and a treaty in different paragraphs."""
    if any(c.negated or len(c.terms) != 1 for c in clauses):
        return None
    if not 2 <= len(clauses) <= _MAX_ADJACENT:
        return None
    return " ".join(c.terms[0].typed for c in clauses)


def widened(text: str) -> list[str]:
    """What each typed term was widened to, one line per term ("Kiriyenko as Sergei
    Kirienko: Sergei Kirienko, Kirienko, …", "militants also as militant, rebel, …"):
    what the CLI's table and the search page print under the count."""
    lines = []
    for clause in query_clauses(text):
        for term in clause.terms:
            others = [s for s in term.spellings if s.casefold() != term.typed.casefold()]
            if term.entity and others:
                lines.append(f"{term.typed} as {term.entity}: {', '.join(term.spellings)}")
            elif term.synonyms:
                lines.append(f"{term.typed} also as {', '.join(term.synonyms)}")
    return lines


def explain_parts(clauses: list[Clause]) -> list[tuple[str, Clause]]:
    """Each thing a search looks for, labelled for `--explain`, as a one-phrase clause
    a store can test an article against: the words as typed, a known entity's other
    spellings ("Kirienko (spelling of Sergei Kirienko)"), synonyms ("rebels (synonym
    of militants)") and name keys ("key shoigu (another romanization)")."""
    parts: list[tuple[str, Clause]] = []
    for clause in clauses:
        if clause.negated:
            continue
        for term in clause.terms:
            parts.append((term.typed, Clause((term.typed,))))
            for spelling in term.spellings:
                if spelling.casefold() != term.typed.casefold():
                    label = f"{spelling} (spelling of {term.entity})"
                    parts.append((label, Clause((spelling,))))
            for synonym in term.synonyms:
                parts.append((f"{synonym} (synonym of {term.typed})", Clause((synonym,))))
        for key in clause.keys:
            parts.append((f"key {key} (another romanization)", Clause((), keys=(key,))))
    phrase = adjacent(clauses)
    if phrase is not None:
        parts.append((f'"{phrase}" (the words side by side)', Clause((phrase,))))
    return parts


def query_clauses(text: str) -> list[Clause]:
    """`parse` then `expand`: what both stores search for. Empty when nothing is left
    to search for, or when every clause is negated (nothing to rank)."""
    clauses = expand(parse(text))
    return clauses if any(not c.negated for c in clauses) else []


def shortest(clauses: list[Clause]) -> list[Clause]:
    """Each clause without the phrases that contain another of its phrases.

    "Vladimir Putin" matches nothing that "Putin" does not, so the shorter clause
    finds the same articles; in a bm25 sum the longer phrase would only count the same
    mention twice, and each phrase costs the ranking a pass over its matches. Each
    phrase's runs of words are looked up in a set of the clause's phrases: linear in
    the number of phrases (a pairwise test took seconds on a 2,000-term OR).
    """

    def words(phrase: str) -> tuple[str, ...]:
        return tuple(_WORDS.findall(phrase.casefold()))

    out = []
    for clause in clauses:
        spans = [words(p) for p in clause.phrases]
        present = {span for span in spans if span}
        kept = tuple(
            phrase
            for phrase, span in zip(clause.phrases, spans, strict=True)
            if not any(part in present for part in _inner_runs(span))
        )
        out.append(
            Clause(kept, clause.negated, keys=_keys_of(kept, clause.terms), terms=clause.terms)
        )
    return out


def _inner_runs(span: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every run of consecutive words of `span` shorter than it."""
    n = len(span)
    return [span[i : i + w] for w in range(1, n) for i in range(n - w + 1)]


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
    return (
        gaz.by_key.get(translit_key(cleaned))
        or gaz.by_key.get(translit_key(cleaned.translate(SCHOLARLY)))
        or gaz.by_key.get(translit_key(cleaned.replace("-", "")))  # Co-operation
        or _by_name_key().get(phrase_key(cleaned.translate(SCHOLARLY)))
    )


@lru_cache(maxsize=1)
def _by_name_key() -> dict[str, Entry]:
    """Gazetteer entries by the name key of a spelling, for spellings no list holds
    ("Shoygu" is Sergei Shoigu); a key two entries share names neither."""
    found: dict[str, Entry | None] = {}
    for surface, entry in gazetteer().by_surface.items():
        key = phrase_key(surface)
        if not _safe(surface) or not key:
            continue
        if found.get(key, entry) != entry:
            found[key] = None
        else:
            found[key] = entry
    return {key: entry for key, entry in found.items() if entry is not None}


@lru_cache(maxsize=1)
def _longest_name() -> int:
    """Words in the longest spelling the gazetteer knows: how far a query's words are
    tried as one name ("Organization for Security and Co-operation in Europe")."""
    return max((len(surface.split()) for surface in gazetteer().by_surface), default=1)


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
    """`--person/--place/--org VALUE`: canonical name, any alias, or a Wikidata id.

    The keys are those `entity_keys` gives an entity: a known entity's spellings, and
    the romanization keys of the value, so a name no list holds matches by rule
    ("Jamadaev") and a surname alone finds every person of that name ("Yamadaev")."""
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
    keys = [translit_key(n) for n in names]
    keys += [_RULED + k for n in names if (k := phrase_key(POSSESSIVE.sub("", n)))]
    return EntityFilter(
        entity_type, tuple(dict.fromkeys(names)), tuple(dict.fromkeys(keys)), wikidata
    )


def entity_keys(entity: Entity) -> set[str]:
    """What `entity_filter` keys match an entity by: the transliteration key of its
    name and aliases (the gazetteer's lookup), their romanization keys (marked apart,
    `_RULED`), and for a person of several words the key of the surname alone."""
    names = (entity.name, *entity.aliases)
    keys = {translit_key(n) for n in names}
    keys |= {_RULED + k for n in names if (k := phrase_key(n))}
    if entity.type == "person":
        keys |= {_RULED + name_key(n.split()[-1]) for n in names if len(n.split()) > 1}
    return keys


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
    never guessed: `BadDate` says what is wrong."""
    match = _PARTIAL_DATE.match(value.strip())
    if match is None:
        raise BadDate(value)
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
    except ValueError:  # 2000-13, 2001-02-30: the same words as any other non-date
        raise BadDate(value) from None
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
