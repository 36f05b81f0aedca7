"""Numbers as people write them: ``99.9``, ``99,5``, ``1,500``, ``1.500``, ``1 500``.

Whether a comma is a decimal mark or a thousands separator depends on the language of the
document and on what the number measures (a percentage is never in the thousands), so the
caller says which reading is likely and this module applies it consistently.
"""

from __future__ import annotations

import re

#: A number token: digit groups separated by ``,`` ``.`` or (non-breaking) spaces, optional fraction.
NUMBER = r"(?<![\w.,])(?:\d{1,3}(?:(?:,|\.|\u00a0|\u202f|\u2009)\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?!\d)"
NUMBER_RE = re.compile(NUMBER)

_GROUP_SPACES = "\u00a0\u202f\u2009"


def parse_number(raw: str, *, comma_decimal: bool = False, percent: bool = False) -> float:
    """Read one number token.

    ``comma_decimal``: the document writes ``99,5`` for ninety-nine and a half (Danish, German,
    Spanish, French). ``percent``: the number is a percentage, so a single separator is always
    the decimal mark (``99.999 %`` and ``99,999 %`` are both 99.999).
    """
    text = raw.strip()
    for space in _GROUP_SPACES:
        text = text.replace(space, "")
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        # Both marks: the last one is the decimal mark, the other groups thousands.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif commas + dots > 1:
        mark = "," if commas else "."
        head, _, tail = text.rpartition(mark)
        if all(len(g) == 3 for g in text.split(mark)[1:]):
            text = text.replace(mark, "")
        else:  # "1.234,5"-like mistakes fall back to: last mark is decimal
            text = head.replace(mark, "") + "." + tail
    elif commas + dots == 1:
        mark = "," if commas else "."
        head, _, tail = text.partition(mark)
        thousands = len(tail) == 3 and head != "0" and not percent
        if (mark == "," and thousands and not comma_decimal) or (mark == "." and thousands and comma_decimal):
            text = head + tail
        else:
            text = head + "." + tail
    return float(text)


def format_number(value: float) -> str:
    """Shortest plain rendering: ``99.9``, ``400``, ``0.05``."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(round(value, 10))
