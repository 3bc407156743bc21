"""Snapping: joining points to the road where they stand, at the perpendicular foot on the
nearest edge.

A point (a worker, a station, a demand point) joins the network at the nearest point of the
nearest edge — the *foot* — not at the nearest node: on the long segments of Chinese OpenStreetMap
(central Chengdu's walk network has a median edge of 50 m and a p99 of 369 m) the nearest node can
be hundreds of metres along the road from where the worker is. This is what ArcGIS Network
Analyst, OSRM and Valhalla do too.

Each edge of the graph is a straight segment between two nodes (the graph is not simplified). The
undirected segment ``a–b`` (``a < b``) carries the lengths and times of the directed edges that
exist: ``a -> b``, ``b -> a`` or both (a one-way street for driving or e-bikes has one). A point at
fraction ``t`` along ``a–b``:

- **leaves** towards ``b`` over ``(1 - t)`` of edge ``a -> b``, and towards ``a`` over ``t`` of edge
  ``b -> a`` (when that direction exists);
- **is reached** from ``a`` over ``t`` of ``a -> b``, and from ``b`` over ``(1 - t)`` of ``b -> a``;
- and two points on the same segment reach each other along it, in an allowed direction.

A foot on an end node (``t`` of 0 or 1: the perpendicular falls beyond the segment, or the foot is
within :data:`AT_NODE_M` of the node) is that node: it leaves and is reached through it at no
cost, whatever the direction of the edge.

Lengths and times of a part of an edge are that fraction of the edge's own (metres, seconds). The
straight leg from the point to its foot (``distance_m``) is added by the callers, who also decide
how far is too far (:data:`geo.settings.max_snap_m`).

:func:`place` snaps arrays of points (a :class:`Placement`); :func:`place_point` snaps one point
(a :class:`Snap`). The nearest *node* is another question: :meth:`Network.nearest_node`.

Points are placed by a compiled search over a uniform grid of the segments (each segment listed
in every cell it passes through): rings of cells around the point's cell until no unvisited cell
can hold a segment as near as the nearest found. The distance to a segment is computed as GEOS
computes it (bit for bit), so the nearest segment is the one shapely's ``STRtree`` finds.
**Ties** — segments at exactly the same distance, as when the foot is a node that several
segments share — go to the segment of the lowest index (:func:`segments`' order): for a foot on
a shared node every choice reaches the network through that node at no cost, so distances do
not depend on it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from geo.coords import project, unproject
from geo.network.graph import Network

#: Point-segment pairs measured one by one before the grid index is built instead (about 0.1 s
#: of numpy: a hundred stations on a city's network).
SCAN_LIMIT = 20_000_000

#: A foot closer than this to an end node is at the node, metres (rounding in the projection
#: puts a point given at a node's coordinates a hair beside it).
AT_NODE_M = 1e-3



@dataclass(frozen=True, eq=False)
class Segments:
    """The undirected segments of a network's main component, with an index for the nearest one.

    Attributes
    ----------
    a, b
        End nodes, ``a < b`` (int64).
    ab_m, ab_s, ba_m, ba_s
        Metres and seconds of the edges ``a -> b`` and ``b -> a``; ``inf`` where the edge does not
        exist (a one-way street).
    """

    a: np.ndarray
    b: np.ndarray
    ab_m: np.ndarray
    ab_s: np.ndarray
    ba_m: np.ndarray
    ba_s: np.ndarray
    #: Projected ends of each segment (metric CRS, metres).
    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    @cached_property
    def grid(self) -> SegmentGrid:
        """The grid index of the segments, built on first use (it needs the compiled kernels,
        which a process placing one point never loads: see :func:`place_point`)."""
        return _grid(self.ax, self.ay, self.bx, self.by)

    def has_grid(self) -> bool:
        """The grid index has been built."""
        return "grid" in self.__dict__


@dataclass(frozen=True, eq=False)
class SegmentGrid:
    """A uniform grid of square cells over the segments' extent (metric CRS, metres): cell
    ``(i, j)`` covers ``x0 + i·cell ≤ x < x0 + (i+1)·cell`` and likewise in y, and lists (CSR:
    ``start``, ``items``, cells numbered ``j·nx + i``) every segment passing through it."""

    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    start: np.ndarray
    items: np.ndarray


def _grid(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray) -> SegmentGrid:
    """The grid of the segments ``(ax, ay)–(bx, by)``, about one segment per cell."""
    xs, ys = np.concatenate([ax, bx]), np.concatenate([ay, by])
    x0, y0 = float(xs.min()), float(ys.min())
    width, height = float(xs.max()) - x0, float(ys.max()) - y0
    count = max(len(ax), 1)
    cell = max(float(np.sqrt(width * height / count)), (width + height) / count, 1.0)
    nx, ny = int(width // cell) + 1, int(height // cell) + 1
    # the compiled kernels are loaded with the first grid (numba costs ~0.5 s to import)
    from geo.network import _segment_grid

    start, items = _segment_grid.fill_grid(ax, ay, bx, by, x0, y0, cell, nx, ny)
    return SegmentGrid(ax, ay, bx, by, x0, y0, cell, nx, ny, start, items)


def segments(net: Network) -> Segments:
    """The segments of ``net``'s largest strongly connected component (built once per network)."""
    return net._cached("segments", lambda: _segments(net))


def _segments(net: Network) -> Segments:
    inside = np.zeros(net.n_nodes, bool)
    inside[net.main_component()] = True
    rows = np.repeat(np.arange(net.n_nodes, dtype=np.int64), np.diff(net.indptr))
    cols = net.indices.astype(np.int64)
    keep = inside[rows] & inside[cols] & (rows != cols)
    u, v = rows[keep], cols[keep]
    length, time = net.length[keep], net.time[keep]
    a, b = np.minimum(u, v), np.maximum(u, v)
    key = a * np.int64(net.n_nodes) + b
    unique, where = np.unique(key, return_inverse=True)
    count = len(unique)
    ab_m, ab_s = np.full(count, np.inf), np.full(count, np.inf)
    ba_m, ba_s = np.full(count, np.inf), np.full(count, np.inf)
    forward = u < v
    ab_m[where[forward]], ab_s[where[forward]] = length[forward], time[forward]
    ba_m[where[~forward]], ba_s[where[~forward]] = length[~forward], time[~forward]
    sa, sb = unique // net.n_nodes, unique % net.n_nodes
    return Segments(sa, sb, ab_m, ab_s, ba_m, ba_s, net.x[sa], net.y[sa], net.x[sb], net.y[sb])


@dataclass(frozen=True, eq=False)
class Placement:
    """Where points join a network, one row per point (arrays of the same length).

    Attributes
    ----------
    segment
        Index into :func:`segments` of the nearest segment.
    t
        Fraction along the segment from its ``a`` end to its ``b`` end, 0 to 1.
    distance_m
        Straight distance from the point to the foot, metres.
    lon, lat
        The foot, EPSG:4326 degrees.
    out_node, out_m, out_s
        ``(n, 2)``: the nodes the point can leave to (towards ``b``, towards ``a``; -1 where that
        direction does not exist) and the metres and seconds of the part of the edge on the way.
    in_node, in_m, in_s
        ``(n, 2)``: the nodes the point can be reached from (``a``, ``b``; -1 where not) and the
        metres and seconds from there.
    """

    segment: np.ndarray
    t: np.ndarray
    distance_m: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    out_node: np.ndarray
    out_m: np.ndarray
    out_s: np.ndarray
    in_node: np.ndarray
    in_m: np.ndarray
    in_s: np.ndarray

    def __len__(self) -> int:
        return len(self.segment)


def place(net: Network, lon: ArrayLike, lat: ArrayLike) -> Placement:
    """Join points (EPSG:4326 degrees, arrays) to ``net`` at the foot on the nearest segment of
    its main component. No maximum distance is applied here: callers compare ``distance_m``
    with their snap limit."""

    lon = np.atleast_1d(np.asarray(lon, float))
    lat = np.atleast_1d(np.asarray(lat, float))
    segs = segments(net)
    n = len(lon)
    if n == 0 or len(segs) == 0:
        empty_i = np.full(n, -1, np.int64)
        empty_f = np.full(n, np.inf)
        pair_i, pair_f = np.full((n, 2), -1, np.int64), np.full((n, 2), np.inf)
        return Placement(empty_i, np.zeros(n), empty_f, lon.copy(), lat.copy(), pair_i,
                         pair_f, pair_f.copy(), pair_i.copy(), pair_f.copy(), pair_f.copy())
    x, y = project(lon, lat, net.crs)
    # a point the region's metric CRS cannot hold (the other side of the globe) is infinitely
    # far: it is placed on the first segment with an infinite distance, so callers see it as off
    # the network
    far = ~(np.isfinite(x) & np.isfinite(y))
    x, y = np.where(far, net.x[segs.a[0]], x), np.where(far, net.y[segs.a[0]], y)
    seg = nearest_segments(segs, x, y)
    seg[far] = 0
    a, b = segs.a[seg], segs.b[seg]
    ax, ay, bx, by = net.x[a], net.y[a], net.x[b], net.y[b]
    dx, dy = bx - ax, by - ay
    span = dx * dx + dy * dy
    t = np.where(span > 0, ((x - ax) * dx + (y - ay) * dy) / np.where(span > 0, span, 1), 0.0)
    t = np.clip(t, 0.0, 1.0)
    seg_len = np.sqrt(span)
    t = np.where(t * seg_len < AT_NODE_M, 0.0, np.where((1 - t) * seg_len < AT_NODE_M, 1.0, t))
    fx, fy = ax + t * dx, ay + t * dy
    distance = np.where(far, np.inf, np.hypot(x - fx, y - fy))
    foot_lon, foot_lat = unproject(fx, fy, net.crs)
    ab_m, ab_s, ba_m, ba_s = segs.ab_m[seg], segs.ab_s[seg], segs.ba_m[seg], segs.ba_s[seg]
    has_ab, has_ba = np.isfinite(ab_m), np.isfinite(ba_m)
    fin = {name: np.where(np.isfinite(v), v, 0.0)  # 0 × inf would warn in the unused branch
           for name, v in (("ab_m", ab_m), ("ab_s", ab_s), ("ba_m", ba_m), ("ba_s", ba_s))}
    out_node = np.column_stack([np.where(has_ab, b, -1), np.where(has_ba, a, -1)])
    out_m = np.column_stack([np.where(has_ab, (1 - t) * fin["ab_m"], np.inf),
                             np.where(has_ba, t * fin["ba_m"], np.inf)])
    out_s = np.column_stack([np.where(has_ab, (1 - t) * fin["ab_s"], np.inf),
                             np.where(has_ba, t * fin["ba_s"], np.inf)])
    in_node = np.column_stack([np.where(has_ab, a, -1), np.where(has_ba, b, -1)])
    in_m = np.column_stack([np.where(has_ab, t * fin["ab_m"], np.inf),
                            np.where(has_ba, (1 - t) * fin["ba_m"], np.inf)])
    in_s = np.column_stack([np.where(has_ab, t * fin["ab_s"], np.inf),
                            np.where(has_ba, (1 - t) * fin["ba_s"], np.inf)])
    # a foot on an end node is at that node, whatever the one-way direction of this edge
    at_a, at_b = t == 0.0, t == 1.0
    out_node[at_a, 1], out_m[at_a, 1], out_s[at_a, 1] = a[at_a], 0.0, 0.0
    in_node[at_a, 0], in_m[at_a, 0], in_s[at_a, 0] = a[at_a], 0.0, 0.0
    out_node[at_b, 0], out_m[at_b, 0], out_s[at_b, 0] = b[at_b], 0.0, 0.0
    in_node[at_b, 1], in_m[at_b, 1], in_s[at_b, 1] = b[at_b], 0.0, 0.0
    return Placement(seg, t, distance, np.asarray(foot_lon, float), np.asarray(foot_lat, float),
                     out_node, out_m, out_s, in_node, in_m, in_s)


def nearest_segments(segs: Segments, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the nearest segment to each point (metric CRS, metres, finite); of several at
    exactly the same distance, the lowest.

    A few points (at most :data:`SCAN_LIMIT` point-segment pairs) are measured against every
    segment while the grid is not built, so a command placing a city's stations and one point
    answers without loading the compiler; more points build the grid and search it. Both give
    the same segment."""
    if not segs.has_grid() and len(x) * len(segs) <= SCAN_LIMIT:
        return np.array([_nearest_by_scan(segs, float(px), float(py))
                         for px, py in zip(x, y, strict=True)], np.int64)
    from geo.network import _segment_grid  # loaded with the grid above

    g = segs.grid
    return _segment_grid.grid_nearest(
        g.ax, g.ay, g.bx, g.by, g.x0, g.y0, g.cell, g.nx, g.ny, g.start, g.items,
        np.ascontiguousarray(x, float), np.ascontiguousarray(y, float))


def along(net: Network, segment: int, t_from: float, t_to: float) -> tuple[float, float]:
    """Metres and seconds from the foot at ``t_from`` to the foot at ``t_to`` on one segment,
    directly along it in an allowed direction (``inf`` when the one-way direction forbids it)."""
    segs = segments(net)
    if t_from == t_to:
        return 0.0, 0.0
    if t_to >= t_from and np.isfinite(segs.ab_m[segment]):
        share = t_to - t_from
        return float(share * segs.ab_m[segment]), float(share * segs.ab_s[segment])
    if t_to <= t_from and np.isfinite(segs.ba_m[segment]):
        share = t_from - t_to
        return float(share * segs.ba_m[segment]), float(share * segs.ba_s[segment])
    return np.inf, np.inf


@dataclass(frozen=True)
class Snap:
    """Where one point joins the network: its foot on the nearest edge (:func:`place_point`).

    Attributes
    ----------
    segment
        Index into :func:`segments` of the nearest segment (-1 when the network has none).
    t
        Fraction along the segment from its ``a`` end to its ``b`` end, 0 to 1.
    distance_m
        Straight distance from the point to the foot, metres (``inf`` when the network's metric
        CRS cannot hold the point).
    lon, lat
        The foot, EPSG:4326 degrees.
    out_node, out_m, out_s
        The nodes the point can leave to (towards ``b``, towards ``a``; -1 where that direction
        does not exist) and the metres and seconds of the part of the edge on the way.
    """

    segment: int
    t: float
    distance_m: float
    lon: float
    lat: float
    out_node: tuple[int, int]
    out_m: tuple[float, float]
    out_s: tuple[float, float]


def _nearest_by_scan(segs: Segments, x: float, y: float) -> int:
    """The nearest segment to one point by measuring every segment (numpy, about a millisecond
    for a city's network), as GEOS's ``Distance::pointToSegment`` and the grid search measure;
    of several at exactly the same distance, the lowest index (``argmin``'s first)."""
    ax, ay, bx, by = segs.ax, segs.ay, segs.bx, segs.by
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ((x - ax) * dx + (y - ay) * dy) / len2
        s = ((ay - y) * dx - (ax - x) * dy) / len2
        to_a = np.sqrt((x - ax) * (x - ax) + (y - ay) * (y - ay))
        to_b = np.sqrt((x - bx) * (x - bx) + (y - by) * (y - by))
        inside = np.abs(s) * np.sqrt(len2)
    point = (ax == bx) & (ay == by)
    d = np.where(point | (r <= 0.0), to_a, np.where(r >= 1.0, to_b, inside))
    return int(np.argmin(d))


def place_point(net: Network, lon: float, lat: float) -> Snap:
    """:func:`place` for one point, in plain floats: the web path's hot spot (about a fifth of
    the time of the array version for one point). With the segments' grid built (a server
    builds it when it warms up) the grid is searched; else every segment is measured, so that
    one command-line lookup does not load the compiler. Both give the same segment."""
    import math

    from geo.coords import _transformer

    segs = segments(net)
    if len(segs) == 0:
        return Snap(-1, 0.0, math.inf, lon, lat, (-1, -1), (math.inf,) * 2,
                              (math.inf,) * 2)
    x, y = _transformer(net.crs, inverse=False).transform(lon, lat)
    if not (math.isfinite(x) and math.isfinite(y)):
        return Snap(0, 0.0, math.inf, lon, lat, (-1, -1), (math.inf,) * 2,
                              (math.inf,) * 2)
    j = (int(nearest_segments(segs, np.array([x]), np.array([y]))[0]) if segs.has_grid()
         else _nearest_by_scan(segs, x, y))
    a, b = int(segs.a[j]), int(segs.b[j])
    ax, ay, bx, by = float(net.x[a]), float(net.y[a]), float(net.x[b]), float(net.y[b])
    dx, dy = bx - ax, by - ay
    span = dx * dx + dy * dy
    t = ((x - ax) * dx + (y - ay) * dy) / span if span > 0 else 0.0
    t = min(max(t, 0.0), 1.0)
    seg_len = math.sqrt(span)
    if t * seg_len < AT_NODE_M:
        t = 0.0
    elif (1 - t) * seg_len < AT_NODE_M:
        t = 1.0
    fx, fy = ax + t * dx, ay + t * dy
    foot_lon, foot_lat = _transformer(net.crs, inverse=True).transform(fx, fy)
    ab_m, ab_s = float(segs.ab_m[j]), float(segs.ab_s[j])
    ba_m, ba_s = float(segs.ba_m[j]), float(segs.ba_s[j])
    towards_b = (b, (1 - t) * ab_m, (1 - t) * ab_s) if math.isfinite(ab_m) else (-1, math.inf,
                                                                                 math.inf)
    towards_a = (a, t * ba_m, t * ba_s) if math.isfinite(ba_m) else (-1, math.inf, math.inf)
    if t == 0.0:
        towards_a = (a, 0.0, 0.0)
    elif t == 1.0:
        towards_b = (b, 0.0, 0.0)
    return Snap(j, t, math.hypot(x - fx, y - fy), float(foot_lon), float(foot_lat),
                          (towards_b[0], towards_a[0]), (towards_b[1], towards_a[1]),
                          (towards_b[2], towards_a[2]))


def __getattr__(name: str) -> Any:
    """The deprecated names of this module (a warning, then the current object)."""
    if name == "PointPlacement":
        warnings.warn("`geo.network.placement.PointPlacement` is deprecated: one point joined to "
                      "the network is a `Snap` (geo.network.placement.Snap, also geo.nearest.Snap)",
                      DeprecationWarning, stacklevel=2)
        return Snap
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
