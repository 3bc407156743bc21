"""Parsing many cells of one column fast: the same values and the same errors as the column's
own parser (:func:`geo.io.tables.parse` uses it for every table)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

#: Values a parser may give that :func:`quick_parser` keeps for the next cell of the same text.
KEPT_TYPES = (str, int, float, bool, type(None))

#: The most distinct texts of one column :func:`quick_parser` keeps.
KEPT_TEXTS = 4096


def quick_parser(parse: Callable[[str], Any], *, numbers: tuple[Callable[[str], Any], ...] = (),
                 same: Callable[[str], Any] | None = None) -> Callable[[str], Any]:
    """``parse``, faster on the common cells, with the same values and the same errors.

    Parameters
    ----------
    parse
        A cell parser (text, stripped and never empty, to value; raises ``ValueError``).
    numbers
        Parsers that give ``float(text)`` for a plain ASCII decimal whose value is finite (and
        not below the parser's ``at_least`` attribute, when it has one): such a cell is read by
        ``float`` at once; any other cell (full-width digits or comma, ``nan``, a number below
        the least) goes to ``parse`` itself, for the same value or the same message.
    same
        The parser that returns the cell as it is (nothing to do).

    Other parsers keep the value of each distinct text they parsed (up to :data:`KEPT_TEXTS`,
    immutable values only): a group or a kind is parsed once per file. A cell whose parser
    raises is parsed again each time (its message is the parser's own).
    """
    if same is not None and parse is same:
        return parse
    low = getattr(parse, "at_least", None)
    if parse in numbers or low is not None:
        least = -math.inf if low is None else float(low)

        def plain(value: str) -> Any:
            if value.isascii():
                try:
                    result = float(value)
                except ValueError:
                    return parse(value)
                if math.isfinite(result) and result >= least:
                    return result
            return parse(value)

        return plain
    kept: dict[str, Any] = {}
    missing = object()

    def remembered(value: str) -> Any:
        result = kept.get(value, missing)
        if result is missing:
            result = parse(value)
            if type(result) in KEPT_TYPES and len(kept) < KEPT_TEXTS:
                kept[value] = result
        return result

    return remembered
