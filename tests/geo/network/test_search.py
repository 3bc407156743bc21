"""The compiled k-labels search against brute force: scipy's Dijkstra from every source."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from geo.network.search import k_labels


def random_graph(seed: int, n: int, m: int):
    """A random directed graph (CSR) with metres and seconds per edge, some one-way."""
    rng = np.random.default_rng(seed)
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = u != v
    u, v = u[keep], v[keep]
    metres = rng.uniform(1.0, 300.0, len(u)).round(1)  # ties happen, as on real streets
    seconds = metres / rng.choice([1.2, 4.0, 8.0], len(u))
    order = np.lexsort((v, u))
    u, v, metres, seconds = u[order], v[order], metres[order], seconds[order]
    indptr = np.searchsorted(u, np.arange(n + 1)).astype(np.int64)
    return indptr, v.astype(np.int64), metres, seconds


def brute_labels(indptr, indices, weight, carried, n, src_node, src_key, src_carry, src_label, k):
    """Per node, the k nearest distinct sources: one Dijkstra per entry, best entry per source."""
    graph = sp.csr_array((weight, indices, indptr), shape=(n, n))
    dist, _pred = dijkstra(graph, indices=src_node, return_predecessors=True)
    by_label: dict[int, np.ndarray] = {}
    for row, label in enumerate(src_label):
        here = dist[row] + src_key[row]
        by_label[label] = np.minimum(by_label.get(label, np.inf), here)
    labels = np.array(sorted(by_label))
    table = np.array([by_label[label] for label in labels])  # (sources, nodes)
    key = np.full((n, k), np.inf)
    for node in range(n):
        best = np.sort(table[:, node])[:k]
        key[node, :len(best)] = best
    return key


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 60), k=st.integers(1, 6),
       sources=st.integers(1, 12), radius=st.sampled_from([0.0, 50.0, 400.0, np.inf]))
def test_k_labels_equal_dijkstra_from_every_source(seed, n, k, sources, radius):
    indptr, indices, metres, seconds = random_graph(seed, n, 3 * n)
    rng = np.random.default_rng(seed + 1)
    entries = 2 * sources
    src_label = rng.integers(0, sources, entries)
    src_node = rng.integers(0, n, entries)
    src_key = rng.uniform(0, 40, entries).round(1)
    src_carry = src_key / 1.2
    key, _value, label, nxt = k_labels(indptr, indices, metres, seconds, n, src_node, src_key,
                                      src_carry, src_label, k, radius)
    expected = brute_labels(indptr, indices, metres, seconds, n, src_node, src_key, src_carry,
                            src_label, k)
    np.testing.assert_allclose(key, expected, atol=1e-6)
    # every label is distinct per node, and its route leads back to one of its entries
    for node in range(n):
        found = label[node][label[node] >= 0]
        assert len(set(found.tolist())) == len(found)
        for j, source in enumerate(found.tolist()):
            walk, metres_walked = node, 0.0
            while nxt[walk, list(label[walk]).index(source)] >= 0:
                step = nxt[walk, list(label[walk]).index(source)]
                edges = range(indptr[step], indptr[step + 1])
                metres_walked += min(metres[e] for e in edges if indices[e] == walk)
                walk = step
            start = metres_walked + min(src_key[i] for i in range(entries)
                                        if src_label[i] == source and src_node[i] == walk)
            assert start == pytest.approx(key[node, j], abs=1e-6)


@pytest.mark.parametrize("k", [1, 3])
def test_a_search_rerun_with_a_larger_heap_labels_each_node_once(k):
    # a hub with more streets than the first heap holds: its source's search runs again with
    # a larger heap, over lists that hold that source already
    n = 2_100
    u = np.r_[np.zeros(n - 1, np.int64), np.arange(1, n)]
    v = np.r_[np.arange(1, n), np.zeros(n - 1, np.int64)]
    metres = np.r_[np.linspace(1.0, 50.0, n - 1), np.linspace(2.0, 60.0, n - 1)]
    order = np.lexsort((v, u))
    u, v, metres = u[order], v[order], metres[order]
    indptr = np.searchsorted(u, np.arange(n + 1)).astype(np.int64)
    src_node, src_key = np.array([0, 5, 9]), np.array([0.0, 1.0, 2.0])
    src_label = np.array([0, 1, 2])
    key, _value, label, _next = k_labels(indptr, v, metres, metres / 1.2, n, src_node, src_key,
                                         src_key / 1.2, src_label, k, np.inf)
    expected = brute_labels(indptr, v, metres, metres / 1.2, n, src_node, src_key,
                            src_key / 1.2, src_label, k)
    np.testing.assert_allclose(key, expected, atol=1e-6)
    for node in range(n):
        found = label[node][label[node] >= 0].tolist()
        assert len(set(found)) == len(found)
