from __future__ import annotations

import pytest

from workers.model import InputError
from workers.sources.feed import parse_feed

BASE = "https://jamestown.org/feed/"


def rss(items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>J</title>'
        f"<link>https://jamestown.org/</link>{items}</channel></rss>"
    ).encode()


def test_entries_become_canonical_urls_with_times() -> None:
    feed = parse_feed(
        rss(
            "<item><title>A</title><link>https://www.jamestown.org/program/a?utm_source=rss</link>"
            "<pubDate>Tue, 07 Oct 2025 14:00:00 +0000</pubDate></item>"
            "<item><title>B</title><link>/program/b/</link></item>"
        ),
        base_url=BASE,
    )
    assert feed.items == [
        ("https://jamestown.org/program/a/", "2025-10-07T14:00:00+00:00"),
        ("https://jamestown.org/program/b/", None),
    ]
    assert feed.errors == []


def test_atom_feeds_are_read() -> None:
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>J</title>'
        b'<entry><title>A</title><link href="https://jamestown.org/program/a/"/>'
        b"<updated>2025-10-07T14:00:00Z</updated></entry></feed>"
    )
    assert parse_feed(atom, base_url=BASE).items == [
        ("https://jamestown.org/program/a/", "2025-10-07T14:00:00+00:00")
    ]


def test_entry_without_link_is_an_item_error() -> None:
    feed = parse_feed(
        rss(
            "<item><title>Lost</title></item><item><link>https://jamestown.org/program/x/</link></item>"
        ),
        base_url=BASE,
    )
    assert len(feed.items) == 1
    assert feed.errors == ["entry 1 ('Lost') has no link"]


def test_entity_expansion_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><title>&b;</title></channel></rss>'
    )
    with pytest.raises(InputError, match="unsafe XML"):
        parse_feed(bomb, base_url=BASE)


def test_not_a_feed_is_an_error() -> None:
    with pytest.raises(InputError, match="not well-formed"):
        parse_feed(b"<html><body>Moved</body>", base_url=BASE)


def test_slightly_broken_feed_is_read_with_a_warning() -> None:
    feed = parse_feed(
        rss("<item><link>https://jamestown.org/program/x/</link></item><item>"),
        base_url=BASE,
    )
    assert feed.items == [("https://jamestown.org/program/x/", None)]
    assert feed.errors and "not well-formed" in feed.errors[0]


def test_books_reports_and_pages_in_the_main_feed_are_not_articles() -> None:
    """Issue 16: today's main /feed/ carries /book/ and /report/ entries."""
    data = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><link>https://jamestown.org/kremlin-tightens-control-again/</link></item>"
        b"<item><link>https://jamestown.org/book/the-long-war-in-the-caucasus/</link></item>"
        b"<item><link>https://jamestown.org/report/black-sea-security/</link></item>"
        b"<item><link>https://jamestown.org/program/an-old-article/</link></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(data, base_url="https://jamestown.org/feed/")
    assert [url for url, _ in feed.items] == [
        "https://jamestown.org/kremlin-tightens-control-again/",
        "https://jamestown.org/program/an-old-article/",
    ]
    assert feed.errors == []
    assert feed.skipped == {"not an article (book)": 1, "not an article (report)": 1}


def test_entries_the_short_slug_rule_leaves_out_are_counted_with_their_reason() -> None:
    """Issue 21: a stock WordPress feed (`/hello-world/`, `/sample-page/`) was read as
    "found 0" with no word about why."""
    feed = parse_feed(
        rss(
            "<item><link>https://jamestown.org/hello-world/</link></item>"
            "<item><link>https://jamestown.org/sample-page/</link></item>"
            "<item><link>https://jamestown.org/</link></item>"
            "<item><link>https://jamestown.org/analyst/paul-goble/</link></item>"
        ),
        base_url=BASE,
    )
    assert feed.items == []
    assert feed.skipped == {
        "not an article (short slug)": 2,
        "not an article (home page)": 1,
        "not an article (analyst)": 1,
    }


@pytest.mark.parametrize("encoding", ["bogus-8", "idna"])
def test_an_unusable_declared_encoding_is_the_feeds_error(encoding: str) -> None:
    """Issue 11: `LookupError` (unknown) and `UnicodeError` (idna) escaped before."""
    data = f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"></rss>'.encode()
    with pytest.raises(InputError, match="unusable encoding"):
        parse_feed(data, base_url="https://jamestown.org/feed/")
