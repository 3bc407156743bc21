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
