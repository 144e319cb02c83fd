"""Passes over an article's mentions that concern organizations and places.

Each takes the mentions found so far (gazetteer matches and classified recognizer
spans, in text order) and returns them corrected:

- `cited_outlets`: an outlet named in a citation is an organization;
- `ministries`: ministries the recognizer missed ("the Emergency Situations Ministry");
- `acronyms`: "Full Name (ACR)" and each later "ACR" are one organization;
- `nested_places`: a place named only inside a longer name is not a place;
- `bare_bodies`: "the Foreign Ministry" after "the Georgian Foreign Ministry" is it;
- `parts_of_known`: "the Council of Europe's Parliamentary Assembly" is PACE;
- `named_forms`: names whose form says what they are, the recognizer's misses and
  cuts included: numbered military formations ("the 106th Guards Airborne
  Division"), the Islamic State's provinces ("Islamic State’s Pakistan Province"),
  a name after the noun that types it ("the organization Novaya Sila", "Telegram
  channel “Military Informant”", "the city of Gramsci"), Russia's federal districts,
  and a company before its kind ("the Energomash plant").

All are linear in the number of mentions (bisection over sorted offsets).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections.abc import Iterable

from workers.enrich import orgs
from workers.enrich.gazetteer import Gazetteer, translit_key, trie_regex
from workers.model import EntityType, Span


@dataclasses.dataclass(slots=True)
class Mention:
    start: int
    end: int
    type: EntityType
    name: str
    wikidata: str | None = None
    known: bool = False  # from the gazetteer: canonical already


def acronyms(text: str, mentions: list[Mention], gaz: Gazetteer) -> list[Mention]:
    """One organization for "Full Name (ACR)" and each later "ACR", the acronym an alias.

    The expansion's mention takes the gazetteer's name for it or for the acronym
    (else the expansion as written); places inside it are not places ("Europe" in
    the CSCE's name); every standing "ACR" in the text becomes a mention of it.
    """
    pairs = list(orgs.acronym_pairs(text))
    for m in mentions:  # "Federal Security Service (FSB)": the initials do not spell it
        after = orgs.ACRONYM_AFTER.match(text, m.end)
        if m.type == "organization" and after:
            pairs.append(orgs.Pair(m.start, m.end, after["acr"]))
    if not pairs:
        return mentions
    paired: list[Mention] = []
    names: dict[str, Mention] = {}
    treaties: set[str] = set()
    covers: list[tuple[int, int]] = []
    for pair in pairs:
        expansion = " ".join(text[pair.start : pair.end].split())
        expansion = re.sub(r"^the\s+", "", expansion, flags=re.IGNORECASE)
        entry = gaz.by_key.get(translit_key(expansion)) or gaz.by_key.get(
            translit_key(pair.acronym)
        )
        if (entry is not None and entry.type != "organization") or orgs.treaty(text, pair):
            treaties.add(pair.acronym)  # "(CFE)": its parts are no places, it no body
            covers.append((pair.start, pair.end))
            continue
        name = entry.name if entry else orgs.canonical_name(expansion) or expansion
        found = names.setdefault(
            pair.acronym,
            Mention(0, 0, "organization", name, entry.wikidata if entry else None, bool(entry)),
        )
        covers.append((pair.start, pair.end))
        paired.append(dataclasses.replace(found, start=pair.start, end=pair.end))
    covers.sort()
    cover_starts = [a for a, _ in covers]
    no_body = treaties - names.keys()
    kept = []
    for m in [*paired, *mentions]:  # a pair's reading first: it wins the same span
        i = bisect.bisect_right(cover_starts, m.start) - 1
        inside = i >= 0 and covers[i][0] <= m.start and m.end <= covers[i][1]
        if inside and (m.start, m.end) != covers[i]:
            continue  # a part of the expansion: "Europe", "Security"
        if text[m.start : m.end] in no_body:
            continue
        if (pair_name := names.get(text[m.start : m.end])) is not None:
            m.type, m.name, m.wikidata, m.known = (
                "organization",
                pair_name.name,
                pair_name.wikidata,
                pair_name.known,
            )
        kept.append(m)
    if not names:
        return kept
    starts = sorted(m.start for m in kept)
    standing = re.compile(r"(?<![\w-])" + trie_regex(names) + r"(?![\w-])")
    for match in standing.finditer(text):
        i = bisect.bisect_left(starts, match.start())
        if i < len(starts) and starts[i] == match.start():
            continue
        named = names[match.group()]
        kept.append(dataclasses.replace(named, start=match.start(), end=match.end()))
    kept.sort(key=lambda m: m.start)
    return _dedupe(kept)


def cited_outlets(
    text: str, mentions: list[Mention], outlets: Iterable[tuple[Span, str]]
) -> list[Mention]:
    """Press sources named in citations, as organizations over what the recognizer read."""
    found: list[Mention] = []
    for (start, end), name in dict.fromkeys(outlets):
        if orgs.refusal(name, sentence_initial=False, elsewhere=True):
            continue  # "Russian TV and agencies", "interview with the minister"
        match = re.search(re.escape(name), text[start:end], re.IGNORECASE)
        if match is not None:
            a, b = start + match.start(), start + match.end()
            found.append(Mention(a, b, "organization", name))
    if not found:
        return mentions
    found.sort(key=lambda m: m.start)
    found = _dedupe(found)
    starts, ends = [o.start for o in found], [o.end for o in found]
    kept: list[Mention] = []
    known: set[int] = set()
    for m in mentions:
        lo, hi = bisect.bisect_right(ends, m.start), bisect.bisect_left(starts, m.end)
        whole = all(m.start <= found[i].start and found[i].end <= m.end for i in range(lo, hi))
        if lo < hi and not (m.known and m.type == "organization" and whole):
            continue  # the recognizer's reading, or a part ("BBC News" of "BBC News Russian")
        if lo < hi:
            known.update(range(lo, hi))  # the gazetteer's name for it wins
        kept.append(m)
    kept.extend(o for i, o in enumerate(found) if i not in known)
    return sorted(kept, key=lambda m: m.start)


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    """One mention per span (the first kept), in text order."""
    seen: set[tuple[int, int]] = set()
    out = []
    for m in mentions:
        if (m.start, m.end) not in seen:
            seen.add((m.start, m.end))
            out.append(m)
    return out


# "Conventional Forces in Europe", "Council of Europe": a place closing a longer name.
_NAME_BEFORE = re.compile(r"\b([A-Z][\w’'-]*)\s+(in|of|for|on)\s+(?:the\s+)?$")
# "North Caucasus Military District", "Black Sea Fleet": a place opening one.
_NAME_AFTER = re.compile(r"^(?:\s+[A-Z][\w’'-]*){0,2}\s+([A-Z][\w’'-]*)\b")


def nested_places(text: str, mentions: list[Mention]) -> list[Mention]:
    """Places named only inside an institution's or a treaty's name are not places."""
    out = []
    for m in mentions:
        if m.type == "location":
            before = _NAME_BEFORE.search(text, max(0, m.start - 40), m.start)
            after = _NAME_AFTER.match(text[m.end : m.end + 60])
            closes = orgs.NAME_WORDS if before and before[2] == "of" else orgs.ABSTRACT
            if (before and before[1].casefold() in closes) or (
                after and after[1].casefold() in orgs.ORG_HEADS
            ):
                continue
        out.append(m)
    return out


_POSSESSIVE_GAP = re.compile(r"[’']s\s+$")


def parts_of_known(text: str, mentions: list[Mention], gaz: Gazetteer) -> list[Mention]:
    """A body named after its parent's possessive takes the gazetteer's name for the
    pair: "the Council of Europe's Parliamentary Assembly" → Parliamentary Assembly of
    the Council of Europe."""
    for prev, m in itertools.pairwise(mentions):
        if m.known or m.type != "organization" or prev.type != "organization":
            continue
        if not _POSSESSIVE_GAP.fullmatch(text, prev.end, m.start):
            continue
        for name in (f"{m.name} of the {prev.name}", f"{m.name} of {prev.name}"):
            entry = gaz.by_key.get(translit_key(name))
            if entry is not None and entry.type == "organization":
                m.name, m.wikidata, m.known = entry.name, entry.wikidata, True
                break
    return mentions


def bare_bodies(mentions: list[Mention]) -> list[Mention]:
    """A state body named without its country ("the Foreign Ministry") is the
    article's one body of that kind named with its country, if it has exactly one
    ("the Georgian Foreign Ministry" ... "the Foreign Ministry")."""
    by_head: dict[str, dict[str, Mention]] = {}
    for m in mentions:
        head, _, where = m.name.rpartition(" of ")
        if m.type == "organization" and head and where[:1].isupper():
            by_head.setdefault(head, {}).setdefault(m.name, m)
    if not by_head:
        return mentions
    for m in mentions:
        if m.type != "organization" or m.known:
            continue
        named = by_head.get(orgs.bare_head(m.name) or "", {})
        if len(named) == 1:
            (full,) = named.values()
            m.name, m.wikidata, m.known = full.name, full.wikidata, full.known
    return mentions


def ministries(text: str, mentions: list[Mention], gaz: Gazetteer) -> list[Mention]:
    """Ministries the recognizer missed or cut, found by `orgs.ministries`: each
    replaces the mentions inside it ("Russia" in "Russia's Defense Ministry") unless
    one of them is already a known organization."""
    found = list(orgs.ministries(text))
    if not found:
        return mentions
    starts, ends = [m.start for m in mentions], [m.end for m in mentions]
    drop: set[int] = set()
    added: list[Mention] = []
    for start, end, name in found:
        lo, hi = bisect.bisect_right(ends, start), bisect.bisect_left(starts, end)
        inside = range(lo, hi)
        if any(
            mentions[i].start < start or mentions[i].end > end or mentions[i].type == "organization"
            for i in inside
        ):
            continue  # the recognizer's or the gazetteer's reading stands
        drop.update(inside)
        entry = gaz.by_key.get(translit_key(name))
        if entry is not None:
            added.append(Mention(start, end, entry.type, entry.name, entry.wikidata, True))
        else:
            added.append(Mention(start, end, "organization", name))
    kept = [m for i, m in enumerate(mentions) if i not in drop]
    return sorted([*kept, *added], key=lambda m: m.start)


# Numbered formations: "the 35th Combined Arms Army", "144th Guards Motor Rifle Division".
_UNIT = re.compile(
    r"\b\d{1,3}(?:st|nd|rd|th)\s+(?:[A-Z][\w’'-]*\s+){0,5}?"
    r"(?:Army|Division|Brigade|Regiment|Corps|Battalion|Fleet|Flotilla|Squadron|Detachment|"
    r"Military\s+Base|Air\s+Base)\b"
)
# The Islamic State's "provinces": "Islamic State’s Pakistan Province", "IS Khorasan
# (IS-K) Province", "Islamic State in West Africa Province".
_PROVINCE = re.compile(
    r"\b(?:Islamic\s+State|IS|ISIS|ISIL|Daesh)(?:[’']s)?\s+(?:in\s+(?:the\s+)?)?"
    r"(?:[A-Z][\w’'-]*\s+){1,3}(?:\([A-Z][\w-]*\)\s+)?Province\b"
)
_INNER_PAREN = re.compile(r"\s*\([^()]*\)")
# A noun that types the name after it. Organizations: "the organization Novaya Sila",
# "a branch known as Ansaru", "Telegram channel “Military Informant”"; places: "the
# city of Gramsci".
_ORG_CUE = re.compile(
    r"\b(?:organization|organisation|group|movement|party|association|network|channel|"
    r"outlet|newspaper|website|militia|faction|branch|affiliate|franchise)"
    r"\s+(?:(?:called|named|known\s+as)\s+)?(?:the\s+)?(?=[“\"]?[A-Z])"
)
_QUOTED = re.compile(r"[“\"](?P<name>[A-Z][^”\"\n]{1,60}?)[”\"]")
_PLACE_CUE = re.compile(
    r"\b(?:city|town|village|port|settlement|province|district|region|island|republic)\s+of\s+"
    r"(?P<name>[A-Z][\w’'-]+(?:[\s-][A-Z][\w’'-]+){0,2})"
)
_FEDERAL_DISTRICT = re.compile(r"\b(?:[A-Z][\w-]*\s+){1,2}Federal\s+District\b")
_COMPANY = re.compile(
    r"\b(?<![’'])(?P<name>[A-Z][a-z][\w-]+)\s+(?:plant|factory|shipyard|works|company|corporation|concern|holding)\b"
)
_POSSESSIVE_TAIL = re.compile(r"[’']s$")


def _forms(text: str, gaz: Gazetteer) -> list[tuple[int, int, EntityType, str]]:
    """(start, end, type, name) of every name typed by its own form."""
    out: list[tuple[int, int, EntityType, str]] = []
    for match in _UNIT.finditer(text):
        out.append((match.start(), match.end(), "organization", match.group()))
    for match in _PROVINCE.finditer(text):
        name = " ".join(_INNER_PAREN.sub("", match.group()).split())
        out.append((match.start(), match.end(), "organization", name))
    for match in _FEDERAL_DISTRICT.finditer(text):
        name = " ".join(match.group().split())
        entry = gaz.by_key.get(translit_key(name))
        out.append((match.start(), match.end(), "location", entry.name if entry else name))
    for cue in _ORG_CUE.finditer(text):
        quoted = _QUOTED.match(text, cue.end())
        if quoted is not None:
            name = _POSSESSIVE_TAIL.sub("", quoted["name"].rstrip(" ,."))
            out.append(
                (quoted.start("name"), quoted.start("name") + len(name), "organization", name)
            )
    for match in _PLACE_CUE.finditer(text):
        name = _POSSESSIVE_TAIL.sub("", match["name"])
        entry = gaz.by_key.get(translit_key(name))
        if entry is None or entry.type == "location":
            start = match.start("name")
            out.append((start, start + len(name), "location", entry.name if entry else name))
    for match in _COMPANY.finditer(text):
        name = match["name"]
        if orgs.is_demonym(name) or orgs.country(name) or translit_key(name) in gaz.by_key:
            continue  # "the Russian company", "the Moscow plant"
        if text[max(0, match.start() - 2) : match.start()].strip() in (".", ""):
            continue  # a sentence's first word may be any word
        out.append((match.start(), match.end("name"), "organization", name))
    return sorted(out)


# An acronym a text defines for a document: "the Threat Assessment Document for
# 2010-2013 [hereafter referred to as TDA]", "the National Security Concept (NSC)".
_DOCUMENT_ACRONYM = re.compile(
    r"\b(?:Document|Doctrine|Concept|Strategy|Code|Report|Plan|Program|Programme|Law)\b"
    r"[^\[\]()\n.]{0,40}?\s*[\[(]\s*(?:(?:hereafter|hereinafter)\s+(?:referred\s+to\s+as\s+|"
    r"called\s+)?)?[“\"]?(?P<acr>[A-Z]{2,6})[”\"]?\s*[\])]"
)


def named_forms(text: str, mentions: list[Mention], gaz: Gazetteer) -> list[Mention]:
    """Names typed by their own form (`_forms`) replace the mentions inside them;
    one the recognizer took for a person or place after an organization noun ("the
    organization Novaya Sila") becomes that organization; a document's acronym
    names no organization."""
    documents = {m["acr"] for m in _DOCUMENT_ACRONYM.finditer(text)}
    if documents:
        mentions = [m for m in mentions if m.known or text[m.start : m.end] not in documents]
    cues = {cue.end() for cue in _ORG_CUE.finditer(text)}
    for m in mentions:
        if m.start in cues and not m.known and m.type != "organization":
            m.type = "organization"
    found = _forms(text, gaz)
    if not found:
        return mentions
    starts, ends = [m.start for m in mentions], [m.end for m in mentions]
    drop: set[int] = set()
    added: list[Mention] = []
    for start, end, kind, name in found:
        lo, hi = bisect.bisect_right(ends, start), bisect.bisect_left(starts, end)
        inside = range(lo, hi)
        if any(
            mentions[i].start < start
            or mentions[i].end > end
            or (mentions[i].known and (mentions[i].start, mentions[i].end) == (start, end))
            for i in inside
        ):
            continue  # a longer name, or the gazetteer's reading of this one, stands
        drop.update(inside)
        entry = gaz.by_key.get(translit_key(name))
        if entry is not None and entry.type == kind:
            added.append(Mention(start, end, kind, entry.name, entry.wikidata, True))
        else:
            added.append(Mention(start, end, kind, name))
    kept = [m for i, m in enumerate(mentions) if i not in drop]
    return _dedupe(sorted([*kept, *added], key=lambda m: m.start))
