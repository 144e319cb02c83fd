"""Who wrote an article: the analyst on the byline, never the WordPress account.

jamestown.org's posts name their analyst in the post itself, not in WordPress's
author field. The evidence (issue 21; the test fixture
`tests/fixtures/extraction/rest_post_account_author.json` repeats it):

- the site's own listings show WordPress excerpts such as "By Paul GobleMoscow's
  approach to the country's smallest non-Russian nationalities…"
  (jamestown.org/commentaries/page/6/). WordPress makes an excerpt from the post
  content with its tags stripped, so the content opens with a byline paragraph,
  "By Paul Goble", without the colon of the newer "By: Paul Goble" lines;
- analysts have pages of their own at `/analyst/<slug>/` (a crawl lists
  jamestown.org/analyst/china-brief-notes/: an "analyst" that is a column, so these
  are site content, not WordPress users, whose archives are `/author/<nicename>/`),
  and the byline links to them;
- WordPress's author of a post is whoever uploaded it: `admin` on a stock install,
  an editor's account (`jf-web-editor`) on a newsroom's. The REST API's
  `_embedded.author` and Yoast's JSON-LD `author` both name that account.

So the order is: a byline line in the text ("By: A and B", or "By A" when what
follows reads as names), else links to analyst pages, else the metadata's author
unless it is an account name (`is_account_name`). A wrong name is worse than none:
when only an account is named, the article has no author.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from selectolax.lexbor import LexborNode

from workers.parse import read_byline, split_authors

ANALYST_PATH = "/analyst/"
# Words a name may hold in lower case ("Jan de Vries", "Omar al-Bashir").
_PARTICLES = frozenset({"al", "bin", "da", "de", "del", "der", "di", "el", "ibn", "la", "le"})
_PARTICLES |= {"van", "von", "y"}
# Account names WordPress and its editors create; compared case-insensitively.
_ACCOUNTS = frozenset({"admin", "administrator", "editor", "webmaster", "wordpress", "root"})
# One token in lower case, or one holding `-`, `_`, `.` or a digit (`jf-web-editor`,
# which trafilatura's byline heuristics return as "Jf-Web-Editor").
_LOGIN = re.compile(r"^(?:[a-z0-9._@-]+|\S*[-_.0-9]\S*)$")
_MAX_BYLINE_CHARS = 120
_MAX_NAMES = 6


def byline_names(line: str, *, colonless: bool = True) -> tuple[str, ...] | None:
    """The names of a byline line, `()` for an empty "By:", `None` for other lines.

    "By: …" always is a byline (`parse.read_byline`); "By …" without the colon only
    when `colonless` and every name after it reads as a full name ("By Paul Goble",
    not "By approving the budget, Moscow…" or a menu's "By Region").
    """
    names = read_byline(line)
    if names is not None or not colonless:
        return names
    if line.lstrip()[:3].lower() != "by ":
        return None  # cheap refusal before squeezing a possibly huge line (linear)
    text = " ".join(line.split())
    if len(text) > _MAX_BYLINE_CHARS:
        return None
    found = split_authors(text[3:])
    # Two words at least ("By Region", a menu's entry, is no byline).
    if found and len(found) <= _MAX_NAMES and all(_full_name(n) for n in found):
        return found
    return None


def _full_name(text: str) -> bool:
    return looks_like_name(text) and len(text.split()) >= 2


def looks_like_name(text: str) -> bool:
    """One to five capitalized words (particles aside), no digits: "Paul Goble",
    "Jan de Vries"; not "approving the budget" or "March 2020"."""
    words = text.split()
    if not 1 <= len(words) <= 5 or any(ch.isdigit() for ch in text):
        return False
    if not (words[0][:1].isupper() and _capitalized(words[-1])):
        return False
    return all(_capitalized(w) or w.lower() in _PARTICLES for w in words)


def _capitalized(word: str) -> bool:
    return word[:1].isupper() or (word[:3].lower() in ("al-", "el-") and word[3:4].isupper())


def is_account_name(name: str) -> bool:
    """A WordPress login rather than a person: `admin`, `jf-web-editor`, `editor2`
    (one token in lower case or with login characters), or an address."""
    text = name.strip()
    return text.casefold() in _ACCOUNTS or bool(_LOGIN.match(text)) or "@" in text


def analyst_names(root: LexborNode | None) -> tuple[str, ...]:
    """The names on links to analyst pages (`/analyst/<slug>/`) under `root`, in order,
    at most `_MAX_NAMES`: the byline of a post whose text has no "By" line."""
    if root is None:
        return ()
    names: list[str] = []
    for anchor in root.css("a[href]"):
        path = urlsplit(anchor.attributes.get("href") or "").path
        if not path.startswith(ANALYST_PATH) or not path[len(ANALYST_PATH) :].strip("/"):
            continue
        name = " ".join((anchor.text() or "").split())
        if name and looks_like_name(name) and name not in names:
            names.append(name)
        if len(names) == _MAX_NAMES:
            break
    return tuple(names)
