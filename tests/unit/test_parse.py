"""Header parsing on the seed format and the ways real files deviate from it."""

from __future__ import annotations

import pytest

from workers.model import InputError, RawArticle
from workers.parse import parse


def raw(text: str, **meta: object) -> RawArticle:
    return RawArticle(text=text, origin="test", **meta)  # type: ignore[arg-type]


def test_seed_header_without_title() -> None:
    parsed = parse(raw("Publication: Monitor Volume: 7 Issue: 14\n\nFirst paragraph."))
    assert (parsed.publication, parsed.volume, parsed.issue) == ("Monitor", 7, 14)
    assert parsed.title is None
    assert parsed.body == "First paragraph."


def test_title_line_before_header_and_extra_spaces() -> None:
    text = (
        "Kadyrov Presses his Campaign against the Yamadaevs\n\n"
        "Publication:   North Caucasus Weekly   Volume:  9  Issue: 19  \n\nBody text."
    )
    parsed = parse(raw(text))
    assert parsed.title == "Kadyrov Presses his Campaign against the Yamadaevs"
    assert parsed.publication == "North Caucasus Weekly"
    assert (parsed.volume, parsed.issue) == (9, 19)


@pytest.mark.parametrize(
    ("header", "volume", "issue"),
    [
        ("Publication: China Brief Volume: 17", 17, None),
        ("Publication: China Brief Issue: 3", None, 3),
        ("Publication: China Brief", None, None),
    ],
)
def test_missing_volume_or_issue(header: str, volume: int | None, issue: int | None) -> None:
    parsed = parse(raw(f"{header}\n\nText."))
    assert (parsed.publication, parsed.volume, parsed.issue) == ("China Brief", volume, issue)


def test_byline_becomes_authors() -> None:
    text = (
        "Publication: Eurasia Daily Monitor Volume: 22 Issue: 141\n"
        "By: Jane Roe and John Doe\n\nBody."
    )
    parsed = parse(raw(text))
    assert parsed.authors == ("Jane Roe", "John Doe")
    assert parsed.body == "Body."


def test_no_header_keeps_everything_as_body() -> None:
    parsed = parse(raw("Just prose.\n\nMore prose."))
    assert parsed.publication is None
    assert parsed.body == "Just prose.\n\nMore prose."


def test_publication_deep_in_the_body_is_not_a_header() -> None:
    text = "\n".join(["line"] * 10 + ["Publication: Monitor Volume: 1 Issue: 1"])
    assert parse(raw(text)).publication is None


def test_source_metadata_overrides_header() -> None:
    parsed = parse(
        raw(
            "Publication: Monitor Volume: 7 Issue: 14\n\nBody.",
            publication="Eurasia Daily Monitor",
            volume=2,
        )
    )
    assert (parsed.publication, parsed.volume, parsed.issue) == ("Eurasia Daily Monitor", 2, 14)


@pytest.mark.parametrize(
    "text",
    [
        "Publication: Monitor Volume: 7 Issue: 14\n\n   \n",
        "Publication: Monitor Volume: 7 Issue: 14",
    ],
)
def test_header_without_body_is_bad_input(text: str) -> None:
    with pytest.raises(InputError, match="no article body"):
        parse(raw(text))


def test_negative_volume_is_bad_input() -> None:
    with pytest.raises(InputError, match="volume -1"):
        parse(raw("Publication: Monitor Volume: -1 Issue: 3\n\nBody."))


@pytest.mark.parametrize(
    "text",
    [
        "<html><body><p>Putin</p></body></html>",
        "Publication: Monitor\n\nText <script>alert(1)</script>",
        "<!DOCTYPE html>\n<p>x</p>",
    ],
)
def test_html_pages_are_bad_input_not_text(text: str) -> None:
    with pytest.raises(InputError, match="HTML markup"):
        parse(raw(text))


def test_angle_brackets_in_prose_are_fine() -> None:
    assert parse(raw("Turnout was <50% in the <b>region.")).body.startswith("Turnout")


# Issue 11: the header and byline regexes were quadratic on runs of whitespace (a
# 1 MB run did not finish); they now run on the line with its runs collapsed.
RUN = " " * 1_000_000


@pytest.mark.parametrize(
    "line",
    [
        f"Publication: Monitor{RUN}x",
        f"Publication:{RUN}Monitor{RUN}Volume:{RUN}7{RUN}Issue: 14{RUN}",
        f"Publication: Monitor Volume: 7{RUN}\t{RUN}",
    ],
)
def test_header_with_megabyte_whitespace_runs(line: str) -> None:
    parsed = parse(raw(f"{line}\n\nBody."))
    assert parsed.publication in ("Monitor x", "Monitor")
    assert parsed.body == "Body."


def test_byline_with_megabyte_whitespace_run() -> None:
    parsed = parse(raw(f"Publication: Monitor\nBy: Ann Smith{RUN}and{RUN}Bo Li{RUN}x\n\nBody."))
    assert parsed.authors == ("Ann Smith", "Bo Li x")


def test_long_prose_line_is_not_a_header() -> None:
    parsed = parse(raw(f"Prose{RUN}Publication: Monitor Volume: 3\n\nMore."))
    assert parsed.publication is None


def test_empty_byline_names_no_one_and_leaves_the_body() -> None:
    parsed = parse(raw("Publication: China Brief Volume: 25 Issue: 17\nBy:\n\nFirst paragraph."))
    assert parsed.authors == ()
    assert parsed.body == "First paragraph."


def test_source_fields_win_over_an_absent_header() -> None:
    # What html.py hands over now: the body alone, the fields beside it.
    parsed = parse(raw("First paragraph.", title="T", publication="China Brief", volume=2))
    assert (parsed.title, parsed.publication, parsed.volume, parsed.body) == (
        "T",
        "China Brief",
        2,
        "First paragraph.",
    )


@pytest.mark.parametrize(
    ("header", "published_at"),
    [
        (
            "Publication: Eurasia Daily Monitor Volume: 20 Issue: 115 Date: July 26, 2023",
            "2023-07-26",
        ),
        ("Publication: China Brief Volume: 25 Issue: 17, September 16, 2025", "2025-09-16"),
        ("Publication: Terrorism Monitor Volume: 22 Issue: 3 Date: 2024-02-09", "2024-02-09"),
        ("Publication: Terrorism Monitor Volume: 22 Issue: 3 Date: 9 February 2024", "2024-02-09"),
        ("Publication: Eurasia Daily Monitor Volume: 20 Issue: 115", None),
    ],
)
def test_header_date(header: str, published_at: str | None) -> None:
    """Issue 28: today's pages print the issue's date in the header line."""
    parsed = parse(RawArticle(text=f"{header}\n\nBody.", origin="t"))
    assert parsed.published_at == published_at
    assert parsed.publication in {"Eurasia Daily Monitor", "China Brief", "Terrorism Monitor"}


def test_a_date_given_by_the_source_wins_over_the_headers() -> None:
    raw = RawArticle(
        text="Publication: EDM Volume: 20 Issue: 115 Date: July 26, 2023\n\nBody.",
        origin="t",
        published_at="2023-07-27",
    )
    assert parse(raw).published_at == "2023-07-27"


def test_a_header_date_that_is_no_date_is_bad_input() -> None:
    with pytest.raises(InputError, match="not a date"):
        parse(
            RawArticle(
                text="Publication: EDM Volume: 20 Issue: 1 Date: Febtember 31, 2023\n\nB.",
                origin="t",
            )
        )


def test_header_date_with_megabyte_tail_is_linear() -> None:
    line = "Publication: EDM Volume: 20 Issue: 1 Date: " + "July " * 200_000
    with pytest.raises(InputError):
        parse(RawArticle(text=f"{line}\n\nBody.", origin="t"))
