"""The searches from one query point: the compiled bounded search (numba), scipy's Dijkstra for a
one-off question without the compiler, or the label tables when a station set is asked for
often; and the route to each station found."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
from scipy.sparse.csgraph import dijkstra

from geo.nearest._access import StationAccess
from geo.nearest._tables import Labels
from geo.network import Network
from geo.network.placement import Snap
from geo.stations import Station

#: One station found: (station index, metres, seconds, the node it is reached from; -1 along
#: the point's own segment). Legs of the station included, the point's own not.
Found = tuple[int, float, float, int]
#: The route to a found station (index, node it is reached from) as (lon, lat) pairs.
RouteTo = Callable[[int, int], list[tuple[float, float]]]


class _Scratch(threading.local):
    """Per-thread scratch arrays of the bounded search (several web threads search at once)."""

    def __init__(self, n: int) -> None:
        self.dist = np.zeros(n)
        self.tim = np.zeros(n)
        self.pred = np.zeros(n, np.int64)
        self.stamp = np.zeros(n, np.int64)
        self.generation = 0
        size = 4096  # the heap; a search that needs more grows its own copy
        self.heap = (np.empty(size), np.empty(size, np.int64))


def _chain(preds: dict[int, np.ndarray], via: int) -> list[int]:
    """The nodes from a search's source to ``via`` along ``preds[via]`` (scipy's
    predecessors)."""
    if via < 0:
        return []
    pred = preds[via]
    nodes = [via]
    while pred[nodes[-1]] >= 0:
        nodes.append(int(pred[nodes[-1]]))
    return nodes[::-1]


class PointSearch:
    """The k nearest allowed stations from one snapped point. Safe to share between threads:
    each thread searches in its own scratch arrays.

    Parameters
    ----------
    network
        The network searched.
    stations
        The finder's stations.
    access
        Where they join the network.
    scratch_from
        Another search on the same network whose per-thread scratch arrays this one may share
        (a finder updated from another: no new arrays per thread).
    """

    def __init__(self, network: Network, stations: list[Station], access: StationAccess, *,
                 scratch_from: PointSearch | None = None) -> None:
        self._network = network
        self._stations = stations
        self._access = access
        # made on the first compiled search, unless shared
        self._scratch_local: _Scratch | None = (
            None if scratch_from is None or scratch_from._network is not network
            else scratch_from._scratch)
        self._lock = threading.Lock()

    def find(self, lon: float, lat: float, snap: Snap, k: int, allowed: np.ndarray, *,
             labels: Labels | None, compiled: bool) -> tuple[list[Found], RouteTo]:
        """The k nearest ``allowed`` stations from the point (lon, lat in EPSG:4326) joined to
        the network at ``snap``, in order of distance, and the route to each: read from
        ``labels`` when given, else searched (compiled, or scipy's)."""
        if labels is None and not compiled:
            found, pred = self._search_scipy(snap, k, allowed)
            return found, lambda i, via: self._route_through(lon, lat, snap, i, _chain(pred, via))
        if labels is None:
            found, scratch = self._search(snap, k, allowed)
            return found, lambda i, via: self._route(lon, lat, snap, i, via, scratch)
        found = self._from_table(snap, k, allowed, labels)
        return found, lambda i, via: self._table_route(lon, lat, snap, i, via, labels)

    @property
    def _scratch(self) -> _Scratch:
        """This thread's scratch arrays (``threading.local`` runs ``__init__`` again, with the
        same node count, in each thread that first touches it)."""
        if self._scratch_local is None:
            with self._lock:
                if self._scratch_local is None:
                    self._scratch_local = _Scratch(self._network.n_nodes)
        return self._scratch_local

    def _search(self, snap: Snap, k: int, allowed: np.ndarray) -> tuple[list[Found], _Scratch]:
        """The bounded search from the point's foot among the ``allowed`` stations."""
        from geo.network.search import bounded_search

        net = self._network
        scratch = self._scratch
        entries = self._access.entries
        direct = self._access.direct(snap.segment, snap.t, allowed)
        scratch.generation += 1
        stations, metres, seconds, via = bounded_search(
            net.indptr, net.indices, net.length, net.time, np.array(snap.out_node, np.int64),
            np.array(snap.out_m), np.array(snap.out_s), entries.ptr, entries.station,
            entries.metres, entries.seconds, allowed, k, direct[0], direct[1], direct[2],
            scratch.dist, scratch.tim, scratch.pred, scratch.stamp, scratch.generation,
            *scratch.heap)
        found = list(zip(stations.tolist(), metres.tolist(), seconds.tolist(), via.tolist(),
                         strict=True))
        return found, scratch

    def _search_scipy(self, snap: Snap, k: int, allowed: np.ndarray
                      ) -> tuple[list[Found], dict[int, np.ndarray]]:
        """:meth:`_search` with scipy's Dijkstra, bounded by a distance that grows until the k
        nearest lie within it (every station within the bound is found, so they are exact)."""
        net = self._network
        sources = [(n, m, t) for n, m, t in zip(snap.out_node, snap.out_m, snap.out_s,
                                                strict=True)
                   if n >= 0 and np.isfinite(m)]
        entries = self._access.entries
        usable = allowed[entries.station]
        direct = self._access.direct(snap.segment, snap.t, allowed)
        limit = 2000.0
        while True:
            dist, pred = dijkstra(net.graph("length"), indices=[n for n, _, _ in sources],
                                  limit=limit, return_predecessors=True)
            ordered = self._within(dist, pred, sources, usable, direct, k)
            if (len(ordered) >= k and ordered[-1][1] <= limit) or not np.isfinite(limit):
                break
            limit = limit * 4 if limit < net.length.sum() else np.inf
        chains = {v: r for _, _, _, v, r in ordered}
        return ([(i, m, t, v) for i, m, t, v, _ in ordered],
                {v: pred[r] for v, r in chains.items()})

    def _within(self, dist: np.ndarray, pred: np.ndarray, sources: list[tuple[int, float, float]],
                usable: np.ndarray, direct: tuple[np.ndarray, np.ndarray, np.ndarray], k: int
                ) -> list[tuple[int, float, float, int, int]]:
        """The k nearest found by one bounded scipy search (``dist``, ``pred``: one row per
        source) and along the point's own segment: (station, metres, seconds, node, row)."""
        entries = self._access.entries
        reach = np.full(len(entries.node), np.inf)
        row = np.zeros(len(entries.node), np.int64)
        for r, (_, offset, _) in enumerate(sources):
            candidate = dist[r, entries.node] + offset
            better = candidate < reach
            reach[better], row[better] = candidate[better], r
        total = np.where(usable, reach + entries.metres, np.inf)
        best: dict[int, tuple[float, int]] = {}
        for j in np.argsort(total, kind="stable").tolist():
            if not np.isfinite(total[j]) or len(best) >= k:
                break
            best.setdefault(int(entries.station[j]), (float(total[j]), j))
        found = [(i, m, self._along_path(pred[row[j]], int(entries.node[j]),
                                         sources[row[j]][2]) + float(entries.seconds[j]),
                  int(entries.node[j]), int(row[j])) for i, (m, j) in best.items()]
        found += [(int(i), float(m), float(t), -1, 0)
                  for i, m, t in zip(*(a.tolist() for a in direct), strict=True)]
        merged: dict[int, tuple[int, float, float, int, int]] = {}
        for item in sorted(found, key=lambda item: item[1]):
            merged.setdefault(item[0], item)
        return list(merged.values())[:k]

    def _along_path(self, pred: np.ndarray, node: int, start_s: float) -> float:
        """Seconds along the search tree from its source to ``node``, plus ``start_s``."""
        net = self._network
        total = float(start_s)
        while pred[node] >= 0:
            u = int(pred[node])
            a, b = net.indptr[u], net.indptr[u + 1]
            total += float(net.time[a + int(np.flatnonzero(net.indices[a:b] == node)[0])])
            node = u
        return total

    def _from_table(self, snap: Snap, k: int, allowed: np.ndarray, labels: Labels
                    ) -> list[Found]:
        """The k nearest from the label tables of the point's two ways into the graph, and the
        stations on its own segment."""
        from geo.network.search import merge_labels

        key, carried, label, _ = labels
        metres, seconds, station, via = merge_labels(
            key, carried, label, np.array([snap.out_node], np.int64), np.array([snap.out_m]),
            np.array([snap.out_s]), key.shape[1])
        found = {int(i): (float(m), float(t), int(v)) for m, t, i, v in
                 zip(metres[0], seconds[0], station[0], via[0], strict=True) if i >= 0}
        ids, direct_m, direct_s = self._access.direct(snap.segment, snap.t, allowed)
        for i, m, t in zip(ids.tolist(), direct_m.tolist(), direct_s.tolist(), strict=True):
            if i not in found or m < found[i][0]:
                found[i] = (m, t, -1)
        ordered = sorted(found.items(), key=lambda item: item[1][0])[:k]
        return [(i, m, t, v) for i, (m, t, v) in ordered]

    def _table_route(self, lon: float, lat: float, snap: Snap, i: int, via: int,
                     labels: Labels) -> list[tuple[float, float]]:
        from geo.network.search import label_route

        _, _, label, nxt = labels
        nodes = label_route(label, nxt, via, i).tolist() if via >= 0 else []
        return self._route_through(lon, lat, snap, i, nodes)

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
        station = self._stations[i]
        placement = self._access.placement
        foot = (float(placement.lon[i]), float(placement.lat[i]))
        net = self._network
        inner = [(float(net.lon[n]), float(net.lat[n])) for n in nodes]
        points = [(lon, lat), (snap.lon, snap.lat), *inner, foot, (station.lon, station.lat)]
        # a foot at a node, or a point on the road, gives the same position twice: once is enough
        return [p for j, p in enumerate(points)
                if j == 0 or abs(p[0] - points[j - 1][0]) + abs(p[1] - points[j - 1][1]) > 1e-9]
