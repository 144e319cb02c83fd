"""The Wayback Machine source's pure parts: CDX requests and answers, capture URLs,
which captured URLs are articles, and one id for an article under every URL it had.

The CDX shapes follow the wayback CDX server README (internetarchive/wayback,
wayback-cdx-server/README.md): "Output Format (JSON)" (a header row naming the
fields, then one row per capture; `[]` when nothing matched), "Resumption Key" (with
`showResumeKey=true`, an empty row then `[<key>]` after the last row when more
remain), "Filtering" (`filter=field:regex`, `from`/`to` of 1 to 14 digits),
"Collapsing" (`collapse=urlkey`) and "Query Result Limits" (`limit=-1`: the last
row). Raw captures are `/web/<14-digit timestamp>id_/<original URL>`.

The pages are written here in the shapes of the site's generations named in issue 17:
a 1990s-2000s table layout with the Monitor's header line and no JSON-LD, the 2000s
`publications_details.php?...` pages, the 2010s `/program/<slug>/` WordPress pages
and today's root-level slugs.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from workers.model import InputError
from workers.pipeline import DEFAULT_PIPELINE
from workers.sources.cdx import (
    Capture,
    CdxPage,
    Walked,
    cdx_query,
    narrower,
    parse_capture_url,
    parse_cdx,
)
from workers.sources.wayback import (
    article_from_capture,
    articles_from_capture,
    identity_url,
    is_archived_article,
    issue_items,
    wp_slug,
)

BASE = "https://web.archive.org"
TITLE = "Russia Moves Troops To Chechen Border"

# The Monitor of the 1990s-2000s: a table layout, navigation in its own cell, the
# title in bold, the header line in the text, a copyright footer; no JSON-LD, no
# article element, no metadata.
TABLE_PAGE = f"""<html><head><title>{TITLE} - The Jamestown Foundation</title></head>
<body bgcolor="#ffffff"><table width="100%"><tr>
<td width="150" valign="top"><a href="/index.php">Home</a><br>
<a href="/publications.php">Publications</a><br><a href="/about.php">About us</a></td>
<td valign="top"><table><tr><td><font face="Arial" size="2">
<b>{TITLE}</b><br><br>
Publication: Monitor Volume: 1 Issue: 5<br><br>
<p>Defense Ministry sources said yesterday that two regiments had been moved toward
the border (Itar-Tass, May 22).</p>
<p>The move follows weeks of reported clashes in the region.</p>
<p>Moscow denied that an operation was planned.</p>
</font></td></tr></table></td></tr></table>
<table><tr><td><font size="1">Copyright 1995 The Jamestown Foundation</font></td></tr></table>
</body></html>"""

# Today's WordPress page of the same article.
WORDPRESS_PAGE = f"""<html><head><title>{TITLE} - The Jamestown Foundation</title></head>
<body><nav><a href="/">Home</a></nav><article><h1>{TITLE}</h1>
<div class="entry-content"><p>Publication: Monitor Volume: 1 Issue: 5</p>
<p>Defense Ministry sources said yesterday that two regiments had been moved toward
the border (Itar-Tass, May 22).</p>
<p>The move follows weeks of reported clashes in the region.</p>
<p>Moscow denied that an operation was planned.</p></div></article>
<footer>Copyright The Jamestown Foundation</footer></body></html>"""

OLD_URL = "http://www.jamestown.org/publications_details.php?volume_id=1&issue_id=5&article_id=23"
PROGRAM_URL = "http://www.jamestown.org/program/russia-moves-troops-to-chechen-border/"
ROOT_URL = "https://jamestown.org/russia-moves-troops-to-chechen-border/"


def test_cdx_query_asks_for_unique_200_html_captures_of_the_site_by_year() -> None:
    query = cdx_query(BASE, url="jamestown.org", from_="1995", to="2003")
    parts = urlsplit(query)
    params = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/cdx/search/cdx"
    assert params["url"] == ["jamestown.org/*"]
    assert params["output"] == ["json"]
    assert params["filter"] == ["statuscode:200", "mimetype:text/html"]
    assert params["collapse"] == ["urlkey"]
    assert params["showResumeKey"] == ["true"]
    assert (params["from"], params["to"]) == (["1995"], ["2003"])
    assert "resumeKey" not in params


def test_cdx_query_resumes_from_a_key_with_the_same_parameters() -> None:
    key = "org,jamestown)/program/x 19990101000000!"
    params = parse_qs(urlsplit(cdx_query(BASE, url="jamestown.org", resume_key=key)).query)
    assert params["resumeKey"] == [key]
    assert params["url"] == ["jamestown.org/*"]


def test_parse_cdx_reads_rows_by_the_header_and_the_resume_key() -> None:
    body = json.dumps(
        [
            ["original", "timestamp"],
            [PROGRAM_URL, "20090412093000"],
            [OLD_URL, "20050101000000"],
            [],
            ["org%2Cjamestown%29%2Fz+20050101000000%21"],
        ]
    ).encode()
    page = parse_cdx(body)
    assert page.captures == [
        Capture("20090412093000", PROGRAM_URL),
        Capture("20050101000000", OLD_URL),
    ]
    assert page.resume_key == "org%2Cjamestown%29%2Fz+20050101000000%21"


def test_parse_cdx_no_captures_and_a_last_page() -> None:
    assert parse_cdx(b"[]").captures == []
    last = parse_cdx(json.dumps([["timestamp", "original"], ["20090412093000", ROOT_URL]]).encode())
    assert last.resume_key is None and len(last.captures) == 1


def test_parse_cdx_skips_rows_that_are_not_captures() -> None:
    body = json.dumps(
        [
            ["timestamp", "original"],
            ["2009", ROOT_URL],  # not 14 digits
            ["20090100000000", ROOT_URL],  # day 00: not a time
            ["20090412093000"],  # too short
            ["20090412093000", ""],  # no URL
            [20090412093000, ROOT_URL],  # not a string
            ["20090412093000", ROOT_URL, "extra"],
            ["20100101000000", PROGRAM_URL],
        ]
    ).encode()
    assert parse_cdx(body).captures == [Capture("20100101000000", PROGRAM_URL)]


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Wayback Machine is down for maintenance</html>",
        b'{"error": "too many requests"}',
        b'[["urlkey", "digest"], ["x", "y"]]',
        b"[1, 2]",
        b"\xff\xfe\x00",
        b"[" * 100_000 + b"]" * 100_000,  # issue 22: was a RecursionError
    ],
)
def test_parse_cdx_refuses_answers_that_are_not_cdx_json(body: bytes) -> None:
    with pytest.raises(InputError):
        parse_cdx(body)


def test_capture_url_round_trip_keeps_the_original_query_untouched() -> None:
    capture = Capture("20050101000000", OLD_URL)
    raw = capture.raw_url(BASE)
    assert raw == f"{BASE}/web/20050101000000id_/{OLD_URL}"
    assert parse_capture_url(raw, BASE) == capture
    assert parse_capture_url("https://jamestown.org/x-y-z/", BASE) is None
    assert parse_capture_url(f"{BASE}/web/2005id_/{OLD_URL}", BASE) is None
    assert capture.captured_at == "2005-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("url", "article"),
    [
        (OLD_URL, True),
        (PROGRAM_URL, True),
        (ROOT_URL, True),
        ("http://www.jamestown.org/", False),
        ("http://www.jamestown.org/publications_details.php?volume_id=1", False),
        ("http://www.jamestown.org/publications_details.php?article_id=abc", False),
        ("https://jamestown.org/about-us/", False),
        ("https://jamestown.org/analyst/paul-goble/", False),
        ("https://jamestown.org/publications/edm/", False),
        ("https://jamestown.org/book/a-long-book-title/", False),
        ("ftp://jamestown.org/program/a-b-c/", False),
    ],
)
def test_which_captured_urls_are_articles(url: str, article: bool) -> None:
    assert is_archived_article(url) is article


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        (TITLE, "russia-moves-troops-to-chechen-border"),
        ("Putin’s “Vertical” – Again", "putins-vertical-again"),
        ("Tbilisi & Moscow: Talks in Sukhumi?", "tbilisi-moscow-talks-in-sukhumi"),
        ("Élections à Kiev", "elections-a-kiev"),
        ("  ", ""),
    ],
)
def test_wp_slug_is_wordpress_sanitize_title(title: str, slug: str) -> None:
    assert wp_slug(title) == slug


def test_three_url_generations_of_one_article_have_one_id() -> None:
    ids = set()
    for original, stamp, page in [
        (OLD_URL, "20050101000000", TABLE_PAGE),
        (PROGRAM_URL, "20120101000000", WORDPRESS_PAGE),
        (ROOT_URL, "20260101000000", WORDPRESS_PAGE),
    ]:
        raw = article_from_capture(page, Capture(stamp, original), base=BASE)
        ids.add(DEFAULT_PIPELINE.build(raw).id)
    assert len(ids) == 1


def test_table_layout_capture_extracts_cleanly_and_is_flagged() -> None:
    capture = Capture("20050101000000", OLD_URL)
    raw = article_from_capture(TABLE_PAGE, capture, base=BASE)
    article = DEFAULT_PIPELINE.build(raw)
    assert article.title == TITLE
    assert (article.publication, article.volume, article.issue) == ("Monitor", 1, 5)
    assert article.body.startswith("Defense Ministry sources said yesterday")
    assert article.body.endswith("Moscow denied that an operation was planned.")
    for chrome in ("Home", "About us", "Copyright", "Publication:"):
        assert chrome not in article.body
    assert article.url == "https://jamestown.org/program/russia-moves-troops-to-chechen-border/"
    assert article.source == "wayback"
    assert article.fetched_from == {
        "kind": "archive",
        "captured_at": "2005-01-01T00:00:00+00:00",
        "capture": capture.raw_url(BASE),
    }


def test_old_page_titled_only_with_the_site_name_keeps_its_own_identity() -> None:
    page = TABLE_PAGE.replace(f"<title>{TITLE} - The Jamestown Foundation</title>", "")
    page = page.replace(f"<b>{TITLE}</b>", "<h1>The Jamestown Foundation</h1>")
    raw = article_from_capture(page, Capture("20050101000000", OLD_URL), base=BASE)
    assert raw.url == identity_url(OLD_URL, None)
    assert "publications_details.php" in (raw.url or "")


def test_capture_of_a_non_article_page_yields_no_article() -> None:
    home = Capture("20050101000000", "http://www.jamestown.org/")
    with pytest.raises(InputError):
        article_from_capture(WORDPRESS_PAGE, home, base=BASE)


def test_hostile_capture_pages_fail_as_bad_input() -> None:
    capture = Capture("20050101000000", OLD_URL)
    with pytest.raises(InputError):
        article_from_capture("", capture, base=BASE)
    deep = "<table><tr><td>" * 3000 + "Publication: Monitor Volume: 1 Issue: 1 Text."
    with pytest.raises(InputError):  # bounded: nothing readable, or too deep
        article_from_capture(deep, capture, base=BASE)


# ---- early ends (issue 23): CDXServer.java prints a resume key only when the row limit
# was reached, and stops after queryMaxLimit lines read: a cut answer has no key.
def test_narrower_cuts_years_then_months_then_stops() -> None:
    assert narrower("2001", "2003") == [("2001", "2001"), ("2002", "2002"), ("2003", "2003")]
    assert narrower("20050315000000", "202603")[0] == ("20050315000000", "2005")
    assert narrower("20050315000000", "202603")[-1] == ("2026", "202603")
    assert narrower("2005", "2005") == [(f"2005{m:02d}", f"2005{m:02d}") for m in range(1, 13)]
    assert narrower("20261105000000", "202612") == [
        ("20261105000000", "202611"),
        ("202612", "202612"),
    ]
    assert narrower("200503", "200503") is None


def _page(*stamps: str, key: str | None = None) -> CdxPage:
    return CdxPage([Capture(s, f"https://jamestown.org/a-b-{s}/") for s in stamps], key)


def test_a_short_answer_without_a_key_that_stops_early_is_narrowed() -> None:
    step = Walked().step(_page("20010101000000", "20020101000000"), ("2001", "2006"), None)
    assert step.replace == narrower("2001", "2006") and step.error is None


def test_a_short_answer_that_reaches_the_last_year_is_the_end_of_the_window() -> None:
    step = Walked().step(_page("20010101000000", "20060101000000"), ("2001", "2006"), None)
    assert step.replace == [] and step.resume is None
    assert Walked().step(_page(), ("2001", "2006"), None).replace == []  # nothing there


def test_the_newest_row_of_every_page_of_the_window_counts() -> None:
    walked = Walked()
    assert walked.step(_page("20060101000000", key="k1"), ("2001", "2006"), None).resume == "k1"
    assert walked.step(_page("20010101000000"), ("2001", "2006"), "k1").replace == []


def test_a_resume_key_seen_before_narrows_or_ends_the_window_with_an_error() -> None:
    walked = Walked()
    assert walked.step(_page("20050101000000", key="k"), ("2005", "2005"), None).resume == "k"
    again = walked.step(_page("20050101000000", key="k"), ("2005", "2005"), "k")
    assert again.replace == narrower("2005", "2005") and again.resume is None
    month = Walked()
    month.step(_page("20050101000000", key="k"), ("200501", "200501"), None)
    stuck = month.step(_page("20050101000000", key="k"), ("200501", "200501"), "k")
    assert stuck.replace == [] and stuck.error is not None and "again" in stuck.error


# ---- daily issue pages holding several items (issue 23) -------------------------------
# The 1990s daily Monitor put one header line over the issue, then each item under a
# bold title line (the dev set's real-articles/item10.txt shows one such title inside a
# body: "Chernomyrdin Takes His Distance."). Written here in that shape.
ISSUE_ITEMS = [
    (
        "Yeltsin Names Kirienko",
        "Russian President Boris Yeltsin has formally nominated Sergei Kirienko, 35, as his "
        "choice for prime minister and called on the Duma to endorse that choice. The Duma "
        "has three chances to approve the president's choice (BBC, March 27).",
    ),
    (
        "Chernomyrdin Takes His Distance.",
        "Former Prime Minister Viktor Chernomyrdin said he would run for president in 2000 "
        "and that he had left the government <b>on good terms</b> with Yeltsin, though his "
        "aides spoke of betrayal in private (NTV, March 28).",
    ),
    (
        "Duma Sets A Date For The Vote",
        "Speaker Gennady Seleznev said the Duma would hold its first vote on April 10 and "
        "that the Communist faction had not yet decided how to vote, after a meeting of "
        "the council of the chamber on Friday (Interfax, March 27).",
    ),
]
ISSUE_PAGE = (
    "<html><head><title>Monitor Vol 4 Issue 60 - The Jamestown Foundation</title></head>"
    '<body><table><tr><td width="150"><a href="/">Home</a></td><td><font size="2">'
    "<b>The Monitor</b><br><br>Publication: Monitor Volume: 4 Issue: 60<br><br>"
    + "".join(f"<p><b>{title}</b></p><p>{text}</p>" for title, text in ISSUE_ITEMS)
    + "</font></td></tr></table><table><tr><td>Copyright The Jamestown Foundation</td></tr>"
    "</table></body></html>"
)
ISSUE_URL = "http://www.jamestown.org/publications_details.php?volume_id=4&issue_id=60&article_id=1"


def test_an_issue_page_with_several_items_becomes_several_articles() -> None:
    raws = articles_from_capture(ISSUE_PAGE, Capture("19980330000000", ISSUE_URL), base=BASE)
    assert [raw.title for raw in raws] == [title for title, _ in ISSUE_ITEMS]
    for raw, (_, text) in zip(raws, ISSUE_ITEMS, strict=True):
        assert raw.text.startswith(text[:40])  # its own text, from its start
        assert (raw.publication, raw.volume, raw.issue) == ("Monitor", 4, 60)
        assert "Copyright" not in raw.text and "Home" not in raw.text
    assert len({raw.url for raw in raws}) == 3  # three identities
    # the bold phrase inside a paragraph is not a title: item 2 is whole
    assert "on good terms with Yeltsin" in raws[1].text


def test_a_page_of_one_article_is_not_split() -> None:
    (raw,) = articles_from_capture(TABLE_PAGE, Capture("20050101000000", OLD_URL), base=BASE)
    assert raw.title == TITLE
    assert issue_items(ISSUE_PAGE.replace("<p><b>Duma Sets", "<p>Duma Sets")) != []
    # one titled item after the header is one article, not an issue
    one = ISSUE_PAGE.split("<p><b>Chernomyrdin")[0] + "</font></td></tr></table></body></html>"
    assert issue_items(one) == []


def test_a_page_of_a_hundred_thousand_title_lines_is_read_whole_in_linear_time() -> None:
    """Each candidate looks at most 200 characters around it and the count is capped:
    a hostile page of title lines is not split (and not read quadratically)."""
    hostile = ISSUE_PAGE.replace("</font>", "<p><b>Title line</b></p>" * 100_000 + "</font>")
    assert issue_items(hostile) == []


def test_this_years_window_is_taken_as_it_answers() -> None:
    """An incremental run asks from the newest capture to now: captures of this year
    are still coming in, so rows ending in January are no sign of a cut (one request
    per idle run, as before)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    window = (f"{now.year}0101000000", now.strftime("%Y%m"))
    step = Walked().step(_page(f"{now.year}0101000000"), window, None)
    assert step.replace == [] and step.error is None
    past = (f"{now.year - 1}0101000000", f"{now.year - 1}12")
    assert Walked().step(_page(f"{now.year - 1}0101000000"), past, None).replace
