"""Per station, a search bounded by a travel budget: the sparse cost matrix from points to
stations that 2SFCA and siting read (:meth:`geo.nearest.StationFinder.costs`)."""

from __future__ import annotations

import threading

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
                                             list(access.by_segment))).tolist():
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
