"""Per-node label tables (:func:`geo.network.search.k_labels`) repaired after a few sources
changed, instead of searched again from every source.

A server whose planner saves a station every second would otherwise search again from all the
city's stations after each save (about 0.1 s of a core at 20,000 stations in central Harbin, and
its lookups take the slower bounded search meanwhile). A repair touches the neighbourhood of the
changed stations only:

1. The labels of the sources gone (removed, or changed: the old version) are taken out, and every
   other label renumbered to the new list of sources. A node that lost one has a hole.
2. The sources that can fill a hole search again (pruned as in :func:`k_labels`, the lists
   holding them already skipped): those listed at a node with a hole or at a node next to one,
   and those entering the graph at a node with a hole. No other source can: the first node on a
   hole's path to a source that has no hole keeps its exact top ``k``, so the source is among
   them, or the whole path has holes and the source enters at one.
3. The sources added (new, or changed: the new version) search as every source does.

The result holds every node's ``k`` nearest sources, as :func:`k_labels` gives them (between
sources exactly as far from a node, the one kept may differ).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from geo.network.search import Array, _source_search


def repair_labels(indptr: Array, indices: Array, weight: Array, carried: Array,
                  labels: tuple[Array, Array, Array, Array], renumber: Array, shifted: bool,
                  src_node: Array, src_key: Array, src_carry: Array, src_label: Array,
                  in_set: Array, added: Array) -> tuple[Array, Array, Array, Array]:
    """The labels of :func:`k_labels` for the sources now, from ``labels`` of the sources before.

    Parameters
    ----------
    indptr, indices, weight, carried
        The graph searched, as for :func:`k_labels`.
    labels
        ``(key, value, label, next)`` of the sources before (not changed: the repair works on
        copies).
    renumber
        Per source before (one slot more, for -1), its number now; -1 for a source gone or
        changed.
    shifted
        Whether any source kept has another number now (else only the gone ones are looked for).
    src_node, src_key, src_carry, src_label
        The ways into the graph of every source now (node, key, carried value, source), in any
        order; those of sources outside ``in_set`` are not used.
    in_set
        Per source now, whether it is one the table is for.
    added
        Per source now, whether it is new or changed (searched in full when in the set).
    """
    # copied by numpy: on a city's tables a tenth of the time of copies made in compiled code
    key, value, label, nxt = (np.array(a, copy=True) for a in labels)
    _repair(indptr, indices, weight, carried, key, value, label, nxt,
            np.asarray(renumber, np.int64), bool(shifted), src_node, src_key, src_carry,
            np.asarray(src_label, np.int64), np.asarray(in_set, np.bool_),
            np.asarray(added, np.bool_))
    return key, value, label, nxt


@njit(cache=True, nogil=True)
def _repair(indptr, indices, weight, carried, key, value, label, nxt, renumber, shifted,  # noqa: C901 - one compiled pass over the three steps of the module docstring
            src_node, src_key, src_carry, src_label, in_set, added):
    n_nodes, k = key.shape
    count = np.zeros(n_nodes, np.int64)
    kth = np.full(n_nodes, np.inf)
    hole = np.zeros(n_nodes, np.bool_)
    for u in range(n_nodes):  # 1. the gone sources out, the others renumbered
        c = 0
        for j in range(k):
            was = label[u, j]
            if was < 0:
                break
            now = renumber[was]
            if now < 0:
                hole[u] = True
                continue
            if c != j:
                key[u, c], value[u, c], nxt[u, c] = key[u, j], value[u, j], nxt[u, j]
            label[u, c] = now if shifted else was
            c += 1
        for j in range(c, k):
            if label[u, j] < 0 and not hole[u]:
                break
            key[u, j], value[u, j], label[u, j], nxt[u, j] = np.inf, np.inf, -1, -1
        count[u] = c
        if c == k:
            kth[u] = key[u, k - 1]
    again = np.zeros(len(in_set), np.bool_)  # 2. the sources that can fill a hole
    for x in range(n_nodes):
        near = hole[x]
        e = indptr[x]
        while not near and e < indptr[x + 1]:
            near = hole[indices[e]]
            e += 1
        if near:
            for j in range(count[x]):
                again[label[x, j]] = True
    for i in range(len(src_node)):
        if src_node[i] >= 0 and hole[src_node[i]]:
            again[src_label[i]] = True
    for s in range(len(in_set)):  # 3. the added sources too, after those of 2.
        again[s] = again[s] and in_set[s] and not added[s]
    wanted = 0
    for i in range(len(src_label)):
        s = src_label[i]
        if again[s] or (added[s] and in_set[s]):
            wanted += 1
    rows = np.empty(wanted, np.int64)
    at = 0
    for i in range(len(src_label)):
        s = src_label[i]
        if again[s] or (added[s] and in_set[s]):
            rows[at] = i
            at += 1
    # the sources of 2. first, then those added; each one's ways together
    rank = np.empty(wanted, np.int64)
    for j in range(wanted):
        s = src_label[rows[j]]
        rank[j] = s + (len(in_set) if added[s] else 0)
    rows = rows[np.argsort(rank, kind="mergesort")]
    node_s, key_s, carry_s = src_node[rows], src_key[rows], src_carry[rows]
    label_s = src_label[rows]
    scratch = (np.empty(n_nodes), np.empty(n_nodes), np.empty(n_nodes, np.int64),
               np.zeros(n_nodes, np.int64))
    heap_keys = np.empty(1024, np.float64)
    heap_nodes = np.empty(1024, np.int64)
    out = (key, value, label, nxt)
    generation = 0
    lo = 0
    while lo < wanted:
        hi = lo + 1
        while hi < wanted and label_s[hi] == label_s[lo]:
            hi += 1
        recheck = not added[label_s[lo]]  # a source searched again: lists may hold it
        while True:
            generation += 1
            status = _source_search(indptr, indices, weight, carried, lo, hi, node_s, key_s,
                                    carry_s, label_s[lo], k, np.inf, out, count, kth, scratch,
                                    generation, heap_keys, heap_nodes, recheck)
            if status >= 0:
                break
            recheck = True
            heap_keys = np.empty(2 * len(heap_keys), np.float64)
            heap_nodes = np.empty(len(heap_keys), np.int64)
        lo = hi
