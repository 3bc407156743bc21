"""Finding a place by what people type: station names and addresses, and the named streets and
venues of a region's OpenStreetMap extract, by Chinese characters, full pinyin or pinyin
initials (``中央大街``, ``中央``, ``zhongyang``, ``zydj``).

The streets and venues are read from the extract once, when the networks are built
(:func:`write_place_index`, called by :func:`geo.demo.build_demo`), and kept beside them as
:data:`SEARCH_FILE`; a server reads that file (:func:`read_place_index`) and needs neither the
extract nor the internet. Stations come from the registry as they are at the time of the search
(:func:`station_entries`). A street is one entry per name: the pieces (OSM ways) of one name are
one street, found at the point of its line nearest their middle, with the box of all of them. A
venue carries the name of the street it is on (:func:`geo.places.name_places`), so that two
branches of one bank tell themselves apart.

Coordinates are EPSG:4326 degrees.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from geo.errors import InputError

if TYPE_CHECKING:
    from geo.stations import Station

#: The place index in a data directory, beside the networks.
SEARCH_FILE = "search.json"
#: The place index's format; a file of another version is read as no index.
INDEX_VERSION = 1
#: The most results a search returns.
MAX_RESULTS = 20
#: The longest query, characters.
MAX_QUERY = 60

EntryType = Literal["station", "street", "venue"]
#: Of results that match equally well, stations first, then streets, then venues.
TYPE_ORDER = {"station": 0, "street": 1, "venue": 2}

_PUNCTUATION = re.compile(r"[\s·•・,，.。、;；:：'\"“”‘’()（）\[\]【】_\-—/\\]+")
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")


@dataclass(frozen=True)
class Entry:
    """One thing a search can find.

    Attributes
    ----------
    type
        ``station``, ``street`` or ``venue``.
    name
        As people read it (Chinese first).
    lon, lat
        Where the map goes: the station, the venue, or the point of the street's line nearest its
        middle; EPSG:4326 degrees.
    detail
        What tells two of one name apart: a station's address, the street a venue is on; or ``""``.
    id
        The station's id (stations only), else ``""``.
    kind
        The station's kind (stations only), else ``""``.
    bbox
        (west, south, east, north) of a street's whole line, EPSG:4326 degrees; None for points.
    pinyin, initials
        The name in pinyin without tones or spaces (``zhongyangdajie``) and its initials
        (``zydj``); letters and digits in the name are kept, lower case.
    """

    type: EntryType
    name: str
    lon: float
    lat: float
    detail: str = ""
    id: str = ""
    kind: str = ""
    bbox: tuple[float, float, float, float] | None = None
    pinyin: str = ""
    initials: str = ""

    def as_json(self) -> dict[str, Any]:
        """The entry as the API sends it (without its pinyin keys)."""
        out = asdict(self)
        del out["pinyin"], out["initials"]
        out["bbox"] = list(self.bbox) if self.bbox else None
        return out


def fold_text(text: str) -> str:
    """Text as compared: NFKC (full-width to ASCII), case folded, without spaces or punctuation.

    >>> fold_text(" 中央 大街·Ｍ3 ")
    '中央大街m3'
    """
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", str(text))).casefold()


@lru_cache(maxsize=65_536)
def pinyin_keys(name: str) -> tuple[str, str]:
    """``(pinyin, initials)`` of ``name``: ``("zhongyangdajie", "zydj")`` for 中央大街.

    Characters that are not Chinese (letters, digits) are kept as they are, lower case, in both.
    """
    from pypinyin import Style, lazy_pinyin, pinyin

    full = fold_text("".join(lazy_pinyin(name, style=Style.NORMAL)))
    initials = fold_text("".join(p[0] for p in pinyin(name, style=Style.FIRST_LETTER)))
    return full, initials


# --- the place index ------------------------------------------------------------------------------

def build_place_index(extract: str | os.PathLike[str]) -> list[Entry]:
    """The named streets and venues of an ``.osm.pbf`` extract as search entries.

    Parameters
    ----------
    extract
        The OpenStreetMap extract (``.osm.pbf``). Another kind of file, or one pyrosm cannot
        read, gives no entries.
    """
    path = Path(extract)
    if not path.name.endswith(".pbf") or not path.is_file():
        return []
    from geo.places import NOT_STREETS, chinese_names, read_streets_and_venues

    read = read_streets_and_venues(path)
    if read is None:
        return []
    ways, venues = read
    entries: list[Entry] = []
    if ways is not None and len(ways) and "name" in ways:
        if "highway" in ways:
            ways = ways[~ways["highway"].isin(NOT_STREETS)]
        ways = ways.assign(label=chinese_names(ways))
        ways = ways[(ways["label"] != "") & ways.geometry.notna() & ~ways.geometry.is_empty]
        entries += _streets(ways)
    if venues is not None and len(venues) and "name" in venues:
        venues = venues.assign(label=chinese_names(venues))
        venues = venues[(venues["label"] != "") & venues.geometry.notna()
                        & ~venues.geometry.is_empty]
        entries += _venues(venues, path)
    return entries


def _streets(ways: Any) -> list[Entry]:
    """One entry per street name: the point of its lines nearest their middle, and their box."""
    import pandas as pd
    import shapely

    lines = ways.geometry.to_numpy()
    areas = shapely.get_dimensions(lines) == 2  # a square mapped as an area: its outline
    lines[areas] = shapely.boundary(lines[areas])
    box = pd.DataFrame(shapely.bounds(lines), columns=["w", "s", "e", "n"])
    box["label"] = ways["label"].to_numpy()
    whole = box.groupby("label", sort=True).agg(w=("w", "min"), s=("s", "min"), e=("e", "max"),
                                                n=("n", "max"))
    middle = shapely.points(((whole["w"] + whole["e"]) / 2).to_numpy(),
                            ((whole["s"] + whole["n"]) / 2).to_numpy())
    of = whole.index.get_indexer(box["label"])  # each piece's street
    gap = shapely.distance(lines, middle[of])
    nearest = pd.Series(gap).groupby(of).idxmin().sort_index().to_numpy()  # per street
    piece = lines[nearest]
    at = shapely.line_interpolate_point(piece, shapely.line_locate_point(piece, middle))
    out = []
    for (label, w, s, e, n), x, y in zip(whole.itertuples(), shapely.get_x(at),
                                         shapely.get_y(at), strict=True):
        out.append(_keyed(Entry("street", str(label), round(float(x), 6), round(float(y), 6),
                                bbox=(round(w, 6), round(s, 6), round(e, 6), round(n, 6)))))
    return out


def _venues(venues: Any, extract: Path) -> list[Entry]:
    """One entry per named venue, with the street it is on."""
    import shapely

    from geo.places import name_places

    points = shapely.point_on_surface(venues.geometry.to_numpy())
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    places = name_places(lon, lat, extract)
    seen: set[tuple[str, float, float]] = set()
    out = []
    for label, x, y, place in zip(venues["label"], lon, lat, places, strict=True):
        key = (str(label), round(float(x), 4), round(float(y), 4))  # one venue mapped twice
        if key in seen:
            continue
        seen.add(key)
        detail = place.street if place.street != label else ""
        out.append(_keyed(Entry("venue", str(label), round(float(x), 6), round(float(y), 6),
                                detail=detail)))
    return out


def _keyed(entry: Entry) -> Entry:
    full, initials = pinyin_keys(entry.name)
    return Entry(entry.type, entry.name, entry.lon, entry.lat, entry.detail, entry.id,
                 entry.kind, entry.bbox, full, initials)


def write_place_index(extract: str | os.PathLike[str], path: str | os.PathLike[str]) -> int:
    """Write the place index of ``extract`` (:func:`build_place_index`) to ``path`` (JSON,
    UTF-8); the number of entries. An extract that names nothing writes an empty index."""
    entries = build_place_index(extract)
    document = {"version": INDEX_VERSION, "source": Path(extract).name,
                "places": [[e.type, e.name, e.lon, e.lat, e.detail, list(e.bbox or ()),
                            e.pinyin, e.initials] for e in entries]}
    Path(path).write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")),
                          "utf-8")
    return len(entries)


def read_place_index(path: str | os.PathLike[str]) -> list[Entry]:
    """The entries :func:`write_place_index` wrote; none when the file is missing, unreadable
    or of another version."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(document, dict) or document.get("version") != INDEX_VERSION:
        return []
    out = []
    for kind, name, lon, lat, detail, bbox, full, initials in document.get("places", []):
        out.append(Entry(kind, name, float(lon), float(lat), detail, "", "",
                         tuple(bbox) if len(bbox) == 4 else None, full, initials))
    return out


def station_entries(stations: Iterable[Station]) -> list[Entry]:
    """Search entries for stations: name, address (as ``detail``), kind and id."""
    return [_keyed(Entry("station", s.name, s.lon, s.lat, detail=s.address or "", id=s.id,
                         kind=s.kind)) for s in stations]


# --- searching ------------------------------------------------------------------------------------

def search(entries: Sequence[Entry], query: str, *, limit: int = 10) -> list[Entry]:
    """The entries that match ``query``, best first.

    Every word of the query (split at spaces) must match the entry's name, its detail (a
    station's address), its pinyin or its pinyin initials, wholly or in part. An entry ranks
    higher the more of its name a word matches: the whole name, then its start, then a part of
    it; then the pinyin and initials the same way; then the detail. Of equal matches: stations,
    streets, venues; then the shorter name.

    Parameters
    ----------
    entries
        What to search: :func:`station_entries` and :func:`read_place_index`.
    query
        What the person typed: Chinese, pinyin (``zhongyang``) or initials (``zydj``).
    limit
        How many results at most, 1 to :data:`MAX_RESULTS`.
    """
    if not 1 <= limit <= MAX_RESULTS:
        raise InputError(f"`limit` was {limit!r} but must be 1 to {MAX_RESULTS}",
                         parameter="limit")
    words = [w for w in (fold_text(w) for w in str(query).split()) if w]
    if not words:
        return []
    scored = []
    for entry in entries:
        total = 0
        for word in words:
            score = _score(entry, word)
            if score is None:
                break
            total += score
        else:
            scored.append((total, TYPE_ORDER[entry.type], len(entry.name), entry.name, entry))
    scored.sort(key=lambda row: row[:4])
    return [row[-1] for row in scored[:limit]]


_folded = lru_cache(maxsize=262_144)(fold_text)


def _score(entry: Entry, word: str) -> int | None:
    """How well one folded word matches (lower is better); None when it does not."""
    name = _folded(entry.name)
    if name == word:
        return 0
    if name.startswith(word):
        return 1
    if word in name:
        return 3
    if _ASCII_WORD.match(word):
        for key, base in ((entry.initials, 2), (entry.pinyin, 2)):
            if key == word:
                return base
            if key.startswith(word):
                return base + 1
            if len(word) >= 2 and word in key:
                return base + 2
    if len(word) >= 2 and word in _folded(entry.detail):
        return 5
    return None
