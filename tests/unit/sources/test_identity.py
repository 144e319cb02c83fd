"""Content-based identity of archive captures (issue 23): one article under its URL
generations is matched by its text; two articles that share an opening are not.

The texts are written here in the style of the 1990s-2000s daily *Monitor*
(tests/fixtures/gold/seeds, tests/fixtures/gold/real-articles): items of one issue
often open with the same lead ("Russian President Boris Yeltsin yesterday…") and then
go their own ways; the same item reappears years later on a WordPress page with curly
quotes, an em dash for a hyphen and a corrected typo."""

from __future__ import annotations

from workers.cache import MemoryCache
from workers.sources.identity import (
    MATCH,
    Known,
    PrintIndex,
    best,
    compare,
    resolve,
    textprint,
)

LEAD = (
    "Russian President Boris Yeltsin yesterday signed a decree dismissing the government "
    "of Prime Minister Viktor Chernomyrdin and named Sergei Kirienko, 35, the fuel and "
    "energy minister, as acting prime minister. Yeltsin told the nation in a televised "
    "address that the government had failed to deliver the economic growth it promised. "
)
ITEM_A = LEAD + (
    "The Duma now has one week to consider the nomination. Communist leader Gennady "
    "Zyuganov said that his faction would not support a candidate about whom deputies "
    "know almost nothing, while Yabloko's Grigory Yavlinsky demanded that Kirienko "
    "present a program before any vote is held. Under the constitution the president may "
    "dissolve the chamber if it rejects his candidate three times, a threat that has so "
    "far always brought the deputies into line (Itar-Tass, March 24). Analysts in Moscow "
    "expect the first vote to fail and the second to pass after bargaining over posts."
)
ITEM_B = LEAD + (
    "Markets reacted calmly. The ruble held its ground on the Moscow interbank exchange "
    "and shares in the oil companies rose slightly, which traders attributed to hopes "
    "that Kirienko, known as a liberal technocrat from Nizhny Novgorod, would continue "
    "the tight monetary policy agreed with the International Monetary Fund. A spokesman "
    "for the fund in Washington said the fund expected the new team to honor earlier "
    "commitments on tax collection and the budget deficit (Reuters, March 24). Western "
    "bankers were more cautious, noting the size of the debt payments due this summer."
)
# ITEM_A as a WordPress post shows it in 2012: curly quotes, an em dash, a typo fixed.
ITEM_A_LATER = (
    ITEM_A.replace("Yabloko's", "Yabloko\u2019s")
    .replace("35, the", "35\u2014the")
    .replace("Analysts in Moscow", "Analysts in the capital")
)


def test_one_article_under_two_renderings_matches() -> None:
    verdict = compare(textprint(ITEM_A_LATER), Known("u", False, textprint(ITEM_A)))
    assert verdict.matched and verdict.whole >= MATCH


def test_two_items_sharing_their_opening_are_not_merged_and_the_refusal_is_reported() -> None:
    index = [Known("https://jamestown.org/program/a-item/", False, textprint(ITEM_A))]
    match, near = best(textprint(ITEM_B), index)
    assert match is None
    # The shared lead is a third of each item: near enough to be reported, not merged.
    (refused,) = near
    assert refused.known.url.endswith("/a-item/") and refused.whole < MATCH


def test_a_long_shared_lead_is_refused_by_the_ending() -> None:
    """A follow-up item that repeats nine tenths of the earlier one and ends otherwise:
    close on the whole text, apart on the last third, so not merged."""
    verdict = compare(textprint(_follow_up()), Known("u", False, textprint(ITEM_A)))
    assert verdict.whole >= 0.6 and not verdict.matched


def test_short_texts_are_never_matched() -> None:
    short = "Moscow denied that an operation was planned."
    assert best(textprint(short), [Known("u", False, textprint(short))]) == (None, [])


OLD = "https://web.archive.org/web/20050101000000id_/http://www.jamestown.org/publications_details.php?volume_id=4&issue_id=60&article_id=7"
WP = "https://web.archive.org/web/20120101000000id_/http://www.jamestown.org/program/yeltsin-fires-cabinet/"
GUESS = "https://jamestown.org/program/yeltsin-dismisses-the-government/"
REAL = "https://jamestown.org/program/yeltsin-fires-cabinet/"


def test_an_old_page_of_an_article_indexed_under_its_wordpress_url_is_that_article() -> None:
    index = PrintIndex(MemoryCache())
    index.remember(Known(REAL, False, textprint(ITEM_A_LATER), "monitor-1"))
    out = resolve([(OLD, GUESS, True, textprint(ITEM_A))], index)
    assert out.duplicates == {OLD: REAL} and OLD not in out.urls
    assert out.notes and out.notes[0].startswith(f"matched {OLD} to {REAL}")


def test_a_wordpress_capture_replaces_an_old_guess_indexed_before() -> None:
    index = PrintIndex(MemoryCache())
    index.remember(Known(GUESS, True, textprint(ITEM_A), "monitor-guess"))
    out = resolve([(WP, REAL, False, textprint(ITEM_A_LATER))], index)
    assert out.urls == {WP: REAL}
    assert out.superseded[WP].doc_id == "monitor-guess"


def test_in_one_batch_two_generations_are_one_article_under_the_wordpress_url() -> None:
    out = resolve(
        [(OLD, GUESS, True, textprint(ITEM_A)), (WP, REAL, False, textprint(ITEM_A_LATER))],
        PrintIndex(MemoryCache()),
    )
    assert out.urls == {WP: REAL} and out.duplicates == {OLD: WP}


def test_different_items_of_the_same_issue_keep_their_own_identities() -> None:
    index = PrintIndex(MemoryCache())
    index.remember(Known(REAL, False, textprint(ITEM_A), "monitor-1"))
    markets = "https://jamestown.org/program/markets-calm/"
    follow = "https://jamestown.org/program/duma-follow-up/"
    wp_b = WP.replace("yeltsin-fires-cabinet", "markets-calm")
    wp_f = WP.replace("yeltsin-fires-cabinet", "duma-follow-up")
    out = resolve(
        [
            (wp_b, markets, False, textprint(ITEM_B)),
            (wp_f, follow, False, textprint(_follow_up())),
        ],
        index,
    )
    assert out.urls == {wp_b: markets, wp_f: follow} and out.superseded == {}
    refused = [
        note for note in out.notes if note.startswith(f"refused near match: {wp_f} ~ {REAL}")
    ]
    assert len(refused) == 1 and "needs 0.80" in refused[0]


def _follow_up() -> str:
    """A follow-up item that repeats nine tenths of ITEM_A and ends otherwise."""
    words = ITEM_A.split()
    return " ".join(words[: len(words) * 9 // 10]) + " " + " ".join(ITEM_B.split()[-15:])


def test_a_huge_body_is_fingerprinted_from_its_first_words_in_bounded_memory() -> None:
    huge = ITEM_A + " " + "Moscow said. " * 2_000_000  # 26 MB of text
    assert textprint(huge).words == 20_000
    assert compare(textprint(huge), Known("u", False, textprint(huge))).matched
