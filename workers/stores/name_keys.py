"""Name keys: one spelling for a name's romanizations, and the initials of long names.

Russian and Caucasian names reach English texts in several romanizations (Basayev /
Basaev, Tsoy / Tsoi, Yeltsin / Jeltsin / Eltsin), and no list holds them all. A name
key folds them by rule (`name_key`), so both stores can match a spelling nobody
listed: articles carry the keys of their capitalized words in a name-key field
(`name_keys`: the embedded store's `keys` column, Elasticsearch's `name_keys`) and a
query phrase looks for its own key there (`keyable`). The same field holds the
initials of the body's long names (`initialisms`), so an acronym no list holds
("WEF") finds the name written out. Pure functions; `search_terms` builds queries and
entity filters on them.
"""

from __future__ import annotations

import re

from workers.enrich.gazetteer import fold

# A word of a name, the soft sign's apostrophe inside it ("Shamil'", "Tat'yana").
KEY_WORDS = re.compile(r"\w(?:[\w'’ʹʼ]*\w)?")
# A possessive pasted from a text ("Kiriyenko's", "Yamadaevs’"): the name without it.
POSSESSIVE = re.compile(r"(?<=\w)['’](?:s\b)?$", re.IGNORECASE)
# Scholarly (ISO 9 / Czech-style) transliteration marks to the English spellings the
# gazetteer holds: "Kučma" is Kuchma, "Žirinovskij" Zhirinovsky.
SCHOLARLY = str.maketrans(
    {"č": "ch", "Č": "Ch", "š": "sh", "Š": "Sh", "ž": "zh", "Ž": "Zh", "ŝ": "shch", "Ŝ": "Shch"}
)
# The rules, in order, on a lower-case word without diacritics: the soft sign's
# apostrophe goes, dzh is j, kh is h, ts/tz is c, yo is e (Seleznyov/Seleznev),
# i/y/j before e is e (Yeltsin/Jeltsin/Eltsin, Basayev/Basaev, Kiriyenko/Kirienko),
# y and j are i (Tsoy/Tsoi/Tsoj, Zyuganov/Ziuganov), doubled letters are single
# (Gussinsky/Gusinsky, -skiy/-sky).
_KEY_RULES = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"['’ʹʼ`]", ""),
        (r"dzh", "j"),
        (r"kh", "h"),
        (r"t[sz]", "c"),
        (r"yo", "e"),
        (r"[iyj]+e", "e"),
        (r"[yj]", "i"),
        (r"(.)\1+", r"\1"),
    )
)
# A capitalized word of at least this many letters is a name worth a key in the index.
_KEYED_LETTERS = 4
_NAME_WORD = re.compile(r"\b[A-Z][\w'’ʹʼ-]*")
# Initialisms (`initialisms`): names of this many capitalized words give a key; short
# joiners may stand between the words, a leading article is not part of the name, and
# anything but a word, a space, a hyphen or an apostrophe ends the name.
_MIN_INITIALS, _MAX_INITIALS = 3, 8
_NAME_JOINERS = frozenset({"of", "for", "and", "in", "on", "the", "de", "al"})
_LEADING = frozenset({"The", "A", "An"})
_NAME_BREAK = re.compile(r"[^\w\s'’-]+")
# Skeletons (`skeleton`): Arabic, Persian and Pashto names reach English texts with
# other vowels (Taliban/Taleban, Hezbollah/Hizbollah), a vowel dropped
# (Zawahiri/Zawahri), q or k (Zarqawi/Zarkawi) and z or s (German-style Hisbollah).
# Only words this long get one, and only a skeleton this long is kept: shorter ones
# would join unrelated names.
_SKELETON_LETTERS, _MIN_SKELETON = 6, 4
_VOWELS = re.compile(r"[aeiouy]+")
# The Arabic article before a name ("al-Zawahri"): the skeleton is the name's.
_ARTICLE = re.compile(r"^(?:al|el|ad|an|ar|as|ash|at|az)[-‐]", re.IGNORECASE)


def name_key(word: str) -> str:
    """One spelling for a word's romanizations (the rules in `_KEY_RULES`)."""
    text = fold(word)
    for pattern, replacement in _KEY_RULES:
        text = pattern.sub(replacement, text)
    return text


def phrase_key(phrase: str) -> str:
    """The name keys of a phrase's words, space-separated: what a query phrase looks
    for in the stores' name-key field."""
    return " ".join(name_key(w) for w in KEY_WORDS.findall(phrase))


def keyable(phrase: str) -> str:
    """The phrase's name key when the index can hold it (every word a name's length:
    shorter words get no key there; or one word in capitals of three letters or
    more, which may be the initials of a name: `initialisms`), else ""."""
    words = KEY_WORDS.findall(phrase)
    if len(words) == 1 and words[0].isupper() and len(words[0]) >= _MIN_INITIALS:
        return phrase_key(phrase)
    if not words or any(sum(ch.isalpha() for ch in w) < _KEYED_LETTERS for w in words):
        return ""
    return phrase_key(phrase)


def skeleton(word: str) -> str:
    """A long word's consonants, q as k and z as s, doubled letters once, as a key
    ("Zawahiri", "al-Zawahri" are "swhr"); "" for a short word or a short skeleton."""
    text = fold(_ARTICLE.sub("", word))
    if len(text) < _SKELETON_LETTERS or not text.isalpha():
        return ""
    text = re.sub(r"(.)\1+", r"\1", _VOWELS.sub("", text.replace("q", "k").replace("z", "s")))
    return text if len(text) >= _MIN_SKELETON else ""


def name_keys(title: str, body: str) -> str:
    """The name-key field of an article: the key of every capitalized word of at
    least four letters in its title and text, in order (so a two-word name keeps its
    words adjacent for a phrase match), each followed by its skeleton when it has one
    (`skeleton`); then the initials of the body's names of three words or more
    (`initialisms`)."""
    keys = []
    for text in (title, body):
        for match in _NAME_WORD.finditer(text):
            word = POSSESSIVE.sub("", match.group())
            for part in KEY_WORDS.findall(word):
                if sum(ch.isalpha() for ch in part) >= _KEYED_LETTERS:
                    keys.append(name_key(part))
                    if bone := skeleton(part):
                        keys.append(bone)
    return " ".join([*keys, *initialisms(body)])


def initialisms(text: str) -> list[str]:
    """The initials, as name keys, of every run of three to eight capitalized words
    in `text` (short joiners between them allowed, a leading article dropped): "World
    Economic Forum" gives "wef", "Organization for Security and Co-operation in
    Europe" "osce". An acronym no list holds then finds the name written out (a query
    word in capitals is keyed too, `keyable`). Punctuation ends a run. Titles are
    left out: in title case every run of words would make a key."""
    found: list[str] = []

    def close(run: list[str], cuts: list[int]) -> None:
        # The whole run, and the run up to each joiner: "World Economic Forum in
        # Davos" is also the "World Economic Forum".
        lead = next((i for i, word in enumerate(run) if word not in _LEADING), len(run))
        for end in (*cuts, len(run)):
            if _MIN_INITIALS <= end - lead <= _MAX_INITIALS:
                found.append(name_key("".join(word[0] for word in run[lead:end])))

    for segment in _NAME_BREAK.split(text):
        run: list[str] = []
        cuts: list[int] = []
        for word in segment.split():
            if word[0].isupper():
                run.append(word)
            elif run and word in _NAME_JOINERS:
                cuts.append(len(run))
            else:
                close(run, cuts)
                run, cuts = [], []
        close(run, cuts)
    return list(dict.fromkeys(found))
