"""The web app's engine state: networks, the registry, and one station finder per travel mode.

Networks load once per process. The stations and their finders form an immutable
:class:`Snapshot` that requests read without locking; when :meth:`geo.registry.Registry.version`
changes (checked at most once per ``check_interval`` seconds per process, by one thread while the
others keep answering from the current snapshot) a new snapshot is built and swapped in. A write
through this process refreshes at once.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from geo.coords import unproject, wgs84_to_bd09, wgs84_to_gcj02
from geo.nearest import Hit, Snap, StationFinder, access_speed_kmh
from geo.network import MODES, Network, load_network
from geo.registry import Registry
from geo.reports import Reports
from geo.stations import Station, local_time

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """The stations at one registry version, with a finder per travel mode.

    Attributes
    ----------
    features
        Per station id, its GeoJSON Feature without the time-dependent ``open`` flag.
    links
        Per station id, navigation links (``geo``, ``amap``, ``baidu``).
    """

    version: tuple[int, int]
    stations: list[Station]
    by_id: dict[str, Station]
    finders: dict[str, StationFinder]
    features: dict[str, dict]
    links: dict[str, dict[str, str]]
    searches: dict = field(default_factory=dict)  # see Engine.nearest


def nav_links(station: Station) -> dict[str, str]:
    """Links that open a phone's map apps at the station.

    ``geo`` is the RFC 5870 URI in WGS-84; Amap takes GCJ-02 (``lon,lat``) and Baidu BD-09
    (``lat,lon`` with ``coord_type=bd09ll``); both convert only inside China.
    """
    lon, lat = station.lon, station.lat
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    b_lon, b_lat = wgs84_to_bd09(lon, lat)
    name = quote(station.name, safe="")
    return {
        "geo": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({name})",
        "amap": (f"https://uri.amap.com/marker?position={g_lon:.6f},{g_lat:.6f}&name={name}"
                 "&src=yizhan&coordinate=gaode&callnative=1"),
        "baidu": (f"https://api.map.baidu.com/marker?location={b_lat:.6f},{b_lon:.6f}"
                  f"&title={name}&content={quote(station.address or station.name, safe='')}"
                  "&output=html&coord_type=bd09ll&src=yizhan"),
    }


def station_feature(station: Station, links: dict[str, str]) -> dict:
    """A station as a GeoJSON Feature (EPSG:4326), without ``open``."""
    props = station.to_record()
    props.pop("lon")
    props.pop("lat")
    props["links"] = links
    return {"type": "Feature", "id": station.id,
            "geometry": {"type": "Point", "coordinates": [station.lon, station.lat]},
            "properties": props}


def network_lines(net: Network, *, tolerance_m: float = 1.5) -> dict:
    """The network's streets as a GeoJSON MultiLineString (EPSG:4326), for a basemap.

    Directed edges become undirected segments, chained through nodes of degree two into
    polylines and simplified (Douglas-Peucker, ``tolerance_m`` metres, in the network's metric
    CRS). Coordinates are rounded to 6 decimals (about 0.1 m).
    """
    import shapely

    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    a, b = np.minimum(rows, net.indices), np.maximum(rows, net.indices)
    pairs = np.unique(np.column_stack([a, b]), axis=0)
    neighbours: dict[int, list[int]] = {}
    for u, v in pairs.tolist():
        neighbours.setdefault(u, []).append(v)
        neighbours.setdefault(v, []).append(u)
    used: set[tuple[int, int]] = set()
    chains: list[list[int]] = []

    def walk(start: int, nxt: int) -> list[int]:
        chain = [start]
        prev, cur = start, nxt
        while True:
            used.add((min(prev, cur), max(prev, cur)))
            chain.append(cur)
            options = neighbours[cur]
            if len(options) != 2 or cur == start:
                return chain
            step = options[0] if options[1] == prev else options[1]
            if (min(cur, step), max(cur, step)) in used:
                return chain
            prev, cur = cur, step

    for node, options in neighbours.items():
        if len(options) != 2:
            for nxt in options:
                if (min(node, nxt), max(node, nxt)) not in used:
                    chains.append(walk(node, nxt))
    for u, v in pairs.tolist():  # loops made only of degree-two nodes
        if (u, v) not in used:
            chains.append(walk(u, v))
    counts = [len(c) for c in chains]
    flat = np.concatenate(chains) if chains else np.zeros(0, dtype=np.int64)
    lines = shapely.linestrings(np.column_stack([net.x[flat], net.y[flat]]),
                                indices=np.repeat(np.arange(len(chains)), counts))
    lines = shapely.simplify(lines, tolerance_m, preserve_topology=False)
    xy, index = shapely.get_coordinates(lines, return_index=True)
    lon, lat = unproject(xy[:, 0], xy[:, 1], net.crs)
    points = np.column_stack([np.round(lon, 6), np.round(lat, 6)]).tolist()
    starts = np.searchsorted(index, np.arange(len(chains) + 1)).tolist()
    coordinates = [points[a:b] for a, b in itertools.pairwise(starts) if b - a >= 2]
    return {"type": "Feature", "properties": {"mode": net.mode, "source": net.source},
            "geometry": {"type": "MultiLineString", "coordinates": coordinates}}


@dataclass(frozen=True)
class Blob:
    """A prepared JSON response body: raw and gzip bytes and an ETag."""

    raw: bytes
    gzipped: bytes
    etag: str


def _blob(value) -> Blob:
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Blob(raw, gzip.compress(raw, 6), hashlib.sha1(raw).hexdigest()[:16])


class Engine:
    """Networks, registry, reports and the current station snapshot of one app.

    Parameters
    ----------
    db_url
        The registry's SQLAlchemy URL.
    networks
        Travel mode -> saved network file (``.npz``, ``.osm`` or ``.osm.pbf``).
    check_interval
        Seconds between two checks of the registry version.
    cache_size
        Searches kept per snapshot by :meth:`nearest` (0: none); each holds a few hits with
        their routes, about 20 KB.
    """

    def __init__(self, db_url: str, networks: dict[str, str | Path], *,
                 check_interval: float = 1.0, cache_size: int = 2048):
        self.registry = Registry(db_url)
        self.reports = Reports(self.registry)
        self.networks: dict[str, Network] = {}
        for mode in MODES:  # in the order walk, ebike, drive
            if mode in networks:
                self.networks[mode] = load_network(networks[mode], mode=mode)
        unknown = set(networks) - set(MODES)
        if unknown:
            raise ValueError(f"NETWORKS has unknown mode(s) {sorted(unknown)}; use {list(MODES)}")
        self.check_interval = check_interval
        self.cache_size = int(cache_size)
        self._lock = threading.Lock()
        self._lines: dict[str, Blob] = {}
        self._self_snapping: dict[str, dict[int, bool]] = {}
        self._checked_at = time.monotonic()
        self._snapshot = self._build(self.registry.version())

    # --- the snapshot ---

    def _build(self, version: tuple[int, int]) -> Snapshot:
        stations = self.registry.stations()
        previous = getattr(self, "_snapshot", None)
        links = {}
        for s in stations:
            old = previous.by_id.get(s.id) if previous else None
            same = old is not None and (old.lon, old.lat, old.name, old.address) == (
                s.lon, s.lat, s.name, s.address)
            links[s.id] = previous.links[s.id] if same else nav_links(s)
        finders = {mode: StationFinder(net, stations) for mode, net in self.networks.items()}
        return Snapshot(version=version, stations=stations, by_id={s.id: s for s in stations},
                        finders=finders,
                        features={s.id: station_feature(s, links[s.id]) for s in stations},
                        links=links)

    def current(self) -> Snapshot:
        """The current snapshot, rebuilt first when the registry has changed.

        At most one thread checks, at most once per ``check_interval``; the others answer from
        the snapshot they have.
        """
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval and self._lock.acquire(blocking=False):
            try:
                if now - self._checked_at >= self.check_interval:
                    version = self.registry.version()
                    if version != self._snapshot.version:
                        self._snapshot = self._build(version)
            except SQLAlchemyError:  # the database is busy or away: answer from what we have
                logger.warning("cannot check the station registry; serving the stations of "
                               "version %s", self._snapshot.version, exc_info=True)
            finally:
                self._checked_at = time.monotonic()
                self._lock.release()
        return self._snapshot

    def refresh(self) -> Snapshot:
        """Rebuild now (after a write through this process)."""
        with self._lock:
            version = self.registry.version()
            if version != self._snapshot.version:
                self._snapshot = self._build(version)
            self._checked_at = time.monotonic()
        return self._snapshot

    # --- nearest stations ---

    def nearest(self, snap: Snapshot, mode: str, lon: float, lat: float, *, k: int,
                kinds: list[str] | None = None, services: list[str] | None = None,
                open_at: datetime | None = None, open_only: bool = False,
                route: bool = False) -> tuple[Snap, list[Hit]]:
        """Where the point meets the network, and ``StationFinder.nearest`` for it.

        Points that snap to the same node share one search: the search is run once from the node
        itself (a zero access leg) and kept in the snapshot, and each point then adds its own
        leg, exactly as :meth:`geo.nearest.StationFinder.nearest` does (same floating-point
        sums, the route's first point replaced by the query point). The time for the ``open``
        flags is taken once per request (``open_at``, else now); opening hours have minute
        resolution, so a search is kept per minute.

        Raises
        ------
        OffNetworkError
            When the point is farther than the snap distance from the network.
        """
        finder = snap.finders[mode]
        where = finder.snap(lon, lat)
        when = local_time(open_at)  # now, when not given: one time for the whole request
        options = {"k": k, "kinds": kinds, "services": services, "open_at": when,
                   "open_only": open_only, "route": route}
        if self.cache_size <= 0:
            return where, finder.nearest(lon, lat, **options)
        minute = when if open_at is not None else when.replace(second=0, microsecond=0)
        key = (mode, where.node, k, tuple(kinds or ()), tuple(services or ()), open_only, route,
               minute)
        base = snap.searches.get(key)
        if base is None:
            if not self._node_snaps_to_itself(mode, finder, where):  # stacked nodes: no sharing
                return where, finder.nearest(lon, lat, **options)
            base = finder.nearest(where.lon, where.lat, **options)
            if len(snap.searches) >= self.cache_size:
                snap.searches.clear()
            snap.searches[key] = base
        leg = where.distance_m
        speed = access_speed_kmh(mode) / 3.6
        return where, [replace(h, distance_m=h.distance_m + leg,
                               duration_s=h.duration_s + leg / speed,
                               route=None if h.route is None else [(lon, lat), *h.route[1:]])
                       for h in base]

    def _node_snaps_to_itself(self, mode: str, finder: StationFinder, where: Snap) -> bool:
        """Whether a search from the node's own coordinates starts at that node with a zero
        leg (not so where two nodes share a position); checked once per node (networks do not
        change)."""
        known = self._self_snapping.setdefault(mode, {})
        ok = known.get(where.node)
        if ok is None:
            check = finder.snap(where.lon, where.lat)
            ok = known[where.node] = check.node == where.node and check.distance_m == 0.0
        return ok

    def warm_up(self) -> None:
        """Build what the first searches would build (per mode the search's adjacency lists)."""
        snap = self.current()
        for finder in snap.finders.values():
            if finder.network.n_nodes and snap.stations:
                node = int(finder.network.main_component()[0])
                lon, lat = float(finder.network.lon[node]), float(finder.network.lat[node])
                finder.nearest(lon, lat, k=1, route=True)

    def after_fork(self) -> None:
        """Call in a forked worker: drop the database connections inherited from the parent."""
        self.registry.engine.dispose(close=False)
        self._lock = threading.Lock()

    # --- the basemap ---

    def lines(self, mode: str) -> Blob:
        """The streets of ``mode``'s network as a prepared GeoJSON body (built once)."""
        blob = self._lines.get(mode)
        if blob is None:
            blob = self._lines[mode] = _blob(network_lines(self.networks[mode]))
        return blob

    def bounds(self) -> list[float] | None:
        """[west, south, east, north] of the networks, EPSG:4326 degrees (None without any)."""
        if not self.networks:
            return None
        lon = np.concatenate([n.lon for n in self.networks.values()])
        lat = np.concatenate([n.lat for n in self.networks.values()])
        if len(lon) == 0:
            return None
        return [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]
