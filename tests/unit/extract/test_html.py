"""Article extraction from pages and REST posts (issue 16 item 2, issue 11's hostile pages).

The pages are ours (tests/fixtures/extraction/), each saying in a comment which
structure it models; the REST item follows the WordPress REST API handbook's Posts
schema (https://developer.wordpress.org/rest-api/reference/posts/#schema).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workers.extract.html import (
    MAX_HTML_CHARS,
    MIN_UNTITLED_WORDS,
    MIN_WORDS,
    article_from_html,
    refusal,
)
from workers.model import InputError, NotAnArticle, RawArticle
from workers.pipeline import DEFAULT_PIPELINE
from workers.sources.wordpress import article_from_rest

FIXTURES = Path(__file__).parents[2] / "fixtures" / "extraction"
CHROME = (
    "Share this",
    "Share on X",
    "Subscribe",
    "inbox",
    "Related",
    "Moscow and the Regions",
    "Tags:",
    "Home",
    "Most read",
    "1310 L Street",
    "Publication:",
    "By:",
    "dataLayer",
    "display:flex",
)


def page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def rest_post() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "rest_post.json").read_text(encoding="utf-8"))
    return data


def paragraphs(raw: RawArticle) -> list[str]:
    return raw.text.strip().split("\n\n")


def test_todays_page_gives_every_field_and_the_body_alone() -> None:
    raw = article_from_html(
        page("today.html"),
        url="https://jamestown.org/program/kremlin-tightens-grip-on-regional-budgets/",
        fetched_at="2025-10-04T00:00:00+00:00",
    )
    assert raw.title == "Kremlin Tightens Grip on Regional Budgets"
    assert raw.authors == ("Paul Goble",)
    assert raw.published_at == "2025-10-02"
    assert (raw.publication, raw.volume, raw.issue) == ("Eurasia Daily Monitor", 22, 141)
    # The old /program/ address it was fetched under is not its identity: the canonical is.
    assert raw.url == "https://jamestown.org/kremlin-tightens-grip-on-regional-budgets/"
    assert raw.fetched_at == "2025-10-04T00:00:00+00:00"
    body = paragraphs(raw)
    assert body[0] == "Executive Summary:"
    assert "Moscow has expanded its control over the budgets of Russia’s regions." in body[1]
    assert body[-1] == (
        "The change is likely to deepen tensions between Moscow and the regions in the "
        "months ahead."
    )
    assert "“The center decides, the regions carry out,” one official said." in body
    for chrome in CHROME:
        assert chrome not in raw.text, chrome


def test_empty_byline_is_no_author_and_not_body() -> None:
    raw = article_from_html(page("empty_byline.html"), url="https://jamestown.org/beijing/")
    # The visible byline is empty: the JSON-LD author (the uploading account) is not
    # taken for the analyst.
    assert raw.authors == ()
    assert (raw.publication, raw.volume, raw.issue) == ("China Brief", 25, 17)
    assert raw.title == "Beijing Recalibrates Its Arctic Policy"
    assert raw.published_at == "2025-09-16"
    # og:url is the canonical when there is no <link rel=canonical>; www and the
    # tracking parameter go (workers.urls.canonical_url).
    assert raw.url == "https://jamestown.org/beijing-recalibrates-its-arctic-policy/"
    assert paragraphs(raw) == [
        "China’s new Arctic white paper replaces the language of a “near-Arctic state” "
        "with talk of shared stewardship.",
        "The shift suggests Beijing expects a long wait before polar shipping pays off.",
    ]


def test_old_program_layout_without_entry_content() -> None:
    raw = article_from_html(page("program.html"), url="https://www.jamestown.org/program/m/")
    assert raw.title == "Moscow Weighs a New Draft"
    assert raw.authors == ("Pavel Felgenhauer", "Roger McDermott")
    assert (raw.publication, raw.volume, raw.issue) == ("Eurasia Daily Monitor", 14, 3)
    assert raw.published_at is None  # the page states no date: none is invented
    assert raw.url == "https://jamestown.org/program/moscow-weighs-a-new-draft/"
    body = paragraphs(raw)
    assert body[0].startswith("The Russian General Staff is preparing a plan")
    assert body[-1] == (
        "Whether the Kremlin risks such a backlash before the elections remains an open question."
    )
    for chrome in ("Related articles", "older piece", "Programs", "©", "Publication:", "By:"):
        assert chrome not in raw.text, chrome


def test_extracted_fields_survive_the_pipeline_and_reprocessing() -> None:
    raw = article_from_html(page("today.html"), url="https://jamestown.org/x/")
    for candidate in (raw, RawArticle.from_dict(json.loads(json.dumps(raw.to_dict())))):
        article = DEFAULT_PIPELINE.build(candidate)
        assert (article.publication, article.volume, article.issue) == (
            "Eurasia Daily Monitor",
            22,
            141,
        )
        assert article.title == "Kremlin Tightens Grip on Regional Budgets"
        assert article.authors == ("Paul Goble",)
        assert article.published_at == "2025-10-02"
        assert article.body.startswith("Executive Summary:")
        assert "Subscribe" not in article.body


def test_same_article_under_old_and_new_url_is_one_document() -> None:
    html = page("today.html")
    old = DEFAULT_PIPELINE.build(
        article_from_html(html, url="https://jamestown.org/program/kremlin/")
    )
    new = DEFAULT_PIPELINE.build(
        article_from_html(
            html, url="https://jamestown.org/kremlin-tightens-grip-on-regional-budgets/"
        )
    )
    assert old.id == new.id


def test_canonical_on_another_host_is_not_trusted() -> None:
    html = (
        page("today.html")
        .replace('href="https://jamestown.org/kremlin', 'href="https://elsewhere.example/kremlin')
        .replace('content="https://jamestown.org/kremlin', 'content="https://elsewhere.example/k')
    )
    raw = article_from_html(html, url="https://jamestown.org/kremlin/")
    assert raw.url == "https://jamestown.org/kremlin/"


def test_header_inside_the_body_and_no_h1() -> None:
    # The seed files' layout on a page: a title line, then the header, then prose.
    html = (
        "<html><body><div class='entry-content'><p>Old Title</p>"
        "<p>Publication: Monitor Volume: 3 Issue: 5</p>"
        "<p>Body text here, long enough to be read as an article.</p></div></body></html>"
    )
    raw = article_from_html(html, url="https://jamestown.org/program/old/")
    assert (raw.title, raw.publication, raw.volume, raw.issue) == ("Old Title", "Monitor", 3, 5)
    assert raw.text == "Body text here, long enough to be read as an article.\n"


def test_rest_post_gives_every_field() -> None:
    raw = article_from_rest(rest_post(), fetched_at="2025-10-04T00:00:00+00:00")
    assert raw.title == "Kremlin Tightens Grip on Russia’s Regional Budgets"
    assert raw.authors == ("Paul Goble",)
    assert raw.published_at == "2025-10-02"  # date_gmt, not the site-local date
    # The category that is a publication, not the topic category before it nor a tag.
    assert raw.publication == "Eurasia Daily Monitor"
    assert (raw.volume, raw.issue) == (None, None)  # the post states none
    assert raw.url == "https://jamestown.org/kremlin-tightens-grip-on-regional-budgets/"
    body = paragraphs(raw)
    assert body[0] == "Executive Summary:"
    assert body[-1] == (
        "The change is likely to deepen tensions between Moscow and the regions in the "
        "months ahead."
    )
    for chrome in ("Share on X", "Subscribe"):
        assert chrome not in raw.text


def test_header_and_byline_in_rest_content_win() -> None:
    post = rest_post()
    post["content"]["rendered"] = (
        "<p>Publication: Terrorism Monitor Volume: 23 Issue: 9</p><p>By: Jacob Zenn</p>"
        "<p>The first paragraph of the analysis, in a few more words.</p>"
    )
    raw = article_from_rest(post)
    assert (raw.publication, raw.volume, raw.issue) == ("Terrorism Monitor", 23, 9)
    assert raw.authors == ("Jacob Zenn",)
    assert raw.text == "The first paragraph of the analysis, in a few more words.\n"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"type": "page"}, r"not an article \(page\)"),
        ({"link": None}, "no 'link'"),
        ({"content": {"rendered": "  "}}, "no text"),
        ({"content": "text"}, "no text"),
        ({"link": "javascript:alert(1)"}, "http"),
        ({"content": {"rendered": "<div class='share'>Share</div>"}}, "no text"),
        ({"content": {"rendered": "<p>Attachment</p>"}}, "too little text"),
    ],
)
def test_rest_items_without_an_article_are_input_errors(
    change: dict[str, Any], reason: str
) -> None:
    post = {**rest_post(), **change}
    with pytest.raises(InputError, match=reason):
        article_from_rest(post)


def test_rest_item_that_is_not_an_object() -> None:
    with pytest.raises(InputError, match="JSON object"):
        article_from_rest([1, 2])  # type: ignore[arg-type]


def test_rest_fields_of_the_wrong_shape_are_left_out() -> None:
    post = {
        **rest_post(),
        "title": "plain",
        "date_gmt": 17,
        "date": "yesterday",
        "_embedded": {"author": {"name": "x"}, "wp:term": [["Eurasia Daily Monitor"], 5]},
    }
    raw = article_from_rest(post)
    assert (raw.title, raw.published_at, raw.authors, raw.publication) == (None, None, (), None)
    assert raw.text.startswith("Executive Summary:")


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "\x00\x00",
        "<html><body><script>only()</script></body></html>",
        "<html><head></head></html>",
        "<html><body><nav><a href='/'>Home</a></nav><footer>Footer</footer></body></html>",
    ],
)
def test_pages_without_article_text_are_input_errors(html: str) -> None:
    with pytest.raises(InputError):
        article_from_html(html, url="https://jamestown.org/x/")


# Hostile pages (issue 11): each fails alone as an InputError or yields what it can.


def test_six_thousand_nested_divs() -> None:
    html = (
        "<html><head><title>Deep</title></head><body><article><div class='entry-content'>"
        + "<div>" * 6000
        + "<p>Deep paragraph at the bottom of the nesting.</p>"
        + "</div>" * 6000
        + "<p>Closing paragraph, after it.</p></div></article></body></html>"
    )
    raw = article_from_html(html, url="https://jamestown.org/deep/")
    assert paragraphs(raw) == [
        "Deep paragraph at the bottom of the nesting.",
        "Closing paragraph, after it.",
    ]


def test_six_thousand_nested_divs_without_a_container() -> None:
    text = "Text at the bottom of six thousand divs, with no title above it. " * 5
    html = "<div>" * 6000 + text + "</div>" * 6000
    assert article_from_html(html, url="https://jamestown.org/deep/").text == text.strip() + "\n"


def test_page_over_the_size_bound_is_refused() -> None:
    html = "<p>" + "a" * MAX_HTML_CHARS + "</p>"
    with pytest.raises(InputError, match="characters"):
        article_from_html(html, url="https://jamestown.org/huge/")


def test_large_page_under_the_bound_is_read() -> None:
    prose = "<p>" + "Moscow and the regions argue about money again. " * 40 + "</p>"
    html = "<article><div class='entry-content'>" + prose * 2500 + "<p>Last.</p></div></article>"
    raw = article_from_html(html, url="https://jamestown.org/long/")
    assert len(paragraphs(raw)) == 2501 and paragraphs(raw)[-1] == "Last."


def test_truncated_page_yields_what_arrived() -> None:
    html = page("today.html")
    cut = html[: html.index("The change is likely")]
    raw = article_from_html(cut, url="https://jamestown.org/cut/")
    assert raw.title == "Kremlin Tightens Grip on Regional Budgets"
    assert "On October 1, the Kremlin announced" in raw.text


def test_nul_bytes_lone_surrogates_and_bogus_charsets() -> None:
    html = (
        "<html><head><meta charset='idna'><meta http-equiv='Content-Type' "
        "content='text/html; charset=x-bogus'></head><body><div class='entry-content'>"
        "<h1>Encodings</h1><p>Before\x00after.</p><p>Broken \udcff byte, and then the "
        "article goes on and on.</p></div></body></html>"
    )
    raw = article_from_html(html, url="https://jamestown.org/enc/")
    first, second = paragraphs(raw)
    assert first == "Beforeafter."
    assert second.startswith("Broken") and second.endswith("goes on and on.")
    raw.text.encode("utf-8")  # storable: no lone surrogate left


@pytest.mark.parametrize(
    "ld",
    [
        "{not json",
        "[" * 100_000 + "]" * 100_000,
        '{"@type": "Article", "headline": {"x": 1}, "author": 5, "datePublished": "soon"}',
        '{"@graph": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
        '{"@type": "Article", "headline": "' + "x" * 2_000_000 + '"}',
    ],
)
def test_hostile_json_ld_is_skipped_and_the_rest_is_read(ld: str) -> None:
    html = (
        f"<html><head><title>Fallback Title</title><script type='application/ld+json'>{ld}"
        "</script><meta property='article:published_time' content='2024-05-06T00:00:00Z'>"
        "</head><body><div class='entry-content'><p>The body, long enough to be read as an article."
        "</p></div></body></html>"
    )
    raw = article_from_html(html, url="https://jamestown.org/ld/")
    assert (raw.title, raw.published_at, raw.text) == (
        "Fallback Title",
        "2024-05-06",
        "The body, long enough to be read as an article.\n",
    )


def test_volume_that_is_not_positive_is_an_input_error() -> None:
    html = "<p>Publication: Monitor Volume: 0 Issue: 3</p><p>Body.</p>"
    with pytest.raises(InputError, match="volume"):
        article_from_html(html, url="https://jamestown.org/v/")


def test_layout_class_naming_chrome_on_the_article_wrapper_keeps_the_article() -> None:
    # Themes mark layout states on wrappers ("no-sidebar", "has-share-buttons"): the
    # wrapper holding the article is not chrome; the real share box inside it is.
    html = (
        "<html><head><title>Wrapped</title></head><body>"
        "<div class='container no-sidebar'><div class='post-wrap has-share'>"
        "<p>The first paragraph of a long enough article about the regions.</p>"
        "<p>The second paragraph goes on about the budget rules in some detail.</p>"
        "<div class='share-box'>Share on X</div></div></div></body></html>"
    )
    raw = article_from_html(html, url="https://jamestown.org/wrapped/")
    assert paragraphs(raw) == [
        "The first paragraph of a long enough article about the regions.",
        "The second paragraph goes on about the budget rules in some detail.",
    ]


def test_every_truncation_of_a_page_reads_or_fails_as_input_error() -> None:
    html = page("today.html")
    outcomes = set()
    for cut in range(0, len(html), 211):
        try:
            raw = article_from_html(html[:cut], url="https://jamestown.org/cut/")
        except InputError:
            outcomes.add("input error")
        else:
            outcomes.add("read")
            assert "Share on X" not in raw.text and "Subscribe" not in raw.text
    assert outcomes == {"input error", "read"}


# Issue 21: titles, pages that hold no article, authors.


def test_a_yoast_headline_with_entities_gives_the_pages_own_title() -> None:
    # Yoast's JSON-LD headline is get_the_title() with tags stripped, never decoded;
    # its og:title is encoded twice. The h1 and body repeat the decoded title.
    html = (
        "<html><head><title>Why Moscow doesn&#8217;t Blink - The Jamestown Foundation</title>"
        "<meta property='og:title' content='Why Moscow doesn&amp;#8217;t Blink'>"
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
        '[{"@type": "Article", "headline": "Why Moscow doesn&#8217;t Blink"}]}</script>'
        "</head><body><article><div class='entry-content'><p>Why Moscow doesn’t Blink</p>"
        "<p>The Kremlin has again declined to change course on the regional budgets, "
        "officials said on Monday.</p></div></article></body></html>"
    )
    raw = article_from_html(html, url="https://jamestown.org/why-moscow-doesnt-blink/")
    assert raw.title == "Why Moscow doesn’t Blink"
    assert paragraphs(raw)[0].startswith("The Kremlin")  # the repeated title is dropped


def test_rest_titles_are_cleaned_the_same_way() -> None:
    post = rest_post()
    post["title"] = {"rendered": "Why Moscow doesn&amp;#8217;t <em>Blink</em>"}
    assert article_from_rest(post).title == "Why Moscow doesn’t Blink"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        # A broken template: one word, no title.
        (
            "<html><body><div class='entry-content'><p>Mindblown</p></div></body></html>",
            "too little",
        ),
        # An attachment page: the title of the file and its caption.
        (
            "<html><head><title>putin-speech-2016</title></head><body><article>"
            "<p class='attachment'><a href='/x.jpg'>putin-speech-2016</a></p><p>Photo: TASS</p>"
            "</article></body></html>",
            "too little",
        ),
        # Some words but no title anywhere: a fragment, not an article.
        (
            "<div>" + "Moscow and Tbilisi disagreed again on the border line. " * 4 + "</div>",
            "no title",
        ),
        ("<html><body><nav>Home</nav></body></html>", "no text"),
    ],
)
def test_a_page_holding_no_article_is_refused_with_its_reason(html: str, reason: str) -> None:
    with pytest.raises(NotAnArticle, match=reason):
        article_from_html(html, url="https://jamestown.org/broken/")


@pytest.mark.parametrize(
    ("title", "words", "reason"),
    [
        ("T", 0, "no text"),
        ("T", MIN_WORDS - 1, "too little text"),
        ("T", MIN_WORDS, None),
        (None, MIN_UNTITLED_WORDS - 1, "no title"),
        (None, MIN_UNTITLED_WORDS, None),
    ],
)
def test_the_refusal_rule_at_its_bounds(title: str | None, words: int, reason: str | None) -> None:
    found = refusal(title=title, text=" ".join(["word"] * words))
    assert (found is None) if reason is None else (found is not None and reason in found)


def test_rest_author_is_the_byline_in_the_content_not_the_account() -> None:
    """The fixture's _comment holds the evidence: jamestown.org's content opens with
    "By Paul Goble"; WordPress's author is the uploading account (`admin`)."""
    post = json.loads((FIXTURES / "rest_post_account_author.json").read_text(encoding="utf-8"))
    raw = article_from_rest(post)
    assert raw.authors == ("Paul Goble",)
    assert raw.title == "Putin’s ‘Hybrid War’ Against Russia’s Smallest Nationalities"
    assert paragraphs(raw)[0].startswith("Moscow’s approach")  # the byline is not body


def test_rest_author_from_analyst_links_then_a_real_name_never_an_account() -> None:
    post = json.loads((FIXTURES / "rest_post_account_author.json").read_text(encoding="utf-8"))
    text = (
        "<p>Moscow’s approach to the smallest nationalities has long been measured by its "
        "schools.</p>"
    )
    linked = {
        **post,
        "content": {
            "rendered": "<p><a href='https://jamestown.org/analyst/paul-goble/'>Paul Goble</a>"
            "</p>" + text
        },
    }
    assert article_from_rest(linked).authors == ("Paul Goble",)
    bare = {**post, "content": {"rendered": text}}
    assert article_from_rest(bare).authors == ()  # only the account: no author
    named = {**bare, "_embedded": {"author": [{"name": "Paul Goble", "link": "/author/pg/"}]}}
    assert article_from_rest(named).authors == ("Paul Goble",)


def test_a_stock_themes_account_byline_is_not_an_author_but_an_analyst_link_is() -> None:
    # A stock WordPress theme prints the account ("admin") with rel=author; Yoast's
    # JSON-LD names it too. jamestown.org's byline links /analyst/<slug>/.
    head = (
        "<html><head><title>Kremlin Tightens Control Again</title>"
        '<script type="application/ld+json">{"@type": "Article", "author": {"@type": '
        '"Person", "name": "admin"}}</script></head><body><article>'
    )
    text = "<p>" + "The Kremlin tightened control over the regions again this week. " * 2 + "</p>"
    stock = head + "<a rel='author' href='/author/admin/'>admin</a>" + text + "</article>"
    assert article_from_html(stock, url="https://jamestown.org/k/").authors == ()
    analyst = head + "<p><a href='/analyst/paul-goble/'>Paul Goble</a></p>" + text + "</article>"
    assert article_from_html(analyst, url="https://jamestown.org/k/").authors == ("Paul Goble",)
