"""The maximal covering solver: swap local search, Lagrangian bound and fixing, against brute
force."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from geo.siting._greedy import greedy_cover
from geo.siting._mclp import lagrange_fixing, lagrangian, solve_mclp, swap_search
from geo.siting._reduce import reduce
from geo.siting._validate import validate
from tests.geo.siting.conftest import geometric_instance, random_instance
from tests.reference import brute_mclp, covered_weight


def reduced(cover, weights, fixed=None):
    """The reduced problem in the forms the solver reads it: CSC, its transpose, dense."""
    inp = validate(cover, weights, fixed)
    red = reduce(inp, dominance=True)
    a = red.a.tocsc()
    return inp, red, a, sp.csr_array(a.T), red.a.toarray().astype(bool)


def lp_relaxation(dense: np.ndarray, w: np.ndarray, k: int) -> float:
    """The MCLP's LP relaxation: ``max w·z`` s.t. ``z ≤ A y``, ``sum y ≤ k``, ``0 ≤ y, z ≤ 1``."""
    m, n = dense.shape
    a_ub = np.vstack([np.hstack([-dense.astype(float), np.eye(m)]),
                      np.concatenate([np.ones(n), np.zeros(m)])[None, :]])
    res = linprog(np.concatenate([np.zeros(n), -w]), A_ub=a_ub,
                  b_ub=np.concatenate([np.zeros(m), [k]]), bounds=(0, 1), method="highs")
    return -res.fun


@pytest.mark.parametrize("seed", range(5))
def test_swap_search_ends_in_a_local_optimum(seed):
    _, red, a, at, dense = reduced(*random_instance(30, 10, 0.15, seed))
    n = red.shape[1]
    for k in (2, 3):
        if n <= k:
            continue
        start = list(range(k))
        chosen, value = swap_search(a, at, red.w, start, None)
        assert len(set(chosen)) == k
        assert value == pytest.approx(covered_weight(dense, red.w, chosen))
        assert value >= covered_weight(dense, red.w, start) - 1e-9
        for out, into in itertools.product(range(k), set(range(n)) - set(chosen)):
            swapped = [into if i == out else j for i, j in enumerate(chosen)]
            assert covered_weight(dense, red.w, swapped) <= value + 1e-9


@pytest.mark.parametrize("seed", range(5))
def test_lagrangian_bound_is_above_the_lp_relaxation(seed):
    _, red, a, at, dense = reduced(*geometric_instance(40, 12, 3, seed))
    for k in (2, 4):
        if red.shape[1] <= k:
            continue
        greedy = covered_weight(dense, red.w, greedy_cover(validate(dense, red.w, None),
                                                           k=k).order)
        lag = lagrangian(a, at, red.w, k, greedy, None)
        assert lag.upper >= lp_relaxation(dense, red.w, k) - 1e-6
        assert lag.upper >= brute_mclp(dense, red.w, k) - 1e-9
        for start in lag.starts:
            assert len(start) == k


@pytest.mark.parametrize("seed", range(5))
def test_lagrange_fixing_keeps_every_better_solution(seed):
    _, red, a, at, dense = reduced(*geometric_instance(40, 12, 3, seed))
    n = red.shape[1]
    k = 3
    if n <= k:
        pytest.skip("the reduction left every candidate open")
    values = {c: covered_weight(dense, red.w, c) for c in itertools.combinations(range(n), k)}
    incumbent = sorted(values.values())[-2] if len(set(values.values())) > 1 else 0.0
    lag = lagrangian(a, at, red.w, k, incumbent, None, iterations=300)
    drop, force = lagrange_fixing(lag, k, incumbent)
    assert not (drop & force).any()
    for chosen, value in values.items():
        if value > incumbent + 1e-9:
            assert not drop[list(chosen)].any()
            assert set(np.flatnonzero(force)) <= set(chosen)


@pytest.mark.parametrize("seed", range(6))
def test_solve_mclp_is_the_optimum(seed):
    cover, weights = random_instance(14, 8, 0.25, seed)
    for fixed in ([], [1]):
        inp, red, *_ = reduced(cover, weights, fixed)
        for k in range(0, 5):
            greedy = greedy_cover(inp, k=k)
            answer = solve_mclp(inp, red, k, greedy, None, rel_gap=0.0)
            expected = brute_mclp(cover, weights, len(fixed) + k, fixed)
            assert answer.optimal
            assert set(fixed) <= set(answer.selected.tolist())
            assert len(answer.selected) <= len(fixed) + k
            assert inp.covered(answer.selected) == pytest.approx(expected)
            assert answer.bound >= expected - 1e-9
            assert answer.method in {"greedy", "local_search", "highs"}


def test_solve_mclp_without_time_keeps_greedy_and_a_valid_bound():
    cover, weights = random_instance(400, 60, 0.05, 3)
    inp, red, *_ = reduced(cover, weights)
    greedy = greedy_cover(inp, k=6)
    answer = solve_mclp(inp, red, 6, greedy, time.perf_counter(), rel_gap=0.0)
    assert inp.covered(answer.selected) >= greedy.value
    exact = solve_mclp(inp, red, 6, greedy, None, rel_gap=0.0)
    assert exact.optimal
    assert answer.bound >= inp.covered(exact.selected) - 1e-9
