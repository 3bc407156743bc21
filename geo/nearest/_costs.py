"""Per station, a search bounded by a travel budget: the sparse cost matrix from points to
stations that 2SFCA reads (:meth:`geo.nearest.StationFinder.costs`); for siting, which pairs
are within the budget (:meth:`BudgetCosts.within`, searching from the points or from the
stations, whichever are fewer) and each point's cost to the nearest of some stations
(:meth:`BudgetCosts.nearest_cost`, one search from all of them at once)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from geo.nearest._access import StationAccess, access_speed_kmh
from geo.network.placement import Placement, place

#: Stations per block in the per-station bounded searches.
_BLOCK = 32


class BudgetCosts:
    """Costs from points to one finder's stations within a budget. Safe to share between
    threads (the per-weight search graph is built once under a lock).

    Parameters
    ----------
    access
        Where the stations join the network.
    """

    def __init__(self, access: StationAccess) -> None:
        self._access = access
        self._graphs: dict[str, csr_array] = {}
        self._forward: dict[str, csr_array] = {}
        self._lock = threading.Lock()

    def costs(self, lon: ArrayLike, lat: ArrayLike, *, max_cost: float, weight: str,
              max_snap_m: float) -> csr_array:
        """Network cost from each point (EPSG:4326) to each station within ``max_cost``
        (minutes for ``weight="time"``, metres for ``"length"``), legs included; points farther
        than ``max_snap_m`` metres from the network have no entries. See
        :meth:`geo.nearest.StationFinder.costs`."""
        access = self._access
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        n_points, n_stations = len(lon), len(access.leg_m)
        placement = place(access.network, lon, lat)
        legs = placement.distance_m
        on = legs <= max_snap_m
        speed = access_speed_kmh(access.network.mode) / 3.6
        scale = 60.0 if weight == "time" else 1.0
        out = placement.out_s if weight == "time" else placement.out_m
        point_leg = (legs / speed if weight == "time" else legs) / scale
        graph = self.station_graph(weight)
        n = access.network.n_nodes
        usable = np.flatnonzero(access.on_network)
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
        access = self._access
        lil = None
        for p in np.flatnonzero(on & np.isin(placement.segment,
                                             access.segments)).tolist():
            ids, m, s = access.direct(int(placement.segment[p]), float(placement.t[p]), None)
            values = (s if weight == "time" else m) / scale + point_leg[p]
            for i, value in zip(ids.tolist(), values.tolist(), strict=True):
                if value > max_cost:
                    continue
                lil = matrix.tolil() if lil is None else lil
                old = lil[p, i]
                if old == 0 or value < old:
                    lil[p, i] = max(value, 1e-12)
        return matrix if lil is None else csr_array(lil)

    def within(self, lon: ArrayLike, lat: ArrayLike, *, max_cost: float, weight: str,
               max_snap_m: float, stations: np.ndarray | None = None,
               check: Callable[[float], None] | None = None) -> csr_array:
        """Which stations each point reaches within ``max_cost`` (as :meth:`costs` counts it):
        a boolean (points × stations) CSR with int32 indices and no costs kept.

        Searches from the points (one search each on the network with the stations as extra
        nodes) when they are fewer than the stations, else from the stations as :meth:`costs`
        does; a pair's cost may then differ from :meth:`costs`'s in the last bits (the sum runs
        the other way). ``stations`` (a boolean per station) leaves out the others. ``check``
        is called after every block with the number of pairs the whole matrix is projected to
        hold, so that a caller can stop before the matrix is built.
        """
        access = self._access
        n_stations = len(access.leg_m)
        allowed = access.on_network.copy() if stations is None else (
            np.asarray(stations, bool) & access.on_network)
        q = _Query(access, lon, lat, weight=weight, max_snap_m=max_snap_m)
        cols = np.flatnonzero(allowed)
        points = np.flatnonzero(q.on)
        pairs: list[tuple[np.ndarray, np.ndarray]] = []
        if len(cols) and len(points):
            sources = points if len(points) < len(cols) else cols
            blocks = (self._from_points if sources is points else self._from_stations)(
                q, points, cols, max_cost)
            held = 0
            for done, (i, j) in blocks:
                pairs.append((i.astype(np.int32), j.astype(np.int32)))
                held += len(i)
                if check is not None:
                    check(held * len(sources) / max(done, 1))
        direct = q.direct_pairs(allowed, max_cost)
        if len(direct[0]):
            pairs.append(direct)
        n_points = len(q.point_leg)
        if not pairs:
            return csr_array((np.zeros(0, bool), np.zeros(0, np.int32),
                              np.zeros(n_points + 1, np.int32)), shape=(n_points, n_stations))
        rows = np.concatenate([p[0] for p in pairs])
        columns = np.concatenate([p[1] for p in pairs])
        pairs.clear()
        order = np.lexsort((columns, rows))
        rows, columns = rows[order], columns[order]
        keep = np.ones(len(rows), bool)
        keep[1:] = (rows[1:] != rows[:-1]) | (columns[1:] != columns[:-1])
        rows, columns = rows[keep], columns[keep]
        indptr = np.searchsorted(rows, np.arange(n_points + 1)).astype(np.int32)
        return csr_array((np.ones(len(columns), bool), columns, indptr),
                         shape=(n_points, n_stations))

    def _from_stations(self, q: _Query, points: np.ndarray, cols: np.ndarray,
                       max_cost: float) -> Iterator[tuple[int, tuple[np.ndarray, np.ndarray]]]:
        """Blocks of (point, station) pairs within ``max_cost``, searching from the stations on
        the reversed graph; yields (stations searched so far, pairs)."""
        graph = self.station_graph(q.weight)
        n = self._access.network.n_nodes
        nodes = np.where(q.out_node >= 0, q.out_node, 0)
        for start in range(0, len(cols), _BLOCK):
            block = cols[start:start + _BLOCK]
            dist = dijkstra(graph, directed=True, indices=n + block, limit=max_cost * q.scale)
            via = np.minimum(
                q.out[:, 0][None, :] + np.where(q.out_node[:, 0] >= 0, dist[:, nodes[:, 0]],
                                                np.inf),
                q.out[:, 1][None, :] + np.where(q.out_node[:, 1] >= 0, dist[:, nodes[:, 1]],
                                                np.inf))
            del dist
            cost = via / q.scale + q.point_leg[None, :]
            j, i = np.nonzero((cost <= max_cost) & q.on[None, :])
            yield start + len(block), (i, block[j])

    def _from_points(self, q: _Query, points: np.ndarray, cols: np.ndarray, max_cost: float
                     ) -> Iterator[tuple[int, tuple[np.ndarray, np.ndarray]]]:
        """The same, searching from each point (an extra node linked to the nodes it leaves
        to) on the forward graph with the stations as extra nodes."""
        n = self._access.network.n_nodes
        m = len(self._access.leg_m)
        forward = self.forward_graph(q.weight).tocoo()
        first = n + m
        node = q.out_node[points]
        cost = q.out[points]
        src = np.repeat(np.arange(len(points)), 2)
        node, cost = node.ravel(), cost.ravel()
        ok = node >= 0
        # a point whose two ways lead to one node keeps the cheaper (a sum would be wrong)
        frame = np.lexsort((cost[ok], node[ok], src[ok]))
        s_ok, n_ok, c_ok = src[ok][frame], node[ok][frame], cost[ok][frame]
        first_of = np.ones(len(s_ok), bool)
        first_of[1:] = (s_ok[1:] != s_ok[:-1]) | (n_ok[1:] != n_ok[:-1])
        graph = csr_array((np.concatenate([forward.data, c_ok[first_of]]),
                           (np.concatenate([forward.row, first + s_ok[first_of]]),
                            np.concatenate([forward.col, n_ok[first_of]]))),
                          shape=(first + len(points), first + len(points)))
        for start in range(0, len(points), _BLOCK):
            block = np.arange(start, min(start + _BLOCK, len(points)))
            dist = dijkstra(graph, directed=True, indices=first + block,
                            limit=max_cost * q.scale)[:, n + cols]
            total = dist / q.scale + q.point_leg[points[block]][:, None]
            i, j = np.nonzero(total <= max_cost)
            yield start + len(block), (points[block[i]], cols[j])

    def nearest_cost(self, lon: ArrayLike, lat: ArrayLike, *, max_cost: float, weight: str,
                     max_snap_m: float, stations: np.ndarray | None = None) -> np.ndarray:
        """Each point's cost to the nearest of the ``stations`` (a boolean per station; None:
        all), counted as :meth:`costs` counts it, when within ``max_cost``; ``inf`` beyond, off
        the network or with no station. One search from all the stations at once: the minimum
        of :meth:`costs`'s row over those stations, to the last bit."""
        access = self._access
        allowed = access.on_network.copy() if stations is None else (
            np.asarray(stations, bool) & access.on_network)
        q = _Query(access, lon, lat, weight=weight, max_snap_m=max_snap_m)
        best = np.full(len(q.point_leg), np.inf)
        if allowed.any():
            n = access.network.n_nodes
            dist = dijkstra(self.station_graph(weight), directed=True,
                            indices=n + np.flatnonzero(allowed), limit=max_cost * q.scale,
                            min_only=True)
            nodes = np.where(q.out_node >= 0, q.out_node, 0)
            via = np.minimum(q.out[:, 0] + np.where(q.out_node[:, 0] >= 0, dist[nodes[:, 0]],
                                                    np.inf),
                             q.out[:, 1] + np.where(q.out_node[:, 1] >= 0, dist[nodes[:, 1]],
                                                    np.inf))
            best = np.where(q.on, via / q.scale + q.point_leg, np.inf)
            p, _, value = q.direct(allowed)
            np.minimum.at(best, p, value)
        best[best > max_cost] = np.inf
        return best

    def forward_graph(self, weight: str) -> csr_array:
        """:meth:`station_graph` turned round: the network with an extra node per station that
        the nodes it is reached from lead to. Built once per weight."""
        with self._lock:
            graph = self._forward.get(weight)
        if graph is None:
            graph = csr_array(self.station_graph(weight).T.tocsr())
            with self._lock:
                self._forward[weight] = graph
        return graph

    def station_graph(self, weight: str) -> csr_array:
        """The reversed graph with one extra node per station (``n_nodes + i``), linked to the
        nodes it is reached from by the part of its edge and its leg: a search from the extra
        node finds every node's cost *to* the station (seconds or metres). Built once per
        weight."""
        with self._lock:
            graph = self._graphs.get(weight)
            if graph is None:
                graph = self._graphs[weight] = self._build_graph(weight)
        return graph

    def _build_graph(self, weight: str) -> csr_array:
        access = self._access
        net = access.network
        n, m = net.n_nodes, len(access.leg_m)
        entries = access.entries
        rev = net.reverse_graph("length" if weight == "length" else "time").tocoo()
        link = entries.metres if weight == "length" else entries.seconds
        rows = np.concatenate([rev.row, n + entries.station])
        cols = np.concatenate([rev.col, entries.node])
        vals = np.concatenate([rev.data, np.maximum(link, 1e-9)])
        graph = csr_array((vals, (rows, cols)), shape=(n + m, n + m))
        graph.sum_duplicates()
        return graph


class _Query:
    """Points placed on a finder's network, with what every budget search reads of them."""

    def __init__(self, access: StationAccess, lon: ArrayLike, lat: ArrayLike, *, weight: str,
                 max_snap_m: float) -> None:
        self.access = access
        self.weight = weight
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        self.placement = placement = place(access.network, lon, lat)
        legs = placement.distance_m
        self.on = legs <= max_snap_m
        speed = access_speed_kmh(access.network.mode) / 3.6
        self.scale = 60.0 if weight == "time" else 1.0
        self.out = placement.out_s if weight == "time" else placement.out_m
        self.out_node = placement.out_node
        self.point_leg = (legs / speed if weight == "time" else legs) / self.scale

    def direct(self, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stations reached along a point's own segment: (point, station, cost) arrays."""
        access, placement = self.access, self.placement
        points, ids, values = [], [], []
        for p in np.flatnonzero(self.on & np.isin(placement.segment,
                                                  access.segments)).tolist():
            found, m, s = access.direct(int(placement.segment[p]), float(placement.t[p]),
                                        allowed)
            points.append(np.full(len(found), p))
            ids.append(found)
            values.append((s if self.weight == "time" else m) / self.scale + self.point_leg[p])
        if not points:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(points), np.concatenate(ids), np.concatenate(values)

    def direct_pairs(self, allowed: np.ndarray, max_cost: float) -> tuple[np.ndarray, np.ndarray]:
        """The (point, station) pairs of :meth:`direct` within ``max_cost``, int32."""
        p, s, value = self.direct(allowed)
        ok = value <= max_cost
        return p[ok].astype(np.int32), s[ok].astype(np.int32)
