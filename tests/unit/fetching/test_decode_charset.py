"""Bytes to text as the HTML standard's encoding sniffing says (issue 23): BOM, header
`charset`, `<meta>` prescan of the first 1,024 bytes, default.

The 2000s page is written here in the shape of jamestown.org's table layout of those
years (no `<meta>`, curly quotes and dashes typed in Word, a pound sign), encoded as
windows-1252 and served as the Wayback Machine serves such a capture: `text/html`
with no charset."""

from __future__ import annotations

import codecs

import pytest

from workers.fetching.decode import encoding_of, html_text, prescan, sniff_encoding

SENTENCE = "Punters laid a \u00a32 bet on Luzhkov\u2019s \u201cFatherland\u201d \u2014 and lost."
PAGE_2003 = (
    "<html><head><title>Monitor</title></head><body><table><tr><td>"
    f"<b>Moscow Mayor Hedges</b><br><br>{SENTENCE}</td></tr></table></body></html>"
)


def test_a_2000s_windows_1252_page_without_any_declaration_keeps_its_characters() -> None:
    body = PAGE_2003.encode("windows-1252")
    assert SENTENCE in html_text(body, "text/html")
    assert "\ufffd" not in html_text(body, "text/html")


def test_a_header_charset_is_used() -> None:
    body = f"<p>{SENTENCE}</p>".encode("windows-1252")
    assert SENTENCE in html_text(body, "text/html; charset=windows-1252")
    koi = "<p>Привет</p>".encode("koi8-r")
    assert "Привет" in html_text(koi, 'text/html; charset="KOI8-R"')


def test_latin1_and_ascii_labels_mean_windows_1252() -> None:
    """0x92 is ’ in windows-1252 and a C1 control in ISO-8859-1; browsers (and the
    Encoding Standard) read every Latin-1 label as windows-1252."""
    body = f"<p>{SENTENCE}</p>".encode("windows-1252")
    for label in ("ISO-8859-1", "latin1", "us-ascii"):
        assert SENTENCE in html_text(body, f"text/html; charset={label}")


def test_meta_charset_in_the_first_1024_bytes() -> None:
    body = f'<html><head><meta charset="windows-1251"></head><p>{"Привет"}</p>'.encode("cp1251")
    assert "Привет" in html_text(body, "text/html")


def test_meta_http_equiv_content_type() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    body = f"<html><head>{head}</head><body>{SENTENCE}</body></html>".encode("windows-1252")
    assert sniff_encoding(body, "text/html") == "windows-1252"
    assert SENTENCE in html_text(body, "text/html")


def test_a_wrong_header_is_overridden_by_a_bom() -> None:
    body = codecs.BOM_UTF8 + f"<p>{SENTENCE}</p>".encode()
    assert html_text(body, "text/html; charset=windows-1252") == f"<p>{SENTENCE}</p>"
    utf16 = codecs.BOM_UTF16_LE + "<p>Привет</p>".encode("utf-16-le")
    assert html_text(utf16, "text/html; charset=iso-8859-1") == "<p>Привет</p>"


def test_the_header_wins_over_meta() -> None:
    body = f'<meta charset="koi8-r"><p>{SENTENCE}</p>'.encode("windows-1252")
    assert SENTENCE in html_text(body, "text/html; charset=windows-1252")


def test_no_declaration_and_valid_utf8_reads_utf8() -> None:
    body = f"<p>{SENTENCE}</p>".encode()
    assert html_text(body, "text/html") == f"<p>{SENTENCE}</p>"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # a declaration past the first 1,024 bytes is not looked for
        ("<!-- " + "x" * 1100 + ' --><meta charset="koi8-r">', None),
        # one inside a comment or an attribute value is not taken
        ('<!-- <meta charset="koi8-r"> -->', None),
        ('<a title="<meta charset=koi8-r>">', None),
        # the first charset attribute of a tag wins; odd spacing and quoting is read
        ("<META CHARSET = 'KOI8-R' charset=utf-8>", "koi8-r"),
        ("<meta/charset=koi8-r>", "koi8-r"),
        ("<meta charset=koi8-r/>", None),  # an unquoted value runs to the `>`
        # content without http-equiv declares nothing
        ('<meta content="text/html; charset=koi8-r">', None),
        ("<meta http-equiv=content-type content='text/html;charset=\"koi8-r\"'>", "koi8-r"),
        # a <meta> naming UTF-16 means UTF-8 (an ASCII-readable tag cannot be UTF-16)
        ('<meta charset="utf-16le">', "utf-8"),
        # unknown or non-text labels are no declaration: the next <meta> is read
        ('<meta charset="nonsense"><meta charset="koi8-r">', "koi8-r"),
        ('<meta charset="utf-7">', None),
        # truncated markup ends the scan quietly
        ('<meta charset="koi8', None),
        ("<", None),
    ],
)
def test_prescan_follows_the_standard(head: str, expected: str | None) -> None:
    found = prescan(head.encode()[:1024])
    if expected == "utf-8":
        assert sniff_encoding(head.encode(), "text/html") == "utf-8"
    else:
        assert found == expected


@pytest.mark.parametrize("label", ["idna", "rot13", "base64", "utf-7", "x-user-defined", ""])
def test_labels_that_are_not_text_encodings_are_no_declaration(label: str) -> None:
    assert encoding_of(label) is None
    body = f"<p>{SENTENCE}</p>".encode()
    assert html_text(body, f"text/html; charset={label}") == f"<p>{SENTENCE}</p>"


def test_a_huge_page_is_sniffed_from_its_head_only() -> None:
    body = b"<p>" + b"a" * 20_000_000 + b'<meta charset="koi8-r">'
    assert prescan(body[:1024]) is None and sniff_encoding(body, "text/html") == "utf-8"
