"""Reduction: the smaller problem keeps the optimum of every model, against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from geo.siting._reduce import fold_singletons, reduce
from geo.siting._validate import validate
from tests.geo.siting.conftest import random_instance
from tests.reference import brute_budget, brute_capacitated, brute_mclp, covered_weight


def with_redundancy(seed: int, m: int = 12, n: int = 7):
    """A random instance with what the reduction removes: duplicate rows, an uncoverable row, a
    zero weight, and a last column that is a subset of column 2."""
    rng = np.random.default_rng(seed)
    cover, weights = random_instance(m, n, 0.3, seed)
    cover = np.vstack([cover, cover[:3], np.zeros((1, n), bool)])
    weights = np.concatenate([weights, rng.integers(1, 5, 3), [9.0]])
    weights[0] = 0.0
    cover = np.hstack([cover, cover[:, [2]] & (rng.random((len(cover), 1)) < 0.5)])
    return cover, weights


@pytest.mark.parametrize("seed", range(6))
def test_reduction_keeps_the_optimum(seed):
    cover, weights = with_redundancy(seed)
    fixed = np.array([1])
    inp = validate(cover, weights, fixed)
    red = reduce(inp, dominance=True)
    # Fewer rows and columns, no duplicate rows, no fixed column, fixed rows counted in base.
    assert red.shape[0] < cover.shape[0] and red.shape[1] < cover.shape[1] - 1
    assert len({tuple(row) for row in red.a.toarray()}) == red.shape[0]
    assert 1 not in red.cols
    assert red.base == pytest.approx(weights[cover[:, 1]].sum())
    assert red.w.sum() + red.base == pytest.approx(weights[cover.any(axis=1)].sum())
    dense = red.a.toarray().astype(bool)
    for p in range(1, 5):
        k = p - 1
        expected = brute_mclp(cover, weights, p, fixed)
        in_reduced = max(covered_weight(dense, red.w, c) for c in
                         itertools.combinations(range(red.shape[1]), min(k, red.shape[1])))
        assert red.base + in_reduced == pytest.approx(expected)


def test_dominated_candidates_respect_cost():
    cover = np.array([[1, 1], [0, 1], [1, 1]], dtype=bool)  # column 0 ⊂ column 1
    inp = validate(cover, np.ones(3), None)
    assert reduce(inp, dominance=True).cols.tolist() == [1]
    cheap = reduce(inp, dominance=True, cost=np.array([1.0, 5.0]))
    assert cheap.cols.tolist() == [0, 1]  # the subset is cheaper: keep it
    same = reduce(inp, dominance=True, cost=np.array([5.0, 5.0]))
    assert same.cols.tolist() == [1]
    twins = validate(np.array([[1, 1], [1, 1]], dtype=bool), np.ones(2), None)
    assert reduce(twins, dominance=True).cols.tolist() == [0]


@pytest.mark.parametrize("seed", range(6))
def test_reduction_keeps_the_budget_optimum(seed):
    cover, weights = with_redundancy(seed)
    n = cover.shape[1]
    cost = np.random.default_rng(seed).integers(0, 5, n).astype(float)
    fixed = np.array([0])
    cost[fixed] = 0.0  # fixed candidates cost nothing, as the budget model sets them
    inp = validate(cover, weights, fixed)
    for budget in (0.0, 3.0, 7.5):
        red = reduce(inp, dominance=True, cost=cost, budget=budget)
        assert np.all(cost[red.cols] <= budget)
        dense = red.a.toarray().astype(bool)
        in_reduced = brute_budget(dense, red.w, cost[red.cols], budget)
        assert red.base + in_reduced == pytest.approx(brute_budget(cover, weights, cost, budget,
                                                                   fixed))


@pytest.mark.parametrize("seed", range(4))
def test_reduction_keeps_the_capacitated_optimum(seed):
    cover, weights = with_redundancy(seed, m=8, n=5)
    n = cover.shape[1]
    capacity = np.random.default_rng(seed).integers(0, 25, n).astype(float)
    capacity[1] = 0.0  # a fixed station with no capacity left stays open all the same
    fixed = [1]
    inp = validate(cover, weights, fixed)
    red = reduce(inp, dominance=False, drop_fixed_rows=False, capacity=capacity)
    assert red.base == 0.0 and 1 in red.cols
    assert all(capacity[j] > 0 for j in red.cols if j != 1)
    dense = red.a.toarray().astype(bool)
    at = int(np.flatnonzero(red.cols == 1)[0])
    for p in (1, 2, 3):
        expected = brute_capacitated(cover, weights, capacity, p, fixed)
        k = min(p, red.shape[1])
        assert brute_capacitated(dense, red.w, capacity[red.cols], k, [at]) == pytest.approx(
            expected, abs=1e-6)


def test_dominance_skipped_above_the_work_limit():
    cover = np.array([[1, 1], [0, 1], [1, 1]], dtype=bool)  # column 0 ⊂ column 1
    inp = validate(cover, np.ones(3), None)
    # Row-pair products: 2² + 1² + 2² = 9.
    assert reduce(inp, dominance=True, work_limit=9).cols.tolist() == [1]
    assert reduce(inp, dominance=True, work_limit=8).cols.tolist() == [0, 1]
    assert reduce(inp, dominance=False).cols.tolist() == [0, 1]


@pytest.mark.parametrize("seed", range(4))
def test_folded_singletons_keep_every_objective(seed):
    cover, weights = random_instance(15, 6, 0.25, seed)
    red = reduce(validate(cover, weights, None), dominance=False)
    w_single, a_multi, w_multi = fold_singletons(red.a, red.w)
    assert np.all(np.diff(a_multi.indptr) > 1)
    dense = red.a.toarray().astype(bool)
    multi = a_multi.toarray().astype(bool)
    for size in range(red.shape[1] + 1):
        for chosen in itertools.combinations(range(red.shape[1]), size):
            chosen = list(chosen)
            folded = float(w_single[chosen].sum()) + covered_weight(multi, w_multi, chosen)
            assert folded == pytest.approx(covered_weight(dense, red.w, chosen))


def test_expand_spreads_by_weight():
    cover = np.array([[1, 0], [1, 0], [0, 1], [0, 0]], dtype=bool)
    weights = np.array([1.0, 3.0, 2.0, 5.0])
    red = reduce(validate(cover, weights, None), dominance=False)
    assert red.shape == (2, 2)  # rows 0 and 1 merged, row 3 dropped
    assert red.group.tolist() == [0, 0, 1, -1]
    served = red.expand(np.array([2.0, 1.0]), weights)
    assert served.tolist() == pytest.approx([0.5, 1.5, 1.0, 0.0])
