"""People, organizations and places with canonical names.

spaCy's recognizer finds most names but labels them by surface: "Putin", "President
Putin" and "Vladimir Putin" come out as three strings, "Putin-Mori" as one person,
"Obuchi" as a place. This module turns recognizer spans plus gazetteer matches
(`data/gazetteer.json`, `data/outlets.json`) into one `Entity` per real-world thing:

- the gazetteer wins on type and name ("Obuchi" → person Keizo Obuchi, "Duma" → State
  Duma), and finds what the small model misses ("Irkutsk", "Habomai islets");
- titles are stripped ("Foreign Minister Yohei Kono" → "Yohei Kono");
- a lone surname joins the full name used elsewhere in the article ("Kono" → Yohei
  Kono); one that matches no full name, or several ("the Yamadaev brothers"), is
  dropped rather than guessed;
- "Putin-Mori" is split when its parts are known surnames;
- transliteration variants share a key (Aleksandr/Alexander, Yeltsin/Eltsin).

`resolve` is pure (text + spans in, entities out); recognition lives in `ner.py`.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from workers.enrich import orgs, publications
from workers.enrich.gazetteer import Entry as Entry
from workers.enrich.gazetteer import Gazetteer as Gazetteer
from workers.enrich.gazetteer import gazetteer as gazetteer
from workers.enrich.gazetteer import translit_key as translit_key
from workers.enrich.mentions import Mention as _Mention
from workers.enrich.mentions import (
    acronyms,
    bare_bodies,
    cited_outlets,
    ministries,
    named_forms,
    nested_places,
    parts_of_known,
)
from workers.enrich.ner import NerSpan
from workers.model import Entity, EntityType, Span


def _words(text: str) -> list[str]:
    return text.split()


_TYPES: dict[str, EntityType] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "location",
    "LOC": "location",
    "FAC": "location",
}
_TITLES = frozenset(
    _words(
        """president vice prime premier minister deputy foreign defense defence interior
    finance economy justice first secretary general colonel-general lieutenant-general
    major-general colonel lieutenant major captain admiral marshal speaker chairman
    chairwoman chair spokesman spokeswoman ambassador governor mayor patriarch chancellor
    king queen prince sheikh mr. mrs. ms. dr. sen. senator rep. representative
    prosecutor-general prosecutor commander chief head leader acting former then
    ex-president presidential envoy adviser advisor director opposition communist
    russian japanese chinese georgian ukrainian american chechen belarusian kazakh
    armenian azerbaijani latvian estonian lithuanian moldovan uzbek kyrgyz tajik
    turkmen german french british korean"""
    )
)
# Words that cannot be part of a personal name however they are capitalized.
_NOT_NAME = frozenset(
    _words(
        """the a an of and or in on at for to by with without from as is was are were
    his her their its this that these those will would may might said says"""
    )
)
# "al-Baghdadi", "ibn-Saud": lower-case name parts with a hyphenated article.
_NAME_PREFIX = re.compile(r"^(?:al|el|ad|an|ar|as|ash|at|az|ibn|bin|abu|de|van|von)-\w")
_PERSON_CUES = frozenset(
    _words(
        """president minister premier deputy leader chief commander spokesman spokeswoman
    speaker chairman chairwoman ambassador governor mayor general colonel-general
    lieutenant-general major-general colonel admiral marshal prosecutor-general envoy
    adviser advisor director secretary patriarch mufti imam sheikh emir mr. mrs. ms. dr.
    judge journalist blogger investigator analyst researcher activist pseudonym nickname"""
    )
)
_PARTICLES = frozenset({"bin", "ibn", "al", "el", "de", "van", "von", "der", "da", "ul"})
# "the Bush administration", "the Yamadaev brothers": a name used as a modifier.
_MODIFIED = re.compile(
    r"^[’']?s?\s+(?:administration|government|era|regime|cabinet|team|camp|family|clan|"
    r"brothers|doctrine|plan|faction|party|bloc|loyalists|supporters|years)\b"
)
_FOLLOWERS = re.compile(r"^[’']?s?\s+(?:faction|camp|loyalists|supporters)\b")
_ADJECTIVE = re.compile(r"(?:ian|ien|ean|ese|ish)s?$")  # "Nigerien", "Korean"
_GENERIC = frozenset(
    _words(
        """ministry government parliament army police court committee council party union
    agency office service guard republic region city state federation university
    institute foundation bank group fund center centre company airport square street
    avenue prize award plan doctrine battalion brigade front movement"""
    )
)
_POSSESSIVE = re.compile(r"[’']s?$")
_TOKEN = re.compile(r"[^\s]+")


def latin_share(text: str) -> float:
    """Share of letters in `text` that are Latin (1.0 for text without letters)."""
    letters = [ch for ch in text[:20_000] if ch.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for ch in letters if ch < "\u0250") / len(letters)


def resolve(
    text: str,
    spans: Sequence[NerSpan],
    gaz: Gazetteer | None = None,
    *,
    outlets: Iterable[tuple[Span, str]] = (),
) -> tuple[Entity, ...]:
    """Canonical entities from recognizer spans and gazetteer matches in `text`.

    `outlets`: the press sources the citations found, as (the parenthetical's span,
    the source's name): an outlet cited there is an organization whatever the
    recognizer read ("(Kabar, May 7)" is no place).
    """
    gaz = gaz or gazetteer()
    outlets = list(outlets)
    cited_spans = [span for span, _ in outlets]
    mentions = _merge(text, spans, gaz)
    mentions = ministries(text, mentions, gaz)
    mentions = cited_outlets(text, mentions, outlets)
    mentions = acronyms(text, mentions, gaz)
    mentions = named_forms(text, mentions, gaz)
    mentions = nested_places(text, mentions)
    mentions = parts_of_known(text, mentions, gaz)
    mentions = bare_bodies(mentions)
    mentions = _people(text, mentions, gaz)
    # Jamestown's own series are matched (so "Fortnight in Review" is not read as a
    # place called "Review") but listed only when a citation names them ("(Terrorism
    # Monitor, July 28, 2020)", see `_cited_at`): a header's series is no subject.
    mentions = [m for m in mentions if not _own_series(m.name) or _cited_at(m, cited_spans)]
    return _aggregate(text, mentions)


def _cited_at(m: _Mention, spans: list[Span]) -> bool:
    """Named inside a citation, by a name of more than one word ("Terrorism Monitor",
    not "the Monitor" or "Prism", which read as common words in a facet)."""
    return " " in m.name and _within(m.start, m.end, spans)


def _within(start: int, end: int, spans: Sequence[Span]) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def _own_series(name: str) -> bool:
    return len(name) > 4 and publications.lookup(name) is not None


def _merge(text: str, spans: Sequence[NerSpan], gaz: Gazetteer) -> list[_Mention]:
    """Gazetteer matches, plus recognizer spans that do not overlap a longer/equal one.

    Linear in the number of spans: gazetteer matches do not overlap each other, so
    the ones a span overlaps are a contiguous run found by bisection, and a match a
    span replaces is only marked, not removed from a list.
    """
    gazetted = [
        _Mention(m.start(), m.end(), e.type, e.name, e.wikidata, known=True)
        for m in gaz.pattern.finditer(text)
        if (e := gaz.by_surface[m.group()])
        and not orgs.generic_source(m.group())
        and not orgs.attributive(text, m.end(), m.group())
        and not (e.type == "location" and _LED.match(text, m.end()))
    ]
    starts = [m.start for m in gazetted]
    ends = [m.end for m in gazetted]
    replaced: set[int] = set()
    found: list[_Mention] = []
    mid_sentence = _mid_sentence_words(text)
    glosses = _glosses(text)
    for span in spans:
        if _within(span.start, span.end, glosses):
            continue  # "(武汉华南海鲜批发市场, Wuhan Haixian Pifa Shichang)": a romanization
        for start, end, label in _pieces(text, span):
            lo, hi = bisect.bisect_right(ends, start), bisect.bisect_left(starts, end)
            inside = [gazetted[i] for i in range(lo, hi) if i not in replaced]
            if any(m.start <= start and end <= m.end for m in inside):
                continue  # the gazetteer already covers it
            hyphened = "-" in text[start:end] and " " not in text[start:end]
            if label == "PERSON" and hyphened and not orgs.PLACE_AFTER.match(text, end):
                found.extend(_hyphen_parts(text, start, end, inside))
                continue  # "Putin-Mori": two people, resolved one by one
            if inside and not all(start <= m.start and m.end <= end for m in inside):
                continue  # partial overlap: trust the gazetteer's boundaries
            new = _classify(text, start, end, label, gaz, mid_sentence)
            if new:
                replaced.update(i for i in range(lo, hi))
                found.extend(new)
    found.extend(m for i, m in enumerate(gazetted) if i not in replaced)
    found.sort(key=lambda m: m.start)
    return found


_CJK_GLOSS = re.compile(r"\([^()\n]*[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af][^()\n]*\)")


def _glosses(text: str) -> list[Span]:
    """Parentheticals giving a name in Chinese, Japanese or Korean script and its
    romanization: the thing is named before them, in English."""
    return [m.span() for m in _CJK_GLOSS.finditer(text)]


def _pieces(text: str, span: NerSpan) -> list[tuple[int, int, str]]:
    """The span trimmed, with its label; two pieces for a possessive chain: "the
    Defense Ministry's Main Directorate" (two bodies), "Berezovsky's Sibneft" (an
    owner and a company)."""
    start, end = _trim(text, span.start, span.end)
    if end <= start or not text[start].isupper():
        return []
    if ordinal := _ORDINAL.search(text, max(0, start - 8), start):
        start = ordinal.start()  # "the 19th National Congress", "the 58th Army"
    before = _COUNTRY_BEFORE.search(text, max(0, start - 40), start)
    if span.label == "ORG" and before and orgs.canonical_name(text[before.start() : end]):
        # "Ukraine's Security Service": the country is part of the name
        return [(before.start(), end, span.label)]
    inner = _INNER_POSSESSIVE.search(text, start, end) if span.label == "ORG" else None
    if inner is None or orgs.canonical_name(text[start:end]):
        return [(start, end, span.label)]
    left = text[start : inner.start()]
    if orgs.split_possessive(text[start:end]) is not None:
        return [(start, inner.start(), "ORG"), (inner.end(), end, "ORG")]
    if _is_name(left.split()) and len(left.split()) <= 3 and not _has_head(left):
        return [(start, inner.start(), "PERSON"), (inner.end(), end, "ORG")]
    return [(start, end, span.label)]


_INNER_POSSESSIVE = re.compile(r"[’']s\s+(?=[A-Z])")
# "U.S.-led", "Iran-backed": a place as a modifier of who acts.
_LED = re.compile(
    r"-(?:led|backed|brokered|sponsored|funded|supported|aligned|allied|controlled|leaning)\b"
)
_COUNTRY_BEFORE = re.compile(r"\b[A-Z][\w.]+(?:[’']s)?\s+$")
_ORDINAL = re.compile(r"\b\d{1,3}(?:st|nd|rd|th)\s+$")


def _classify(
    text: str, start: int, end: int, label: str, gaz: Gazetteer, mid_sentence: frozenset[str]
) -> list[_Mention]:
    """What a recognizer span names, by the gazetteer and the organization rules;
    nothing for a fragment."""
    surface = text[start:end]
    kind = _TYPES[label]
    if kind == "person":
        surface = _strip_titles(surface)
    entry = gaz.by_key.get(translit_key(surface))
    if entry is not None:
        return [_Mention(start, end, entry.type, entry.name, entry.wikidata, True)]
    if surface in gaz.languages or orgs.numbering(surface.split()):
        return []  # "into Urdu", "III. Transnational threats"
    if kind == "location" and _LED.match(text, end):
        return []  # "U.S.-led coalition": a modifier, not a place named
    if kind != "organization" and orgs.group_name(surface):
        kind = "organization"  # "Ansarul Muslimina fi Biladis Sudan" read as a person
    if orgs.PLACE_AFTER.match(text, end) and _is_name(surface.split()):
        kind = "location"  # "the Naursky and Shelkovskoy districts"
    elif kind == "person" and _has_head(surface.split()[-1]) and surface[-1:].isalpha():
        kind = "organization"  # "the Petro Poroshenko Bloc": a person's name in a party's
    elif kind == "person":
        return [_Mention(start, end, kind, surface)] if _usable(surface, kind) else []
    if formal := orgs.canonical_name(surface):
        entry = gaz.by_key.get(translit_key(formal))
        if entry is not None:
            return [_Mention(start, end, entry.type, entry.name, entry.wikidata, True)]
        return [_Mention(start, end, "organization", formal)]
    words = surface.split()
    name = _strip_titles(surface, orgs.TITLES)
    person = gaz.by_key.get(translit_key(name))
    if (
        name != surface
        and _is_name(name.split())
        and not _has_head(name)
        and (len(name.split()) >= 2 or (person is not None and person.type == "person"))
    ):
        # "Army General Anatoly Kvashnin" read as an organization ("General Motors" is one)
        return [_Mention(end - len(name), end, "person", name)]
    sentence_initial = _sentence_start(text, start)
    elsewhere = len(words) == 1 and words[0] in mid_sentence
    if orgs.refusal(surface, sentence_initial=sentence_initial, elsewhere=elsewhere):
        return []
    if label == "ORG" and len(words) == 1 and translit_key(surface) in gaz.first_names:
        return []  # a bare first name ("Isa") names no organization
    glued = _place_then_name(start, words, gaz)
    if glued is not None:
        return glued
    name = surface.replace("’", "'")
    return [_Mention(start, end, kind, name)] if _usable(surface, kind) else []


def _place_then_name(start: int, words: list[str], gaz: Gazetteer) -> list[_Mention] | None:
    """A place glued to a name ("Stockholm Kozyrev") is the place and a surname."""
    if not 2 <= len(words) <= 3 or _has_head(" ".join(words)):
        return None
    for size in range(len(words) - 1, 0, -1):
        place = gaz.by_key.get(translit_key(" ".join(words[:size])))
        person = gaz.by_key.get(translit_key(" ".join(words[size:])))
        place_ok = place is not None and place.type == "location"
        person_ok = person is not None and person.type == "person"
        if not (place_ok and _is_name(words[size:])) and not (person_ok and size == 1):
            continue
        place_end = start + len(" ".join(words[:size]))
        rest = " ".join(words[size:])
        out = [_Mention(place_end + 1, place_end + 1 + len(rest), "person", rest)]
        if person is not None and person_ok:
            out[0].name, out[0].wikidata, out[0].known = person.name, person.wikidata, True
        if place is not None and place_ok:
            out.insert(0, _Mention(start, place_end, "location", place.name, place.wikidata, True))
        return out
    return None


def _has_head(name: str) -> bool:
    return any(w.casefold() in orgs.ORG_HEADS for w in name.split())


def _sentence_start(text: str, start: int) -> bool:
    before = text[max(0, start - 3) : start].rstrip(' \t"“(')
    return not before or before[-1] in ".!?\n:"


_MID_SENTENCE = re.compile(r"(?<=[\w,;]) ([A-Z][\w’'-]*)")


def _mid_sentence_words(text: str) -> frozenset[str]:
    """Capitalized words that stand inside a sentence somewhere in `text`."""
    return frozenset(_MID_SENTENCE.findall(text))


def _hyphen_parts(text: str, start: int, end: int, inside: list[_Mention]) -> list[_Mention]:
    """The parts of "Putin-Mori" the gazetteer did not match, as lone surnames."""
    parts = []
    for part in re.finditer(r"[^-]+", text[start:end]):
        a, b = start + part.start(), start + part.end()
        if not any(m.start <= a and b <= m.end for m in inside):
            parts.append(_Mention(a, b, "person", part.group()))
    return parts


def _people(text: str, mentions: list[_Mention], gaz: Gazetteer) -> list[_Mention]:
    """Surnames to full names, titles off, modifiers ("Bush administration") out."""
    full: dict[str, set[str]] = defaultdict(set)
    single_people = {
        translit_key(m.name) for m in mentions if m.type == "person" and " " not in m.name
    }
    people = {translit_key(m.name) for m in mentions if m.type == "person"}
    for m in mentions:
        words = m.name.split()
        if (
            m.type != "person"
            and not m.known
            and 2 <= len(words) <= 3
            and _is_name(words)
            and not _has_head(words[-1])
            and words[-1].casefold() not in _GENERIC
            and (
                translit_key(words[-1]) in single_people
                or translit_key(m.name) in people  # the same name read as a person elsewhere
                or translit_key(words[0]) in gaz.first_names
                or _after_title(text, m.start)
            )
        ):
            m.type = "person"  # "Mykola Melnychenko", "deputy Mukhtar Robow" read as orgs
        if m.type == "person" and len(m.name.split()) >= 2:
            full[translit_key(m.name.split()[-1])].add(m.name)
    out: list[_Mention] = []
    for m in mentions:
        if m.type != "person":
            if not m.known and translit_key(m.name.rstrip("s")) in full and m.name.endswith("s"):
                continue  # "the Yamadaevs": a family, not a place
            if not m.known and len(full.get(translit_key(m.name), ())) == 1:
                m.type = "person"  # "Stoltenberg" read as an organization
            else:
                out.append(m)
                continue
        modified = _MODIFIED.match(text[m.end : m.end + 30])
        if modified and not (m.known and _FOLLOWERS.match(modified.group())):
            continue  # "the Bush administration"; but "the Shekau faction" names Shekau
        surface = _strip_titles(text[m.start : m.end])
        if not _is_name(m.name.split()):
            continue
        if " " not in surface:
            names = full.get(translit_key(surface), set())
            if len(names) == 1:  # the article's own full name beats a gazetteer guess
                m.name = next(iter(names))
                entry = gaz.by_key.get(translit_key(m.name))
                m.known = entry is not None
                if entry is not None:
                    m.name, m.wikidata = entry.name, entry.wikidata
            elif len(names) > 1 or not m.known:
                continue  # ambiguous or unknown lone surname: dropped, not guessed
        out.append(m)
    return out


def _usable(surface: str, kind: EntityType) -> bool:
    """Not a bare adjective ("Ukrainian") or a generic noun ("Ministry") on its own."""
    if " " in surface or kind == "person":
        return True
    if surface.casefold() in _TITLES or _ADJECTIVE.search(surface):
        return False
    return surface.isupper() or surface.casefold() not in _GENERIC


def _is_name(words: Sequence[str]) -> bool:
    for word in words:
        if word.casefold() in _NOT_NAME or any(ch.isdigit() for ch in word):
            return False
        lower_ok = word.casefold() in _PARTICLES or _NAME_PREFIX.match(word)
        if not word[0].isupper() and not lower_ok:
            return False
    return bool(words)


def _after_title(text: str, start: int) -> bool:
    """'deputy Mukhtar Robow', 'President Ilham Aliyev': a title right before a name."""
    before = text[max(0, start - 40) : start].split()
    return bool(before) and before[-1].strip(",").casefold() in _PERSON_CUES


def _strip_titles(surface: str, titles: frozenset[str] = _TITLES) -> str:
    words = surface.split()
    while len(words) > 1 and words[0].casefold().rstrip(",") in titles:
        words = words[1:]
    return " ".join(words)


_TRAILING_ACRONYM = re.compile(r"\s+\([A-Z][\w-]*\)?$")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Without a leading 'the', a possessive or edge punctuation."""
    while start < end and not text[start].isalnum():
        start += 1
    if text.startswith(("the ", "The "), start):
        start += 4
    acronym = _TRAILING_ACRONYM.search(text, start, end)
    if acronym is not None:
        end = acronym.start()  # "the Uzbek National Security Service (SNB"
    possessive = _POSSESSIVE.search(text, start, end)
    if possessive is not None:
        end = possessive.start()
    while end > start and not (text[end - 1].isalnum() or text[end - 1] == "."):
        end -= 1
    return start, end


def _aggregate(text: str, mentions: Iterable[_Mention]) -> tuple[Entity, ...]:
    grouped: dict[tuple[EntityType, str], list[_Mention]] = defaultdict(list)
    names: dict[tuple[EntityType, str], str] = {}
    for m in mentions:
        key = (m.type, translit_key(m.name))
        grouped[key].append(m)
        names.setdefault(key, m.name)
    entities = []
    for key, group in grouped.items():
        aliases = tuple(dict.fromkeys(text[m.start : m.end] for m in group))
        spans: tuple[Span, ...] = tuple((m.start, m.end) for m in group)
        known = next((m for m in group if m.known), None)
        entities.append(
            Entity(
                name=known.name if known else names[key],
                type=group[0].type,
                mentions=len(group),
                aliases=aliases,
                wikidata=known.wikidata if known else None,
                spans=spans,
            )
        )
    entities.sort(key=lambda e: (-e.mentions, e.type, e.name))
    return tuple(entities)


def with_title(title: str | None, found: tuple[Entity, ...]) -> tuple[Entity, ...]:
    """`found` plus what the gazetteer names in the title and the body does not.

    A headline names its subject ("… Identifies Russia as a Main Threat") often without
    the body repeating it. Only gazetteer names count there: the recognizer reads a
    title-cased line as one long name.
    """
    if not title:
        return found
    gaz = gazetteer()
    have = {(e.type, translit_key(e.name)) for e in found}
    added: dict[tuple[EntityType, str], Entity] = {}
    for match in gaz.pattern.finditer(title):
        entry = gaz.by_surface[match.group()]
        key = (entry.type, translit_key(entry.name))
        if key in have or key in added or _own_series(entry.name):
            continue
        if entry.type == "person" and " " not in match.group():
            continue  # a surname alone: only the body can say who
        added[key] = Entity(
            name=entry.name,
            type=entry.type,
            mentions=1,
            aliases=(match.group(),),
            wikidata=entry.wikidata,
            spans=(),
        )
    return (*found, *added.values())
