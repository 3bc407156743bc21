"""HiGHS formulations on reduced problems, each against brute force."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from geo.siting._milp import capacitated_milp, coverage_milp, run_milp, set_cover_milp
from geo.siting._reduce import reduce
from geo.siting._validate import validate
from tests.geo.siting.conftest import random_instance
from tests.reference import brute_budget, brute_capacitated, brute_mclp, brute_min, covered_weight

TINY = [(10, 6, 0.3, s) for s in range(4)] + [(14, 8, 0.2, s) for s in range(4, 7)]


def reduced(cover, weights, **options):
    """The reduced problem and its dense matrix, as the MILPs see them."""
    red = reduce(validate(cover, weights, None), dominance=False, **options)
    return red, red.a.toarray().astype(bool)


@pytest.mark.parametrize("m, n, density, seed", TINY)
def test_coverage_milp_with_a_count(m, n, density, seed):
    red, dense = reduced(*random_instance(m, n, density, seed))
    for k in range(1, red.shape[1]):
        optimum = brute_mclp(dense, red.w, k)
        sol = coverage_milp(red.a, red.w, np.ones(red.shape[1]), float(k), cutoff=0.0,
                            lower=None, deadline=None, heuristics=True, rel_gap=0.0)
        assert sol.optimal and not sol.infeasible
        assert sol.open.sum() <= k
        assert covered_weight(dense, red.w, np.flatnonzero(sol.open)) == pytest.approx(optimum)
        assert sol.bound == pytest.approx(optimum, abs=1e-4)
        # A cutoff below the optimum loses nothing; above it, nothing better is made up.
        below = coverage_milp(red.a, red.w, np.ones(red.shape[1]), float(k),
                              cutoff=optimum - 0.5, lower=None, deadline=None,
                              heuristics=False, rel_gap=0.0)
        assert below.optimal
        value = covered_weight(dense, red.w, np.flatnonzero(below.open))
        assert value == pytest.approx(optimum)
        above = coverage_milp(red.a, red.w, np.ones(red.shape[1]), float(k),
                              cutoff=optimum + 0.5, lower=None, deadline=None,
                              heuristics=False, rel_gap=0.0)
        assert above.infeasible or (
            covered_weight(dense, red.w, np.flatnonzero(above.open)) <= optimum + 1e-9)


@pytest.mark.parametrize("m, n, density, seed", TINY)
def test_coverage_milp_with_a_budget_and_forced_columns(m, n, density, seed):
    red, dense = reduced(*random_instance(m, n, density, seed))
    cost = np.random.default_rng(seed).integers(1, 5, red.shape[1]).astype(float)
    for budget in (3.0, 6.5):
        sol = coverage_milp(red.a, red.w, cost, budget, cutoff=0.0, lower=None, deadline=None,
                            heuristics=True, rel_gap=0.0)
        assert cost[sol.open].sum() <= budget + 1e-9
        value = covered_weight(dense, red.w, np.flatnonzero(sol.open))
        assert value == pytest.approx(brute_budget(dense, red.w, cost, budget))
    lower = np.zeros(red.shape[1])
    lower[0] = 1.0
    forced = coverage_milp(red.a, red.w, np.ones(red.shape[1]), 2.0, cutoff=0.0, lower=lower,
                           deadline=None, heuristics=True, rel_gap=0.0)
    assert forced.open[0]
    value = covered_weight(dense, red.w, np.flatnonzero(forced.open))
    assert value == pytest.approx(brute_mclp(dense, red.w, 2, [0]))


@pytest.mark.parametrize("m, n, density, seed", TINY)
def test_set_cover_milp(m, n, density, seed):
    red, dense = reduced(*random_instance(m, n, density, seed))
    total = float(red.w.sum())
    for share in (0.3, 0.7, 1.0):
        need = share * total - 1e-9 * total
        sol = set_cover_milp(red.a, red.w, need, tol=1e-9 * total, deadline=None, rel_gap=0.0)
        assert sol.optimal
        assert covered_weight(dense, red.w, np.flatnonzero(sol.open)) >= need
        fewest = brute_min(dense, red.w, share)
        assert sol.open.sum() == fewest
        assert sol.bound == pytest.approx(fewest, abs=1e-6)


@pytest.mark.parametrize("m, n, density, seed", TINY[:4])
def test_capacitated_milp(m, n, density, seed):
    cover, weights = random_instance(m, n, density, seed)
    capacity = np.random.default_rng(seed).integers(1, 25, n).astype(float)
    red, dense = reduced(cover, weights, drop_fixed_rows=False, capacity=capacity)
    cap = capacity[red.cols]
    capped = np.minimum(cap, red.a.T @ red.w)
    fixed = np.zeros(red.shape[1], dtype=bool)
    fixed[0] = True
    for count in (1, 2, 3):
        sol = capacitated_milp(red.a, red.w, capped, fixed, count, deadline=None, rel_gap=0.0)
        assert sol.optimal and sol.open[0] and sol.open.sum() <= count
        assert np.all(sol.served <= red.w + 1e-9)
        expected = brute_capacitated(dense, red.w, cap, count, [0])
        assert sol.served.sum() == pytest.approx(expected, abs=1e-6)
        assert sol.bound == pytest.approx(expected, abs=1e-4)


def test_run_milp_after_the_deadline_returns_nothing():
    c = np.array([-1.0, -1.0])
    cons = [LinearConstraint(sp.csr_array(np.ones((1, 2))), -np.inf, 1.0)]
    sol = run_milp(c, np.ones(2), Bounds(0.0, 1.0), cons, time.perf_counter() - 1.0,
                   rel_gap=0.0)
    assert sol.x is None and sol.dual is None and not sol.optimal and not sol.infeasible
    solved = run_milp(c, np.ones(2), Bounds(0.0, 1.0), cons, None, rel_gap=0.0,
                      heuristics=False)
    assert solved.optimal and solved.dual == pytest.approx(-1.0)
    assert sorted(solved.x.round().tolist()) == [0.0, 1.0]
    cut = run_milp(c, np.ones(2), Bounds(0.0, 1.0), cons, None, rel_gap=0.0,
                   objective_bound=-1.5)
    assert cut.infeasible and cut.x is None

