"""Names of places for people: a point named after the nearest named street of an OSM extract.

Gap areas (:func:`geo.coverage.gap_areas`) and the gap sites proposed for new stations
(:func:`geo.siting.planning.gap_candidates`) are named here, once, and every surface shows that
name: the command line's printout and JSON, the CSV/XLSX/GeoPackage files, the HTML maps and the
API. A place is named after the nearest named street within :data:`STREET_NAME_M` and, when one
is close, the nearest named venue within :data:`VENUE_NAME_M`: ``"双林巷附近"`` / ``"near 双林巷"``,
``"春熙路 · 中国银行附近"`` / ``"near 春熙路 · 中国银行"``. Where nothing named is that near, the
name gives the coordinates instead: ``"（126.64105, 45.68179）附近"`` / ``"near (126.64105,
45.68179)"``.

"Nearest" is by distance to the street's whole line (not to its nodes), in metres on a local
equirectangular projection of the extract (exact enough within a few hundred metres). Chinese
names come first: a feature's ``name:zh`` when it has one, else its ``name``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from geo.network import Network

#: How far a named street may be from a point to name it, metres.
STREET_NAME_M = 250.0
#: How far a named venue may be from a point to be named with the street, metres.
VENUE_NAME_M = 120.0
#: ``highway`` values of ways that are not (yet, or any longer) streets on the ground.
NOT_STREETS = frozenset({"proposed", "construction", "abandoned", "razed", "disused",
                         "planned"})

#: Street classes from the main roads down: of streets equally near a point (at a junction), the
#: first class names it; other classes come after these.
STREET_RANK = {cls: k for k, cls in enumerate(
    ["motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
     "living_street", "pedestrian", "service", "track", "footway", "cycleway", "path", "steps"])}


@dataclass(frozen=True)
class Place:
    """A point and the names near it.

    Attributes
    ----------
    lon, lat
        The point, EPSG:4326 degrees.
    street
        The nearest named street within :data:`STREET_NAME_M`, or ``""``.
    venue
        The nearest named venue within :data:`VENUE_NAME_M`, or ``""``.
    """

    lon: float
    lat: float
    street: str = ""
    venue: str = ""

    @property
    def named(self) -> bool:
        """Whether a named street or venue is near."""
        return bool(self.street or self.venue)

    @property
    def where(self) -> str:
        """``"春熙路 · 中国银行"``, ``"春熙路"``, ``"中国银行"``, or ``""`` when nothing is near."""
        if self.street and self.venue and self.venue != self.street:
            return f"{self.street} · {self.venue}"
        return self.street or self.venue

    @property
    def coordinates(self) -> str:
        """``"126.64105, 45.68179"``: lon, lat to 5 decimals (about a metre)."""
        return f"{self.lon:.5f}, {self.lat:.5f}"

    @property
    def zh(self) -> str:
        """``"双林巷附近"``, or ``"（126.64105, 45.68179）附近"`` when nothing named is near."""
        return f"{self.where}附近" if self.named else f"（{self.coordinates}）附近"

    @property
    def en(self) -> str:
        """``"near 双林巷"``, or ``"near (126.64105, 45.68179)"`` when nothing named is near."""
        return f"near {self.where}" if self.named else f"near ({self.coordinates})"


def name_places(lon: Iterable[float], lat: Iterable[float],
                extract: str | os.PathLike[str] | None) -> list[Place]:
    """The :class:`Place` of each point: the nearest named street and venue of ``extract``.

    Parameters
    ----------
    lon, lat
        Points in EPSG:4326 degrees.
    extract
        The ``.osm.pbf`` file to read names from; its named streets and venues are read once
        per file (one pass each with pyrosm) and kept as an STRtree of their geometries. None,
        another kind of file, or one that cannot be read names nothing (every place is named by
        its coordinates).
    """
    lon, lat = np.asarray(lon, float).ravel(), np.asarray(lat, float).ravel()
    index = _name_index(str(Path(extract))) if extract is not None else None
    streets = venues = [""] * len(lon)
    if index is not None and len(lon):
        import shapely

        points = shapely.points(_metric(lon, lat, index["lat0"]))
        streets = _nearest(index["street"], points, STREET_NAME_M)
        venues = _nearest(index["venue"], points, VENUE_NAME_M)
    return [Place(float(x), float(y), s, v)
            for x, y, s, v in zip(lon, lat, streets, venues, strict=True)]


def place_names(lon: Iterable[float], lat: Iterable[float],
                extract: str | os.PathLike[str] | None) -> list[str]:
    """The Chinese names of :func:`name_places` (``"街 · 场所附近"``, ``"街附近"`` or
    ``"场所附近"``), ``""`` where nothing named is near."""
    return [p.zh if p.named else "" for p in name_places(lon, lat, extract)]


def osm_extract(network: Network | None) -> Path | None:
    """The OSM extract ``network`` was built from, when it is at hand: the file named by
    ``network.source`` if it exists, else the extract of the shipped region
    (:data:`geo.regions.REGIONS`) of that file name; None otherwise (a download, a lost file)."""
    if network is None or not network.source:
        return None
    path = Path(network.source)
    if path.is_file():
        return path
    from geo.regions import REGIONS

    for known in REGIONS.values():
        if Path(known.filename).name == path.name:
            try:
                return known.extract()
            except FileNotFoundError:
                return None
    return None


def _nearest(layer: tuple[Any, list[str], np.ndarray] | None, points: np.ndarray,
             reach: float) -> list[str]:
    """Per point, the label of the nearest geometry of ``layer`` within ``reach`` metres; of
    geometries equally near (streets meeting at a junction), the one of the lowest rank (the
    main road), then the first in the file."""
    out = [""] * len(points)
    if layer is None:
        return out
    tree, labels, rank = layer
    at, hit = tree.query_nearest(points, max_distance=reach, all_matches=True)
    order = np.lexsort((hit, rank[hit], at))  # per point: lowest rank, then first in the file
    first = np.ones(len(order), bool)
    first[1:] = at[order][1:] != at[order][:-1]
    for i, j in zip(at[order][first].tolist(), hit[order][first].tolist(), strict=True):
        out[i] = labels[j]
    return out


def _metric(lon: np.ndarray, lat: np.ndarray, lat0: float) -> np.ndarray:
    """Local equirectangular metres about latitude ``lat0`` (n × 2)."""
    return np.column_stack([np.asarray(lon, float) * 111_320.0 * math.cos(math.radians(lat0)),
                            np.asarray(lat, float) * 110_574.0])


@lru_cache(maxsize=4)
def _name_index(path: str) -> dict | None:
    """STRtrees of the named streets and of the named venues of an ``.osm.pbf``, in local
    metres; None when the file names nothing."""
    if not path.endswith(".pbf") or not Path(path).is_file():
        return None
    try:
        from pyrosm import OSM

        osm = OSM(path)
        ways = osm.get_data_by_custom_criteria(custom_filter={"highway": True},
                                               filter_type="keep", keep_nodes=False,
                                               keep_relations=False)
        venues = osm.get_pois(custom_filter={"amenity": True, "shop": True, "tourism": True,
                                             "leisure": True})
    except Exception:  # pyrosm raises many kinds on odd files; they name nothing
        return None
    if ways is not None and len(ways) and "highway" in ways:
        ways = ways[~ways["highway"].isin(NOT_STREETS)]
    streets, venue_shapes = _named(ways), _named(venues)
    if streets is None and venue_shapes is None:
        return None
    import shapely

    south, north = zip(*[(f.total_bounds[1], f.total_bounds[3])
                         for f in (streets, venue_shapes) if f is not None], strict=True)
    lat0 = (min(south) + max(north)) / 2

    def layer(frame: Any) -> tuple[Any, list[str], np.ndarray] | None:
        if frame is None:
            return None
        geoms = shapely.transform(frame.geometry.to_numpy(),
                                  lambda xy: _metric(xy[:, 0], xy[:, 1], lat0))
        kind = frame["highway"] if "highway" in frame else pd.Series("", index=frame.index)
        rank = kind.map(lambda v: STREET_RANK.get(v, len(STREET_RANK))).to_numpy(np.int64)
        return shapely.STRtree(geoms), frame["label"].tolist(), rank

    return {"lat0": lat0, "street": layer(streets), "venue": layer(venue_shapes)}


def _named(frame: Any) -> Any:
    """The features of a pyrosm frame that have a name, with it as ``label``; None if none."""
    if frame is None or not len(frame) or "name" not in frame:
        return None
    named = frame.assign(label=chinese_names(frame))
    named = named[(named["label"] != "") & named.geometry.notna() & ~named.geometry.is_empty]
    return named.reset_index(drop=True) if len(named) else None


def chinese_names(frame: pd.DataFrame) -> pd.Series:
    """Per OSM feature of a pyrosm frame: its ``name:zh`` when it has one, else its ``name``;
    ``""`` if neither (pyrosm keeps the tags without a column of their own as JSON text in
    ``tags``)."""

    def zh(tags: object) -> str:
        if not isinstance(tags, str) or "name:zh" not in tags:
            return ""
        try:
            value = json.loads(tags).get("name:zh", "")
        except (ValueError, AttributeError):
            return ""
        return value.strip() if isinstance(value, str) else ""

    name = frame["name"].where(frame["name"].notna(), "").astype(str).str.strip()
    if "tags" not in frame:
        return name
    chinese = frame["tags"].map(zh)
    return chinese.where(chinese != "", name)
