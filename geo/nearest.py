"""The exact nearest-station engine: snapping, multi-source searches, filtered k-nearest, routes.

A :class:`StationFinder` is built once from a :class:`~geo.network.Network` and a list of stations
and answers many queries. Distances are exact shortest paths on the network (metres) plus two
straight access legs: from the query point to its nearest network node, and from the station's
nearest node to the station.

Two kinds of search share the same graph:

- per kind, one multi-source Dijkstra (``scipy.sparse.csgraph``) on the reversed graph gives every
  node its nearest station of that kind at once (:meth:`StationFinder.nearest_table`); coverage,
  siting and batch lookups read it;
- a filtered k-nearest query runs a bounded Dijkstra from the point that stops as soon as the k
  nearest stations that match (kind, services, open at a time) are settled.
"""

from __future__ import annotations

import heapq
import math
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
from geo.stations import KINDS, SERVICES, Station, local_time

#: Speed of the straight access legs (point → network, network → station) per mode, km/h.
#: Drivers cover the last metres at walking pace is too pessimistic; a slow road speed is used.


def access_speed_kmh(mode: str) -> float:
    """Speed used on the straight access legs for ``mode``, km/h (from :mod:`geo.settings`)."""
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
        With ``route=True``: the path as a list of (lon, lat), EPSG:4326, from the point to the station.
    """

    station: Station
    distance_m: float
    duration_s: float
    open: bool | None
    rank: int
    route: list[tuple[float, float]] | None = None

    def as_dict(self) -> dict:
        s = self.station
        out = {"rank": self.rank, "id": s.id, "name": s.name, "kind": s.kind,
               "distance_m": round(self.distance_m, 1), "duration_s": round(self.duration_s, 1),
               "lon": s.lon, "lat": s.lat, "open": self.open,
               "services": sorted(s.services), "hours": s.hours, "address": s.address,
               "phone": s.phone, "capacity": s.capacity}
        if self.route is not None:
            out["route"] = {"type": "LineString",
                            "coordinates": [[round(x, 7), round(y, 7)] for x, y in self.route]}
        return out


@dataclass(frozen=True)
class Snap:
    """Where a point meets the network: the node index and the straight leg to it (metres)."""

    node: int
    distance_m: float
    lon: float
    lat: float


@dataclass(frozen=True)
class NearestTable:
    """Every node's nearest station among a set, from one multi-source search.

    Attributes
    ----------
    distance_m
        Per node: network distance from the node to its nearest station, station leg included
        (``inf`` when none is reachable).
    duration_s
        Per node: travel time along that path, seconds.
    station
        Per node: index into :attr:`StationFinder.stations` of that station (-1 when none).
    """

    distance_m: np.ndarray
    duration_s: np.ndarray
    station: np.ndarray


#: How many nearest-station tables a finder keeps.
_TABLE_CACHE = 64
#: Stations per block in the many-points search (a block holds block × nodes distances).
_BLOCK = 32


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= settings.max_k:
        raise InputError(f"`k` was {k!r} but must be a whole number from 1 to {settings.max_k}",
                         parameter="k")
    return int(k)


def _check_point(lon: float, lat: float) -> None:
    for name, value, bound in (("lon", lon, 180), ("lat", lat, 90)):
        if not isinstance(value, (int, float, np.floating)) or not -bound <= value <= bound:
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


@dataclass(frozen=True, eq=False)
class StationFinder:
    """Nearest stations on one network. Build once; rebuilding after a station changes is cheap
    (snapping only; the per-kind tables are computed on first use).

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
    """

    network: Network
    stations: Sequence[Station]
    max_snap_m: float = field(default_factory=lambda: settings.max_snap_m)

    def __post_init__(self):
        object.__setattr__(self, "stations", list(self.stations))
        speed = access_speed_kmh(self.network.mode) / 3.6
        if self.stations:
            lon = np.array([s.lon for s in self.stations])
            lat = np.array([s.lat for s in self.stations])
            nodes, legs = self.network.snap(lon, lat, main_component=True)
        else:
            nodes, legs = np.zeros(0, dtype=np.int64), np.zeros(0)
        on = legs <= self.max_snap_m
        object.__setattr__(self, "station_node", np.where(on, nodes, -1).astype(np.int64))
        object.__setattr__(self, "station_leg_m", legs)
        object.__setattr__(self, "station_leg_s", legs / speed)
        object.__setattr__(self, "_legs", (legs.tolist(), (legs / speed).tolist()))
        object.__setattr__(self, "off_network", [s for s, ok in zip(self.stations, on) if not ok])
        at_node: dict[int, list[int]] = {}
        for i in np.flatnonzero(on):
            at_node.setdefault(int(nodes[i]), []).append(int(i))
        object.__setattr__(self, "_at_node", at_node)
        object.__setattr__(self, "_tables", {})

    # --- snapping ---

    def snap(self, lon: float, lat: float) -> Snap:
        """The network node nearest to (lon, lat) in EPSG:4326.

        Raises
        ------
        OffNetworkError
            When the point is farther than ``max_snap_m`` from the network.
        """
        _check_point(lon, lat)
        node, dist = self.network.snap(np.array([lon], float), np.array([lat], float),
                                       main_component=True)
        node, dist = int(node[0]), float(dist[0])
        if dist > self.max_snap_m:
            raise OffNetworkError(
                f"the point ({lon:.6f}, {lat:.6f}) is {dist:.0f} m from the nearest "
                f"{self.network.mode} road, more than the {self.max_snap_m:.0f} m allowed: it lies "
                "off this network (outside the area, or in a park or on water)", distance_m=dist)
        return Snap(node, dist, float(self.network.lon[node]), float(self.network.lat[node]))

    # --- the adjacency in plain Python lists, for the bounded search ---

    @cached_property
    def _adjacency(self) -> list[list[tuple[int, float, float]]]:
        """Per node, its out-edges as (node, metres, seconds) tuples: the fastest form for a
        search in pure Python."""
        net = self.network
        edges = list(zip(net.indices.tolist(), net.length.tolist(), net.time.tolist()))
        bounds = net.indptr.tolist()
        return [edges[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    # --- k nearest with filters ---

    def nearest(self, lon: float, lat: float, *, k: int | None = None,
                kinds: Iterable[str] | None = None, services: Iterable[str] | None = None,
                open_at: datetime | str | None = None, open_only: bool = False,
                route: bool = False) -> list[Hit]:
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

        Returns
        -------
        list of Hit
            Up to k hits in order of distance (fewer when fewer match within reach).
        """
        k = _check_k(settings.default_k if k is None else k)
        kinds = check_kinds(kinds)
        services = check_services(services)
        when = local_time(open_at)
        snap = self.snap(lon, lat)
        found = self._search(snap.node, k, self._matcher(kinds, services, when, open_only))
        speed = access_speed_kmh(self.network.mode) / 3.6
        hits = []
        for rank, (dist, dur, i, pred) in enumerate(found, start=1):
            station = self.stations[i]
            path = None
            if route:
                path = [(lon, lat)] + self._path(pred, int(self.station_node[i])) + \
                       [(station.lon, station.lat)]
            hits.append(Hit(station, dist + snap.distance_m, dur + snap.distance_m / speed,
                            station.is_open(when), rank, path))
        return hits

    def _matcher(self, kinds, services, when, open_only):
        cache: dict[int, bool] = {}

        def matches(i: int) -> bool:
            if i not in cache:
                s = self.stations[i]
                ok = (kinds is None or s.kind in kinds) and services <= s.services
                if ok and open_only:
                    ok = bool(s.is_open(when))
                cache[i] = ok
            return cache[i]

        return matches

    def _search(self, source: int, k: int, matches) -> list[tuple[float, float, int, dict]]:
        """Bounded Dijkstra from ``source`` that stops once the k best matches are settled.

        A station's total is its node's distance plus its leg, so the search stops when the next
        node's distance reaches the k-th best total found so far. ``reached`` maps each reached node
        to (distance, duration, predecessor).
        """
        adjacency = self._adjacency
        at_node = self._at_node
        leg_m, leg_s = self._legs
        reached = {source: (0.0, 0.0, -1)}
        heap = [(0.0, source)]
        pop, push, inf = heapq.heappop, heapq.heappush, (math.inf,)
        best: list[tuple[float, float, int]] = []  # (total, duration, station), sorted
        bound = math.inf  # the k-th best total so far
        while heap:
            d, u = pop(heap)
            du, tu, _ = reached[u]
            if d > du:
                continue  # a stale entry: u was reached by a shorter path since
            if d >= bound:
                break
            here = at_node.get(u)
            if here is not None:
                for i in here:
                    if matches(i):
                        best.append((d + leg_m[i], tu + leg_s[i], i))
                        best.sort()
                        if len(best) >= k:
                            bound = best[k - 1][0]
            for v, length, time in adjacency[u]:
                nd = d + length
                if nd < reached.get(v, inf)[0]:
                    reached[v] = (nd, tu + time, u)
                    push(heap, (nd, v))
        return [(total, duration, i, reached) for total, duration, i in best[:k]]

    def _path(self, reached: dict, node: int) -> list[tuple[float, float]]:
        nodes = []
        while node >= 0:
            nodes.append(node)
            node = reached[node][2]
        nodes.reverse()
        lon, lat = self.network.lon, self.network.lat
        return [(float(lon[n]), float(lat[n])) for n in nodes]

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
        import pandas as pd

        k = _check_k(settings.default_k if k is None else k)
        kinds, services = check_kinds(kinds), check_services(services)
        when = local_time(open_at)
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        ids = list(range(1, len(lon) + 1)) if ids is None else list(ids)
        bad = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise InputError(f"point {ids[first]!r} has coordinates ({lon[first]}, {lat[first]}) "
                             "out of range", parameter="points")
        if len(lon):
            nodes, legs = self.network.snap(lon, lat, main_component=True)
        else:
            nodes, legs = np.zeros(0, dtype=np.int64), np.zeros(0)
        speed = access_speed_kmh(self.network.mode) / 3.6
        matches = self._matcher(kinds, services, when, open_only)
        table = self.nearest_table(kinds, services=services, open_at=when, open_only=open_only)
        on = legs <= self.max_snap_m
        targets = np.unique(nodes[on])
        if k == 1:
            by_node = {int(x): ([] if table.station[x] < 0 else [(
                float(table.distance_m[x]), float(table.duration_s[x]), int(table.station[x]))])
                for x in targets.tolist()}
        else:
            by_node = self._k_nearest_many(targets, k, table, matches)
        rows = []
        for pid, node, leg in zip(ids, nodes.tolist(), legs.tolist()):
            if leg > self.max_snap_m:
                rows.append((pid, None, None, None, None, None, None, None, "off_network"))
                continue
            found = by_node[node]
            if not found:
                rows.append((pid, None, None, None, None, None, None, None, "no_station"))
            for rank, (d, t, i) in enumerate(found, start=1):
                s = self.stations[i]
                rows.append((pid, rank, s.id, s.name, s.kind, round(d + leg, 1),
                             round(t + leg / speed, 1), s.is_open(when), "ok"))
        return pd.DataFrame(rows, columns=["point_id", "rank", "station_id", "name", "kind",
                                           "distance_m", "duration_s", "open", "status"])

    def _k_nearest_many(self, targets: np.ndarray, k: int, table: NearestTable,
                        matches) -> dict[int, list[tuple[float, float, int]]]:
        """The k nearest matching stations of many nodes at once.

        One bounded search per matching station (``scipy.sparse.csgraph.dijkstra`` on the reversed
        graph, in blocks of stations) within a radius taken from the nearest-station table; a node
        whose k-th best lies within the radius is exact, any other falls back to its own search.
        """
        chosen = np.array([i for i in range(len(self.stations))
                           if self.station_node[i] >= 0 and matches(i)], dtype=np.int64)
        result: dict[int, list[tuple[float, float, int]]] = {}
        first = table.distance_m[targets]
        reachable = np.isfinite(first)
        if len(chosen) == 0 or not reachable.any():
            return {int(x): [] for x in targets.tolist()}
        radius = 3.0 * float(np.percentile(first[reachable], 95)) + self.max_snap_m
        rev = self.network.reverse_graph("length")
        best_d = np.full((k, len(targets)), np.inf)
        best_i = np.full((k, len(targets)), -1, dtype=np.int64)
        for start in range(0, len(chosen), _BLOCK):
            block = chosen[start:start + _BLOCK]
            dist = dijkstra(rev, directed=True, indices=self.station_node[block], limit=radius)
            dist = dist[:, targets] + self.station_leg_m[block, None]
            all_d = np.vstack([best_d, dist])
            all_i = np.vstack([best_i, np.repeat(block[:, None], len(targets), axis=1)])
            order = np.argsort(all_d, axis=0, kind="stable")[:k]
            best_d = np.take_along_axis(all_d, order, axis=0)
            best_i = np.take_along_axis(all_i, order, axis=0)
        exact = best_d[k - 1] <= radius
        durations = self._durations_to(best_d, best_i, targets, exact)
        for j, x in enumerate(targets.tolist()):
            if exact[j]:
                result[x] = [(float(d), float(t), int(i)) for d, t, i in
                             zip(best_d[:, j], durations[:, j], best_i[:, j])]
            else:
                result[x] = [(d, t, i) for d, t, i, _ in self._search(x, k, matches)]
        return result

    def _durations_to(self, best_d: np.ndarray, best_i: np.ndarray, targets: np.ndarray,
                      exact: np.ndarray) -> np.ndarray:
        """Travel times along the shortest paths from ``targets`` to their chosen stations."""
        uniform = self._uniform_speed
        if uniform is not None:
            return best_d / uniform
        out = np.full(best_d.shape, np.inf)
        rev = self.network.reverse_graph("length")
        indptr, indices, time = self.network.indptr, self.network.indices, self.network.time
        pairs: dict[int, list[tuple[int, int]]] = {}
        for r, j in zip(*np.nonzero(np.isfinite(best_d) & exact[None, :])):
            pairs.setdefault(int(best_i[r, j]), []).append((int(r), int(j)))
        for i, wanted in pairs.items():
            reach = max(best_d[r, j] for r, j in wanted)
            _, pred = dijkstra(rev, directed=True, indices=int(self.station_node[i]),
                               limit=reach + 1e-6, return_predecessors=True)
            for r, j in wanted:
                node, total = int(targets[j]), float(self.station_leg_s[i])
                while pred[node] >= 0:
                    nxt = int(pred[node])
                    a, b = indptr[node], indptr[node + 1]
                    total += float(time[a + int(np.searchsorted(indices[a:b], nxt))])
                    node = nxt
                out[r, j] = total
        return out

    @cached_property
    def _uniform_speed(self) -> float | None:
        """The one speed (m/s) of every edge and access leg, when there is one (walk, e-bike)."""
        net = self.network
        speed = access_speed_kmh(net.mode) / 3.6
        if net.n_edges and np.allclose(net.length / net.time, speed, rtol=1e-9):
            return speed
        return None

    # --- every node's nearest station at once ---

    def nearest_table(self, kinds: Iterable[str] | None = None, *,
                      services: Iterable[str] | None = None, open_at: datetime | str | None = None,
                      open_only: bool = False, weight: str = "length") -> NearestTable:
        """Every node's nearest matching station, from one multi-source Dijkstra.

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
        if weight not in ("length", "time"):
            raise InputError(f"`weight` was {weight!r} but must be 'length' or 'time'",
                             parameter="weight")
        when = local_time(open_at) if open_only else None
        chosen = tuple(i for i, s in enumerate(self.stations)
                       if self.station_node[i] >= 0 and (kinds is None or s.kind in kinds)
                       and services <= s.services and (not open_only or s.is_open(when)))
        key = (weight, chosen)
        if key not in self._tables:
            if len(self._tables) >= _TABLE_CACHE:
                self._tables.pop(next(iter(self._tables)))
            self._tables[key] = self._multi_source(np.array(chosen, dtype=np.int64), weight)
        return self._tables[key]

    def _multi_source(self, chosen: np.ndarray, weight: str) -> NearestTable:
        net = self.network
        n = net.n_nodes
        if len(chosen) == 0:
            return NearestTable(np.full(n, np.inf), np.full(n, np.inf), np.full(n, -1, np.int64))
        # Reversed graph (a search *to* the stations) with one virtual node per station, linked to
        # the station's node by its leg, so that the legs count in the ordering.
        m = len(chosen)
        legs = {"length": self.station_leg_m, "time": self.station_leg_s}
        rev = net.reverse_graph(weight).tocoo()
        rows = np.concatenate([rev.row, n + np.arange(m)])
        cols = np.concatenate([rev.col, self.station_node[chosen]])
        vals = np.concatenate([rev.data, np.maximum(legs[weight][chosen], 1e-9)])
        graph = csr_array((vals, (rows, cols)), shape=(n + m, n + m))
        graph.sum_duplicates()
        best, pred, src = dijkstra(graph, directed=True, indices=n + np.arange(m),
                                   min_only=True, return_predecessors=True)
        best, pred, src = best[:n], pred[:n], src[:n]
        station = np.where(src >= 0, chosen[np.clip(src - n, 0, m - 1)], -1).astype(np.int64)
        other = "time" if weight == "length" else "length"
        along = self._along_tree(best, pred, station, getattr(net, other), legs[other])
        if weight == "length":
            return NearestTable(best, along, station)
        return NearestTable(along, best, station)

    def _along_tree(self, best: np.ndarray, pred: np.ndarray, station: np.ndarray,
                    edge_values: np.ndarray, leg_values: np.ndarray) -> np.ndarray:
        """Sum of ``edge_values`` (and the station leg) along each node's path to its station."""
        net = self.network
        n = net.n_nodes
        out = np.full(n, np.inf)
        reached = np.flatnonzero(np.isfinite(best))
        if len(reached) == 0:
            return out
        # Each tree edge is node -> pred[node] in the forward graph.
        forward = pred[reached]
        is_root = forward >= n  # predecessor is a virtual station node: the access leg only
        step = np.zeros(len(reached))
        inner = ~is_root
        step[inner] = _edge_values(net, reached[inner], forward[inner], edge_values)
        step[is_root] = leg_values[station[reached[is_root]]]
        # Accumulate along the tree in search order: parents come before children.
        order = np.argsort(best[reached], kind="stable")
        nodes = reached[order].tolist()
        parents = np.where(is_root, -1, forward)[order].tolist()
        steps = step[order].tolist()
        values = out.tolist()
        for node, parent, value in zip(nodes, parents, steps):
            values[node] = value if parent < 0 else values[parent] + value
        return np.array(values)


def _edge_values(net: Network, u: np.ndarray, v: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` of the forward edges u -> v, looked up in the CSR by sorted (row, column) keys."""
    n = np.int64(net.n_nodes)
    rows = np.repeat(np.arange(net.n_nodes, dtype=np.int64), np.diff(net.indptr))
    keys = rows * n + net.indices.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    at = np.searchsorted(keys, u.astype(np.int64) * n + v.astype(np.int64), sorter=order)
    return values[order[at]]
