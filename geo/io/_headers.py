"""Headers and the problems named after them: coordinate headers that name their system
(``gcj02_lon``, ``wgs84_lat``, ``高德经度``, ``百度纬度``, ``经度（WGS84）``,
:func:`coordinate_header`), a mapping of headers to columns given by the caller
(:func:`check_columns`), and a problem that names both the column as the file names it and the
field (:class:`CellProblem`).

Machinery of :mod:`geo.io.tables`, which re-exports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from geo import coords
from geo.errors import InputError, Message, Problem
from geo.text import fold


@dataclass(frozen=True)
class CellProblem(Problem):
    """A :class:`geo.errors.Problem` that also names the schema's column (``field``, such as
    ``lon``) besides the column as the file names it (``column``, such as ``高德经度``)."""

    field: str | None = None

    def as_dict(self) -> dict:
        """Where and what, with ``field`` and, for a keyed :class:`geo.errors.Message`, its
        ``key`` and ``params`` (so a surface can say it in its reader's language)."""
        return {**super().as_dict(), "field": self.field,
                **({"key": self.message.key, "params": self.message.params}
                   if isinstance(self.message, Message) else {})}

def check_columns(columns: Mapping[str, str | None], header: Iterable[str],
                  names: Iterable[str]) -> dict[str, str | None]:
    """``columns`` (a header as the file names it -> a column of ``schema``, or None to pass it
    over), checked against the file's ``header`` and the ``names`` of the columns:
    :class:`InputError` (parameter ``columns``) naming a header the file lacks, a column that
    does not exist, or a column given twice."""
    header = [h for h in header if h.strip()]
    names = list(names)
    checked: dict[str, str | None] = {}
    for given, name in columns.items():
        found = given if given in header else next(
            (h for h in header if fold(h) == fold(given)), None)
        if found is None:
            raise InputError(f"`columns` names the header {given!r}, which the file does not "
                             f"have; its headers are {header}", parameter="columns")
        if name is not None and name not in names:
            raise InputError(f"`columns` maps {given!r} to {name!r}, but the columns are "
                             f"{names}", parameter="columns")
        if name is not None and name in checked.values():
            raise InputError(f"`columns` gives two headers for {name!r}", parameter="columns")
        checked[found] = name
    return checked


#: Words in a header that name a coordinate system (after :func:`fold`), by system.
CRS_WORDS: dict[str, tuple[str, ...]] = {
    "wgs84": ("wgs84", "wgs1984", "wgs", "gps", "epsg4326", "4326", "cgcs2000", "天地图",
              "地球坐标"),
    "gcj02": ("gcj02", "gcj", "高德", "腾讯", "火星", "国测局", "amap", "gaode", "autonavi",
              "tencent"),
    "bd09": ("bd09ll", "bd09", "bd", "百度", "baidu", "bmap"),
}
_AXIS_WORDS = {"lon": ("longitude", "经度", "东经", "long", "lng", "lon", "x"),
               "lat": ("latitude", "纬度", "北纬", "lat", "y")}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SYSTEM = "(?P<crs>" + _alternation(w for ws in CRS_WORDS.values() for w in ws) + ")"
_AXIS = ("(?:(?P<lon>" + _alternation(_AXIS_WORDS["lon"]) + ")|(?P<lat>"
         + _alternation(_AXIS_WORDS["lat"]) + "))")
_JOIN = "(?:坐标系?|系|coordinates?|coord)?"
_COORDINATE_HEADERS = (re.compile(f"^{_SYSTEM}{_JOIN}{_AXIS}$"),
                       re.compile(f"^{_AXIS}{_JOIN}{_SYSTEM}$"))


def coordinate_header(header: str) -> tuple[Literal["lon", "lat"], coords.CRS] | None:
    """The axis and coordinate system a header names: ``gcj02_lon`` → ``("lon", "gcj02")``,
    ``百度纬度`` → ``("lat", "bd09")``, ``经度（WGS84）`` → ``("lon", "wgs84")``; None for a
    header that names no system (``经度``) or is no coordinate.

    >>> coordinate_header("高德经度"), coordinate_header("lat_bd09"), coordinate_header("经度")
    (('lon', 'gcj02'), ('lat', 'bd09'), None)
    """
    folded = fold(header)
    match = _COORDINATE_HEADERS[0].match(folded) or _COORDINATE_HEADERS[1].match(folded)
    if match is None:
        return None
    crs = next(name for name in coords.CRS_NAMES if match["crs"] in CRS_WORDS[name])
    return ("lon" if match["lon"] else "lat"), crs
