"""Per set of stations, every node's k nearest of them from one pruned search per station
(:func:`geo.network.search.k_labels`), cached: what coverage, siting, batch lookups and a finder
serving many workers with the same filters read."""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cached_property

import numpy as np

from geo import settings
from geo.nearest._access import StationAccess
from geo.network import Network

#: How many per-node label tables a finder keeps (one per set of stations, weight and k).
TABLE_CACHE = 64
#: Network over straight-line distance allowed for when guessing a search radius (a city's
#: streets detour about 1.2–1.4×; a little more keeps the second pass rare).
_DETOUR = 1.5

#: Per node, ``k`` columns: key (the weight searched by), carried value (the other weight),
#: station index (-1 for none) and next node towards it (:func:`geo.network.search.k_labels`).
Labels = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class LabelTables:
    """The label tables of one finder's stations, cached by station set, weight and k. Safe to
    share between threads: the cache and the lookup counts change under a lock; two threads
    asking for a missing table at once may both compute it (the same answer).

    Parameters
    ----------
    network
        The network searched.
    access
        Where the stations join it.
    background
        Build a table asked for often enough in a background thread, answering by the bounded
        search until it is ready (a finder updated while serving), rather than in the lookup
        that asked for it.
    reverse
        The network's reversed graph (:attr:`reverse`) when another finder of the same network
        has it already.
    """

    def __init__(self, network: Network, access: StationAccess, *, background: bool = False,
                 reverse: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
                 ) -> None:
        self._network = network
        self._access = access
        self._background = background
        self._tables: OrderedDict[tuple[str, int, bytes], Labels] = OrderedDict()
        self._asked: OrderedDict[tuple[str, int, bytes], int] = OrderedDict()
        self._building: set[tuple[str, int, bytes]] = set()
        self._lock = threading.Lock()
        if reverse is not None:
            self.__dict__["reverse"] = reverse

    def __len__(self) -> int:
        """How many tables are kept."""
        with self._lock:
            return len(self._tables)

    @cached_property
    def reverse(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The reversed graph as CSR arrays (indptr, indices, metres, seconds)."""
        rev_len = self._network.reverse_graph("length")
        rev_time = self._network.reverse_graph("time")
        if not np.array_equal(rev_len.indices, rev_time.indices):  # pragma: no cover
            raise RuntimeError("the reversed length and time graphs are not aligned")
        return (rev_len.indptr.astype(np.int64), rev_len.indices.astype(np.int64),
                np.asarray(rev_len.data, float), np.asarray(rev_time.data, float))

    def for_lookups(self, allowed: np.ndarray, k: int) -> Labels | None:
        """The table of this station set when it is asked for often enough to pay
        (:data:`geo.settings.nearest_table_after` lookups), else None: a one-off question runs
        the bounded search, a finder serving many workers with the same filters reads tables.
        The table holds at least :data:`geo.settings.default_k` stations per node."""
        after = settings.nearest_table_after
        if after is None:
            return None
        k_table = max(k, settings.default_k)
        chosen = np.flatnonzero(allowed)
        key = ("length", k_table, chosen.tobytes())
        with self._lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
            self._asked[key] = self._asked.get(key, 0) + 1
            self._asked.move_to_end(key)
            while len(self._asked) > 4 * TABLE_CACHE:
                self._asked.popitem(last=False)
            if self._asked[key] < after:
                return None
            if self._background:
                if key not in self._building:
                    self._building.add(key)
                    threading.Thread(target=self._build_later, args=(key, chosen, k_table),
                                     daemon=True).start()
                return None
        return self.labels(chosen, k_table, "length")

    def _build_later(self, key: tuple[str, int, bytes], chosen: np.ndarray, k: int) -> None:
        """:meth:`labels` in a background thread (the compiled search releases the GIL)."""
        try:
            self.labels(chosen, k, "length")
        finally:
            with self._lock:
                self._building.discard(key)

    def labels(self, chosen: np.ndarray, k: int, weight: str) -> Labels:
        """Per node, the k nearest (``weight="length"``) or quickest (``"time"``) of the
        stations ``chosen`` (indices), cached by the station set, weight and k."""
        from geo.network.search import k_labels

        cache_key = (weight, k, chosen.tobytes())
        with self._lock:
            found = self._tables.get(cache_key)
            if found is not None:
                self._tables.move_to_end(cache_key)
                return found
        indptr, indices, metres, seconds = self.reverse
        entries = self._access.entries
        use = np.isin(entries.station, chosen)
        first, second = ((entries.metres, entries.seconds) if weight == "length"
                         else (entries.seconds, entries.metres))
        edge_first, edge_second = (metres, seconds) if weight == "length" else (seconds, metres)
        radius = label_radius(self._network, entries.node[use], entries.station[use], k)
        if weight == "time":  # the radius in seconds, at the network's mean speed
            radius *= float(seconds.sum()) / max(float(metres.sum()), 1e-9)
        found = k_labels(indptr, indices, edge_first, edge_second, self._network.n_nodes,
                         entries.node[use], first[use], second[use], entries.station[use], k,
                         radius)
        with self._lock:
            self._tables[cache_key] = found
            while len(self._tables) > TABLE_CACHE:
                self._tables.popitem(last=False)
        return found


def label_radius(network: Network, nodes: np.ndarray, station: np.ndarray, k: int) -> float:
    """About the metres within which most nodes find their ``k`` nearest of the stations
    reached from ``nodes`` (``station``: which station each entry reaches): the straight-line
    distance to the k-th distinct station at the 90th percentile of a sample of nodes, with a
    detour allowance. Only the speed of :func:`~geo.network.search.k_labels` depends on it,
    never the answer."""
    from scipy.spatial import cKDTree

    if len(np.unique(station)) <= k:
        return np.inf
    net = network
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
