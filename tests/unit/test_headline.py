"""Headlines: the title, else a flagged lead from the first sentence.

Shapes from the samples: the 1995-2003 Monitor items have no title and open with a
long first sentence (samples/monitor-v4-i60.txt); abbreviations such as "U.S." and
"Gen." appear inside first sentences throughout the archive.
"""

from __future__ import annotations

import pytest

from workers.headline import HEADLINE_CHARS, first_sentence, headline, headline_fields, lead


def test_a_title_wins_and_is_not_flagged() -> None:
    assert headline("  The  Irresistible Rise ", "Body.") == ("The Irresistible Rise", False)
    assert headline_fields(None, "Short body.") == {
        "headline": "Short body.",
        "headline_synthesized": True,
    }


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ("Yeltsin nominated Kirienko. The Duma balked.", "Yeltsin nominated Kirienko."),
        (
            "U.S. officials met Gen. Lebed in Moscow. Later, more.",
            "U.S. officials met Gen. Lebed in Moscow.",
        ),
        ('He said "no." Then left.', 'He said "no."'),
        ("No full stop at all", "No full stop at all"),
        ("\n\n  First paragraph here.\n\nSecond.", "First paragraph here."),
        ("Prices rose 3.5 percent. Then fell.", "Prices rose 3.5 percent."),
    ],
)
def test_first_sentence(body: str, sentence: str) -> None:
    assert first_sentence(body) == sentence


def test_a_long_first_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    body = (
        "Russian President Boris Yeltsin has formally nominated Sergei Kirienko, 35, as his "
        "choice for prime minister and called on the Duma to endorse that choice without delay."
    )
    text = lead(body)
    assert len(text) <= HEADLINE_CHARS + 1 and text.endswith("…")
    assert body.startswith(text[:-1])
    assert not text[:-1].endswith(" ")


def test_hostile_bodies() -> None:
    assert lead("") == "(empty)"
    assert lead("x" * 500).endswith("…")  # one endless word: cut anyway
    assert lead("   \n\n  ") == "(empty)"
