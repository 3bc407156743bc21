"""Compiled graph searches on the network arrays (numba): the inner loops of the nearest engine.

Two searches, both exact Dijkstra on CSR arrays with a binary heap:

- :func:`k_labels`: from many sources (the stations), every node's ``k`` nearest distinct
  sources. A source in a node's top ``k`` is also in the top ``k`` of the next node on the path
  to it, so a source's search stops where it does not make a node's top ``k``. Run on the
  reversed graph it gives, for every node, the ``k`` nearest stations *from* that node.
- :func:`bounded_search`: from one point, the ``k`` nearest matching stations, stopping as soon as
  they are settled; scratch arrays are stamped with a generation number, so nothing of size ``n``
  is cleared between searches.

Why numba: the searches are scalar loops over a heap, which numpy cannot vectorise and which cost
about 1.6 ms per filtered lookup on a 200,000-node city in pure Python; compiled they take a few
tens of microseconds (``python -m benchmarks nearest`` prints both). Functions are cached on disk
(``cache=True``) so a new process does not compile them again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: The arrays the searches take and return (numba compiles them for their dtypes).
Array = np.ndarray


@njit(cache=True, nogil=True)
def _grow(keys, nodes):
    """The heap's arrays at twice their size (rare: the heap starts large enough for most
    searches). Kept out of the hot path: returning arrays costs reference counting."""
    keys2 = np.empty(2 * len(keys), np.float64)
    nodes2 = np.empty(2 * len(keys), np.int64)
    keys2[:len(keys)] = keys
    nodes2[:len(keys)] = nodes
    return keys2, nodes2


@njit(cache=True, nogil=True)
def _push(keys, nodes, size, key, node):
    """Push onto the binary heap of keys and nodes, with room for one more (``size`` entries in
    use); the caller adds one to its size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        nodes[i] = nodes[parent]
        i = parent
    keys[i] = key
    nodes[i] = node


@njit(cache=True, nogil=True)
def _pop(keys, nodes, size):
    """Remove the smallest entry (``size`` entries in use) and return it; the caller takes one
    from its size."""
    key, node = keys[0], nodes[0]
    size -= 1
    if size > 0:
        last_key, last_node = keys[size], nodes[size]
        i = 0
        while True:
            child = 2 * i + 1
            if child >= size:
                break
            if child + 1 < size and keys[child + 1] < keys[child]:
                child += 1
            if keys[child] >= last_key:
                break
            keys[i] = keys[child]
            nodes[i] = nodes[child]
            i = child
        keys[i] = last_key
        nodes[i] = last_node
    return key, node


def k_labels(indptr: Array, indices: Array, weight: Array, carried: Array, n_nodes: int,
             src_node: Array, src_key: Array, src_carry: Array, src_label: Array, k: int,
             radius: float) -> tuple[Array, Array, Array, Array]:
    """Every node's ``k`` nearest distinct sources, one source at a time.

    Each source's own Dijkstra search in turn, pruned where the source cannot enter a node's top
    ``k``: the node already holds ``k`` sources at most that far, and by the property in the
    module docstring no node behind it can take the source either. On a first pass the searches
    also stop at ``radius``; a source cut there where a list could still take it is searched
    again without it. Each search stays in one neighbourhood, so its memory stays in cache; a
    multi-source search (one heap for all sources) jumps across the whole city at every step and
    is about twice as slow at ``k = 10`` on a 200,000-node city, 1.5× at ``k = 1``.

    Parameters
    ----------
    indptr, indices, weight, carried
        The graph to search (CSR) with the weight that orders the search and a second value
        summed along the same paths (for example metres and seconds).
    src_node, src_key, src_carry, src_label
        One entry per way into the graph: the node, its starting weight and carried value, and
        the source (label) it belongs to. A source may have several entries.
    k
        Labels per node.
    radius
        In the units of ``weight``: about the distance within which most nodes find their ``k``
        sources. It sets the speed only, never the answer. Sources are taken in a fixed
        scattered order, so the early ones, which search unpruned, are spread over the city.

    Returns
    -------
    key, value, label, next : arrays of shape ``(n_nodes, k)``
        Sorted by key per node; ``inf`` / ``inf`` / -1 where a node has fewer than ``k`` sources
        in reach. ``next`` is the node the path to that source goes through next (-1 where the
        node is the source's own entry): a route is read by following it, the source being in
        the next node's labels too.
    """
    src_label = np.asarray(src_label, np.int64)
    order = np.argsort(src_label, kind="stable")
    label_s = src_label[order]
    starts = np.flatnonzero(np.r_[True, label_s[1:] != label_s[:-1]]) if len(order) else order
    starts = np.r_[starts, len(order)].astype(np.int64)
    groups = len(starts) - 1
    turn = np.argsort((np.arange(groups) * 2654435761) % 4294967296)  # a fixed scatter (Knuth)
    return _k_labels(indptr, indices, weight, carried, n_nodes, src_node[order], src_key[order],
                     src_carry[order], label_s, starts, turn, k, float(radius))


@njit(cache=True, nogil=True)
def _k_labels(indptr, indices, weight, carried, n_nodes, node_s, key_s, carry_s, label_s, starts,
              turn, k, radius):
    """:func:`k_labels` on entries sorted by source (``starts``: where each source's begin),
    the sources searched in the order ``turn``."""
    groups = len(starts) - 1
    out = (np.full((n_nodes, k), np.inf), np.full((n_nodes, k), np.inf),
           np.full((n_nodes, k), -1, np.int64), np.full((n_nodes, k), -1, np.int64))
    count = np.zeros(n_nodes, np.int64)
    kth = np.full(n_nodes, np.inf)  # the k-th key while a node's list is full, else inf
    scratch = (np.empty(n_nodes), np.empty(n_nodes), np.empty(n_nodes, np.int64),
               np.zeros(n_nodes, np.int64))
    keys = np.empty(max(1024, n_nodes // 8), np.float64)
    nodes = np.empty(len(keys), np.int64)
    generation = 0
    cut = np.zeros(groups, np.bool_)
    for again in range(2):
        for g in turn:
            if again == 1 and not cut[g]:
                continue
            recheck = again == 1  # a second search, or a rerun: lists may hold this source
            while True:
                generation += 1
                status = _source_search(indptr, indices, weight, carried, starts[g],
                                        starts[g + 1], node_s, key_s, carry_s, label_s[starts[g]],
                                        k, radius if again == 0 else np.inf, out, count, kth,
                                        scratch, generation, keys, nodes, recheck)
                if status >= 0:
                    break
                recheck = True
                keys = np.empty(2 * len(keys), np.float64)  # the heap was full: a larger one
                nodes = np.empty(len(keys), np.int64)
            cut[g] = status == 1
    return out


@njit(cache=True, nogil=True)
def _source_search(indptr, indices, weight, carried, lo, hi, src_node, src_key, src_carry, label,  # noqa: C901 - one compiled loop: numba calls a helper per settled node
                   k, limit, out, count, kth, scratch, generation, keys, nodes, recheck):
    """One source's pruned search for :func:`k_labels`: 1 when the ``limit`` cut it where
    a list could still take it, 0 when not, -1 when the heap ran out of room (nothing written
    that a rerun would not write again). Only a search again (``recheck``, a source the first
    pass cut) can meet lists that hold its source already: a first search settles each node
    once, so it skips looking."""
    out_key, out_value, out_label, out_next = out
    dist, value, pred, stamp = scratch
    size = 0
    for i in range(lo, hi):
        u = src_node[i]
        if u < 0 or not np.isfinite(src_key[i]):
            continue
        if stamp[u] != generation or src_key[i] < dist[u]:
            stamp[u] = generation
            dist[u] = src_key[i]
            value[u] = src_carry[i]
            pred[u] = -1
            if size == len(keys):
                return -1
            _push(keys, nodes, size, src_key[i], u)
            size += 1
    status = 0
    while size > 0:
        d, u = _pop(keys, nodes, size)
        size -= 1
        if d > dist[u] or d > kth[u]:
            continue
        c = count[u]
        held = False
        if recheck:  # searched again: the first search of this source may have labelled u
            for j in range(c):
                if out_label[u, j] == label:
                    held = True
                    break
        if not held:
            if d >= kth[u]:
                continue
            if d > limit:
                status = 1
                continue
            j = min(c, k - 1)  # insert in order; a full list drops its last
            while j > 0 and out_key[u, j - 1] > d:
                out_key[u, j] = out_key[u, j - 1]
                out_value[u, j] = out_value[u, j - 1]
                out_label[u, j] = out_label[u, j - 1]
                out_next[u, j] = out_next[u, j - 1]
                j -= 1
            out_key[u, j] = d
            out_value[u, j] = value[u]
            out_label[u, j] = label
            out_next[u, j] = pred[u]
            if c < k:
                count[u] = c + 1
            if count[u] == k:
                kth[u] = out_key[u, k - 1]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weight[e]
            if nd > kth[v]:
                continue
            if stamp[v] != generation or nd < dist[v]:
                stamp[v] = generation
                dist[v] = nd
                value[v] = value[u] + carried[e]
                pred[v] = u
                if size == len(keys):
                    return -1
                _push(keys, nodes, size, nd, v)
                size += 1
    return status


@njit(cache=True, nogil=True)
def bounded_search(indptr: Array, indices: Array, length: Array, time: Array, src_node: Array,
                   src_m: Array, src_s: Array, ent_ptr: Array, ent_station: Array, ent_m: Array,
                   ent_s: Array, allowed: Array, k: int, direct_station: Array, direct_m: Array,
                   direct_s: Array, dist: Array, tim: Array, pred: Array, stamp: Array,
                   generation: int, heap_keys: Array,
                   heap_nodes: Array) -> tuple[Array, Array, Array, Array]:
    """The ``k`` nearest allowed stations from one point, by network distance.

    Parameters
    ----------
    src_node, src_m, src_s
        Where the point enters the graph (up to two nodes) with the metres and seconds to them.
    ent_ptr, ent_station, ent_m, ent_s
        Per node (CSR over nodes), the stations reached from it and the metres and seconds from
        the node to the station (legs included).
    allowed
        Per station, whether it may be returned (the filters).
    direct_station, direct_m, direct_s
        Stations reached without entering the graph (on the point's own segment).
    dist, tim, pred, stamp, generation
        Scratch arrays of the caller, valid where ``stamp == generation``; ``pred`` is left set
        for the route.
    heap_keys, heap_nodes
        The caller's heap arrays (grown here when a search needs more).

    Returns
    -------
    station, metres, seconds, via
        Up to ``k`` stations in order of distance; ``via`` is the node where the path leaves the
        graph (-1 for a direct path).
    """
    best_station = np.full(k, -1, np.int64)
    best_m = np.full(k, np.inf)
    best_s = np.full(k, np.inf)
    best_via = np.full(k, -1, np.int64)
    found = 0
    for i in range(len(direct_station)):
        found = _offer(best_station, best_m, best_s, best_via, found, k,
                       direct_station[i], direct_m[i], direct_s[i], -1)
    keys, nodes = heap_keys, heap_nodes
    size = 0
    for i in range(len(src_node)):
        u = src_node[i]
        if u < 0 or not np.isfinite(src_m[i]):
            continue
        if stamp[u] != generation or src_m[i] < dist[u]:
            dist[u] = src_m[i]
            tim[u] = src_s[i]
            pred[u] = -1
            stamp[u] = generation
            _push(keys, nodes, size, src_m[i], u)
            size += 1
    while size > 0:
        d, u = _pop(keys, nodes, size)
        size -= 1
        if d > dist[u]:
            continue
        if found >= k and d >= best_m[k - 1]:
            break
        for j in range(ent_ptr[u], ent_ptr[u + 1]):
            station = ent_station[j]
            if allowed[station]:
                found = _offer(best_station, best_m, best_s, best_via, found, k, station,
                               d + ent_m[j], tim[u] + ent_s[j], u)
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + length[e]
            if stamp[v] != generation or nd < dist[v]:
                dist[v] = nd
                tim[v] = tim[u] + time[e]
                pred[v] = u
                stamp[v] = generation
                if size == len(keys):
                    keys, nodes = _grow(keys, nodes)
                _push(keys, nodes, size, nd, v)
                size += 1
    return best_station[:found], best_m[:found], best_s[:found], best_via[:found]


@njit(cache=True, nogil=True)
def _offer(best_station, best_m, best_s, best_via, found, k, station, metres, seconds, via):
    """Put a station into the sorted best-k list (improving its entry if it is there already);
    returns the new count."""
    at = -1
    for i in range(found):
        if best_station[i] == station:
            at = i
            break
    if at >= 0:
        if metres >= best_m[at]:
            return found
        for i in range(at, found - 1):  # take it out; it goes back in at its new place
            best_station[i] = best_station[i + 1]
            best_m[i] = best_m[i + 1]
            best_s[i] = best_s[i + 1]
            best_via[i] = best_via[i + 1]
        found -= 1
    elif found >= k and metres >= best_m[k - 1]:
        return found
    i = min(found, k - 1)
    while i > 0 and best_m[i - 1] > metres:
        best_station[i] = best_station[i - 1]
        best_m[i] = best_m[i - 1]
        best_s[i] = best_s[i - 1]
        best_via[i] = best_via[i - 1]
        i -= 1
    best_station[i] = station
    best_m[i] = metres
    best_s[i] = seconds
    best_via[i] = via
    return min(found + 1, k)


@njit(cache=True, nogil=True)
def merge_labels(label_m: Array, label_s: Array, label_id: Array, out_node: Array, out_m: Array,
                 out_s: Array, k: int) -> tuple[Array, Array, Array, Array]:
    """Per point, the ``k`` nearest distinct labels over its ways into the graph.

    ``out_node``, ``out_m``, ``out_s`` are ``(points, 2)``: the nodes a point leaves to and the
    metres and seconds to them; the labels are per node (from :func:`k_labels`). Returns
    ``(points, k)`` arrays of metres, seconds, label ids (``inf`` / -1 where fewer) and the node
    each path enters the graph at.
    """
    n = out_node.shape[0]
    res_m = np.full((n, k), np.inf)
    res_s = np.full((n, k), np.inf)
    res_id = np.full((n, k), -1, np.int64)
    res_via = np.full((n, k), -1, np.int64)
    for p in range(n):
        found = 0
        for side in range(out_node.shape[1]):
            u = out_node[p, side]
            if u < 0 or not np.isfinite(out_m[p, side]):
                continue
            for j in range(k):
                label = label_id[u, j]
                if label < 0:
                    break
                found = _offer(res_id[p], res_m[p], res_s[p], res_via[p], found, k, label,
                               out_m[p, side] + label_m[u, j], out_s[p, side] + label_s[u, j],
                               u)
    return res_m, res_s, res_id, res_via


@njit(cache=True, nogil=True)
def label_route(label_id: Array, label_next: Array, node: int, label: int) -> Array:
    """The nodes from ``node`` to where ``label``'s source joins the graph, following the
    ``next`` of :func:`k_labels`."""
    path = np.empty(64, np.int64)
    n = 0
    while node >= 0 and n < len(label_id):
        if n == len(path):
            longer = np.empty(2 * n, np.int64)
            longer[:n] = path
            path = longer
        path[n] = node
        n += 1
        nxt = -1
        for j in range(label_id.shape[1]):
            if label_id[node, j] == label:
                nxt = label_next[node, j]
                break
        node = nxt
    return path[:n]
