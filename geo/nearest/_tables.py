"""Per set of stations, every node's k nearest of them from one pruned search per station
(:func:`geo.network.search.k_labels`), cached: what coverage, siting, batch lookups and a finder
serving many workers with the same filters read."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cached_property
from typing import NamedTuple

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


class Repairable(NamedTuple):
    """The tables of a finder's stations before some changed, and how to read them now."""

    tables: LabelTables
    #: Per station before (one slot more, for -1), its index now; -1 when gone or changed.
    renumber: np.ndarray
    #: Per station now, whether it is new or changed.
    fresh: np.ndarray
    #: Whether a station kept has another index now.
    shifted: bool


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
        Build a table asked for often enough, and repair one from ``previous``, in a background
        thread, answering by the bounded search until it is ready (a finder updated while
        serving), rather than in the lookup that asked for it.
    reverse
        The network's reversed graph (:attr:`reverse`) when another finder of the same network
        has it already.
    previous
        The tables of the same network before some stations changed (:meth:`handed_on`): a
        table asked for is repaired from the one of the same stations there
        (:func:`geo.network.label_repair.repair_labels`, about a millisecond) rather than
        searched again from every station.
    """

    def __init__(self, network: Network, access: StationAccess, *, background: bool = False,
                 reverse: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
                 previous: Repairable | None = None) -> None:
        self._network = network
        self._access = access
        self._background = background
        self._tables: OrderedDict[tuple[str, int, bytes], Labels] = OrderedDict()
        self._asked: OrderedDict[tuple[str, int, bytes], int] = OrderedDict()
        self._building: set[tuple[str, int, bytes]] = set()
        self._unrepairable: set[tuple[str, int, bytes]] = set()  # no table before to repair
        self._lock = threading.Lock()
        self._previous = previous
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
            repairing = (self._previous is not None and key not in self._building
                         and key not in self._unrepairable)
            if repairing:  # one lookup repairs; the others take the bounded search meanwhile
                self._building.add(key)
        if repairing and self._background:  # the bounded search until it is repaired
            threading.Thread(target=self._repair_later, args=(key, chosen, k_table),
                             daemon=True).start()
            return None
        if repairing:
            try:
                repaired = self._repaired(chosen, k_table, "length")
            finally:
                with self._lock:
                    self._building.discard(key)
            if repaired is not None:
                return self._kept(key, repaired)
        with self._lock:
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

    def _repair_later(self, key: tuple[str, int, bytes], chosen: np.ndarray, k: int) -> None:
        """The table of ``chosen`` repaired in a background thread (the compiled repair releases
        the GIL), or, when there is none before to repair, left to be counted and searched as
        a new one."""
        try:
            repaired = self._repaired(chosen, k, "length")
            if repaired is None:
                with self._lock:
                    self._unrepairable.add(key)
            else:
                self._kept(key, repaired)
        finally:
            with self._lock:
                self._building.discard(key)

    def repair_ahead(self, was: dict[int, int], *, most: int = 4,
                     between: Callable[[], None] | None = None) -> None:
        """Repair now, in the calling thread, the tables the lookups read most recently before
        the change (up to ``most``), for the station sets they would ask for after it, so that
        no lookup takes the bounded search while they are repaired.

        A set after the change is guessed from the set before: its unchanged stations, each
        changed one that was in it (``was``: per changed station now, its index before), and
        a new station on the network when the set was every station on the network. A wrong
        guess costs only the repair: a table is read only by lookups asking for exactly its
        stations. Only for tables handed on from the finder just before (:meth:`handed_on`).
        ``between`` is called before each repair (the compiled repair releases the GIL)."""
        previous = self._previous
        if previous is None:
            return
        with previous.tables._lock:
            keys = list(previous.tables._tables)[-most:]
        on_network = self._access.on_network
        was_on = previous.tables._access.on_network
        fresh = np.flatnonzero(previous.fresh)
        were_on = int(np.count_nonzero(was_on))
        for weight, k, raw in reversed(keys):
            old_chosen = np.frombuffer(raw, np.int64)
            mapped = previous.renumber[old_chosen]
            every = len(old_chosen) == were_on
            joining = [i for i in fresh.tolist() if on_network[i] and (
                np.any(old_chosen == was[i]) if i in was else every)]
            in_set = np.zeros(len(on_network), bool)
            in_set[mapped[mapped >= 0]] = True
            in_set[joining] = True
            chosen = np.flatnonzero(in_set)
            if between is not None:
                between()
            found = self._repaired(chosen, k, weight)
            if found is not None:
                self._kept((weight, k, chosen.tobytes()), found)

    def labels(self, chosen: np.ndarray, k: int, weight: str) -> Labels:
        """Per node, the k nearest (``weight="length"``) or quickest (``"time"``) of the
        stations ``chosen`` (indices), cached by the station set, weight and k."""
        cache_key = (weight, k, chosen.tobytes())
        with self._lock:
            found = self._tables.get(cache_key)
            if found is not None:
                self._tables.move_to_end(cache_key)
                return found
        found = self._repaired(chosen, k, weight)
        if found is None:
            found = self._searched(chosen, k, weight)
        return self._kept(cache_key, found)

    def handed_on(self, kept: np.ndarray) -> Repairable:
        """What the tables of this finder's stations after a change read from (``kept``: per
        station after it, its index here when unchanged, else -1). When these tables have none
        yet, the ones they would have been repaired from, the two changes taken together; either
        way those tables no longer reach further back (one generation is kept)."""
        from geo.nearest._merge import renumbered, renumbering

        renumber = renumbering(kept, len(self._access.on_network))
        fresh = kept < 0
        with self._lock:
            empty = not self._tables
        before = self._previous
        if empty and before is not None:
            same = ~fresh
            fresh[same] = before.fresh[kept[same]]
            renumber = renumber[before.renumber]
            return Repairable(before.tables, renumber, fresh, renumbered(renumber))
        self._previous = None
        return Repairable(self, renumber, fresh, renumbered(renumber))

    def _kept(self, cache_key: tuple[str, int, bytes], found: Labels) -> Labels:
        """``found`` cached under ``cache_key`` (the least used table going when full)."""
        with self._lock:
            self._tables[cache_key] = found
            while len(self._tables) > TABLE_CACHE:
                self._tables.popitem(last=False)
        return found

    def _graph(self, weight: str) -> tuple[np.ndarray, ...]:
        """The reversed graph and the ways into every station, ``weight`` first: (indptr,
        indices, edge weight, edge carried value, node, key, carried value, station)."""
        indptr, indices, metres, seconds = self.reverse
        entries = self._access.entries
        if weight == "length":
            return (indptr, indices, metres, seconds, entries.node, entries.metres,
                    entries.seconds, entries.station)
        return (indptr, indices, seconds, metres, entries.node, entries.seconds, entries.metres,
                entries.station)

    def _searched(self, chosen: np.ndarray, k: int, weight: str) -> Labels:
        """The table of ``chosen`` searched from every one of them."""
        from geo.network.search import k_labels

        indptr, indices, edge_first, edge_second, node, first, second, station = \
            self._graph(weight)
        use = np.isin(station, chosen)
        node, first, second, station = node[use], first[use], second[use], station[use]
        radius = label_radius(self._network, node, station, k)
        if weight == "time":  # the radius in seconds, at the network's mean speed
            radius *= float(edge_first.sum()) / max(float(edge_second.sum()), 1e-9)
        return k_labels(indptr, indices, edge_first, edge_second, self._network.n_nodes, node,
                        first, second, station, k, radius)

    def _repaired(self, chosen: np.ndarray, k: int, weight: str) -> Labels | None:
        """The table of ``chosen`` repaired from one of the tables before the change whose
        unchanged stations are the unchanged ones of ``chosen``; None when there is none."""
        previous = self._previous
        if previous is None:
            return None
        from geo.network.label_repair import repair_labels

        unchanged = chosen[~previous.fresh[chosen]]
        with previous.tables._lock:
            candidates = [(np.frombuffer(raw, np.int64), table)
                          for (w, size, raw), table in previous.tables._tables.items()
                          if w == weight and size == k]
        table = None
        for old_chosen, candidate in candidates:
            mapped = previous.renumber[old_chosen]
            if np.array_equal(mapped[mapped >= 0], unchanged):
                table = candidate
                break
        if table is None:
            return None
        in_set = np.zeros(len(previous.fresh), bool)
        in_set[chosen] = True
        indptr, indices, edge_first, edge_second, node, first, second, station = \
            self._graph(weight)
        return repair_labels(indptr, indices, edge_first, edge_second, table, previous.renumber,
                             previous.shifted, node, first, second, station, in_set,
                             previous.fresh)


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
