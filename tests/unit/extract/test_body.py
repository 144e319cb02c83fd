"""Body paragraphs: container choice, chrome, the iterative walk (workers.extract.body).

Pages are written here; class names are the ones WordPress plugins print (Jetpack
`sharedaddy`/`jp-relatedposts`, Mailchimp for WordPress `mc4wp-form`, Yoast
`breadcrumbs`) and theme layout classes (`no-sidebar`).
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from workers.extract.body import article_paragraphs, block_texts, remove_noise

LONG = "A paragraph long enough to be taken for prose by any extractor at all. " * 3


def paragraphs(html: str) -> list[str]:
    tree = LexborHTMLParser(html)
    remove_noise(tree.root)
    return article_paragraphs(tree)


def test_block_walk_flattens_inline_markup_and_splits_blocks() -> None:
    tree = LexborHTMLParser(
        "<div>Lead <b>bold</b> text<p>One <em>two</em></p>tail<br>after<ul><li>a</li></ul></div>"
    )
    assert tree.body is not None
    assert list(block_texts(tree.body)) == ["Lead bold text", "One two", "tail", "after", "a"]


def test_block_walk_stops_after_its_node_budget() -> None:
    tree = LexborHTMLParser("".join(f"<p>p{i}</p>" for i in range(1000)))
    assert tree.body is not None
    assert len(list(block_texts(tree.body, max_nodes=100))) < 100


def test_plugin_chrome_goes_and_layout_states_stay() -> None:
    html = (
        "<div class='entry-content'><div class='wrap has-share no-sidebar'>"
        f"<p>{LONG}</p><div class='sharedaddy'>Share this</div>"
        "<form class='mc4wp-form'>Sign up</form><div id='jp-relatedposts'>Related</div>"
        f"<p id='breadcrumbs'>Home » EDM</p><p>{LONG}Last.</p></div></div>"
    )
    found = paragraphs(html)
    assert found[0] == LONG.strip() and found[-1].endswith("Last.")
    assert not {"Share this", "Sign up", "Related", "Home » EDM"} & set(found)


def test_the_longest_marked_container_wins() -> None:
    html = (
        "<div class='entry-content'><p>Teaser of another post.</p></div>"
        f"<div class='entry-content'><p>{LONG}</p><p>{LONG}End.</p></div>"
    )
    assert paragraphs(html)[-1].endswith("End.")
    assert "Teaser of another post." not in paragraphs(html)


def test_a_marked_container_with_little_of_the_page_is_not_the_article() -> None:
    # A comment carrying the class, the article itself unmarked: the article is read.
    prose = [f"Paragraph {n}. {LONG}" for n in range(3)]
    html = (
        "<article>" + "".join(f"<p>{p}</p>" for p in prose) + "</article>"
        "<div class='entry-content'><p>Nice post!</p></div>"
    )
    found = paragraphs(html)
    assert all(p.strip() in found for p in prose)
