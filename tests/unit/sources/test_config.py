from __future__ import annotations

from pathlib import Path

import pytest

from workers.settings import Settings
from workers.sources.config import SourceConfigError, interval_of, load_sources


def test_packaged_defaults_describe_todays_site() -> None:
    """Issue 16: one site source (REST > sitemaps > feed) enabled; the publications'
    feeds at /publications/<code>/feed/ and listings at /publications/<code>/ (codes
    edm, cb, tm, china-brief-notes) as disabled fallbacks; no /program-name/ URL."""
    enabled = load_sources(Settings())
    assert [(s.name, s.kind, s.url) for s in enabled] == [
        ("jamestown", "site", "https://jamestown.org/")
    ]
    sources = load_sources(Settings(), include_disabled=True)
    feeds = {s.url for s in sources if s.kind == "feed"}
    assert feeds == {
        f"https://jamestown.org/publications/{code}/feed/"
        for code in ("edm", "cb", "tm", "china-brief-notes")
    }
    listings = {s.url for s in sources if s.kind == "listing"}
    assert listings == {f"https://jamestown.org/publications/{c}/" for c in ("edm", "cb", "tm")}
    assert all("/program" not in s.url and "staging" not in s.url for s in sources)


def write(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return Settings(sources_file=path, source_interval_s=300)


def test_a_custom_file_with_intervals(tmp_path: Path) -> None:
    settings = write(
        tmp_path,
        '[[source]]\nname = "a"\nkind = "feed"\nurl = "https://jamestown.org/feed"\n'
        "interval_s = 60\n"
        '[[source]]\nname = "b"\nkind = "listing"\nurl = "https://jamestown.org/program-name/tm"\n',
    )
    a, b = load_sources(settings)
    assert a.url == "https://jamestown.org/feed/"
    assert (interval_of(a, settings), interval_of(b, settings)) == (60, 300)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[source]\n", "not valid TOML"),
        (
            '[[source]]\nname = "a"\nkind = "rss"\nurl = "https://jamestown.org/feed/"\n',
            "source.0.kind",
        ),
        ('[[source]]\nname = "a"\nkind = "feed"\nurl = "ftp://x/"\n', "source.0.url"),
        (
            '[[source]]\nname = "a"\nkind = "feed"\nurl = "https://j.org/"\nspeed = 3\n',
            "source.0.speed",
        ),
        ('[[source]]\nname = "a"\nkind = "feed"\nurl = "https://j.org/"\n' * 2, "duplicate"),
    ],
)
def test_mistakes_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SourceConfigError, match=message):
        load_sources(write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match="does not exist"):
        load_sources(Settings(sources_file=tmp_path / "nope.toml"))
