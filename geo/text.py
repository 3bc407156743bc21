"""Text as people write it, compared with the words yizhan knows.

One folding for every comparison of a written label with a known one: table headers with the
column aliases (:mod:`geo.io.tables`), station kinds, services and access words
(:mod:`geo.stations`), worker group names (:mod:`geo.groups`).
"""

from __future__ import annotations

import re
import unicodedata

_IGNORED = re.compile(r"[\s_\-()]+")


def fold(text: object) -> str:
    """A label as compared with the known words: NFKC (full-width to ASCII), no BOM or zero-width
    space, no spaces, ``_``, ``-`` or brackets, case folded.

    >>> fold(" ＬＯＮ_（WGS84）")
    'lonwgs84'
    >>> fold("Sanitation-Worker") == fold("sanitation worker")
    True
    """
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").replace("\u200b", "")
    return _IGNORED.sub("", text).casefold()


# --- the text policy ------------------------------------------------------------------------------

#: Characters no stored text may hold, wherever it comes from (a file, the API, the command line):
#: control characters (Unicode category Cc), the bidirectional overrides and isolates (they make
#: text display in another order than it is stored), lone UTF-16 surrogates (no encoding can
#: write them), and what XML 1.0 cannot hold (U+FFFE, U+FFFF and the other noncharacters), so an
#: XLSX export always opens. Line breaks and tabs are allowed where text runs over lines.
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff" + _NONCHARACTERS + "]")
_FORBIDDEN_MULTILINE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
    + _NONCHARACTERS + "]")


def forbidden(text: str, *, multiline: bool = False) -> list[str]:
    """The characters of ``text`` that the text policy refuses, each once, in order of code.

    >>> forbidden("春熙路\\x00驿站\\u202e")
    ['\\x00', '\\u202e']
    >>> forbidden("第一行\\n第二行", multiline=True)
    []
    """
    pattern = _FORBIDDEN_MULTILINE if multiline else _FORBIDDEN
    return sorted(set(pattern.findall(text)))


def clean(text: str, *, multiline: bool = True) -> tuple[str, list[str]]:
    """``text`` without the characters the policy refuses, and those characters (for free text
    whose sender should be told what was removed rather than refused).

    >>> clean("热水没了\\ud800\\u202e")
    ('热水没了', ['\\u202e', '\\ud800'])
    """
    pattern = _FORBIDDEN_MULTILINE if multiline else _FORBIDDEN
    removed = sorted(set(pattern.findall(text)))
    return (pattern.sub("", text), removed) if removed else (text, [])


def shown(char: str) -> str:
    """A character as a message names it: ``'/'``, ``U+0007``, ``space``."""
    if char == " ":
        return "space"
    if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF:
        return repr(char)
    return f"U+{ord(char):04X}"
