"""Building road networks per travel mode from OpenStreetMap data.

A :class:`Network` is the road graph of one travel mode (``walk``, ``ebike`` or ``drive``): the
OSM nodes with their coordinates and a directed CSR adjacency whose entries carry a length in metres
and a travel time in seconds. It is built once from OpenStreetMap data and then reused by every
analysis (nearest stations, coverage, siting) through :meth:`Network.graph`, with points snapped
to the foot on their nearest edge (:mod:`geo.network.placement`).

Sources, all through :func:`build_network` or :func:`load_network`:

- an ``.osm.pbf`` extract, read with pyrosm;
- an ``.osm`` XML file, read with osmnx;
- a place name or bounding box, downloaded with osmnx (needs the internet);
- a saved network file (``.npz``) written by :meth:`Network.save`, which loads in milliseconds.

The graph is not simplified: every OSM node of a usable way is a graph node, so a route is a
polyline through the nodes. Nodes without any usable edge are dropped; all other nodes are kept,
even those outside the largest connected component, but queries snap to the largest strongly
connected component only (:meth:`Network.main_component`).

Travel-mode rules
-----------------
A way is usable by a mode when it has a ``highway`` tag, is not ``area=yes``, its ``highway``
value is not excluded for the mode (below), the most specific access tag it carries does not close
it (``foot``, ``access`` for walking; ``bicycle``, ``vehicle``, ``access`` for e-bikes;
``motorcar``, ``motor_vehicle``, ``vehicle``, ``access`` for driving; ``no`` and ``private``
close) and its ``service`` value is not excluded.

- ``walk``: every usable way in both directions (``oneway`` ignored), at
  ``settings.walk_speed_kmh``. Motorways are excluded; trunk roads only with ``foot=yes``,
  ``designated`` or ``permissive``.
- ``ebike``: at ``settings.ebike_speed_kmh``; ``oneway`` is respected unless
  ``oneway:bicycle=no``. Motorways, trunk roads and steps are excluded; footways only with
  ``bicycle=yes``, ``designated`` or ``permissive``.
- ``drive``: ``oneway`` respected; speed from ``maxspeed`` (``"50"``, ``"30 mph"``; of several
  values the lowest), else ``settings.drive_speed_kmh[highway]``, else
  ``settings.drive_default_speed_kmh``. Footways, paths, pedestrian streets, steps, cycleways,
  tracks, bridleways and corridors are excluded, and so are parking aisles, parking, private and
  emergency-access service roads.

Parallel edges (two ways joining the same two nodes) collapse to one CSR entry carrying the
*shortest length* and, separately, the *shortest time* among them: a search by length and a search
by time each see the best edge for its own weight. Self-loops are dropped. Zero lengths become
``1e-6`` m (and ``1e-6`` s) so that the edge stays an explicit entry of the sparse matrix.
"""


from __future__ import annotations

import contextlib
import math
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo import settings
from geo.coords import haversine_m, local_crs, project, unproject
from geo.errors import DownloadError, InputError, NetworkError
from geo.network.graph import MODES, Mode, Network, _check_mode, _load_saved

if TYPE_CHECKING:
    import networkx as nx

#: Smallest edge length (metres) and time (seconds): a zero would vanish from a sparse matrix.
_EPSILON = 1e-6

# --- travel-mode rules --------------------------------------------------------------------------

#: highway values that are no usable way for any mode (as pyrosm and osmnx leave them out).
_NOT_WAYS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "construction",
        "disused",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)
#: highway values a mode never uses, whatever the other tags say.
_EXCLUDED: dict[str, frozenset[str]] = {
    "walk": _NOT_WAYS | {"motorway", "motorway_link"},
    "ebike": _NOT_WAYS
    | {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "steps",
        "corridor",
        "elevator",
        "escalator",
        "ladder",
    },
    "drive": _NOT_WAYS
    | {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "cycleway",
        "track",
        "bridleway",
        "corridor",
        "elevator",
        "escalator",
        "ladder",
        "busway",
        "trail",
    },
}
#: highway values a mode uses only when its own access tag explicitly allows it.
_NEEDS_PERMISSION: dict[str, frozenset[str]] = {
    "walk": frozenset({"trunk", "trunk_link"}),
    "ebike": frozenset({"footway"}),
    "drive": frozenset(),
}
#: Access tags of each mode, most specific first (OSM's access hierarchy).
_ACCESS_KEYS: dict[str, tuple[str, ...]] = {
    "walk": ("foot", "access"),
    "ebike": ("bicycle", "vehicle", "access"),
    "drive": ("motorcar", "motor_vehicle", "vehicle", "access"),
}
_CLOSED = frozenset({"no", "private"})
_PERMITTED = frozenset({"yes", "designated", "permissive"})
#: service values a mode does not use.
_SERVICE_EXCLUDED: dict[str, frozenset[str]] = {
    "walk": frozenset({"private"}),
    "ebike": frozenset({"private"}),
    "drive": frozenset({"private", "emergency_access", "parking", "parking_aisle"}),
}
#: The way tags the rules read; they are kept as columns / edge attributes when reading OSM data.
_RULE_TAGS = (
    "highway",
    "area",
    "access",
    "foot",
    "bicycle",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "service",
    "maxspeed",
    "oneway:bicycle",
)
#: Tags the readers need besides the rule tags, to direct the edges.
_DIRECTION_TAGS = ("oneway", "junction")

#: pyrosm network type per mode: it only decides how edges are directed (our rules select ways).
_PYROSM_TYPE = {"walk": "walking", "ebike": "cycling", "drive": "driving"}
#: osmnx network type per mode for downloads (a superset of the ways our rules keep).
_OSMNX_TYPE = {"walk": "all", "ebike": "all", "drive": "drive_service"}

_MAXSPEED = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*", re.IGNORECASE)
_UNIT_KMH = {None: 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}


def _values(value: Any) -> tuple[str, ...]:
    """The values of a tag: none for a missing one, ``"a;b"`` and lists split into their parts."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(part for item in value for part in _values(item))
    return tuple(part.strip() for part in str(value).split(";") if part.strip())


def parse_maxspeed(value: Any) -> float | None:
    """The speed limit in km/h of an OSM ``maxspeed`` value, or None when it has no number.

    ``"50"`` and ``"50 km/h"`` are 50, ``"30 mph"`` is 48.3; of several values (``"40;60"`` or a
    list) the lowest counts. Values without a number (``"FI:urban"``, ``"none"``, ``"walk"``) give
    None, and so do zero and negative numbers.
    """
    speeds = []
    for part in _values(value):
        match = _MAXSPEED.fullmatch(part)
        if match:
            kmh = float(match.group(1)) * _UNIT_KMH[(match.group(2) or "").lower() or None]
            if kmh > 0:
                speeds.append(kmh)
    return min(speeds) if speeds else None


def _speed_kmh(mode: str, highways: tuple[str, ...], maxspeed: Any) -> float:
    speed: float | None
    if mode == "walk":
        speed = settings.walk_speed_kmh
    elif mode == "ebike":
        speed = settings.ebike_speed_kmh
    else:
        speed = parse_maxspeed(maxspeed)
        if speed is None:
            by_highway = [
                settings.drive_speed_kmh[h] for h in highways if h in settings.drive_speed_kmh
            ]
            speed = min(by_highway) if by_highway else settings.drive_default_speed_kmh
    if not speed > 0:
        raise InputError(
            f"the {mode} speed was {speed!r} km/h but must be positive; check geo.settings",
            parameter="speed",
        )
    return float(speed)


def _edge_rule(tags: dict[str, Any], mode: str) -> tuple[bool, float, bool]:
    """Whether a way with ``tags`` is usable by ``mode``, its speed in km/h, and whether the
    mode may also travel it against the direction of the edge (walking always; e-bikes on
    ``oneway:bicycle=no``)."""
    highways = _values(tags.get("highway"))
    usable = bool(highways) and "yes" not in _values(tags.get("area"))
    usable = usable and not any(h in _EXCLUDED[mode] for h in highways)
    usable = usable and not any(s in _SERVICE_EXCLUDED[mode] for s in _values(tags.get("service")))
    if usable:
        for key in _ACCESS_KEYS[mode]:  # the most specific access tag present decides
            access = _values(tags.get(key))
            if access:
                usable = not any(a in _CLOSED for a in access)
                break
    if usable and any(h in _NEEDS_PERMISSION[mode] for h in highways):
        own = _values(tags.get(_ACCESS_KEYS[mode][0]))
        usable = any(a in _PERMITTED for a in own)
    if not usable:
        return False, 0.0, False
    both_ways = mode == "walk" or (mode == "ebike" and "no" in _values(tags.get("oneway:bicycle")))
    return True, _speed_kmh(mode, highways, tags.get("maxspeed")), both_ways


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value



# --- building ----------------------------------------------------------------------------------


def _assemble(
    *,
    mode: str,
    source: str,
    osmids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    length: np.ndarray,
    time: np.ndarray,
) -> Network:
    """A Network from directed edges between OSM ids (``u``, ``v``) with their metres and seconds,
    and the coordinates of (at least) their nodes: drops self-loops and nodes without edges,
    collapses parallel edges to their minimum length and minimum time."""
    keep = u != v
    u, v, length, time = u[keep], v[keep], length[keep], time[keep]
    if len(u) == 0:
        raise NetworkError(
            f"{source} holds no roads usable for mode {mode!r}: check that it covers the area and "
            f"holds highway ways, or try another mode"
        )
    node_ids = np.unique(np.concatenate([u, v]))
    where = np.searchsorted(osmids, node_ids)
    found = (where < len(osmids)) & (osmids[np.minimum(where, len(osmids) - 1)] == node_ids)
    if not found.all():
        raise NetworkError(
            f"{source}: edges refer to node {int(node_ids[~found][0])}, which has no coordinates"
        )
    lon, lat = lon[where], lat[where]
    n = len(node_ids)
    index_dtype = np.int32 if n < 2**31 - 1 and len(u) < 2**31 - 1 else np.int64
    row = np.searchsorted(node_ids, u)
    col = np.searchsorted(node_ids, v)

    # collapse parallel edges: sort by (row, col), take the minimum of each weight per pair
    order = np.lexsort((col, row))
    row, col = row[order], col[order]
    starts = np.flatnonzero(np.r_[True, (np.diff(row) != 0) | (np.diff(col) != 0)])
    length = np.minimum.reduceat(np.maximum(length[order], _EPSILON), starts)
    time = np.minimum.reduceat(np.maximum(time[order], _EPSILON), starts)
    row, col = row[starts], col[starts]
    indptr = np.zeros(n + 1, dtype=index_dtype)
    np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])

    crs = local_crs(float(np.median(lon)), float(np.median(lat)))
    x, y = project(lon, lat, crs)
    return Network(
        mode=mode,
        node_ids=node_ids,
        lon=lon,
        lat=lat,
        x=np.asarray(x),
        y=np.asarray(y),
        crs=crs,
        indptr=indptr,
        indices=col.astype(index_dtype),
        length=length,
        time=time,
        source=source,
    )


def from_networkx(G: nx.MultiDiGraph, *, mode: Mode, source: str) -> Network:
    """A Network from an osmnx-style graph, applying the rules of ``mode``.

    Parameters
    ----------
    G
        A networkx graph as osmnx or pyrosm make it: integer OSM node ids with ``x``/``y``
        (EPSG:4326 degrees, or in ``G.graph["crs"]``), edges with ``length`` in metres (computed
        from the coordinates when missing) and OSM tags (``highway``, ``maxspeed``, ``access``,
        ``foot``, ``bicycle``, ``oneway:bicycle``, ...). Edge directions are taken as given,
        except that ``walk`` adds every reverse edge and ``ebike`` the reverse of edges tagged
        ``oneway:bicycle=no``. An undirected graph counts every edge both ways.
    mode
        ``"walk"``, ``"ebike"`` or ``"drive"``.
    source
        Where the graph came from, for messages (a file name, a place).

    Raises
    ------
    NetworkError
        When no edge is usable by ``mode``.
    """
    mode = _check_mode(mode)
    rules: dict[tuple[Any, ...], tuple[bool, float, bool]] = {}
    u_ids: list[int] = []
    v_ids: list[int] = []
    lengths: list[float] = []
    speeds: list[float] = []
    undirected = not G.is_directed()
    for u, v, data in G.edges(data=True):
        key = tuple(_freeze(data.get(tag)) for tag in _RULE_TAGS)
        rule = rules.get(key)
        if rule is None:
            rule = rules[key] = _edge_rule(data, mode)
        usable, speed, both_ways = rule
        if not usable:
            continue
        length = data.get("length")
        length = math.nan if length is None else float(length)
        u_ids.append(u)
        v_ids.append(v)
        lengths.append(length)
        speeds.append(speed)
        if both_ways or undirected:
            u_ids.append(v)
            v_ids.append(u)
            lengths.append(length)
            speeds.append(speed)
    try:
        u_arr = np.asarray(u_ids, dtype=np.int64)
        v_arr = np.asarray(v_ids, dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(
            f"the nodes of the graph from {source} must be integer OSM ids: {exc}", parameter="G"
        ) from exc
    used = np.unique(np.concatenate([u_arr, v_arr]))
    try:
        coords = np.array([(G.nodes[int(n)]["x"], G.nodes[int(n)]["y"]) for n in used], dtype=float)
    except KeyError as exc:
        raise InputError(
            f"a node of the graph from {source} has no {exc} coordinate", parameter="G"
        ) from exc
    coords = coords.reshape(-1, 2)
    crs = G.graph.get("crs", "EPSG:4326")
    lon, lat = coords[:, 0], coords[:, 1]
    if len(used) and not _is_wgs84(crs):
        lon, lat = (np.asarray(a, dtype=float) for a in unproject(lon, lat, str(crs)))
    length_arr = np.asarray(lengths, dtype=float)
    missing = ~np.isfinite(length_arr)
    if missing.any():
        iu, iv = np.searchsorted(used, u_arr[missing]), np.searchsorted(used, v_arr[missing])
        length_arr[missing] = haversine_m(lon[iu], lat[iu], lon[iv], lat[iv])
    time_arr = length_arr / (np.asarray(speeds, dtype=float) / 3.6)
    return _assemble(
        mode=mode,
        source=source,
        osmids=used,
        lon=lon,
        lat=lat,
        u=u_arr,
        v=v_arr,
        length=length_arr,
        time=time_arr,
    )


def _is_wgs84(crs: Any) -> bool:
    if str(crs).upper() in ("EPSG:4326", "WGS84", "EPSG:4326 (WGS 84)"):
        return True
    from pyproj import CRS

    return CRS.from_user_input(crs).equals(CRS.from_epsg(4326), ignore_axis_order=True)


@contextlib.contextmanager
def _osmnx_rule_tags() -> Iterator[None]:
    """osmnx keeps the tags our rules read as edge attributes while the block runs."""
    import osmnx as ox

    saved = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved, *_RULE_TAGS, *_DIRECTION_TAGS]))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


def _pbf_graph(path: Path, mode: str) -> nx.MultiDiGraph:
    """The unsimplified pyrosm graph of ``path`` for ``mode``: every way that our rules might keep
    (the ways they always drop are left out while reading), directed as pyrosm's network type of
    the mode directs it (walking both ways; cycling honours ``oneway`` and ``oneway:bicycle``;
    driving ``oneway``; both treat roundabouts as one-way)."""
    from pyrosm import OSM

    prefilter = {"highway": sorted(_EXCLUDED[mode]), "area": ["yes"]}
    try:
        with warnings.catch_warnings():
            # pyrosm warns when it finds no ways; we raise NetworkError for that below
            warnings.filterwarnings(
                "ignore", message="Could not find any edges", category=UserWarning
            )
            osm = OSM(str(path))
            nodes, edges = osm.get_network(
                network_type=_PYROSM_TYPE[mode],
                nodes=True,
                custom_filter=prefilter,
                filter_type="exclude",
                tags_to_keep=[*_RULE_TAGS, *_DIRECTION_TAGS],
            )
            if edges is None or len(edges) == 0:
                raise NetworkError(
                    f"{path} holds no roads usable for mode {mode!r}: check that the extract "
                    f"covers the area and holds highway ways"
                )
            if "oneway" not in edges.columns:  # pyrosm drops columns of tags no way has
                edges["oneway"] = None
            return osm.to_graph(
                nodes,
                edges,
                graph_type="networkx",
                network_type=_PYROSM_TYPE[mode],
                retain_all=True,
                simplify=False,
                progress=False,
            )
    except NetworkError:
        raise
    except Exception as exc:  # any failure to parse the user's file means: unreadable file
        raise NetworkError(
            f"could not read the OSM PBF file {path}: {type(exc).__name__}: {exc}. "
            f"Download the extract again (it may be truncated), or use an .osm XML file"
        ) from exc


def _xml_graph(path: Path, mode: str) -> nx.MultiDiGraph:
    """The unsimplified osmnx graph of the OSM XML file ``path``: both ways for walking, otherwise
    honouring ``oneway`` (and roundabouts)."""
    import osmnx as ox

    try:
        with _osmnx_rule_tags():
            return ox.graph_from_xml(
                path, bidirectional=(mode == "walk"), retain_all=True, simplify=False
            )
    except Exception as exc:  # any failure to parse the user's file means: unreadable file
        raise NetworkError(
            f"could not read the OSM XML file {path}: {type(exc).__name__}: {exc}. "
            f"Export it again from OpenStreetMap, or use an .osm.pbf extract"
        ) from exc



def is_osm_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an OpenStreetMap extract (``.osm``, ``.osm.pbf``), not a saved
    network."""
    name = Path(path).name.lower()
    return name.endswith((".osm", ".pbf", ".xml"))


def load_network(path: str | os.PathLike[str], *, mode: Mode | None = None) -> Network:
    """Read a network from a file.

    Parameters
    ----------
    path
        An ``.osm.pbf`` extract (read with pyrosm), an ``.osm`` XML file (read with osmnx), or a
        saved network file (``.npz``, from :meth:`Network.save`).
    mode
        ``"walk"``, ``"ebike"`` or ``"drive"``. Required for OSM files; for a saved network file
        it is optional and, when given, must match the mode saved.

    Raises
    ------
    NetworkError
        Missing, unreadable or damaged file, or no roads usable by the mode.
    InputError
        Unknown ``mode``, or no ``mode`` for an OSM file.
    """
    path = Path(path)
    if mode is not None:
        mode = _check_mode(mode)
    name = path.name.lower()
    if name.endswith(".npz"):
        kind = "saved"
    elif name.endswith(".pbf"):
        kind = "pbf"
    elif name.endswith((".osm", ".xml")):
        kind = "xml"
    else:
        raise NetworkError(
            f"cannot read the network file {path}: the name must end in .osm.pbf, .osm or .npz "
            f"(a saved network file)"
        )
    if not path.is_file():
        raise NetworkError(f"the network file {path} does not exist; check the path")
    if kind == "saved":
        return _load_saved(path, mode)
    if mode is None:
        raise InputError(
            f"`mode` is required to read the OSM file {path}: one of {list(MODES)}",
            parameter="mode",
        )
    G = _pbf_graph(path, mode) if kind == "pbf" else _xml_graph(path, mode)
    return from_networkx(G, mode=mode, source=path.name)


def _check_bbox(bbox: Any) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(c) for c in bbox)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"`bbox` was {bbox!r} but must be four numbers (west, south, east, north) in degrees",
            parameter="bbox",
        ) from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(
            f"`bbox` was {bbox!r} but must be (west, south, east, north) in degrees with "
            f"west < east and south < north",
            parameter="bbox",
        )
    return west, south, east, north


def build_network(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    osm: str | os.PathLike[str] | None = None,
    mode: Mode,
) -> Network:
    """Build the network of ``mode`` from exactly one source.

    Parameters
    ----------
    place
        A place name to geocode and download with osmnx (needs the internet), such as
        ``"Xicheng District, Beijing, China"``.
    bbox
        ``(west, south, east, north)`` in EPSG:4326 degrees, downloaded with osmnx.
    osm
        An ``.osm.pbf`` or ``.osm`` file (or a saved network file), read with :func:`load_network`.
    mode
        ``"walk"``, ``"ebike"`` or ``"drive"``.

    Raises
    ------
    NetworkError
        Download failed (offline, place not found), unreadable file, or no usable roads.
    InputError
        Not exactly one source, bad ``bbox`` or unknown ``mode``.
    """
    mode = _check_mode(mode)
    given = [
        name
        for name, value in (("place", place), ("bbox", bbox), ("osm", osm))
        if value is not None
    ]
    if len(given) != 1:
        raise InputError(
            f"give exactly one of `place`, `bbox`, `osm`, but {len(given)} were given {given}",
            parameter="place" if not given else given[-1],
        )
    if osm is not None:
        return load_network(osm, mode=mode)

    import osmnx as ox

    if place is not None:
        what = f"place {place!r}"

        def download() -> nx.MultiDiGraph:
            return ox.graph_from_place(
                place, network_type=_OSMNX_TYPE[mode], simplify=False, retain_all=True
            )

    else:
        box = _check_bbox(bbox)
        what = f"bbox {box}"

        def download() -> nx.MultiDiGraph:
            return ox.graph_from_bbox(
                box, network_type=_OSMNX_TYPE[mode], simplify=False, retain_all=True
            )

    try:
        with _osmnx_rule_tags():
            G = download()
    except OSError as exc:  # ConnectionError, requests' errors, timeouts
        raise DownloadError(
            f"could not download the {mode} network for {what}: {exc}. No internet? "
            f"Build it from an .osm or .osm.pbf extract instead (the `osm` parameter)"
        ) from exc
    except (ox._errors.InsufficientResponseError, ox._errors.ResponseStatusCodeError) as exc:
        raise DownloadError(
            f"OpenStreetMap returned no usable data for {what}: {exc}. Check the place name or "
            f"bbox, or build it from an .osm or .osm.pbf extract (the `osm` parameter)"
        ) from exc
    return from_networkx(G, mode=mode, source=f"OpenStreetMap {what}")
