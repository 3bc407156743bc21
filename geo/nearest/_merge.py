"""A finder's arrays after a few stations changed, each made in one compiled step.

These run while a server answers lookups in other threads: a numpy call on an array of the
city's stations lets go of the interpreter lock and must wait for it again, and with lookups
running that wait is up to a switch interval each time, so an update made of a hundred such calls
took hundreds of milliseconds and held up the lookups around it. Each function here is one call
that keeps the lock (no ``nogil``) for its few tens of microseconds.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def carried(old: np.ndarray, kept: np.ndarray, fresh: np.ndarray, new: np.ndarray
            ) -> np.ndarray:
    """Rows of ``old`` per new station (``kept``: its row in ``old``, -1 for none), with row
    ``fresh[j]`` set to ``new[j]``; a row neither kept nor fresh is left unset."""
    out = np.empty((len(kept), *old.shape[1:]), old.dtype)
    for i in range(len(kept)):
        if kept[i] >= 0:
            out[i] = old[kept[i]]
    for j in range(len(fresh)):
        out[fresh[j]] = new[j]
    return out


@njit(cache=True)
def carried_or(old: np.ndarray, kept: np.ndarray, fill: object) -> np.ndarray:
    """Per new station its value in ``old`` (``kept``: its row there), ``fill`` where new."""
    out = np.empty(len(kept), old.dtype)
    for i in range(len(kept)):
        out[i] = old[kept[i]] if kept[i] >= 0 else fill
    return out


@njit(cache=True)
def carried_mask(old: np.ndarray, kept: np.ndarray, on_network: np.ndarray) -> np.ndarray:
    """A station mask carried over (``kept`` as in :func:`carried_or`; new stations False),
    and only where ``on_network``."""
    out = np.zeros(len(kept), np.bool_)
    for i in range(len(kept)):
        if kept[i] >= 0:
            out[i] = old[kept[i]] and on_network[i]
    return out


@njit(cache=True)
def renumbering(kept: np.ndarray, n_old: int) -> np.ndarray:
    """Per old station (one more slot for -1), its new index, -1 when it is gone or changed."""
    out = np.full(n_old + 1, -1, np.int64)
    for i in range(len(kept)):
        if kept[i] >= 0:
            out[kept[i]] = i
    return out


@njit(cache=True)
def renumbered(renumber: np.ndarray) -> bool:
    """Whether any station kept (:func:`renumbering`) has another index now."""
    i = 0
    while i < len(renumber) - 1 and (renumber[i] < 0 or renumber[i] == i):
        i += 1
    return i < len(renumber) - 1


@njit(cache=True)
def legs(distance_m: np.ndarray, max_snap_m: float, speed_ms: float
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each station's straight leg (a copy, metres), in seconds at ``speed_ms``, and whether
    it is within ``max_snap_m`` (on the network)."""
    n = len(distance_m)
    metres, seconds, on = np.empty(n), np.empty(n), np.empty(n, np.bool_)
    for i in range(n):
        metres[i] = distance_m[i]
        seconds[i] = distance_m[i] / speed_ms
        on[i] = distance_m[i] <= max_snap_m
    return metres, seconds, on


@njit(cache=True)
def merge_order(old_group: np.ndarray, old_station: np.ndarray, renumber: np.ndarray,
                new_group: np.ndarray, new_station: np.ndarray, count: int) -> np.ndarray:
    """Where each row of a merge comes from, the rows ordered by group (a node, a segment) then
    station: ``e`` for old row ``e`` (its station renumbered, rows of gone stations left out),
    ``-1 - j`` for new row ``j``; a new row goes before a kept one of the same key, as
    ``np.insert`` at ``np.searchsorted`` places it."""
    new_key = np.empty(len(new_group), np.int64)
    for j in range(len(new_group)):
        new_key[j] = new_group[j] * count + new_station[j]
    order = np.argsort(new_key, kind="mergesort")
    rows = np.empty(len(old_station) + len(new_group), np.int64)
    j, at = 0, 0
    for e in range(len(old_station)):
        renumbered = renumber[old_station[e]]
        if renumbered < 0:
            continue
        key = old_group[e] * count + renumbered
        while j < len(order) and new_key[order[j]] <= key:
            rows[at] = -1 - order[j]
            at, j = at + 1, j + 1
        rows[at] = e
        at += 1
    while j < len(order):
        rows[at] = -1 - order[j]
        at, j = at + 1, j + 1
    return rows[:at]


@njit(cache=True)
def gathered(old: np.ndarray, new: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The rows of a merge (:func:`merge_order`) taken from ``old`` and ``new``."""
    out = np.empty(len(rows), old.dtype)
    for i in range(len(rows)):
        out[i] = old[rows[i]] if rows[i] >= 0 else new[-1 - rows[i]]
    return out


@njit(cache=True)
def gathered_stations(old: np.ndarray, new: np.ndarray, rows: np.ndarray,
                      renumber: np.ndarray) -> np.ndarray:
    """:func:`gathered` for the station column: the old rows' stations renumbered."""
    out = np.empty(len(rows), np.int64)
    for i in range(len(rows)):
        out[i] = renumber[old[rows[i]]] if rows[i] >= 0 else new[-1 - rows[i]]
    return out


@njit(cache=True)
def node_pointers(node: np.ndarray, n_nodes: int) -> np.ndarray:
    """The CSR pointer of rows sorted by ``node``: node ``u``'s rows are ``ptr[u]:ptr[u+1]``."""
    ptr = np.zeros(n_nodes + 1, np.int64)
    for e in range(len(node)):
        ptr[node[e] + 1] += 1
    for u in range(n_nodes):
        ptr[u + 1] += ptr[u]
    return ptr
