"""Compiled graph searches on the network arrays (numba): the inner loops of the nearest engine.

Two searches, both exact Dijkstra on CSR arrays with a binary heap:

- :func:`k_labels`: from many sources at once (the stations), every node's ``k`` nearest distinct
  sources — a multi-source Dijkstra in which a node is settled up to ``k`` times, once per source.
  A source in a node's top ``k`` is also in the top ``k`` of the next node on the path to it, so
  stopping at ``k`` labels per node loses nothing. Run on the reversed graph it gives, for every
  node, the ``k`` nearest stations *from* that node.
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


@njit(cache=True, nogil=True)
def _grow(keys, nodes, labels, carry):
    """The heap's four arrays at twice their size (rare: the heap starts large enough for most
    searches). Kept out of the hot path: returning arrays costs reference counting."""
    grown = max(64, 2 * len(keys))
    keys2 = np.empty(grown, np.float64)
    nodes2 = np.empty(grown, np.int64)
    labels2 = np.empty(grown, np.int64)
    carry2 = np.empty(grown, np.float64)
    keys2[:len(keys)] = keys
    nodes2[:len(keys)] = nodes
    labels2[:len(keys)] = labels
    carry2[:len(keys)] = carry
    return keys2, nodes2, labels2, carry2


@njit(cache=True, nogil=True, inline="always")
def _push(keys, nodes, labels, carry, size, key, node, label, value):
    """Push onto the binary heap held in four arrays with room for one more (``size`` entries
    in use); the caller adds one to its size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        nodes[i] = nodes[parent]
        labels[i] = labels[parent]
        carry[i] = carry[parent]
        i = parent
    keys[i] = key
    nodes[i] = node
    labels[i] = label
    carry[i] = value


@njit(cache=True, nogil=True, inline="always")
def _pop(keys, nodes, labels, carry, size):
    """Remove the smallest entry (``size`` entries in use) and return it; the caller takes one
    from its size."""
    key, node, label, value = keys[0], nodes[0], labels[0], carry[0]
    size -= 1
    if size > 0:
        last_key, last_node, last_label, last_value = (keys[size], nodes[size], labels[size],
                                                       carry[size])
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
            labels[i] = labels[child]
            carry[i] = carry[child]
            i = child
        keys[i] = last_key
        nodes[i] = last_node
        labels[i] = last_label
        carry[i] = last_value
    return key, node, label, value


@njit(cache=True, nogil=True)
def k_labels(indptr, indices, weight, carried, n_nodes, src_node, src_key, src_carry, src_label,
             k):
    """Every node's ``k`` nearest distinct sources.

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

    Returns
    -------
    key, value, label, next : arrays of shape ``(n_nodes, k)``
        Sorted by key per node; ``inf`` / ``inf`` / -1 where a node has fewer than ``k`` sources
        in reach. ``next`` is the node the path to that source goes through next (-1 where the
        node is the source's own entry): a route is read by following it, the source being in
        the next node's labels too.
    """
    out_key = np.full((n_nodes, k), np.inf)
    out_value = np.full((n_nodes, k), np.inf)
    out_label = np.full((n_nodes, k), -1, np.int64)
    out_next = np.full((n_nodes, k), -1, np.int64)
    span = n_nodes + 1  # a heap entry's label and the node it came from, in one integer
    count = np.zeros(n_nodes, np.int64)
    cap = max(1024, 4 * len(src_node), 2 * len(indices))
    keys = np.empty(cap, np.float64)
    nodes = np.empty(cap, np.int64)
    labels = np.empty(cap, np.int64)
    carry = np.empty(cap, np.float64)
    size = 0
    for i in range(len(src_node)):
        if src_node[i] >= 0 and np.isfinite(src_key[i]):
            if size == len(keys):
                keys, nodes, labels, carry = _grow(keys, nodes, labels, carry)
            _push(keys, nodes, labels, carry, size, src_key[i], src_node[i],
                  src_label[i] * span, src_carry[i])
            size += 1
    while size > 0:
        d, u, code, value = _pop(keys, nodes, labels, carry, size)
        size -= 1
        label, came_from = code // span, code % span - 1
        c = count[u]
        if c >= k:
            continue
        seen = False
        for j in range(c):
            if out_label[u, j] == label:
                seen = True
                break
        if seen:
            continue
        out_key[u, c] = d
        out_value[u, c] = value
        out_label[u, c] = label
        out_next[u, c] = came_from
        count[u] = c + 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            cv = count[v]
            if cv >= k:
                continue
            seen = False
            for j in range(cv):
                if out_label[v, j] == label:
                    seen = True
                    break
            if not seen:
                if size == len(keys):
                    keys, nodes, labels, carry = _grow(keys, nodes, labels, carry)
                _push(keys, nodes, labels, carry, size, d + weight[e], v,
                      label * span + u + 1, value + carried[e])
                size += 1
    return out_key, out_value, out_label, out_next


@njit(cache=True, nogil=True)
def bounded_search(indptr, indices, length, time, src_node, src_m, src_s, ent_ptr, ent_station,
                   ent_m, ent_s, allowed, k, direct_station, direct_m, direct_s, dist, tim, pred,
                   stamp, generation, heap_keys, heap_nodes, heap_labels, heap_carry):
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
    heap_keys, heap_nodes, heap_labels, heap_carry
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
    keys, nodes, labels, carry = heap_keys, heap_nodes, heap_labels, heap_carry
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
            _push(keys, nodes, labels, carry, size, src_m[i], u, 0, 0.0)
            size += 1
    while size > 0:
        d, u, _, _ = _pop(keys, nodes, labels, carry, size)
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
                    keys, nodes, labels, carry = _grow(keys, nodes, labels, carry)
                _push(keys, nodes, labels, carry, size, nd, v, 0, 0.0)
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
def merge_labels(label_m, label_s, label_id, out_node, out_m, out_s, k):
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
def label_route(label_id, label_next, node, label):
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
