"""How deep a page nests, read before the HTML parser sees it.

lexbor (selectolax) builds the tree in time that grows with the square of the
nesting depth: 10,000 nested `<div>`s parse in 0.6 s, 40,000 in 14 s, 100,000
(1.1 MB) took 184 s, and 500,000 unclosed ones never finished (issue 22). Real
article pages nest a few dozen levels. So a page is scanned once, linearly, with a
stack of open elements that follows the HTML rules that matter for depth, and is
refused past `MAX_DEPTH` before it is parsed.

The scan is an estimate that may count too deep, and too shallow only by the
elements the tree builder adds itself (a `<tbody>` and `<tr>` around a stray
`<td>`: at most about half the true depth), so a page cannot hide its depth from
it. It pops an element only where the tree builder certainly does (WHATWG HTML,
"tree construction"):

- the start tag of an element with an optional end tag (`<p>`, `<li>`, `<td>`…)
  closes one of its kind that is the current element, and a block (`<div>`, `<ul>`…)
  closes an open `<p>` with only inline elements above it;
- an end tag of a block pops down to its element unless a scope boundary (`<table>`,
  `<td>`, `<object>`…) is above it, and a table end tag unless an inner `<table>` is:
  there the tree builder ignores it; table tags outside a table are ignored, as the
  tree builder ignores them;
- any other end tag (`</b>`, `</span>`, `</p>`…) pops down to its element only over
  inline elements: over a block the tree builder keeps the block open (`<b><div></b>`
  repeated nests one `<div>` per repetition).

Comments and the text of `<script>`, `<style>`, `<textarea>`, `<title>` are skipped;
`/>` closes an element only inside `<svg>`/`<math>`, as in HTML (`<div/>` opens a
div).
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


def _words(text: str) -> list[str]:
    return text.split()


_FOREIGN = frozenset({"svg", "math"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_TABLE_PARTS = frozenset({"tr", "td", "th", "thead", "tbody", "tfoot"})
# Outside a <table> the tree builder ignores these tags altogether.
_TABLE_ONLY = _TABLE_PARTS | {"caption", "colgroup"}
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
    "thead": _TABLE_PARTS,
    "tbody": _TABLE_PARTS,
    "tfoot": _TABLE_PARTS,
    "a": frozenset({"a"}),
    **dict.fromkeys(_HEADINGS, _HEADINGS),
}
# Blocks: their start tag closes a current <p>, their end tag pops down to them.
_BLOCKS = (
    frozenset(
        _words(
            "address article aside blockquote center details dialog dir div dl fieldset "
            "figcaption figure footer form header hgroup listing main menu nav ol pre "
            "section summary ul li dd dt table caption colgroup body html"
        )
    )
    | _HEADINGS
    | _TABLE_PARTS
)
# What an end tag of a block cannot reach past (the "has an element in scope" list).
_BOUNDARIES = frozenset(
    ["applet", "caption", "html", "table", "td", "th", "marquee", "object", "template"]
)
# What an inline end tag (and a block closing a <p>) may pop over: inline elements,
# which the tree builder closes and reopens itself; never a block ("special" element).
_SOFT = frozenset(
    _words(
        "a b big code em font i nobr s small strike strong tt u span abbr cite dfn kbd "
        "mark q samp sub sup time var label"
    )
)
# How far an inline end tag looks down the stack for its element.
_REACH = 64


def too_deep(html: str, *, limit: int = MAX_DEPTH) -> int | None:
    """The depth `html` reaches once it nests deeper than `limit` (an estimate, see
    the module docstring), else None. Linear; a page with at most `limit` tags is
    not scanned at all."""
    if html.count("<") <= limit:
        return None  # cannot nest deeper than it has tags
    lower = html.lower()
    stack: list[str] = []
    where: dict[str, list[int]] = {}  # the stack positions of each open element
    bounds: list[int] = []  # the stack positions of the open scope boundaries
    resume = foreign = 0

    def pop() -> None:
        nonlocal foreign
        name = stack.pop()
        where[name].pop()
        if bounds and bounds[-1] == len(stack):
            bounds.pop()
        foreign -= name in _FOREIGN

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
        if name.lstrip("/") in _TABLE_ONLY and not where.get("table"):
            continue
        if name[0] == "/":
            name = name[1:]
            if where.get(name) and _closable(
                stack, name, where[name][-1], bounds, where.get("table", [])
            ):
                while stack[-1] != name:
                    pop()
                pop()
        elif name in _VOID or (foreign and lower[close - 1] == "/"):
            continue
        elif name in _RAW_TEXT:
            end = lower.find(f"</{name}", resume)
            if end < 0:
                break  # the rest of the page is this element's text
            resume = end
        else:
            if (name in _BLOCKS or name == "p") and where.get("p"):
                at = where["p"][-1]
                if _closable(stack, "p", at, bounds, []):  # a block closes an open <p>
                    while len(stack) > at:
                        pop()
            closes = _CLOSES.get(name)
            while closes and stack and stack[-1] in closes:
                pop()
            if name in _BOUNDARIES:
                bounds.append(len(stack))
            where.setdefault(name, []).append(len(stack))
            stack.append(name)
            foreign += name in _FOREIGN
            if len(stack) > limit:
                return len(stack)
    return None


def _closable(stack: list[str], name: str, at: int, bounds: list[int], tables: list[int]) -> bool:
    """Whether the end tag of `name`, open at stack position `at`, pops down to it."""
    if name in _TABLE_ONLY or name == "table":
        return tables[-1] <= at  # "in table scope": no inner table above it
    if name in _BLOCKS:
        return not bounds or bounds[-1] <= at  # no scope boundary above it
    if len(stack) - at > _REACH:
        return False
    return all(above in _SOFT for above in stack[at + 1 :])
