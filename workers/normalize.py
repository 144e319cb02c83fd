"""Normalize stage: canonical text, stable id and content hash.

The body is the thing every later stage and the index see, and `content_hash` (the
hash of the normalized body) keys the enrichment cache, so the rules here are
deliberately few and stable: Unicode NFC, no control characters, single
spaces inside a paragraph, one blank line between paragraphs. Typographic quotes and
dashes are kept (they carry meaning: "1997–negotiations" is two words).

"Unchanged" has three meanings, each with one home: a fetched page whose extracted
fields hash as before (`workers.crawl`), an article whose normalized body hashes as before
(`content_hash`, here: enrichment results are reused), and a document a store need
not rewrite (`workers.stores.base.fingerprint`, which also covers enrichment).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

from workers.urls import article_key

# Zero-width and other format characters that survive copy-paste from web pages.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# C0/C1 control characters except tab and newline (what unicodedata calls "Cc").
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINE = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\w+(?:[’'.-]\w+)*")
# A tag left in a title ("Russia's <em>New</em> Line"): a letter, `/` or `!` after `<`,
# so "Russia <> Ukraine" and "a < b" keep their brackets.
_TAG = re.compile(r"<[A-Za-z/!][^<>]{0,1000}>")
# Entity layers undone at most: `&amp;#8217;` (encoded twice) needs two rounds.
_ENTITY_ROUNDS = 3
# A longer "title" is a page's text in the wrong field; it is cut at a word.
MAX_TITLE_CHARS = 1000


def normalize_text(text: str) -> str:
    """NFC text with paragraphs separated by exactly one blank line.

    Text with blank lines is treated as blank-line-separated paragraphs whose inner
    line breaks are wrapping; text without any blank line has one paragraph per line.
    """
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    blocks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    paragraphs = (" ".join(_SPACES.sub(" ", block).split()) for block in blocks)
    return "\n\n".join(p for p in paragraphs if p)


def normalize_field(value: str | None) -> str | None:
    """Single-line metadata (titles, names): NFC, collapsed spaces, None when empty."""
    if value is None:
        return None
    cleaned = " ".join(unicodedata.normalize("NFC", value).translate(_INVISIBLE).split())
    return cleaned or None


def normalize_title(value: str | None) -> str | None:
    """The one title cleaning every road goes through (page metadata, REST, files,
    stored raw payloads at reprocess): HTML entities decoded, tags dropped, then
    `normalize_field`'s spaces and NFC.

    Why here and not in each reader: Yoast's JSON-LD `headline` keeps `&#8217;`
    (`get_the_title()` with tags stripped, never decoded), `og:title` is sometimes
    encoded twice (`&amp;#8217;`), REST's `title.rendered` decodes once; one article
    read by two roads must get one title. Entities are decoded until nothing changes
    (at most `_ENTITY_ROUNDS` layers), so the function is idempotent on real titles;
    a title whose *text* is an entity's spelling ("the &amp; entity") is read as
    the character, a loss nothing on jamestown.org shows.
    """
    if value is None:
        return None
    text = value[: MAX_TITLE_CHARS * 4]
    for _ in range(_ENTITY_ROUNDS):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    # Inline markup (`<em>`) sits inside words; only a line break separates them.
    text = _TAG.sub(lambda tag: " " if tag[0][:3].lower() == "<br" else "", text)
    text = _CONTROL.sub(" ", text)
    cleaned = normalize_field(text)
    if cleaned is not None and len(cleaned) > MAX_TITLE_CHARS:
        cleaned = cleaned[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    return cleaned


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def word_count(body: str) -> int:
    return len(_WORD.findall(body))


# The prefix of an id made from a URL (issue 21): the URL alone is the identity,
# whatever publication a road guessed (REST says the category, a page may say nothing).
URL_ID_PREFIX = "article"


def article_id(
    *,
    url: str | None,
    publication: str,
    volume: int | None,
    issue: int | None,
    title: str | None,
    body_hash: str,
) -> str:
    """The same article gets the same id on every run, every worker and every road.

    With a URL the URL is the identity, and nothing else goes into the id: its text
    may be corrected later and must overwrite, not duplicate, and two roads (the REST
    API, a page) may guess different publications for it. Without one,
    publication/volume/issue plus the title identify it; an untitled article falls
    back to its content hash, because several untitled articles share one issue of
    the daily Monitor.
    """
    if url:
        return f"{URL_ID_PREFIX}-{_digest(_url_key(url))}"
    tail = (title or "").casefold() or body_hash
    key = f"issue\x1f{publication.casefold()}\x1f{volume}\x1f{issue}\x1f{tail}"
    return f"{_slug(publication)}-{_digest(key)}"


def migrated_from(old_id: str, new_id: str) -> bool:
    """Whether `old_id` is `new_id` as ids made from a URL were spelled before issue 21
    (`<publication slug>-<digest>`, the same digest): `monitor reprocess` then moves
    the document to its new id (`workers.ingest.ingest_raw`)."""
    prefix = f"{URL_ID_PREFIX}-"
    if not new_id.startswith(prefix) or old_id == new_id:
        return False
    return old_id.endswith("-" + new_id.removeprefix(prefix))


def _url_key(url: str) -> str:
    return f"url\x1f{article_key(url)}"  # /<slug>/ and /program/<slug>/ are one


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return slug[:40] or "article"
