"""The exact nearest-station engine: edge snapping, k-nearest with filters, routes, tables.

A :class:`StationFinder` is built once from a :class:`~geo.network.Network` and a list of stations
and answers many queries. Query points and stations join the network where they stand: at the foot
on the nearest edge (:mod:`geo.network.placement`). A distance is the straight leg from the point
to its foot, the part of its edge to a node, the shortest path through the network, the part of
the station's edge, and the station's own leg (metres); two feet on the same edge reach each other
along it. One-way edges are respected (drive, e-bike).

Three searches share the network arrays (:mod:`geo.network.search`, compiled):

- a filtered k-nearest query from one point runs a bounded Dijkstra that stops as soon as the k
  nearest matching stations (kind, services, open at a time) are settled (:meth:`nearest`);
- per set of stations, one pruned search per station gives every node its k nearest stations
  at once; a point then combines the tables of its edge's two ends (:meth:`nearest_many`, :meth:`travel`,
  :meth:`nearest_table`) — coverage, siting and batch lookups read these;
- per station, a search bounded by a travel budget gives the cost matrix of 2SFCA and siting
  (:meth:`costs`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Iterable, Sequence

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from geo import settings
from geo.errors import InputError, OffNetworkError
from geo.network import Network
from geo.network.placement import Placement, PointPlacement, along, place, place_point
from geo.stations import KINDS, SERVICES, Station, local_time


def access_speed_kmh(mode: str) -> float:
    """Speed on the straight access legs (point → foot, foot → station) for ``mode``, km/h
    (from :mod:`geo.settings`)."""
    return {"walk": settings.walk_speed_kmh, "ebike": settings.ebike_speed_kmh,
            "drive": settings.drive_default_speed_kmh}[mode]


@dataclass(frozen=True)
class Hit:
    """One station found for a query point.

    Attributes
    ----------
    distance_m
        Network distance including both access legs, metres.
    duration_s
        Travel time along that path at the mode's speeds, seconds.
    open
        Open at the time asked (``None`` when the station's hours are unknown).
    route
        With ``route=True``: the path as (lon, lat) pairs, EPSG:4326, from the point through its
        foot on the road, along the roads, to the station's foot and the station.
    changes_at
        When the station next closes (if open) or opens (if closed), in its time zone; None
        when its hours are unknown or round the clock.
    """

    station: Station
    distance_m: float
    duration_s: float
    open: bool | None
    rank: int
    route: list[tuple[float, float]] | None = None
    changes_at: datetime | None = None

    def as_dict(self) -> dict:
        s = self.station
        out = {"rank": self.rank, "id": s.id, "name": s.name, "kind": s.kind,
               "distance_m": round(self.distance_m, 1), "duration_s": round(self.duration_s, 1),
               "lon": s.lon, "lat": s.lat, "open": self.open,
               "changes_at": (None if self.changes_at is None
                              else self.changes_at.isoformat(timespec="minutes")),
               "services": sorted(s.services), "hours": s.hours, "address": s.address,
               "phone": s.phone, "capacity": s.capacity}
        if self.route is not None:
            out["route"] = {"type": "LineString",
                            "coordinates": [[round(x, 7), round(y, 7)] for x, y in self.route]}
        return out


#: Where a point meets the network: its foot on the nearest edge (EPSG:4326), the straight leg
#: to it (metres) and its ways into the graph (:class:`geo.network.placement.PointPlacement`).
Snap = PointPlacement


@dataclass(frozen=True)
class NearestTable:
    """Every node's nearest station among a set, from one search over the whole network.

    Attributes
    ----------
    distance_m
        Per node: network distance from the node to its nearest station, the station's part of
        its edge and its leg included (``inf`` when none is reachable).
    duration_s
        Per node: travel time along that path, seconds.
    station
        Per node: index into :attr:`StationFinder.stations` of that station (-1 when none).
    """

    distance_m: np.ndarray
    duration_s: np.ndarray
    station: np.ndarray


#: How many per-node label tables a finder keeps (one per set of stations, weight and k).
_TABLE_CACHE = 64
#: Network over straight-line distance allowed for when guessing a search radius (a city's
#: streets detour about 1.2–1.4×; a little more keeps the second pass rare).
_DETOUR = 1.5
#: Stations per block in the per-station bounded searches of :meth:`StationFinder.costs`.
_BLOCK = 32


def _chain(preds: dict, via: int) -> list[int]:
    """The nodes from a search's source to ``via`` along ``preds[via]`` (scipy's
    predecessors)."""
    if via < 0:
        return []
    pred = preds[via]
    nodes = [via]
    while pred[nodes[-1]] >= 0:
        nodes.append(int(pred[nodes[-1]]))
    return nodes[::-1]


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= settings.max_k:
        raise InputError(f"`k` was {k!r} but must be a whole number from 1 to {settings.max_k}",
                         parameter="k")
    return int(k)


def _check_point(lon: float, lat: float) -> None:
    for name, value, bound in (("lon", lon, 180), ("lat", lat, 90)):
        if (not isinstance(value, (int, float, np.floating)) or not np.isfinite(value)
                or not -bound <= value <= bound):
            raise InputError(f"`{name}` was {value!r} but must be a number from {-bound} to {bound}",
                             parameter=name)


def check_kinds(kinds: Iterable[str] | None) -> frozenset[str] | None:
    """Validated kind ids, or None for all kinds."""
    if kinds is None:
        return None
    kinds = frozenset([kinds] if isinstance(kinds, str) else kinds)
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise InputError(f"`kind` was {unknown} but must be among {sorted(KINDS)}", parameter="kind")
    return kinds or None


def check_services(services: Iterable[str] | None) -> frozenset[str]:
    """Validated service ids (all required)."""
    if services is None:
        return frozenset()
    services = frozenset([services] if isinstance(services, str) else services)
    unknown = sorted(services - set(SERVICES))
    if unknown:
        raise InputError(f"`service` was {unknown} but must be among {sorted(SERVICES)}",
                         parameter="service")
    return services


def _check_weight(weight: str) -> str:
    if weight not in ("length", "time"):
        raise InputError(f"`weight` was {weight!r} but must be 'length' or 'time'",
                         parameter="weight")
    return weight


class _Scratch(threading.local):
    """Per-thread scratch arrays of the bounded search (several web threads search at once)."""

    def __init__(self, n: int):
        self.dist = np.zeros(n)
        self.tim = np.zeros(n)
        self.pred = np.zeros(n, np.int64)
        self.stamp = np.zeros(n, np.int64)
        self.generation = 0
        size = 4096  # the heap; a search that needs more grows its own copy
        self.heap = (np.empty(size), np.empty(size, np.int64))


@dataclass(frozen=True, eq=False)
class StationFinder:
    """Nearest stations on one network. Build once; rebuilding after a station changes is cheap
    (placing the stations only; the tables are computed on first use).

    Parameters
    ----------
    network
        The road network of the travel mode.
    stations
        The stations; those farther than ``max_snap_m`` from the network are left out and listed in
        :attr:`off_network`.
    max_snap_m
        Maximum straight distance from a point or station to the network, metres
        (default :data:`geo.settings.max_snap_m`).
    compiled
        Search from a point with the compiled search (numba); False runs it with
        ``scipy.sparse.csgraph`` instead, which answers a one-off question (the command line's
        single point) without loading the compiler. Tables are always compiled.

    Attributes
    ----------
    placement
        Where each station joins the network (:class:`geo.network.placement.Placement`).
    station_leg_m, station_leg_s
        Each station's straight leg to its foot, metres and seconds.
    on_network
        Per station, whether it is within ``max_snap_m`` of the network.
    off_network
        The stations left out.
    """

    network: Network
    stations: Sequence[Station]
    max_snap_m: float = field(default_factory=lambda: settings.max_snap_m)
    compiled: bool = True

    def __post_init__(self):
        object.__setattr__(self, "stations", list(self.stations))
        net = self.network
        speed = access_speed_kmh(net.mode) / 3.6
        lon = np.array([s.lon for s in self.stations], float)
        lat = np.array([s.lat for s in self.stations], float)
        placement = place(net, lon, lat)
        legs = placement.distance_m
        on = legs <= self.max_snap_m
        setattr_ = object.__setattr__
        setattr_(self, "placement", placement)
        setattr_(self, "station_leg_m", legs)
        setattr_(self, "station_leg_s", legs / speed)
        setattr_(self, "on_network", on)
        setattr_(self, "off_network", [s for s, ok in zip(self.stations, on) if not ok])
        # the ways into each station: per node (CSR over nodes), station and cost from the node
        node = placement.in_node[on].ravel()
        station = np.repeat(np.flatnonzero(on), 2)
        metres = (placement.in_m[on] + legs[on, None]).ravel()
        seconds = (placement.in_s[on] + (legs / speed)[on, None]).ravel()
        keep = node >= 0
        node, station, metres, seconds = node[keep], station[keep], metres[keep], seconds[keep]
        order = np.argsort(node, kind="stable")
        setattr_(self, "_entries", (
            np.searchsorted(node[order], np.arange(net.n_nodes + 1)).astype(np.int64),
            station[order].astype(np.int64), metres[order], seconds[order], node[order]))
        by_segment: dict[int, list[int]] = {}
        for i in np.flatnonzero(on).tolist():
            by_segment.setdefault(int(placement.segment[i]), []).append(i)
        setattr_(self, "_by_segment", by_segment)
        kinds = np.array([s.kind for s in self.stations], dtype=object)
        setattr_(self, "_kind_mask", {k: kinds == k for k in KINDS})
        setattr_(self, "_tables", OrderedDict())
        setattr_(self, "_table_lock", threading.Lock())
        setattr_(self, "_open_states", OrderedDict())

    # --- where points meet the network ---

    def place(self, lon, lat) -> Placement:
        """Where points (EPSG:4326 arrays) join the network; compare ``distance_m`` with
        :attr:`max_snap_m` for "off network"."""
        return place(self.network, lon, lat)

    def snap(self, lon: float, lat: float) -> Snap:
        """Where (lon, lat) in EPSG:4326 joins the network: the foot on the nearest edge.

        Raises
        ------
        OffNetworkError
            When the point is farther than ``max_snap_m`` from the network.
        """
        _check_point(lon, lat)
        p = place_point(self.network, float(lon), float(lat))
        dist = p.distance_m
        if not np.isfinite(dist):
            raise OffNetworkError(
                f"the point ({lon:.6f}, {lat:.6f}) is far outside the area of this "
                f"{self.network.mode} network ({self.network.source})", distance_m=dist)
        if not dist <= self.max_snap_m:
            raise OffNetworkError(
                f"the point ({lon:.6f}, {lat:.6f}) is {dist:.0f} m from the nearest "
                f"{self.network.mode} road, more than the {self.max_snap_m:.0f} m allowed: it lies "
                "off this network (outside the area, or in a park or on water)", distance_m=dist)
        return p

    def _direct(self, segment: int, t: float, allowed: np.ndarray | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stations on the point's own segment, reached along it: (station, metres, seconds),
        station legs included."""
        found = self._by_segment.get(segment)
        if not found:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        ids, metres, seconds = [], [], []
        for i in found:
            if allowed is not None and not allowed[i]:
                continue
            m, s = along(self.network, segment, t, float(self.placement.t[i]))
            if np.isfinite(m):
                ids.append(i)
                metres.append(m + self.station_leg_m[i])
                seconds.append(s + self.station_leg_s[i])
        return np.array(ids, np.int64), np.array(metres), np.array(seconds)

    # --- filters ---

    def _static_mask(self, kinds: frozenset[str] | None, services: frozenset[str]) -> np.ndarray:
        """The on-network stations of ``kinds`` offering ``services`` (a fresh copy)."""
        cache = self.__dict__.setdefault("_masks", {})
        mask = cache.get((kinds, services))
        if mask is None:
            mask = self.on_network.copy()
            if kinds is not None:
                mask &= np.logical_or.reduce([self._kind_mask[k] for k in kinds])
            if services:
                mask &= np.array([services <= s.services for s in self.stations], bool)
            if len(cache) > 256:
                cache.clear()
            cache[(kinds, services)] = mask
        return mask.copy()

    def _open_state(self, when: datetime) -> np.ndarray:
        """Per station at ``when`` (minute resolution): 1 open, 0 closed, -1 hours unknown,
        -2 not looked at yet. Filled in lazily by :meth:`_is_open`."""
        key = when.replace(second=0, microsecond=0)
        state = self._open_states.get(key)
        if state is None:
            state = np.full(len(self.stations), -2, np.int8)
            self._open_states[key] = state
            while len(self._open_states) > 8:
                self._open_states.popitem(last=False)
        return state

    def _is_open(self, state: np.ndarray, i: int, when: datetime) -> bool:
        if state[i] == -2:
            is_open = self.stations[i].is_open(when)
            state[i] = -1 if is_open is None else int(is_open)
        return state[i] != 0

    def _allowed(self, kinds, services, when, open_only) -> np.ndarray:
        """Per station, whether it passes the filters (opening hours are looked at once per
        minute and station, then kept)."""
        allowed = self._static_mask(kinds, services)
        if open_only:
            state = self._open_state(when)
            for i in np.flatnonzero(allowed & (state == -2)).tolist():
                self._is_open(state, i, when)
            allowed &= state != 0
        return allowed

    def _chosen(self, kinds, services, when, open_only) -> np.ndarray:
        """Indices of the on-network stations that match every filter."""
        return np.flatnonzero(self._allowed(kinds, services, when, open_only))

    # --- k nearest with filters ---

    def nearest(self, lon: float, lat: float, *, k: int | None = None,
                kinds: Iterable[str] | None = None, services: Iterable[str] | None = None,
                open_at: datetime | str | None = None, open_only: bool = False,
                route: bool = False, snap: Snap | None = None) -> list[Hit]:
        """The k stations nearest by network distance that match every filter.

        Parameters
        ----------
        lon, lat
            Query point in EPSG:4326 degrees.
        k
            How many stations to return, 1 to ``settings.max_k`` (default ``settings.default_k``).
        kinds
            Only stations of these kinds.
        services
            Only stations that offer all of these services.
        open_at
            Time for the ``open`` flag (aware, or naive in the station's zone; None = now).
        open_only
            Only stations open at ``open_at``; filters apply before k is counted.
        route
            Also return the path as (lon, lat) pairs.
        snap
            Where the point meets the network, when the caller has it already
            (:meth:`snap`).

        Returns
        -------
        list of Hit
            Up to k hits in order of distance (fewer when fewer match within reach).
        """
        k = _check_k(settings.default_k if k is None else k)
        kinds = check_kinds(kinds)
        services = check_services(services)
        when = local_time(open_at)
        snap = self.snap(lon, lat) if snap is None else snap
        allowed = self._allowed(kinds, services, when, open_only)
        labels = self._table_for(allowed, k)
        if labels is None and not self.compiled:
            found, pred = self._search_scipy(snap, k, allowed)
            route_to = (lambda i, via: self._route_through(lon, lat, snap, i,
                                                           _chain(pred, via)))
        elif labels is None:
            found, scratch = self._search(snap, k, allowed)
            route_to = (lambda i, via: self._route(lon, lat, snap, i, via, scratch))
        else:
            found = self._from_table(snap, k, allowed, labels)
            route_to = (lambda i, via: self._table_route(lon, lat, snap, i, via, labels))
        speed = access_speed_kmh(self.network.mode) / 3.6
        hits = []
        for rank, (i, metres, seconds, via) in enumerate(found, start=1):
            station = self.stations[i]
            path = route_to(i, via) if route else None
            hits.append(Hit(station, metres + snap.distance_m, seconds + snap.distance_m / speed,
                            station.is_open(when), rank, path, station.next_change(when)))
        return hits

    def _search(self, snap: Snap, k: int, allowed: np.ndarray):
        """The bounded search from the point's foot among the ``allowed`` stations."""
        from geo.network.search import bounded_search

        net = self.network
        scratch = self._scratch
        ent_ptr, ent_station, ent_m, ent_s, _ = self._entries
        direct = self._direct(snap.segment, snap.t, allowed)
        scratch.generation += 1
        stations, metres, seconds, via = bounded_search(
            net.indptr, net.indices, net.length, net.time, np.array(snap.out_node, np.int64),
            np.array(snap.out_m), np.array(snap.out_s), ent_ptr, ent_station, ent_m, ent_s,
            allowed, k, direct[0], direct[1], direct[2], scratch.dist, scratch.tim, scratch.pred,
            scratch.stamp, scratch.generation, *scratch.heap)
        return list(zip(stations.tolist(), metres.tolist(), seconds.tolist(), via.tolist())), \
            scratch

    def _search_scipy(self, snap: Snap, k: int, allowed: np.ndarray):
        """:meth:`_search` with scipy's Dijkstra, bounded by a distance that grows until the k
        nearest lie within it (every station within the bound is found, so they are exact)."""
        net = self.network
        sources = [(n, m, t) for n, m, t in zip(snap.out_node, snap.out_m, snap.out_s)
                   if n >= 0 and np.isfinite(m)]
        _, ent_station, ent_m, ent_s, ent_node = self._entries
        usable = allowed[ent_station]
        ids, direct_m, direct_s = self._direct(snap.segment, snap.t, allowed)
        limit = 2000.0
        while True:
            dist, pred = dijkstra(net.graph("length"), indices=[n for n, _, _ in sources],
                                  limit=limit, return_predecessors=True)
            reach = np.full(len(ent_node), np.inf)
            row = np.zeros(len(ent_node), np.int64)
            for r, (_, offset, _) in enumerate(sources):
                candidate = dist[r, ent_node] + offset
                better = candidate < reach
                reach[better], row[better] = candidate[better], r
            total = np.where(usable, reach + ent_m, np.inf)
            best: dict[int, tuple[float, int]] = {}
            for j in np.argsort(total, kind="stable").tolist():
                if not np.isfinite(total[j]) or len(best) >= k:
                    break
                best.setdefault(int(ent_station[j]), (float(total[j]), j))
            found = [(i, m, self._along_path(pred[row[j]], int(ent_node[j]),
                                             sources[row[j]][2]) + float(ent_s[j]),
                      int(ent_node[j]), int(row[j])) for i, (m, j) in best.items()]
            found += [(int(i), float(m), float(t), -1, 0)
                      for i, m, t in zip(ids.tolist(), direct_m.tolist(), direct_s.tolist())]
            merged: dict[int, tuple] = {}
            for item in sorted(found, key=lambda item: item[1]):
                merged.setdefault(item[0], item)
            ordered = list(merged.values())[:k]
            if (len(ordered) >= k and ordered[-1][1] <= limit) or not np.isfinite(limit):
                break
            limit = limit * 4 if limit < net.length.sum() else np.inf
        chains = {v: r for _, _, _, v, r in ordered}
        return ([(i, m, t, v) for i, m, t, v, _ in ordered],
                {v: pred[r] for v, r in chains.items()})

    def _along_path(self, pred: np.ndarray, node: int, start_s: float) -> float:
        """Seconds along the search tree from its source to ``node``, plus ``start_s``."""
        net = self.network
        total = float(start_s)
        while pred[node] >= 0:
            u = int(pred[node])
            a, b = net.indptr[u], net.indptr[u + 1]
            total += float(net.time[a + int(np.flatnonzero(net.indices[a:b] == node)[0])])
            node = u
        return total

    def _table_for(self, allowed: np.ndarray, k: int):
        """The label table of this station set when it is asked for often enough to pay
        (:data:`geo.settings.nearest_table_after` lookups), else None: a one-off question runs
        the bounded search, a finder serving many workers with the same filters reads tables."""
        after = settings.nearest_table_after
        if after is None:
            return None
        k_table = max(k, settings.default_k)
        key = ("length", k_table, np.flatnonzero(allowed).tobytes())
        with self._table_lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
            asked = self.__dict__.setdefault("_asked", OrderedDict())
            asked[key] = asked.get(key, 0) + 1
            asked.move_to_end(key)
            while len(asked) > 4 * _TABLE_CACHE:
                asked.popitem(last=False)
            if asked[key] < after:
                return None
        return self._labels(np.flatnonzero(allowed), k_table, "length")

    def _from_table(self, snap: Snap, k: int, allowed: np.ndarray, labels):
        """The k nearest from the label tables of the point's two ways into the graph, and the
        stations on its own segment."""
        from geo.network.search import merge_labels

        key, carried, label, _ = labels
        metres, seconds, station, via = merge_labels(
            key, carried, label, np.array([snap.out_node], np.int64), np.array([snap.out_m]),
            np.array([snap.out_s]), key.shape[1])
        found = {int(i): (float(m), float(t), int(v)) for m, t, i, v in
                 zip(metres[0], seconds[0], station[0], via[0]) if i >= 0}
        ids, direct_m, direct_s = self._direct(snap.segment, snap.t, allowed)
        for i, m, t in zip(ids.tolist(), direct_m.tolist(), direct_s.tolist()):
            if i not in found or m < found[i][0]:
                found[i] = (m, t, -1)
        ordered = sorted(found.items(), key=lambda item: item[1][0])[:k]
        return [(i, m, t, v) for i, (m, t, v) in ordered]

    def _table_route(self, lon: float, lat: float, snap: Snap, i: int, via: int, labels
                     ) -> list[tuple[float, float]]:
        from geo.network.search import label_route

        _, _, label, nxt = labels
        nodes = label_route(label, nxt, via, i).tolist() if via >= 0 else []
        return self._route_through(lon, lat, snap, i, nodes)

    @property
    def _scratch(self) -> _Scratch:
        scratch = self.__dict__.get("_scratch_local")
        if scratch is None:
            scratch = _Scratch(self.network.n_nodes)
            object.__setattr__(self, "_scratch_local", scratch)
        if len(scratch.dist) != self.network.n_nodes:  # a new thread: its own arrays
            scratch.__init__(self.network.n_nodes)
        return scratch

    def _route(self, lon: float, lat: float, snap: Snap, i: int, via: int,
               scratch: _Scratch) -> list[tuple[float, float]]:
        nodes = []
        node = via
        while node >= 0:
            nodes.append(node)
            node = int(scratch.pred[node])
        nodes.reverse()
        return self._route_through(lon, lat, snap, i, nodes)

    def _route_through(self, lon: float, lat: float, snap: Snap, i: int, nodes: list[int]
                       ) -> list[tuple[float, float]]:
        """The route from the point, its foot, the nodes, the station's foot to the station."""
        station = self.stations[i]
        foot = (float(self.placement.lon[i]), float(self.placement.lat[i]))
        net = self.network
        inner = [(float(net.lon[n]), float(net.lat[n])) for n in nodes]
        points = [(lon, lat), (snap.lon, snap.lat), *inner, foot, (station.lon, station.lat)]
        # a foot at a node, or a point on the road, gives the same position twice: once is enough
        return [p for j, p in enumerate(points)
                if j == 0 or abs(p[0] - points[j - 1][0]) + abs(p[1] - points[j - 1][1]) > 1e-9]

    # --- many points at once ---

    def nearest_many(self, lon, lat, *, ids=None, k: int | None = None,
                     kinds: Iterable[str] | None = None, services: Iterable[str] | None = None,
                     open_at: datetime | str | None = None, open_only: bool = False):
        """The k nearest matching stations for every point, as one table.

        Parameters
        ----------
        lon, lat
            Arrays of EPSG:4326 degrees.
        ids
            Point ids for the output (default 1, 2, …).

        Returns
        -------
        pandas.DataFrame
            One row per point and rank: ``point_id, rank, station_id, name, kind, distance_m,
            duration_s, open, status``. ``status`` is ``ok``, ``off_network`` (the point is farther
            than ``max_snap_m`` from the network; no distance is given) or ``no_station`` (none
            matches within reach).
        """

        k = _check_k(settings.default_k if k is None else k)
        kinds, services = check_kinds(kinds), check_services(services)
        when = local_time(open_at)
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        ids = list(range(1, len(lon) + 1)) if ids is None else list(ids)
        bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise InputError(f"point {ids[first]!r} has coordinates ({lon[first]}, {lat[first]}) "
                             "out of range", parameter="points")
        chosen = self._chosen(kinds, services, when, open_only)
        metres, seconds, station, placement = self._to_points(lon, lat, chosen, k, "length")
        speed = access_speed_kmh(self.network.mode) / 3.6
        return self._table(ids, station, metres, seconds, placement.distance_m, speed, when)

    def _table(self, ids: list, station: np.ndarray, metres: np.ndarray, seconds: np.ndarray,
               legs: np.ndarray, speed: float, when: datetime):
        """The answer of :meth:`nearest_many` as a DataFrame, built column by column."""
        import pandas as pd

        off = ~(legs <= self.max_snap_m)
        found = (station >= 0) & ~off[:, None]
        empty = ~off & (station[:, 0] < 0)
        hit_p, hit_r = np.nonzero(found)
        lone = np.flatnonzero(off | empty)
        point = np.concatenate([hit_p, lone])
        rank = np.concatenate([hit_r + 1.0, np.full(len(lone), np.nan)])
        order = np.lexsort((np.nan_to_num(rank, nan=0.0), point))
        point, rank = point[order], rank[order]
        which = np.concatenate([station[hit_p, hit_r], np.full(len(lone), -1)])[order]
        dist = np.concatenate([metres[hit_p, hit_r] + legs[hit_p], np.full(len(lone), np.nan)])
        dur = np.concatenate([seconds[hit_p, hit_r] + legs[hit_p] / speed,
                              np.full(len(lone), np.nan)])
        status = np.concatenate([np.full(len(hit_p), "ok", dtype=object),
                                 np.where(off[lone], "off_network", "no_station").astype(object)])
        used = np.unique(which[which >= 0])
        opens = np.full(len(self.stations) + 1, None, dtype=object)
        for i in used.tolist():
            opens[i] = self.stations[i].is_open(when)
        sid = np.array([s.id for s in self.stations] + [None], dtype=object)
        name = np.array([s.name for s in self.stations] + [None], dtype=object)
        kind = np.array([s.kind for s in self.stations] + [None], dtype=object)
        ids = np.asarray(ids, dtype=object)
        return pd.DataFrame({
            "point_id": ids[point], "rank": rank if np.isnan(rank).any() else rank.astype(int),
            "station_id": sid[which], "name": name[which], "kind": kind[which],
            "distance_m": np.round(dist[order], 1), "duration_s": np.round(dur[order], 1),
            "open": opens[which], "status": status[order]})

    def _to_points(self, lon, lat, chosen: np.ndarray, k: int, weight: str,
                   placement: Placement | None = None):
        """The k nearest of ``chosen`` for every point (without the points' own legs): metres,
        seconds, station index arrays of shape ``(points, k)``, and the points' placement.
        With ``weight="time"`` the k are the quickest and the order is by time."""
        from geo.network.search import merge_labels

        if placement is None:  # place the points while the tables are searched (two cores)
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(1) as pool:
                tables = pool.submit(self._labels, chosen, k, weight)
                placement = self.place(lon, lat)
                key, carried, label, _ = tables.result()
        else:
            key, carried, label, _ = self._labels(chosen, k, weight)
        first, second = ((placement.out_m, placement.out_s) if weight == "length"
                         else (placement.out_s, placement.out_m))
        res_key, res_carried, station, _ = merge_labels(key, carried, label, placement.out_node,
                                                        first, second, k)
        allowed = np.zeros(len(self.stations), bool)
        allowed[chosen] = True
        for p in np.flatnonzero(np.isin(placement.segment, list(self._by_segment))).tolist():
            ids, m, s = self._direct(int(placement.segment[p]), float(placement.t[p]), allowed)
            if len(ids):
                self._merge_direct(res_key[p], res_carried[p], station[p], ids,
                                   m if weight == "length" else s,
                                   s if weight == "length" else m)
        if weight == "length":
            return res_key, res_carried, station, placement
        return res_carried, res_key, station, placement

    @staticmethod
    def _merge_direct(keys, carried, station, ids, direct_key, direct_carried) -> None:
        """Merge stations reached along the point's own segment into one point's sorted row."""
        best = {int(i): (float(a), float(b)) for a, b, i in zip(keys, carried, station) if i >= 0}
        for i, a, b in zip(ids.tolist(), direct_key.tolist(), direct_carried.tolist()):
            if i not in best or a < best[i][0]:
                best[i] = (a, b)
        ordered = sorted(best.items(), key=lambda item: item[1][0])[:len(keys)]
        keys[:], carried[:], station[:] = np.inf, np.inf, -1
        for r, (i, (a, b)) in enumerate(ordered):
            keys[r], carried[r], station[r] = a, b, i

    def travel(self, lon, lat, kinds: Iterable[str] | None = None, *,
               services: Iterable[str] | None = None, open_at: datetime | str | None = None,
               open_only: bool = False, weight: str = "time",
               placement: Placement | None = None) -> tuple[np.ndarray, np.ndarray, Placement]:
        """Per point, the travel to its nearest matching station, legs included.

        Returns ``(cost, station, placement)``: minutes (``weight="time"``: the quickest) or
        metres (``"length"``: the nearest), ``inf`` where nothing is in reach or the point is off
        the network; the station's index (-1 for none); and where the points joined the network
        (pass it back as ``placement`` to skip placing the same points again).
        """
        kinds, services = check_kinds(kinds), check_services(services)
        _check_weight(weight)
        when = local_time(open_at) if open_only else None
        chosen = self._chosen(kinds, services, when, open_only)
        metres, seconds, station, placement = self._to_points(lon, lat, chosen, 1, weight,
                                                              placement)
        legs = placement.distance_m
        speed = access_speed_kmh(self.network.mode) / 3.6
        if weight == "length":
            cost = metres[:, 0] + legs
        else:
            cost = (seconds[:, 0] + legs / speed) / 60.0
        off = ~(legs <= self.max_snap_m)
        cost = np.where(off, np.inf, cost)
        return cost, np.where(off, -1, station[:, 0]), placement

    # --- every node's nearest stations at once ---

    def nearest_table(self, kinds: Iterable[str] | None = None, *,
                      services: Iterable[str] | None = None, open_at: datetime | str | None = None,
                      open_only: bool = False, weight: str = "length") -> NearestTable:
        """Every node's nearest matching station, from one search over the whole network.

        Parameters
        ----------
        weight
            ``"length"``: the nearest station by network distance; ``"time"``: the quickest to
            reach (differs from the nearest when driving). The other quantity is measured along
            the chosen path.

        Tables are cached by the set of stations they search from, so hours of the day with the
        same stations open share one search.
        """
        kinds = check_kinds(kinds)
        services = check_services(services)
        _check_weight(weight)
        when = local_time(open_at) if open_only else None
        chosen = self._chosen(kinds, services, when, open_only)
        key, carried, label, _ = self._labels(chosen, 1, weight)
        if weight == "length":
            return NearestTable(key[:, 0], carried[:, 0], label[:, 0])
        return NearestTable(carried[:, 0], key[:, 0], label[:, 0])

    @cached_property
    def _reverse(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The reversed graph as CSR arrays (indptr, indices, metres, seconds)."""
        rev_len = self.network.reverse_graph("length")
        rev_time = self.network.reverse_graph("time")
        if not np.array_equal(rev_len.indices, rev_time.indices):  # pragma: no cover
            raise RuntimeError("the reversed length and time graphs are not aligned")
        return (rev_len.indptr.astype(np.int64), rev_len.indices.astype(np.int64),
                np.asarray(rev_len.data, float), np.asarray(rev_time.data, float))

    def _labels(self, chosen: np.ndarray, k: int, weight: str):
        """Per node, the k nearest (or quickest) of ``chosen``: key, carried value, station and
        next-node arrays of shape ``(n, k)`` (:func:`geo.network.search.k_labels`); cached by
        the station set, weight and k."""
        from geo.network.search import k_labels

        cache_key = (weight, k, chosen.tobytes())
        with self._table_lock:
            found = self._tables.get(cache_key)
            if found is not None:
                self._tables.move_to_end(cache_key)
                return found
        indptr, indices, metres, seconds = self._reverse
        ent_ptr, ent_station, ent_m, ent_s, ent_node = self._entries
        use = np.isin(ent_station, chosen)
        first, second = (ent_m, ent_s) if weight == "length" else (ent_s, ent_m)
        edge_first, edge_second = (metres, seconds) if weight == "length" else (seconds, metres)

        radius = self._label_radius(ent_node[use], ent_station[use], k)
        if weight == "time":  # the radius in seconds, at the network's mean speed
            radius *= float(seconds.sum()) / max(float(metres.sum()), 1e-9)
        found = k_labels(indptr, indices, edge_first, edge_second, self.network.n_nodes,
                                ent_node[use], first[use], second[use], ent_station[use], k,
                                radius)
        with self._table_lock:
            self._tables[cache_key] = found
            while len(self._tables) > _TABLE_CACHE:
                self._tables.popitem(last=False)
        return found

    def _label_radius(self, nodes: np.ndarray, station: np.ndarray, k: int) -> float:
        """About the metres within which most nodes find their ``k`` nearest of these stations:
        the straight-line distance to the k-th distinct station at the 90th percentile of a
        sample of nodes, with a detour allowance. Only the speed of
        :func:`~geo.network.search.k_labels` depends on it, never the answer."""
        from scipy.spatial import cKDTree

        if len(np.unique(station)) <= k:
            return np.inf
        net = self.network
        sample = np.random.default_rng(0).integers(0, net.n_nodes, min(net.n_nodes, 2000))
        tree = cKDTree(np.column_stack([net.x[nodes], net.y[nodes]]))
        reach = min(len(nodes), 3 * k)
        dist, near = tree.query(np.column_stack([net.x[sample], net.y[sample]]), k=reach)
        dist, near = dist.reshape(len(sample), reach), station[near.reshape(len(sample), reach)]
        # nearest first per row: an entry is a new station unless an earlier column has it
        new = np.ones_like(near, dtype=bool)
        for j in range(1, reach):
            new[:, j] = ~(near[:, :j] == near[:, j:j + 1]).any(axis=1)
        at_k = np.cumsum(new, axis=1) == k
        kth = np.where(at_k.any(axis=1), dist[np.arange(len(sample)), at_k.argmax(axis=1)],
                       np.inf)  # the k-th distinct station of each sampled node
        return float(np.percentile(kth, 90)) * _DETOUR

    # --- per-station costs within a budget ---

    def costs(self, lon, lat, *, max_cost: float, weight: str = "time") -> csr_array:
        """Network cost from each point to each station within ``max_cost``, legs included.

        Returns a sparse (points × stations) matrix of minutes (``weight="time"``) or metres
        (``"length"``); pairs beyond ``max_cost``, off the network, or stations off the network
        are absent. Costs of exactly zero are stored as a tiny positive number so they stay
        entries.
        """
        _check_weight(weight)
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        n_points, n_stations = len(lon), len(self.stations)
        placement = self.place(lon, lat)
        legs = placement.distance_m
        on = legs <= self.max_snap_m
        speed = access_speed_kmh(self.network.mode) / 3.6
        scale = 60.0 if weight == "time" else 1.0
        out = placement.out_s if weight == "time" else placement.out_m
        point_leg = (legs / speed if weight == "time" else legs) / scale
        graph, n = self._station_graph(weight)
        usable = np.flatnonzero(self.on_network)
        rows, cols, vals = [], [], []
        nodes = np.where(placement.out_node >= 0, placement.out_node, 0)
        for start in range(0, len(usable), _BLOCK):
            block = usable[start:start + _BLOCK]
            dist = dijkstra(graph, directed=True, indices=n + block, limit=max_cost * scale)
            via = np.minimum(out[:, 0][None, :] + np.where(placement.out_node[:, 0] >= 0,
                                                           dist[:, nodes[:, 0]], np.inf),
                             out[:, 1][None, :] + np.where(placement.out_node[:, 1] >= 0,
                                                           dist[:, nodes[:, 1]], np.inf))
            cost = via / scale + point_leg[None, :]
            j, i = np.nonzero((cost <= max_cost) & on[None, :])
            rows.append(i)
            cols.append(block[j])
            vals.append(np.maximum(cost[j, i], 1e-12))
        matrix = (csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                            shape=(n_points, n_stations)) if rows
                  else csr_array((n_points, n_stations)))
        return self._with_direct(matrix, placement, on, point_leg, scale, weight, max_cost)

    def _with_direct(self, matrix: csr_array, placement: Placement, on: np.ndarray,
                     point_leg: np.ndarray, scale: float, weight: str, max_cost: float
                     ) -> csr_array:
        """``matrix`` with the stations reached along a point's own segment where that is
        cheaper."""
        lil = None
        for p in np.flatnonzero(on & np.isin(placement.segment, list(self._by_segment))).tolist():
            ids, m, s = self._direct(int(placement.segment[p]), float(placement.t[p]), None)
            values = (s if weight == "time" else m) / scale + point_leg[p]
            for i, value in zip(ids.tolist(), values.tolist()):
                if value > max_cost:
                    continue
                lil = matrix.tolil() if lil is None else lil
                old = lil[p, i]
                if old == 0 or value < old:
                    lil[p, i] = max(value, 1e-12)
        return matrix if lil is None else csr_array(lil)

    def _station_graph(self, weight: str) -> tuple[csr_array, int]:
        """The reversed graph with one extra node per station, linked to the nodes it is reached
        from by the part of its edge and its leg: a search from the extra node finds every
        node's cost *to* the station."""
        cache = self.__dict__.setdefault("_station_graphs", {})
        if weight not in cache:
            net = self.network
            n, m = net.n_nodes, len(self.stations)
            _, _, ent_m, ent_s, ent_node = self._entries
            ent_station = self._entries[1]
            rev = net.reverse_graph(weight).tocoo()
            link = ent_m if weight == "length" else ent_s
            rows = np.concatenate([rev.row, n + ent_station])
            cols = np.concatenate([rev.col, ent_node])
            vals = np.concatenate([rev.data, np.maximum(link, 1e-9)])
            graph = csr_array((vals, (rows, cols)), shape=(n + m, n + m))
            graph.sum_duplicates()
            cache[weight] = (graph, n)
        return cache[weight]


def compile_in_background():
    """Compile the engine's searches in a second process (numba, cached on disk), so a first
    run reads its OpenStreetMap extract on one core while the other compiles. Returns the
    process; ``wait()`` on it before the first search to load what it compiled rather than
    compile the same again."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", "from geo.nearest import _exercise; _exercise()"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _exercise() -> None:
    """Run every compiled search once on a small generated city, through the public methods
    (so with the argument types real use compiles for)."""
    from geo.synthetic import city_network, random_points, random_stations

    net = city_network(400)
    finder = StationFinder(net, random_stations(net, 12))
    lon, lat = random_points(net, 5, seed=1)
    finder.nearest_table()
    finder.nearest_table(weight="time")
    finder.nearest_many(lon, lat, k=3)
    finder.nearest(float(lon[0]), float(lat[0]), k=3)
    finder.costs(lon, lat, max_cost=5.0)
