"""HTTP body decoding: `Content-Encoding` undone within bounds, then bytes to text by
the HTML standard's encoding sniffing.

Content codings.
httpx decodes a compressed body one network chunk at a time, but without a bound on
what one chunk may inflate to: a 64 KB chunk of a gzip bomb becomes 64 MB in one
call, and a stacked `gzip, gzip` body multiplies that again. Here every layer is
undone with `zlib`'s `max_length`, so no call ever produces more than `STEP` bytes,
and the caller counts the decoded bytes (and checks its deadline) between steps:
the size limit applies to *decoded* bytes, before the memory is allocated.

Only the encodings we ask for (`Accept-Encoding: gzip, deflate`) are accepted; any
other is refused as that item's failure, not guessed at.

Character encodings (`html_text`), in the HTML standard's order ("determining the
character encoding"): a byte-order mark, then the `charset` of the Content-Type
header, then a `<meta charset>` / `<meta http-equiv="Content-Type">` found by the
standard's prescan of the first 1,024 bytes, then a default. Labels are read as the
Encoding Standard reads them, so `iso-8859-1`, `latin1` and `ascii` mean windows-1252
(0x92 is ’, not a control character) and a `<meta>` naming UTF-16 means UTF-8. The
default for a page that declares nothing is UTF-8 when the bytes are valid UTF-8 (the
standard allows such autodetection) and windows-1252 otherwise: a 2000s page served
as plain `text/html` keeps its "£2 bet", ’ and —. docs/adr/0007 says why the prescan
is written here.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterable, Iterator

from workers.model import InputError

ACCEPT_ENCODING = "gzip, deflate"
# The most any one decompression call may produce.
STEP = 64 * 1024
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class DecodingError(InputError):
    """The body is not what its Content-Encoding says (corrupt, or an unknown coding)."""


def encodings(header: str | None) -> list[str]:
    """The codings applied, in the order they were applied (`identity` dropped)."""
    names = [part.strip().lower() for part in (header or "").split(",")]
    codings = [name for name in names if name and name != "identity"]
    unknown = [name for name in codings if name not in _WBITS]
    if unknown:
        raise DecodingError(f"unsupported Content-Encoding {', '.join(unknown)!r}")
    return codings


def decoded(chunks: Iterable[bytes], codings: list[str]) -> Iterator[bytes]:
    """`chunks` with `codings` undone (last applied first), in pieces of at most STEP."""
    stream: Iterable[bytes] = chunks
    for coding in reversed(codings):
        stream = _inflate(stream, coding)
    return iter(stream)


def _inflate(chunks: Iterable[bytes], coding: str) -> Iterator[bytes]:
    wbits = _WBITS[coding]
    inflater = zlib.decompressobj(wbits)
    produced = started = False
    for chunk in chunks:
        data = chunk
        started = started or bool(chunk)
        while data:
            try:
                out = inflater.decompress(data, STEP)
            except zlib.error as exc:
                if coding == "deflate" and wbits > 0 and not produced:
                    # Servers send raw deflate for "deflate" too (RFC 9110 says zlib).
                    wbits = -zlib.MAX_WBITS
                    inflater = zlib.decompressobj(wbits)
                    continue
                raise DecodingError(f"corrupt {coding} body: {exc}") from exc
            if out:
                produced = True
                yield out
            data = inflater.unconsumed_tail
            if inflater.eof:
                # Concatenated gzip members are legal: go on with the next one.
                data = inflater.unused_data.lstrip(b"\0")
                if data:
                    inflater = zlib.decompressobj(wbits)
            elif not data and len(out) == STEP:
                data = b""
                yield from _drain(inflater, coding)
    if started and not inflater.eof:
        raise DecodingError(f"truncated {coding} body")


def _drain(inflater: zlib._Decompress, coding: str) -> Iterator[bytes]:
    """Output zlib still holds after all input was consumed, STEP bytes at a time."""
    while True:
        try:
            out = inflater.decompress(b"", STEP)
        except zlib.error as exc:
            raise DecodingError(f"corrupt {coding} body: {exc}") from exc
        if not out:
            return
        yield out


# ---- character encodings (module docstring) -------------------------------------------
PRESCAN_BYTES = 1024  # where the standard's prescan stops looking
LEGACY_DEFAULT = "windows-1252"
# The BOM decides, and is not part of the text (the `utf-16` codecs drop theirs).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF16_LE, "utf-16"),
)
_LABEL = re.compile(r"[a-z0-9._:-]+")
# Labels the Encoding Standard maps elsewhere than Python's codec of that name does
# (encoding.spec.whatwg.org, "Encodings" table); other labels are Python's own names.
_WHATWG_LABELS = {
    "windows-1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 "
    "iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii "
    "windows-1252 x-cp1252",
    "windows-1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 "
    "iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
    "cp874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "gb18030": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gbk x-gbk",
    "cp949": "cseuckr csksc56011987 euc-kr korean ks_c_5601-1987 windows-949",
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf8 x-unicode20utf8",
}
_WHATWG = {label: codec for codec, labels in _WHATWG_LABELS.items() for label in labels.split()}
# Labels the standard does not know, or whose decoder it replaces by an error: never used.
_REFUSED = frozenset({"utf-7", "utf7", "unicode-1-1-utf-7", "csunicode11utf7", "x-user-defined"})
_META = re.compile(rb"<meta[\t\n\f\r /]", re.IGNORECASE)
_CHARSET_IN_CONTENT = re.compile(
    rb"charset[\t\n\f\r ]*=[\t\n\f\r ]*(\"[^\"]*\"?|'[^']*'?|[^\t\n\f\r ;]+)", re.IGNORECASE
)
_ATTRIBUTE = re.compile(
    rb"[\t\n\f\r /]*([^\t\n\f\r /=>][^\t\n\f\r /=>]*)"  # name
    rb"(?:[\t\n\f\r ]*=[\t\n\f\r ]*(\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*))?",  # = value
)


def html_text(body: bytes, content_type: str) -> str:
    """`body` as text, its encoding chosen as a browser chooses it (module docstring)."""
    return body.decode(sniff_encoding(body, content_type), errors="replace")


def sniff_encoding(body: bytes, content_type: str) -> str:
    """The Python codec to read `body` with: BOM, header, `<meta>` prescan, default."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    declared = encoding_of(header_charset(content_type))
    if declared is None:
        declared = prescan(body[:PRESCAN_BYTES])
        if declared is not None and declared.startswith("utf-16"):
            declared = "utf-8"  # a <meta> read as ASCII cannot really mean UTF-16
    if declared is not None:
        return declared
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return LEGACY_DEFAULT
    return "utf-8"


def header_charset(content_type: str) -> str | None:
    """The `charset` parameter of a Content-Type header value, unquoted."""
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip("\"' "):
            return value.strip("\"' ")
    return None


def encoding_of(label: str | bytes | None) -> str | None:
    """The codec an encoding label names, as the Encoding Standard reads labels; None
    for a label it does not know or a codec that is not a text encoding (`idna`,
    `rot13`, `base64`: a header naming one is treated as no declaration)."""
    if label is None:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", errors="replace")
    name = label.strip("\t\n\f\r ").lower()
    if not name or name in _REFUSED:
        return None
    if not _LABEL.fullmatch(name):
        return None  # Python's codec lookup would forgive `koi8-r/`; the standard does not
    name = _WHATWG.get(name, name)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in ("idna", "utf-7", "punycode"):
        return None
    return name


def prescan(head: bytes) -> str | None:
    """The standard's "prescan a byte stream to determine its encoding", on the first
    1,024 bytes: comments are skipped, each `<meta` tag's attributes are read (the
    first of a name wins), and `charset=` or `http-equiv="content-type"` with a
    `content` holding `charset=` gives the encoding. Other tags, `<!…>` and `<?…>`
    are stepped over, so a `charset` in a comment or an attribute value is not taken."""
    at = 0
    while at < len(head):
        lt = head.find(b"<", at)
        if lt < 0:
            return None
        if head.startswith(b"<!--", lt):
            end = head.find(b"-->", lt + 2)  # `<!-->` closes at once, as the standard says
            at = len(head) if end < 0 else end + 3
            continue
        if _META.match(head, lt):
            found, at = _meta_encoding(head, lt + 5)
            if found is not None:
                return found
            continue
        at = _past_tag(head, lt)
    return None


def _meta_encoding(head: bytes, at: int) -> tuple[str | None, int]:
    """The encoding one `<meta …>` declares (or None), and where its tag ends."""
    attributes: dict[bytes, bytes] = {}
    while at < len(head):
        match = _ATTRIBUTE.match(head, at)
        if match is None or match.end() == at:
            break
        name = match[1].lower()
        value = (match[2] or b"").strip(b"\"'")
        attributes.setdefault(name, value)
        at = match.end()
    end = head.find(b">", at)
    at = len(head) if end < 0 else end + 1
    if b"charset" in attributes:
        return encoding_of(attributes[b"charset"]), at
    if attributes.get(b"http-equiv", b"").lower() == b"content-type":
        charset = _CHARSET_IN_CONTENT.search(attributes.get(b"content", b""))
        if charset is not None:
            return encoding_of(charset[1].strip(b"\"'")), at
    return None, at


def _past_tag(head: bytes, lt: int) -> int:
    """Where scanning goes on after the markup starting at `lt` (`<tag …>`, `</tag …>`,
    `<!…>`, `<?…>`; a lone `<` is one byte). Quoted attribute values may hold `>`."""
    nxt = head[lt + 1 : lt + 2]
    if nxt[:1].isalpha() or (nxt == b"/" and head[lt + 2 : lt + 3].isalpha()):
        at = lt + 2
        while at < len(head):
            byte = head[at : at + 1]
            if byte == b">":
                return at + 1
            if byte in (b'"', b"'"):
                close = head.find(byte, at + 1)
                at = len(head) if close < 0 else close + 1
                continue
            at += 1
        return len(head)
    if nxt in (b"!", b"?", b"/"):
        end = head.find(b">", lt + 1)
        return len(head) if end < 0 else end + 1
    return lt + 1
