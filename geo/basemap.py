"""A readable basemap drawn from an OpenStreetMap extract, with no tile service.

:func:`read_basemap` turns an ``.osm.pbf`` file into one compact GeoJSON FeatureCollection
(EPSG:4326) of four layers, told apart by the ``layer`` property of each feature:

``green``
    Parks, gardens, grass, woods and pitches as (Multi)Polygons; ``class`` is ``park``,
    ``grass``, ``wood`` or ``pitch``.
``water``
    Lakes, ponds and river areas as (Multi)Polygons (``class`` ``area``), and rivers, canals
    and streams as MultiLineStrings (``class`` ``river``, ``canal``, ``stream``).
``road``
    One MultiLineString per road class in :data:`ROAD_CLASSES` order, from ``motorway`` down
    to ``footway``, each merged through shared ends and simplified.
``label``
    Points where a name goes: streets other than service roads, footways and ramps (``class``
    the road class, ``angle`` the street's
    direction on screen in degrees clockwise, kept within ±90 so text never reads upside down),
    named rivers (``class`` ``water``) and large parks (``class`` ``park``). Chinese names are
    preferred (``name:zh``, else ``name`` with any trailing Latin transcription cut off).

The web app serves the file (``/api/basemap``) and draws it on a canvas with the labels above
it; :func:`geo.output.maps.add_basemap` draws it on folium maps.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo.coords import local_crs, project, unproject
from geo.errors import NetworkError

if TYPE_CHECKING:
    import pandas as pd
    from geopandas import GeoDataFrame, GeoSeries
    from shapely import Geometry

#: Road classes from the most to the least important, and the OSM ``highway`` values in each.
ROAD_CLASSES: dict[str, tuple[str, ...]] = {
    "motorway": ("motorway", "motorway_link"),
    "trunk": ("trunk", "trunk_link"),
    "primary": ("primary", "primary_link"),
    "secondary": ("secondary", "secondary_link"),
    "tertiary": ("tertiary", "tertiary_link"),
    "residential": ("residential", "unclassified", "living_street", "road"),
    "service": ("service", "track"),
    "footway": ("footway", "pedestrian", "steps", "path", "cycleway", "bridleway"),
}
#: Road classes whose names are labelled on the map.
LABELLED_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary", "residential")
#: Green areas: OSM tag -> values, and the class each value draws as.
GREEN: dict[str, dict[str, str]] = {
    "leisure": {"park": "park", "garden": "park", "nature_reserve": "park", "pitch": "pitch",
                "playground": "pitch", "stadium": "pitch"},
    "landuse": {"grass": "grass", "meadow": "grass", "village_green": "grass",
                "recreation_ground": "park", "cemetery": "grass", "allotments": "grass",
                "forest": "wood"},
    "natural": {"wood": "wood", "scrub": "wood", "grassland": "grass"},
}
#: Waterway lines drawn, and the class each draws as.
WATERWAYS = {"river": "river", "canal": "canal", "stream": "stream", "drain": "stream",
             "ditch": "stream"}

#: A Chinese character (CJK unified ideographs and extension A).
HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_TAIL = re.compile(r"[\s\-–—/(（]*[A-Za-z][A-Za-z0-9 .,'’\-()]*$")


def display_name(name: object, name_zh: object = None) -> str:
    """The name to print: ``name:zh`` if set, else ``name`` without a trailing Latin
    transcription (``"锦江- Jin Jiang"`` -> ``"锦江"``); ``""`` for a missing name."""
    for value in (name_zh, name):
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if HAN.search(text):
                text = _LATIN_TAIL.sub("", text).strip() or text
            return text
    return ""


def read_basemap(path: str | Path, *, tolerance_m: float = 2.0, label_spacing_m: float = 900.0,
                 min_area_m2: float = 300.0, park_label_m2: float = 20_000.0,
                 progress: Callable[[str], None] | None = None) -> dict:
    """The basemap layers of an ``.osm.pbf`` extract as one GeoJSON FeatureCollection.

    Parameters
    ----------
    path
        An ``.osm.pbf`` file (read with pyrosm).
    tolerance_m
        Douglas-Peucker tolerance for lines and polygons, metres. Coordinates are then rounded
        to 5 decimals (about 1 m).
    label_spacing_m
        Distance between two labels of the same street along it, metres; a street part shorter
        than that gets one label at its middle.
    min_area_m2
        Green and water areas smaller than this are left out, square metres.
    park_label_m2
        Named parks at least this large get a label, square metres.
    progress
        Called with a short message at each step.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection (EPSG:4326 lon/lat) with the layers described in the module
        docstring, and ``bbox`` [west, south, east, north] of the roads.

    Raises
    ------
    geo.errors.NetworkError
        When the file cannot be read or has no roads.
    """
    say = progress or (lambda message: None)
    path = Path(path)
    if not path.name.endswith(".pbf"):
        raise NetworkError(f"a basemap is read from an .osm.pbf file, not {path.name!r}")
    roads, water, green = _read_extract(path, say)
    if roads is None or len(roads) == 0:
        raise NetworkError(f"{path} has no roads to draw a basemap from")
    west, south, east, north = (float(v) for v in roads.total_bounds)
    crs = local_crs((west + east) / 2, (south + north) / 2)
    # green areas, then water, then roads: the order they are drawn in
    features: list[dict] = []
    labels: list[dict] = []
    if green is not None and len(green):
        drawn, named = _green_layer(green, crs, tolerance_m=tolerance_m, min_area_m2=min_area_m2,
                                    park_label_m2=park_label_m2)
        features.extend(drawn)
        labels.extend(named)
    if water is not None and len(water):
        drawn, named = _water_layer(water, crs, tolerance_m=tolerance_m, min_area_m2=min_area_m2,
                                    label_spacing_m=label_spacing_m)
        features.extend(drawn)
        labels.extend(named)
    say("底图 basemap: streets and their names")
    names = _names(roads)
    drawn, named = _road_layer(roads, names, crs, tolerance_m=tolerance_m,
                               label_spacing_m=label_spacing_m)
    features.extend(drawn)
    labels.extend(named)
    han = sum(bool(HAN.search(n)) for n in names if n)
    if han * 2 > sum(bool(n) for n in names):  # most street names Chinese: label those only
        labels = [f for f in labels if HAN.search(f["properties"]["name"])]
    features.extend(_thin(labels, label_spacing_m / 2))
    return {"type": "FeatureCollection",
            "bbox": [round(west, 5), round(south, 5), round(east, 5), round(north, 5)],
            "features": features}


def _read_extract(path: Path, say: Callable[[str], None]) -> tuple:
    """The roads, water and green areas of the extract (pyrosm GeoDataFrames, EPSG:4326; None
    or empty when the extract has none)."""
    from pyrosm import OSM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm's FutureWarnings and empty-layer warnings
        try:
            osm = OSM(str(path))
            say("底图 basemap: roads")
            roads = osm.get_network(network_type="all", extra_attributes=["name:zh"])
            say("底图 basemap: water and green")
            water = osm.get_data_by_custom_criteria(
                custom_filter={"natural": ["water"], "waterway": True, "water": True,
                               "landuse": ["reservoir", "basin"]},
                filter_type="keep", keep_nodes=False, extra_attributes=["name", "name:zh"])
            green = osm.get_data_by_custom_criteria(
                custom_filter={tag: list(values) for tag, values in GREEN.items()},
                filter_type="keep", keep_nodes=False, extra_attributes=["name", "name:zh"])
        except Exception as exc:  # pyrosm raises many kinds on a broken file
            raise NetworkError(f"cannot read the basemap from {path}: {exc}") from exc
    return roads, water, green


def _metric(frame: GeoDataFrame, crs: str) -> GeoSeries:
    """The frame's geometries (EPSG:4326) as a GeoSeries in the metric ``crs``."""
    import geopandas as gpd

    return gpd.GeoSeries(frame.geometry.values, crs="EPSG:4326").to_crs(crs)


def _geojson(geometry: Geometry, crs: str) -> dict:
    """A shapely geometry in the metric ``crs`` as a GeoJSON geometry in EPSG:4326, 5 decimals."""
    import shapely

    geometry = shapely.transform(geometry, lambda xy: np.column_stack(
        unproject(xy[:, 0], xy[:, 1], crs)))
    return json.loads(shapely.to_geojson(shapely.set_precision(geometry, 1e-5)))


def _feature(layer: str, cls: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"layer": layer, "class": cls}, "geometry": geometry}


def _green_layer(green: GeoDataFrame | None, crs: str, *, tolerance_m: float, min_area_m2: float,
                 park_label_m2: float) -> tuple[list[dict], list[dict]]:
    """The green features (one per class, merged and simplified) and the labels of large
    named parks."""
    import shapely

    out = partial(_geojson, crs=crs)
    classes = _classify(green, GREEN)
    keep = classes.notna().to_numpy()
    shapes = _metric(green, crs)[keep]
    names = _names(green)[keep]
    polygons = _areas(shapes.values, min_area_m2)
    features, labels = [], []
    for cls in ("park", "grass", "wood", "pitch"):
        parts = [p for p, c in zip(polygons, classes[keep], strict=True)
                 if c == cls and p is not None]
        if parts:
            merged = shapely.simplify(shapely.union_all(parts), tolerance_m)
            features.append(_feature("green", cls, out(merged)))
    for polygon, name, cls in zip(polygons, names, classes[keep], strict=True):
        if polygon is not None and name and cls == "park" and polygon.area >= park_label_m2:
            labels.append(_label(out(polygon.point_on_surface()), name, "park", 0.0,
                                 size=polygon.area))
    return features, labels


def _water_layer(water: GeoDataFrame | None, crs: str, *, tolerance_m: float, min_area_m2: float,
                 label_spacing_m: float) -> tuple[list[dict], list[dict]]:
    """The water features (the areas merged, waterway lines by class) and the labels along
    named rivers and canals."""
    import shapely

    out = partial(_geojson, crs=crs)
    shapes = _metric(water, crs)
    kinds = _column(water, "waterway")
    names = _names(water)
    features, labels = [], []
    areas = [p for p in _areas(shapes.values, min_area_m2) if p is not None]
    if areas:
        features.append(_feature("water", "area", out(shapely.simplify(shapely.union_all(areas),
                                                                       tolerance_m))))
    by_class: dict[str, list] = {}
    river_names: dict[str, list] = {}
    for geometry, kind, name in zip(shapes.values, kinds, names, strict=True):
        if kind in WATERWAYS and geometry.geom_type in ("LineString", "MultiLineString"):
            by_class.setdefault(WATERWAYS[kind], []).append(geometry)
            if name and kind in ("river", "canal"):
                river_names.setdefault(name, []).append(geometry)
    for cls in ("river", "canal", "stream"):
        if cls in by_class:
            features.append(_feature("water", cls, out(_merged(by_class[cls], tolerance_m))))
    for name, parts in river_names.items():
        labels.extend(_along(_merged(parts, 0.0), name, "water", out,
                             spacing_m=label_spacing_m * 1.5))
    return features, labels


def _road_layer(roads: GeoDataFrame, names: np.ndarray, crs: str, *, tolerance_m: float,
                label_spacing_m: float) -> tuple[list[dict], list[dict]]:
    """One road feature per class of :data:`ROAD_CLASSES`, and the labels of the named streets
    of :data:`LABELLED_ROADS` (``names``: each road's display name, ramps left out)."""
    out = partial(_geojson, crs=crs)
    highway = roads["highway"].astype(str)
    shapes = _metric(roads, crs).values
    link = highway.str.endswith("_link").to_numpy()  # ramps: named 入口/出口 at best
    features, labels = [], []
    for cls, values in ROAD_CLASSES.items():
        mask = highway.isin(values).to_numpy()
        if not mask.any():
            continue
        features.append(_feature("road", cls, out(_merged(list(shapes[mask]), tolerance_m))))
        if cls not in LABELLED_ROADS:
            continue
        for name in sorted(set(names[mask & ~link]) - {""}):
            parts = list(shapes[mask & (names == name) & ~link])
            labels.extend(_along(_merged(parts, 0.0), name, cls, out, spacing_m=label_spacing_m))
    return features, labels


def write_basemap(source: str | Path, target: str | Path, **options: Any) -> Path:
    """:func:`read_basemap` of ``source`` written as compact GeoJSON (UTF-8) to ``target``."""
    target = Path(target)
    collection = read_basemap(source, **options)
    target.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), "utf-8")
    return target


def _column(frame: GeoDataFrame, name: str) -> np.ndarray:
    """A column as an object array (all None when pyrosm left it out: no feature had the tag)."""
    if name in frame:
        return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


def _names(frame: GeoDataFrame) -> np.ndarray:
    """Each row's :func:`display_name` (``""``: none), as an object array."""
    return np.array([display_name(n, z) for n, z in zip(_column(frame, "name"),
                                                         _column(frame, "name:zh"), strict=True)],
                    dtype=object)


def _classify(frame: GeoDataFrame, table: dict[str, dict[str, str]]) -> pd.Series:
    """The class of each row by the first of ``table``'s tags it has (None: none)."""
    import pandas as pd

    classes = pd.Series(None, index=frame.index, dtype=object)
    for tag, values in table.items():
        if tag in frame:
            classes = classes.fillna(frame[tag].map(values))
    return classes.reset_index(drop=True)


def _areas(geometries: GeoSeries, min_area_m2: float) -> list:
    """Each geometry's polygonal part (valid, at least ``min_area_m2``), or None."""
    import shapely

    out: list[Geometry | None] = []
    for geometry in geometries:
        if geometry is None or geometry.geom_type not in ("Polygon", "MultiPolygon"):
            out.append(None)
            continue
        geometry = shapely.make_valid(geometry)
        out.append(geometry if geometry.area >= min_area_m2 else None)
    return out


def _merged(lines: list, tolerance_m: float) -> Geometry:
    """Lines merged through shared ends and simplified (``tolerance_m`` metres), one geometry."""
    import shapely

    parts = shapely.get_parts(np.asarray(lines, dtype=object))
    merged = shapely.line_merge(shapely.multilinestrings(parts))
    return shapely.simplify(merged, tolerance_m) if tolerance_m else merged


def _along(lines: Geometry, name: str, cls: str, out: Callable[[Geometry], dict], *,
           spacing_m: float, min_length_m: float = 120.0) -> list[dict]:
    """Labels of ``name`` along ``lines`` (metric): one per ``spacing_m``, centred on each part
    at least ``min_length_m`` long, turned along the line."""
    import shapely

    labels = []
    for line in shapely.get_parts(lines):
        length = line.length
        if length < min_length_m:
            continue
        count = max(1, int(length // spacing_m))
        step = length / count
        for i in range(count):
            at = step * (i + 0.5)
            a = line.interpolate(max(at - 25.0, 0.0))
            b = line.interpolate(min(at + 25.0, length))
            angle = -math.degrees(math.atan2(b.y - a.y, b.x - a.x))  # clockwise on screen
            angle = (angle + 90.0) % 180.0 - 90.0  # never upside down
            labels.append(_label(out(line.interpolate(at)), name, cls, angle, size=length))
    return labels


def _label(point: dict, name: str, cls: str, angle: float, *, size: float) -> dict:
    return {"type": "Feature", "geometry": point,
            "properties": {"layer": "label", "class": cls, "name": name,
                           "angle": round(angle), "size": round(size)}}


def _thin(labels: list[dict], radius_m: float) -> list[dict]:
    """Drop a label when another of the same name lies within ``radius_m`` (both sides of a
    dual carriageway, a river's two banks), the larger feature's labels first."""
    kept: list[dict] = []
    seen: dict[str, list[tuple[float, float]]] = {}
    if not labels:
        return kept
    lon = np.array([f["geometry"]["coordinates"][0] for f in labels])
    lat = np.array([f["geometry"]["coordinates"][1] for f in labels])
    x, y = project(lon, lat, local_crs(float(lon.mean()), float(lat.mean())))
    order = sorted(range(len(labels)), key=lambda i: -labels[i]["properties"]["size"])
    for i in order:
        name = labels[i]["properties"]["name"]
        near = seen.setdefault(name, [])
        if any((x[i] - a) ** 2 + (y[i] - b) ** 2 < radius_m ** 2 for a, b in near):
            continue
        near.append((x[i], y[i]))
        kept.append(labels[i])
    return kept
