"""Bad input from files: each a clear reason, never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workers.model import InputError
from workers.sources.files import (
    HEADERLESS,
    MISSING,
    expand_paths,
    read_article,
    read_file,
)

LIMIT = 1_000_000


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "file is empty"),
        ("blank.txt", b"  \n\n ", "file is empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
        ("latin1.txt", "Publication: Monitor\n\ncafé".encode("latin-1"), "not UTF-8"),
        ("list.json", b"[1, 2]", "must be an object"),
        ("broken.json", b"{", "invalid JSON"),
        ("nobody.json", b'{"title": "x"}', "no 'body'"),
        ("types.json", b'{"body": "x", "volume": "seven"}', "'volume' must be int"),
        ("bool.json", b'{"body": "x", "issue": true}', "'issue' must be int"),
        ("negative.json", b'{"body": "x", "volume": -1}', "positive integer"),
        ("date.json", b'{"body": "x", "published_at": "yesterday"}', "not an ISO date"),
        ("authors.json", b'{"body": "x", "authors": "A. B."}', "list of strings"),
    ],
)
def test_bad_files_raise_input_error(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        read_file(write(tmp_path, name, data), max_bytes=LIMIT)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "x" * 200)
    with pytest.raises(InputError, match="over the 100-byte limit"):
        read_file(path, max_bytes=100)


def test_json_input_fields(tmp_path: Path) -> None:
    doc = {
        "body": "Text.",
        "url": "https://jamestown.org/program/x/",
        "publication": "China Brief",
        "published_at": "2017-10-01",
        "volume": 17,
        "authors": ["A. Author"],
    }
    raw = read_file(write(tmp_path, "a.json", json.dumps(doc)), max_bytes=LIMIT)
    assert (raw.text, raw.publication, raw.volume, raw.published_at) == (
        "Text.",
        "China Brief",
        17,
        "2017-10-01",
    )
    assert raw.authors == ("A. Author",)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    raw = read_file(
        write(tmp_path, "bom.txt", "\ufeffPublication: Monitor\n\nText".encode()), max_bytes=LIMIT
    )
    assert raw.text.startswith("Publication")


def test_expand_paths_walks_directories_and_reports_missing(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "x")
    write(tmp_path, "a.json", "{}")
    write(tmp_path, "notes.md", "x")
    (tmp_path / "empty").mkdir()
    files, errors = expand_paths([tmp_path, tmp_path / "missing.txt", tmp_path / "empty"])
    assert [f.name for f in files] == ["a.json", "b.txt"]
    assert errors == [
        (str(tmp_path / "missing.txt"), "no such file or directory"),
        (str(tmp_path / "empty"), "directory holds no .txt or .json articles"),
    ]


# Headerless files (issue 11): the seed format puts "Publication: X Volume: N Issue: N"
# within the first lines (README "Input formats"); a README or a note in the same folder
# does not, and must not become a search hit.
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("README.txt", "Monitor ingest notes\n\nMoscow, Kyiv and Tbilisi files live here.\n"),
        ("untitled.json", json.dumps({"body": "Moscow said on Tuesday that talks resume."})),
        # Hostile: the word deep in the body is prose, not a header.
        ("deep.txt", "Title\n\n" + "Text line.\n" * 20 + "Publication: Monitor\n\nMore.\n"),
    ],
)
def test_files_without_a_publication_header_are_refused(
    tmp_path: Path, name: str, data: str
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(InputError, match="no 'Publication"):
        read_article(path, max_bytes=LIMIT)
    assert "--allow-headerless" in HEADERLESS
    taken = read_article(path, max_bytes=LIMIT, allow_headerless=True)
    assert taken.text.strip()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("seed.txt", "Title\n\nPublication: Monitor Volume: 7 Issue: 14\n\nBody text.\n"),
        ("fields.json", json.dumps({"body": "Body text.", "publication": "China Brief"})),
        ("header-in-body.json", json.dumps({"body": "Publication: Monitor\n\nBody text."})),
    ],
)
def test_articles_naming_their_publication_are_taken(tmp_path: Path, name: str, data: str) -> None:
    assert read_article(write(tmp_path, name, data), max_bytes=LIMIT).text


def test_text_the_parser_rejects_keeps_the_parsers_reason(tmp_path: Path) -> None:
    # No header and HTML: the parse stage's reason ("HTML markup") is the useful one.
    path = write(tmp_path, "page.txt", "<html><body>Moscow</body></html>")
    assert read_article(path, max_bytes=LIMIT).text.startswith("<html>")


def test_a_named_pipe_is_refused_before_anything_reads_it(tmp_path: Path) -> None:
    # Hostile: opening a FIFO for reading blocks until someone writes to it.
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    files, errors = expand_paths([fifo, tmp_path / "gone.txt"])
    assert files == []
    assert errors == [(str(fifo), "not a regular file"), (str(tmp_path / "gone.txt"), MISSING)]
