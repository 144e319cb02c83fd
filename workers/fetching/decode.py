"""Bounded HTTP body decoding: `Content-Encoding` undone by us, counted as it is decoded.

httpx decodes a compressed body one network chunk at a time, but without a bound on
what one chunk may inflate to: a 64 KB chunk of a gzip bomb becomes 64 MB in one
call, and a stacked `gzip, gzip` body multiplies that again. Here every layer is
undone with `zlib`'s `max_length`, so no call ever produces more than `STEP` bytes,
and the caller counts the decoded bytes (and checks its deadline) between steps:
the size limit applies to *decoded* bytes, before the memory is allocated.

Only the encodings we ask for (`Accept-Encoding: gzip, deflate`) are accepted; any
other is refused as that item's failure, not guessed at.
"""

from __future__ import annotations

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
