"""How deep a page nests, read before the HTML parser sees it.

lexbor (selectolax) builds the tree in time that grows with the square of the
nesting depth: 10,000 nested `<div>`s parse in 0.6 s, 40,000 in 14 s, 100,000
(1.1 MB) took 184 s, and 500,000 unclosed ones never finished (issue 22). Real
article pages nest a few dozen levels. So a page is scanned once, linearly, with a
stack of open elements that follows the HTML rules that matter for depth, and is
refused past `MAX_DEPTH` before it is parsed.

The scan is an estimate that may count too deep, never much too shallow: an end
tag closes everything down to its element (as the tree builder does); the elements
whose end tag is optional (`<p>`, `<li>`, `<td>`…) close an open one of their kind
only when it is the current element, so `<div><p>` repeated cannot hide its depth
(the parser nests one `<div>` per pair; a wider rule would count none). Comments and
the text of `<script>`, `<style>`, `<textarea>`, `<title>` are skipped; `/>` closes
an element only inside `<svg>`/`<math>`, as in HTML (`<div/>` opens a div).
"""

from __future__ import annotations

import re

# Far above any real page (article pages nest a few dozen levels; the fixtures here 10), far
# below where parsing gets slow (10,000 levels parse in about 0.6 s here).
MAX_DEPTH = 10_000

# A comment's start or a tag's name; the tag's end is found with `str.find`, never by
# the pattern, so text full of `<` without `>` costs one pass, not one per `<`.
_TAG = re.compile(r"<(!--|/?[a-z][^\s/<>]*)")
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_RAW_TEXT = frozenset(
    ["script", "style", "textarea", "title", "xmp", "noembed", "noframes", "iframe", "plaintext"]
)
_FOREIGN = frozenset({"svg", "math"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# An element with an optional end tag, and the current elements its start tag closes.
_CLOSES: dict[str, frozenset[str]] = {
    "p": frozenset({"p"}),
    "li": frozenset({"li"}),
    "dt": frozenset({"dt", "dd"}),
    "dd": frozenset({"dt", "dd"}),
    "option": frozenset({"option"}),
    "optgroup": frozenset({"option", "optgroup"}),
    "tr": frozenset({"tr", "td", "th"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "thead": frozenset({"tr", "td", "th", "thead", "tbody", "tfoot"}),
    "tbody": frozenset({"tr", "td", "th", "thead", "tbody", "tfoot"}),
    "tfoot": frozenset({"tr", "td", "th", "thead", "tbody", "tfoot"}),
    "a": frozenset({"a"}),
    **dict.fromkeys(_HEADINGS, _HEADINGS),
}


def too_deep(html: str, *, limit: int = MAX_DEPTH) -> int | None:
    """The depth `html` reaches once it nests deeper than `limit` (an estimate, see
    the module docstring), else None. Linear; a page with at most `limit` tags is
    not scanned at all."""
    if html.count("<") <= limit:
        return None  # cannot nest deeper than it has tags
    lower = html.lower()
    stack: list[str] = []
    open_count: dict[str, int] = {}
    resume = foreign = 0
    for match in _TAG.finditer(lower):
        if match.start() < resume:
            continue  # inside a comment, a raw-text element or a tag
        name = match.group(1)
        if name == "!--":
            end = lower.find("-->", match.end())
            if end < 0:
                break  # the rest of the page is a comment
            resume = end + 3
            continue
        close = lower.find(">", match.end())
        if close < 0:
            break  # an unfinished tag at the end: the parser drops it
        resume = close + 1
        if name[0] == "/":
            name = name[1:]
            if open_count.get(name, 0) > 0:
                while True:
                    popped = stack.pop()
                    open_count[popped] -= 1
                    foreign -= popped in _FOREIGN
                    if popped == name:
                        break
        elif name in _VOID or (foreign and lower[close - 1] == "/"):
            continue
        elif name in _RAW_TEXT:
            end = lower.find(f"</{name}", resume)
            if end < 0:
                break  # the rest of the page is this element's text
            resume = end
        else:
            closes = _CLOSES.get(name)
            while closes and stack and stack[-1] in closes:
                open_count[stack.pop()] -= 1
            stack.append(name)
            open_count[name] = open_count.get(name, 0) + 1
            foreign += name in _FOREIGN
            if len(stack) > limit:
                return len(stack)
    return None
