from __future__ import annotations

import pytest

from workers import pipeline
from workers.model import InputError
from workers.sources.html import article_from_html

PAGE = """<!doctype html><html><head>
<title>Kremlin Tightens Grip - The Jamestown Foundation</title>
<meta property="article:published_time" content="2025-10-02T08:30:00+00:00">
<script>window.x = "Publication: fake";</script><style>.a{color:red}</style>
</head><body><nav><a href="/">Home</a><a href="/programs/edm/">EDM</a></nav>
<article><h1 class="entry-title">Kremlin Tightens Grip</h1>
<div class="meta"><p>Publication: Eurasia Daily Monitor Volume: 22 Issue: 141</p>
<p>By: Paul Goble</p></div>
<div class="entry-content">
<p><strong>Executive Summary:</strong></p>
<ul><li>Moscow <em>expanded</em> control.</li><li>Regions resisted.</li></ul>
<p>On October 1, the Kremlin announced new rules
(<a href="https://kommersant.ru">Kommersant</a>, October 1).</p>
<noscript>enable JS</noscript>
</div></article><footer>1310 L Street NW</footer></body></html>"""


def test_article_page_becomes_seed_format_text() -> None:
    raw = article_from_html(PAGE, url="https://jamestown.org/program/kremlin/")
    assert raw.text.splitlines()[:3] == [
        "Kremlin Tightens Grip",
        "Publication: Eurasia Daily Monitor Volume: 22 Issue: 141",
        "By: Paul Goble",
    ]
    assert raw.published_at == "2025-10-02"
    assert raw.url == "https://jamestown.org/program/kremlin/"
    for noise in ("window.x", "color:red", "enable JS", "1310 L Street", "Home"):
        assert noise not in raw.text


def test_extracted_page_parses_like_a_seed_file() -> None:
    article = pipeline.build(article_from_html(PAGE, url="https://jamestown.org/program/k/"))
    assert (article.publication, article.volume, article.issue) == (
        "Eurasia Daily Monitor",
        22,
        141,
    )
    assert article.authors == ("Paul Goble",)
    assert article.title == "Kremlin Tightens Grip"
    assert article.body.split("\n\n") == [
        "Executive Summary:",
        "Moscow expanded control.",
        "Regions resisted.",
        "On October 1, the Kremlin announced new rules (Kommersant, October 1).",
    ]


def test_header_inside_the_body_and_no_h1() -> None:
    html = (
        "<html><body><div class='entry-content'><p>Old Title</p>"
        "<p>Publication: Monitor Volume: 3 Issue: 5</p><p>Body text here.</p></div></body></html>"
    )
    article = pipeline.build(article_from_html(html, url="u"))
    assert (article.title, article.publication, article.volume) == ("Old Title", "Monitor", 3)
    assert article.body == "Body text here."


@pytest.mark.parametrize(
    "html",
    ["", "   ", "<html><body><script>only()</script></body></html>", "<html><head></head></html>"],
)
def test_pages_without_article_text_are_input_errors(html: str) -> None:
    with pytest.raises(InputError):
        article_from_html(html, url="https://jamestown.org/program/x/")


def test_broken_markup_is_read_leniently() -> None:
    raw = article_from_html("<p>Unclosed <b>bold<p>Second <i>para", url="u")
    assert "Unclosed bold" in raw.text and "Second para" in raw.text
