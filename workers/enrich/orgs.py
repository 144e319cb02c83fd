"""Organizations and places as an analyst names them: canonical institutions, no fragments.

A recognizer span is a guess about where a name starts and ends and what it names.
This module holds the rules of the region's institutional vocabulary that turn such
guesses into what an analyst would file under, or refuse them:

- `canonical_name`: institutions named by country ("the Georgian Foreign Ministry",
  "Ukraine's Prosecutor General's Office", "the Ministry of Defense of Armenia") get
  one formal name ("Ministry of Foreign Affairs of Georgia");
- `acronym_pairs`: "Conference on Security and Cooperation in Europe (CSCE)" makes the
  expansion and every later "CSCE" one entity, the acronym an alias;
- `split_possessive`: "the Russian Defense Ministry's Main Intelligence Directorate"
  names two institutions;
- `refusal`: why a span is not a name at all (a verb phrase, a sentence break, a bare
  title such as "Army General", a nationality adjective such as "Belarusan", a
  generic word that only starts a sentence such as "Survival", a generic source label
  such as "Russian TV and agencies").

Everything here is pure: strings in, strings out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Country adjective → the country's canonical name (gazetteer spelling). Adjectives of
# peoples without a state of their own ("Chechen", "Abkhaz") map to their region.
COUNTRIES: dict[str, str] = {
    "russian": "Russia",
    "ukrainian": "Ukraine",
    "georgian": "Georgia",
    "belarusan": "Belarus",
    "belarusian": "Belarus",
    "belorussian": "Belarus",
    "byelorussian": "Belarus",
    "moldovan": "Moldova",
    "moldavian": "Moldova",
    "armenian": "Armenia",
    "azerbaijani": "Azerbaijan",
    "azeri": "Azerbaijan",
    "kazakh": "Kazakhstan",
    "kazakhstani": "Kazakhstan",
    "kyrgyz": "Kyrgyzstan",
    "kirgiz": "Kyrgyzstan",
    "uzbek": "Uzbekistan",
    "tajik": "Tajikistan",
    "turkmen": "Turkmenistan",
    "latvian": "Latvia",
    "lithuanian": "Lithuania",
    "estonian": "Estonia",
    "chechen": "Chechnya",
    "abkhaz": "Abkhazia",
    "abkhazian": "Abkhazia",
    "ossetian": "South Ossetia",
    "dagestani": "Dagestan",
    "ingush": "Ingushetia",
    "chinese": "China",
    "japanese": "Japan",
    "korean": "South Korea",
    "american": "United States",
    "u.s.": "United States",
    "us": "United States",
    "polish": "Poland",
    "german": "Germany",
    "french": "France",
    "british": "United Kingdom",
    "turkish": "Turkey",
    "iranian": "Iran",
    "afghan": "Afghanistan",
    "pakistani": "Pakistan",
    "indian": "India",
    "soviet": "Soviet Union",
}
# Country names written before an institution ("Russia's Foreign Ministry").
_COUNTRY_NAMES = {v.casefold(): v for v in COUNTRIES.values()}
_COUNTRY_NAMES.update({"russian federation": "Russia", "ukraine": "Ukraine"})
# Adjectives of peoples and regions that are never a name on their own ("Belarusan",
# "Chechens"), beyond the country adjectives above.
_DEMONYMS = frozenset(
    [
        *(k for k in COUNTRIES if k not in ("us", "u.s.")),
        *str.split(
            """tatar bashkir kabardin balkar circassian avar kumyk lezgin adyghe cossack
        kurdish arab israeli syrian iraqi serb serbian croat bosnian albanian kosovar
        european asian western eastern baltic caucasian slavic muslim islamic orthodox
        sunni shiite shia wahhabi jewish christian mongolian taiwanese vietnamese
        romanian hungarian bulgarian czech slovak finnish swedish norwegian danish
        dutch italian spanish greek israeli egyptian saudi yemeni somali libyan
        kurd crimean uyghur uighur pashtun baloch baluch hazara druze yazidi alawite
        nigerian malian sudanese ethiopian"""
        ),
    ]
)

# Ministries by the word(s) before "Ministry" or after "Ministry of" → formal name.
_MINISTRIES = {
    "foreign": "Foreign Affairs",
    "foreign affairs": "Foreign Affairs",
    "defense": "Defense",
    "defence": "Defense",
    "interior": "Internal Affairs",
    "internal affairs": "Internal Affairs",
    "justice": "Justice",
    "finance": "Finance",
    "finances": "Finance",
    "economy": "Economy",
    "economics": "Economy",
    "economic development": "Economic Development",
    "emergency situations": "Emergency Situations",
    "emergencies": "Emergency Situations",
    "energy": "Energy",
    "fuel and energy": "Fuel and Energy",
    "education": "Education",
    "health": "Health",
    "culture": "Culture",
    "transport": "Transport",
    "agriculture": "Agriculture",
    "atomic energy": "Atomic Energy",
    "nationalities": "Nationalities",
    "communications": "Communications",
    "labor": "Labor",
    "labour": "Labor",
    "foreign economic relations": "Foreign Economic Relations",
    "press": "Press",
    "information": "Information",
    "security": "Security",
    "state security": "State Security",
}
# State bodies named "<country adjective> <body>" → "<Body> of <Country>".
_BODIES = {
    "prosecutor general's office": "Prosecutor General's Office",
    "prosecutor-general's office": "Prosecutor General's Office",
    "general prosecutor's office": "Prosecutor General's Office",
    "prosecutor's office": "Prosecutor General's Office",
    "government": "Government",
    "cabinet": "Government",
    "cabinet of ministers": "Government",
    "security service": "Security Service",
    "national security service": "National Security Service",
    "intelligence service": "Intelligence Service",
    "state security committee": "State Security Committee",
    "national security committee": "National Security Committee",
    "state committee for national security": "State Committee for National Security",
    "general staff": "General Staff",
    "constitutional court": "Constitutional Court",
    "supreme court": "Supreme Court",
    "central election commission": "Central Election Commission",
    "central electoral commission": "Central Election Commission",
    "security council": "Security Council",
    "national security council": "National Security Council",
    "national bank": "National Bank",
    "central bank": "Central Bank",
    "border guard service": "Border Guard Service",
    "border guards": "Border Guard Service",
    "border service": "Border Guard Service",
    "armed forces": "Armed Forces",
    "army": "Armed Forces",
    "national guard": "National Guard",
    "navy": "Navy",
    "parliament": "Parliament",
    "police": "Police",
    "interior troops": "Interior Troops",
}
# Words that end an institution's name ("the Vostok battalion", "Chechen police"):
# lower-case they may still close a name; inside a span they make it one.
ORG_HEADS = frozenset(
    str.split(
        """ministry ministries committee commission council party bloc faction front
    movement union battalion brigade regiment division corps army navy fleet forces
    troops guard guards police militia service services directorate department
    administration office agency bureau court tribunal parliament assembly duma rada
    government cabinet staff district command company corporation bank fund
    foundation institute center centre organization organisation association
    federation league alliance congress church patriarchate university academy
    group holding concern network channel television radio newspaper agency
    inspectorate prosecutor's procuracy"""
    )
)
# Words that close the first part of a longer name before "in"/"of"/"for"
# ("Conventional Forces in Europe", "Council of Europe"); titles are not among them
# ("President of Georgia" names Georgia).
NAME_WORDS = ORG_HEADS | frozenset(
    str.split(
        """forces cooperation co-operation security conference treaty rights affairs
    reconstruction development relations studies peace partnership charter pact
    agreement accord convention declaration force fleet"""
    )
)
# Of those, the ones no building or office can be "in" ("the Ministry in Tbilisi").
ABSTRACT = (NAME_WORDS - ORG_HEADS) | {"forces"}
# Words that join the parts of a name in lower case ("Power to the People").
_CONNECTORS = frozenset(
    str.split("of and for the in on to at de du la le di del da al el ul under")
)
# A name followed by one of these is a place: "the Naursky and Shelkovskoy districts".
PLACE_AFTER = re.compile(
    r"(?:\s+and\s+[A-Z][\w’'-]*)?\s+(?:district|districts|region|regions|oblast|oblasts|"
    r"raion|village|villages|province|provinces|krai|valley|gorge|river|mountains)\b"
)
# Lower-case words of transliterated outlet names ("Ukrayinska pravda").
_PRESS_WORDS = frozenset(
    str.split(
        """gazeta gazety pravda novosti vedomosti izvestia izvestiya fakty nedeli tyzhnia
    tyzhnya vremya vremia zhizn mir slovo rossii moskvy delo kurer kurier vestnik vesti
    zerkalo den obozrenie tribuna zvezda segodnya pravdy komsomolets i"""
    )
)
# Ranks and titles: a span made of these alone is no name ("Army General").
TITLES = frozenset(
    str.split(
        """army general colonel-general lieutenant-general major-general colonel lieutenant
    major captain admiral vice-admiral rear-admiral marshal sergeant commander
    president vice prime premier minister deputy foreign defense defence interior
    secretary speaker chairman chair spokesman spokeswoman ambassador governor mayor
    patriarch chancellor king queen prince sheikh emir senator envoy adviser advisor
    director chief head leader field acting former first mr. mrs. ms. dr. gen. col.
    lt. maj. capt. adm."""
    )
)
# Single words the recognizer takes for places or bodies when they open a sentence.
_COMPASS = frozenset(str.split("north south east west central northern southern eastern western"))
# Media words: a label made of these and adjectives is a generic source, not an outlet.
_MEDIA = frozenset(
    str.split(
        """tv television radio agencies agency press media newspapers newspaper papers
    sources reports news wire wires services and the local official state
    independent opposition"""
    )
)
# A full stop after a word that is no abbreviation ("U.S. Army", "St. Petersburg").
_SENTENCE_BREAK = re.compile(r"\b(?!(?:St|Mr|Mrs|Dr|Jr|Lt|Gen|Col|Ms|No|Mt)\.)[\w’']{2,}[.!?]\s+\S")
_POSSESSIVE_INSIDE = re.compile(r"[’']s\s+(?=\S)")
_ORDINAL = re.compile(r"\d{1,3}(?:st|nd|rd|th)")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


def country(word: str) -> str | None:
    """The country of "Russian", "Russia's", "Russia’s", "the Russian Federation's"."""
    key = word.translate(_APOSTROPHES).casefold().removeprefix("the ")
    key = key.removesuffix("'s").removesuffix("'")
    return COUNTRIES.get(key) or _COUNTRY_NAMES.get(key)


def is_demonym(word: str) -> bool:
    """A nationality or people's adjective, singular or plural ("Belarusan", "Chechens")."""
    key = word.casefold()
    return key in _DEMONYMS or (key.endswith("s") and key[:-1] in _DEMONYMS)


_OF_COUNTRY = re.compile(r"^(?P<head>.+)\s+of\s+(?:the\s+)?(?P<country>[A-Z][\w.' ’-]+)$")
_MINISTRY_OF = re.compile(r"^ministry\s+of\s+(?:the\s+)?(?P<kind>.+)$", re.IGNORECASE)


def canonical_name(surface: str) -> str | None:
    """The formal name of a state body named by country, or None.

    "the Georgian Foreign Ministry", "Georgia's Foreign Ministry", "the Georgian
    Ministry of Foreign Affairs" and "the Ministry of Foreign Affairs of Georgia" are
    all "Ministry of Foreign Affairs of Georgia"; "the Ukrainian Prosecutor General's
    Office" is "Prosecutor General's Office of Ukraine". Descriptions in lower case
    ("the Russian government") are left alone: the gold counts them as optional.
    """
    if len(surface) > 160:
        return None  # no state body's name is this long; keeps the regexes short
    text = " ".join(surface.translate(_APOSTROPHES).split())
    text = re.sub(r"^the\s+", "", text, flags=re.IGNORECASE)
    where: str | None = None
    head = text
    words = text.split()
    for size in (3, 2, 1):  # "Russian Federation's", "Russia's", "Russian"
        if len(words) > size and (found := country(" ".join(words[:size]))):
            where, head = found, " ".join(words[size:])
            break
    if where is None and (match := _OF_COUNTRY.match(text)):
        where = country(match["country"])
        head = match["head"]
    if where is None:
        return None
    return _body_name(head, where)


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_KINDS = _alternation(
    " ".join(w if w == "and" else w.capitalize() for w in k.split()) for k in _MINISTRIES
)
_WHERE = _alternation(
    [
        *(" ".join(w.capitalize() for w in k.split()) for k in COUNTRIES if "." not in k),
        *(f"{c}{s}" for c in _COUNTRY_NAMES.values() for s in ("'s", "’s")),
    ]
)
_KIND_BEFORE = re.compile(rf"(?:(?:\b[Tt]he\s+)?\b(?:{_WHERE})\s+)?\b(?:{_KINDS})\s+$")
_STATES = _alternation(" ".join(w.capitalize() for w in k.split()) for k in _COUNTRY_NAMES)
_KIND_AFTER = re.compile(
    rf"\s+of\s+(?:the\s+)?(?:{_KINDS})\b(?:\s+of\s+(?:the\s+)?(?:{_STATES})\b)?"
)
_WHERE_BEFORE = re.compile(rf"\b(?:{_WHERE})\s+$")
_MINISTRY_WORD = re.compile(r"\bMinistry\b")


def ministries(text: str) -> Iterator[tuple[int, int, str]]:
    """Every ministry named in `text` ("the Georgian Defense Ministry", "the Ministry
    of Emergency Situations"), the recognizer's misses included: (start, end, name),
    the formal name when the country is given, else the name as written."""
    for word in _MINISTRY_WORD.finditer(text):
        before = _KIND_BEFORE.search(text, max(0, word.start() - 60), word.start())
        if before is not None:
            start, end = before.start(), word.end()
        elif after := _KIND_AFTER.match(text, word.end()):
            start, end = word.start(), after.end()
            if where := _WHERE_BEFORE.search(text, max(0, start - 40), start):
                start = where.start()  # "the Russian Ministry of Foreign Affairs"
        else:
            continue
        surface = text[start:end]
        name = canonical_name(surface) or re.sub(r"^[Tt]he\s+", "", surface)
        yield start + (4 if surface[:4].casefold() == "the " else 0), end, name


def bare_head(surface: str) -> str | None:
    """The formal head of a state body named without its country: "the Interior
    Ministry" → "Ministry of Internal Affairs" (to be completed by coreference)."""
    text = re.sub(r"^the\s+", "", " ".join(surface.translate(_APOSTROPHES).split()), flags=re.I)
    named = _body_name(text, "-") if len(text) <= 160 else None
    return named.removesuffix(" of -") if named else None


_WITH_ARTICLE = frozenset({"United States", "United Kingdom", "Soviet Union"})


def _body_name(head: str, country_name: str) -> str | None:
    if not head[:1].isupper():
        return None  # "the Russian government": a description, not a name
    where = f"the {country_name}" if country_name in _WITH_ARTICLE else country_name
    key = head.casefold()
    if key.endswith(" ministry") and (kind := _MINISTRIES.get(key.removesuffix(" ministry"))):
        return f"Ministry of {kind} of {where}"
    if (match := _MINISTRY_OF.match(head)) and (kind := _MINISTRIES.get(match["kind"].casefold())):
        return f"Ministry of {kind} of {where}"
    if body := _BODIES.get(key):
        return f"{body} of {where}"
    return None


@dataclass(frozen=True, slots=True)
class Pair:
    """An expansion and its acronym: "Full Name (ACR)", with the expansion's offsets."""

    start: int
    end: int
    acronym: str


_POSSESSIVE_END = re.compile(r"[’']s$")
ACRONYM_AFTER = re.compile(r"\s\((?P<acr>[A-Z][A-Za-z]{0,2}[A-Z][A-Z0-9]{0,6})\)")
_NAME_WORD = re.compile(r"[A-Z][\w’'.-]*|(?:of|and|for|the|in|on|to|at|de)(?!\w)")


def acronym_pairs(text: str) -> Iterator[Pair]:
    """Expansions followed by their acronym: "Federal Security Service (FSB)".

    The expansion is the shortest run of capitalized words (with "of", "and", "for",
    "the", "in" between) right before the parenthesis whose initials spell the
    acronym; Russian acronyms of English expansions ("Federal Security Service (FSB)")
    do not spell it and are paired by the caller only when the expansion is a
    recognized organization.
    """
    for match in ACRONYM_AFTER.finditer(text):
        acronym = match["acr"]
        words = _words_before(text, match.start(), limit=12)
        initials = ""
        for start, word in reversed(words):
            if word[0].isupper():
                initials = "".join(w[0] for w in re.split(r"[-\s]", word) if w) + initials
            if initials.upper() == acronym.upper() and word[0].isupper():
                end = match.start()
                if _POSSESSIVE_END.search(text, start, end):
                    end -= 2  # "Islamic State in West Africa Province’s (ISWAP)"
                yield Pair(start, end, acronym)
                break
            if len(initials) > len(acronym):
                break


def _words_before(text: str, end: int, *, limit: int) -> list[tuple[int, str]]:
    """The name-like words ending at `end`, in order (capitalized or connectors)."""
    out: list[tuple[int, str]] = []
    window_start = max(0, end - 160)
    tokens = list(re.finditer(r"\S+", text[window_start:end]))
    for token in reversed(tokens[-limit:]):
        word = token.group()
        if not _NAME_WORD.fullmatch(word):
            break
        out.append((window_start + token.start(), word))
    out.reverse()
    while out and not out[0][1][0].isupper():
        out.pop(0)
    return out


def split_possessive(surface: str) -> tuple[str, str] | None:
    """Both parts of "Russian Defense Ministry's Main Intelligence Directorate", when
    the first ends in an institution word ("Ministry", "Staff") and the second has one."""
    match = _POSSESSIVE_INSIDE.search(surface)
    if match is None:
        return None
    left, right = surface[: match.start()], surface[match.end() :]
    right_words = [w.casefold() for w in right.split()]
    left_words = left.split()
    if (
        left_words
        and left_words[-1].casefold() in ORG_HEADS
        and right[:1].isupper()
        and any(w in ORG_HEADS for w in right_words)
    ):
        return left, right
    return None


_TREATY_WORDS = frozenset(
    str.split("treaty agreement accord pact convention charter declaration protocol program")
)


def treaty(text: str, pair: Pair) -> bool:
    """The expansion names a treaty or programme: "Treaty on Conventional Forces in
    Europe (CFE)", "Partnership for Peace (PfP)" are no organizations."""
    before = text[max(0, pair.start - 20) : pair.start].split()
    words = [w.casefold() for w in text[pair.start : pair.end].split()]
    if words and words[-1] in ORG_HEADS:
        return False  # "Collective Security Treaty Organization (CSTO)"
    if words and _POSSESSIVE_END.sub("", words[-1]) in NOT_BODIES:
        return True  # "Severe Acute Respiratory Syndrome (SARS)", a strategy document
    if before and before[-1].casefold() in {"on", "of"} and len(before) > 1:
        before = before[:-1]
    return any(w in _TREATY_WORDS for w in (*words, *(b.casefold() for b in before[-1:])))


_ATTRIBUTIVE = re.compile(
    r"\s+(?:tv|television|radio|media|newspapers?|officials|sources|policy|policies|"
    r"agencies|press|spokesman|spokeswoman|delegation|troops|forces)\b"
)


def attributive(text: str, end: int, surface: str) -> bool:
    """A descriptive name in lower case used as a modifier: "Russian government
    television" names the channel, not the government."""
    last = surface.split()[-1] if surface.split() else ""
    return last[:1].islower() and _ATTRIBUTIVE.match(text, end) is not None


def generic_source(surface: str) -> bool:
    """A kind of source, no outlet: "Russian TV and agencies", "Western news agencies"."""
    words = surface.translate(_APOSTROPHES).casefold().split()
    return (
        len(words) >= 2
        and any(w in _MEDIA for w in words)
        and all(w in _MEDIA or is_demonym(w) for w in words)
    )


# Last words of names that are no body: documents ("Threat Assessment Document",
# "General Administrative Code") and diseases ("Middle East Respiratory Syndrome").
NOT_BODIES = frozenset(
    str.split(
        """document documents doctrine concept strategy code report plan program programme
    decree resolution constitution syndrome disease virus coronavirus fever flu
    influenza pneumonia plague epidemic pandemic"""
    )
)
# Parts of a text named by their heading: "the Preamble", "Article 61", "III".
_TEXT_PARTS = frozenset(
    str.split("preamble article chapter section annex appendix introduction conclusion part")
)
_ROMAN = re.compile(r"^(?=[IVXL])X{0,3}(?:IX|IV|V?I{0,3})\.?$")
# Arabic article prefixes keep a name proper: "al-Naba", "al-Shabaab".
ARTICLE_PREFIX = re.compile(r"^(?:al|el|ad|an|ar|as|ash|at|az)-\w", re.IGNORECASE)
# Words that name a group in Arabic, Urdu and Pashto names: a "person" span holding
# one is a group ("Ansarul Muslimina fi Biladis Sudan", "Jamaat Nusrat al-Islam",
# "Lashkar-e-Taiba", "Tehrik-i-Taliban Pakistan", "Hayat Tahrir al-Sham").
_GROUP_WORDS = re.compile(
    r"\b(?:ansar\w*|jama[’']?at\w*|harakat\w*|hizb\w*|jabhat|jaish\w*|lashkar\w*|tehrik\w*|"
    r"tahrir|tanzim|katiba\w*|liwa|ahrar|wilayat|muslimin\w*|mujahideen|mujahidin|"
    r"boko|shabaab|taliban|daesh)\b",
    re.IGNORECASE,
)


def group_name(surface: str) -> bool:
    """An Arabic, Urdu or Pashto group name, whatever the recognizer read."""
    return _GROUP_WORDS.search(surface) is not None


def numbering(words: list[str]) -> bool:
    """A heading's number ("III", "I. Military threats") or a text part ("Preamble")."""
    if not words:
        return False
    heading = _ROMAN.match(words[0]) is not None and (len(words) == 1 or words[0].endswith("."))
    return heading or (len(words) == 1 and words[0].casefold() in _TEXT_PARTS)


def refusal(surface: str, *, sentence_initial: bool, elsewhere: bool) -> str | None:
    """Why `surface` (an unknown span for an organization or place) is no name, or None.

    `sentence_initial`: the span opens a sentence; `elsewhere`: the same word is
    capitalized somewhere else in the text, not at a sentence start.
    """
    if "\n" in surface or _SENTENCE_BREAK.search(surface):
        return "sentence break"
    words = surface.split()
    if not words or not (
        words[0][:1].isupper() or _ORDINAL.fullmatch(words[0]) or ARTICLE_PREFIX.match(words[0])
    ):
        return "not a noun phrase"
    if "/" in surface or "@" in surface:
        return "web address"  # "Twitter.com/@calibreobscura": an account, cited
    if numbering(words):
        return "numbering"
    if _POSSESSIVE_END.sub("", words[-1].casefold()) in NOT_BODIES:
        return "document or disease"
    if words[-1].casefold() in _CONNECTORS:
        return "ends in a stop word"
    for word in words[1:]:
        bare = word.strip(',;:()"“”').casefold()
        if word[:1].isupper() or bare in _CONNECTORS or bare in ORG_HEADS:
            continue
        if bare in _PRESS_WORDS:  # "Moskovskie novosti", "Nezavisimaya gazeta"
            continue
        if word[:1].isdigit() or re.match(r"^(?:al|el|ad|as|ash|at|ibn|bin|abu|wal|ut|ul)-", bare):
            continue
        return "not a noun phrase"  # a verb or an adverb: "to guide Russia's policy"
    folded = [w.casefold() for w in words]
    if all(w in TITLES for w in folded):
        return "title"
    if generic_source(surface):
        return "generic source"
    if len(words) > 1 and all(is_demonym(w) for w in words):
        return "a people"  # "Syrian Circassians", "Crimean Tatars"
    if len(words) == 1:
        if is_demonym(words[0]):
            return "adjective"
        if folded[0] in _COMPASS:
            return "generic word"
        if sentence_initial and not elsewhere and not surface.isupper():
            return "generic word"
    return None
