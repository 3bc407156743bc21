"""``GET /api/clusters``: the stations of a box counted per cell of a grid on the map, by kind.

The finder's map, zoomed out over a city of thousands of stations, draws these counts instead of
downloading every station: an answer of a few kB instead of hundreds. The grid is square in Web
Mercator, :data:`app.schemas.clusters.CELL_PX` pixels of the map at the asked zoom, anchored at
the map's origin, so a cell holds the same stations whatever box is asked for (every cell the box
touches is counted whole). The filters of the finder (kinds, services, open now) are applied
before counting, so the counts are the stations the worker would see.

The stations' Mercator coordinates, kinds and services are arrays made once per registry
snapshot; the answers are kept with :meth:`app.state.AppState.answer` under the cells asked for,
with an ETag like ``/api/stations`` (revalidate, a 304 costs nothing).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np
from flask import Blueprint, current_app, request

from app.openapi import operation
from app.schemas.clusters import CELL_PX, MAX_CELLS_ACROSS, ClustersAnswer, ClustersQuery
from app.snapshot import Blob, Snapshot, key_etag
from app.state import state
from geo.errors import InputError
from geo.stations import KINDS, local_time

bp = Blueprint("clusters", __name__)

#: Web Mercator's edge of the world, degrees of latitude.
MAX_LAT = 85.05112878
#: Half the largest marker the finder draws for a cell, CSS px: the marker stays this far inside
#: its cell, so that the markers of two cells never overlap.
MARKER_HALF_PX = 24


def mercator(lon, lat):
    """Web Mercator x and y of EPSG:4326 degrees as shares of the world's width, 0 to 1 (y
    downwards from the north edge)."""
    lat = np.clip(np.asarray(lat, dtype=float), -MAX_LAT, MAX_LAT)
    sin = np.sin(np.radians(lat))
    return (np.asarray(lon, dtype=float) + 180.0) / 360.0, \
        0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)


def lon_lat(x, y):
    """The inverse of :func:`mercator`."""
    return np.asarray(x) * 360.0 - 180.0, \
        np.degrees(np.arctan(np.sinh(math.pi * (1 - 2 * np.asarray(y)))))


def cells_across(zoom: int) -> float:
    """How many cells span the world's width at ``zoom`` (256 px tiles)."""
    return 256 * 2 ** zoom / CELL_PX


@dataclass
class StationArrays:
    """The stations of one snapshot as arrays, in the snapshot's order."""

    snap: Snapshot
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    kind: np.ndarray  # the index of each station's kind in ``kinds``
    kinds: list[str]
    _services: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, snap: Snapshot) -> StationArrays:
        lon = np.array([st.lon for st in snap.stations], dtype=float)
        lat = np.array([st.lat for st in snap.stations], dtype=float)
        kinds = list(KINDS) + sorted({st.kind for st in snap.stations} - set(KINDS))
        where = {k: n for n, k in enumerate(kinds)}
        kind = np.array([where[st.kind] for st in snap.stations], dtype=np.int64)
        x, y = mercator(lon, lat)
        return cls(snap, lon, lat, x, y, kind, kinds)

    def offering(self, service: str) -> np.ndarray:
        found = self._services.get(service)
        if found is None:
            found = self._services[service] = np.fromiter(
                (service in st.services for st in self.snap.stations), bool,
                count=len(self.snap.stations))
        return found

    def wanted(self, query: ClustersQuery, at) -> np.ndarray:
        """Which stations the query's filters keep (open at ``at`` with ``open_now``)."""
        keep = np.ones(len(self.lon), dtype=bool)
        if query.kind:
            keep &= np.isin(self.kind, [self.kinds.index(k) for k in query.kind if k in self.kinds])
        for service in query.service or ():
            keep &= self.offering(service)
        if query.open_now:
            stations = self.snap.stations
            for i in np.flatnonzero(keep):
                keep[i] = stations[i].is_open(at)
        return keep


_lock = threading.Lock()


def arrays(snap: Snapshot) -> StationArrays:
    """The arrays of ``snap``, made once (the last few snapshots of the app are kept)."""
    kept: dict[int, StationArrays] = current_app.extensions.setdefault("yizhan-clusters", {})
    with _lock:
        found = kept.get(id(snap))
        if found is None or found.snap is not snap:
            while len(kept) >= 4:
                kept.pop(next(iter(kept)))
            found = kept[id(snap)] = StationArrays.of(snap)
        return found


def box_cells(bbox: tuple[float, float, float, float], zoom: int) -> tuple[int, int, int, int]:
    """The cells the box touches at ``zoom``: first and last column, first and last row.

    Raises
    ------
    InputError
        ``parameter="bbox"``: the box spans more than :data:`MAX_CELLS_ACROSS` cells either way.
    """
    scale, last = cells_across(zoom), math.ceil(cells_across(zoom)) - 1
    (west, east), (north, south) = mercator([bbox[0], bbox[2]], [bbox[3], bbox[1]])
    x0, x1 = (min(last, math.floor(v * scale)) for v in (west, east))
    y0, y1 = (min(last, math.floor(v * scale)) for v in (north, south))
    wide, high = x1 - x0 + 1, y1 - y0 + 1
    if max(wide, high) > MAX_CELLS_ACROSS:
        raise InputError(f"`bbox` spans {wide}×{high} cells of {CELL_PX} px at zoom {zoom}, but "
                         f"at most {MAX_CELLS_ACROSS} either way: ask for a smaller box or a "
                         "lower `zoom`", parameter="bbox")
    return x0, y0, x1, y1


def count(st: StationArrays, keep: np.ndarray, cells: tuple[int, int, int, int],
          zoom: int) -> dict:
    """The answer: the kept stations of ``cells`` counted per cell."""
    scale = cells_across(zoom)
    ix = np.minimum(np.floor(st.x * scale), math.ceil(scale) - 1).astype(np.int64)
    iy = np.minimum(np.floor(st.y * scale), math.ceil(scale) - 1).astype(np.int64)
    x0, y0, x1, y1 = cells
    chosen = np.flatnonzero(keep & (ix >= x0) & (ix <= x1) & (iy >= y0) & (iy <= y1))
    keys, inverse = np.unique(ix[chosen] * (1 << 31) + iy[chosen], return_inverse=True)
    n = len(keys)
    counts = np.bincount(inverse, minlength=n)
    by_kind = np.zeros((n, len(st.kinds)), dtype=np.int64)
    np.add.at(by_kind, (inverse, st.kind[chosen]), 1)
    # the marker: the mean of the stations, kept MARKER_HALF_PX inside the cell
    margin = MARKER_HALF_PX / CELL_PX
    col, row = keys >> 31, keys & ((1 << 31) - 1)
    mx = np.clip(np.bincount(inverse, st.x[chosen], n) / counts * scale, col + margin,
                 col + 1 - margin) / scale
    my = np.clip(np.bincount(inverse, st.y[chosen], n) / counts * scale, row + margin,
                 row + 1 - margin) / scale
    lon, lat = lon_lat(mx, my)
    low = np.full((n, 2), np.inf)
    high = np.full((n, 2), -np.inf)
    points = np.column_stack([st.lon[chosen], st.lat[chosen]])
    np.minimum.at(low, inverse, points)
    np.maximum.at(high, inverse, points)
    first = np.full(n, -1)
    first[inverse[::-1]] = chosen[::-1]  # a station of each cell (the one id of a single)
    clusters = [{
        "lon": round(float(lon[c]), 6), "lat": round(float(lat[c]), 6), "count": int(counts[c]),
        "kinds": {st.kinds[k]: int(by_kind[c, k]) for k in np.flatnonzero(by_kind[c])},
        "bbox": [round(float(v), 7) for v in (*low[c], *high[c])],
        "id": st.snap.stations[first[c]].id if counts[c] == 1 else None} for c in range(n)]
    return {"zoom": zoom, "cell_px": CELL_PX, "total": int(counts.sum()), "clusters": clusters}


@bp.get("/clusters")
@operation(query=ClustersQuery, answers={
    200: (ClustersAnswer, "The cells holding a station, with their counts by kind (gzip with "
                          "Accept-Encoding: gzip)."),
    304: (None, "Not modified (If-None-Match).")})
def clusters(query: ClustersQuery):
    """Stations counted per cell of the map, by kind: the finder's map when zoomed out.

    The stations in service that match the filters (`kind`, `service`, `open_now`) in every cell
    of `CELL_PX` (96) px of the map at `zoom` that the box touches, with a point to draw each
    cell's marker at and the box of its stations. The ETag names the registry version, the cells
    and the filters (and the minute with `open_now`): revalidate (`Cache-Control: no-cache`) and
    a matching If-None-Match gets a 304.
    """
    snap = state().current()
    cells = box_cells(query.bbox, query.zoom)
    at = local_time(None).replace(second=0, microsecond=0) if query.open_now else None
    key = ("clusters", snap.version, cells, query.zoom, tuple(query.kind or ()),
           tuple(query.service or ()), at.isoformat() if at else None)
    etag = key_etag(key)
    if request.if_none_match and etag in request.if_none_match:
        return _headers(current_app.response_class(status=304), etag)
    blob = state().answer(key, lambda: count(
        arrays(snap), arrays(snap).wanted(query, at), cells, query.zoom))
    return _send(blob)


def _send(blob: Blob):
    gzipped = request.accept_encodings["gzip"] > 0
    response = current_app.response_class(blob.gzipped if gzipped else blob.raw,
                                          mimetype="application/json")
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    return _headers(response, blob.etag)


def _headers(response, etag: str):
    response.set_etag(etag)
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-cache"
    return response
