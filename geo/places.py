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

import contextlib
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
#: The environment variable naming the folder of the extracts' name indexes
#: (:func:`name_cache_dir`).
CACHE_ENV_VAR = "YIZHAN_CACHE_DIR"
#: The format of a saved name index; a file of another version is read from the extract again.
INDEX_VERSION = 1


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
        per file (one pass each with pyrosm), kept as an STRtree of their geometries, and saved
        in :func:`name_cache_dir` (:func:`write_name_index`) for the next process. None,
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
    """The name index of an ``.osm.pbf`` (:func:`_read_name_index`): from its file in
    :func:`name_cache_dir` when one was written for this very extract, else read from the
    extract and written there (when the folder can be written) for the next time."""
    if not path.endswith(".pbf") or not Path(path).is_file():
        return None
    cached = _index_file(path)
    if cached.is_file():
        try:
            return _load_index(cached)
        except (OSError, ValueError, KeyError):  # a damaged or older file: read the extract
            pass
    index = _read_name_index(path)
    with contextlib.suppress(OSError):  # a read-only folder: read the extract each time
        _save_index(index, cached)
    return index


def write_name_index(extract: str | os.PathLike[str]) -> Path | None:
    """Read the named streets and venues of ``extract`` (``.osm.pbf``) and keep them in
    :func:`name_cache_dir`, so that naming places later (:func:`name_places`) reads that file
    (tens of milliseconds) instead of the extract (seconds). Called when the networks are built
    (:func:`geo.demo.build_demo`); a plan on networks built otherwise writes it the first time.

    Returns
    -------
    Path or None
        The index's file, or None when ``extract`` is no readable ``.osm.pbf`` or the folder
        cannot be written (names are then read from the extract in each process, as before).
    """
    path = str(Path(extract))
    if not path.endswith(".pbf") or not Path(path).is_file():
        return None
    out = _index_file(path)
    if not out.is_file():  # else written already, e.g. by the names of the search index
        _name_index.cache_clear()
        _name_index(path)
    return out if out.is_file() else None


def name_cache_dir() -> Path:
    """Where the name indexes of extracts are kept: ``$YIZHAN_CACHE_DIR/names``, else
    ``$XDG_CACHE_HOME/yizhan/names`` (``~/.cache/yizhan/names``)."""
    from geo.network.cache import cache_root

    return cache_root() / "names"


def _index_file(path: str) -> Path:
    """The cache file of one extract: named after it, and after its full path, size and
    modification time, so that a changed or other extract of the same name is read afresh."""
    import hashlib

    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}|{INDEX_VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    stem = resolved.name.removesuffix(".osm.pbf").removesuffix(".pbf")
    return name_cache_dir() / f"{stem}-{digest}.npz"


def _save_index(index: dict | None, out: Path) -> None:
    """Write a name index (None: the extract names nothing) as plain arrays: per layer its
    geometries as WKB, labels and ranks; written to a temporary file, then renamed."""
    import shapely

    arrays: dict[str, Any] = {"version": np.array(INDEX_VERSION),
                                     "lat0": np.array(np.nan if index is None else index["lat0"])}
    for name in ("street", "venue"):
        layer = None if index is None else index[name]
        if layer is None:
            continue
        tree, labels, rank = layer
        blobs = shapely.to_wkb(tree.geometries)
        arrays[f"{name}_wkb"] = np.frombuffer(b"".join(blobs), np.uint8)
        arrays[f"{name}_ends"] = np.cumsum([len(b) for b in blobs], dtype=np.int64)
        arrays[f"{name}_labels"] = np.array(labels, dtype=str)
        arrays[f"{name}_rank"] = np.asarray(rank, np.int64)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f"{out.name}.{os.getpid()}.part")
    with open(part, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(part, out)


def _load_index(path: Path) -> dict | None:
    """A name index written by :func:`_save_index`."""
    import shapely

    with np.load(path, allow_pickle=False) as saved:
        if int(saved["version"]) != INDEX_VERSION:
            raise ValueError(f"{path}: name index version {int(saved['version'])}")
        lat0 = float(saved["lat0"])
        if math.isnan(lat0):
            return None
        index: dict[str, Any] = {"lat0": lat0, "street": None, "venue": None}
        for name in ("street", "venue"):
            if f"{name}_wkb" not in saved:
                continue
            wkb, ends = saved[f"{name}_wkb"].tobytes(), saved[f"{name}_ends"].tolist()
            blobs = [wkb[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
            geoms = shapely.from_wkb(np.array(blobs, dtype=object))
            index[name] = (shapely.STRtree(geoms), saved[f"{name}_labels"].tolist(),
                           saved[f"{name}_rank"].astype(np.int64))
    return index


def read_streets_and_venues(path: str | os.PathLike[str]) -> tuple[Any, Any] | None:
    """The ways with a ``highway`` tag and the venues (amenity, shop, tourism, leisure) of an
    ``.osm.pbf`` as pyrosm reads them (each a GeoDataFrame or None); None when pyrosm cannot
    read the file. The one reading of an extract's names, for the name index here and the
    search index (:mod:`geo.search`)."""
    try:
        from pyrosm import OSM

        osm = OSM(str(path))
        ways = osm.get_data_by_custom_criteria(custom_filter={"highway": True},
                                               filter_type="keep", keep_nodes=False,
                                               keep_relations=False)
        venues = osm.get_pois(custom_filter={"amenity": True, "shop": True, "tourism": True,
                                             "leisure": True})
    except Exception:  # pyrosm raises many kinds on odd files; they name nothing
        return None
    return ways, venues


def _read_name_index(path: str) -> dict | None:
    """STRtrees of the named streets and of the named venues of an ``.osm.pbf``, in local
    metres; None when the file names nothing."""
    read = read_streets_and_venues(path)
    if read is None:
        return None
    ways, venues = read
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
