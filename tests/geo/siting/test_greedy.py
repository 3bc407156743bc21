"""Greedy heuristics: the lazy greedy against the textbook one, its bounds against brute force,
the fractional knapsack against an LP, and the capacitated greedy's assignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from geo.siting import greedy_max_coverage, maximize_coverage
from geo.siting._greedy import (
    best_assignment,
    fractional_knapsack,
    greedy_capacitated,
    greedy_cover,
    greedy_prefix,
)
from geo.siting._reduce import reduce
from geo.siting._validate import validate
from tests.geo.siting.conftest import check_result, random_instance
from tests.reference import brute_mclp, covered_weight, served_weight


def naive_greedy(cover, weights, p, fixed=()):
    """Textbook greedy: every step recomputes every gain and takes the largest."""
    chosen = list(fixed)
    uncovered = ~cover[:, chosen].any(axis=1)
    for _ in range(p - len(fixed)):
        gains = (cover & uncovered[:, None]).T @ weights
        gains[chosen] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        uncovered &= ~cover[:, best]
    return sorted(chosen)


@pytest.mark.parametrize("seed", range(5))
def test_lazy_greedy_equals_plain_greedy(seed):
    cover, weights = random_instance(80, 25, 0.1, seed, integer_weights=False)
    for p, fixed in ((5, ()), (8, (3, 4))):
        result = greedy_max_coverage(sp.csc_array(cover), weights, p, fixed=list(fixed))
        check_result(result, fixed=fixed)
        assert result.method == "greedy"
        assert result.selected.tolist() == naive_greedy(cover, weights, p, fixed)
        optimum = maximize_coverage(cover, weights, p, fixed=list(fixed)).covered_weight
        assert result.covered_weight <= optimum + 1e-9 <= result.bound + 2e-9


@pytest.mark.parametrize("seed", range(4))
def test_prefix_of_a_longer_run_is_the_shorter_run(seed):
    cover, weights = random_instance(14, 8, 0.25, seed)
    for fixed in ([], [2]):
        inp = validate(cover, weights, fixed)
        order = greedy_cover(inp, k=8 - len(fixed)).order
        for k in range(len(order) + 1):
            prefix, run = greedy_prefix(inp, order[:k]), greedy_cover(inp, k=k)
            assert prefix.selected.tolist() == run.selected.tolist()
            assert prefix.value == pytest.approx(run.value)
            optimum = brute_mclp(cover, weights, len(fixed) + k, fixed)
            assert prefix.value <= optimum + 1e-9 <= prefix.bound + 2e-9


@pytest.mark.parametrize("seed", range(4))
def test_greedy_stops_once_the_need_is_covered(seed):
    cover, weights = random_instance(40, 12, 0.15, seed)
    inp = validate(cover, weights, [0])
    base = covered_weight(cover, weights, [0])
    reachable = covered_weight(cover, weights, range(12)) - base
    for need in (0.3 * reachable, 0.8 * reachable):
        greedy = greedy_cover(inp, k=None, need=need)
        assert greedy.value - base >= need - 1e-9
        # One pick fewer falls short: the greedy stops as soon as the need is met.
        assert covered_weight(cover, weights, [0, *greedy.order[:-1]]) - base < need


@pytest.mark.parametrize("seed", range(6))
def test_fractional_knapsack_is_the_lp_relaxation(seed):
    rng = np.random.default_rng(seed)
    gain = rng.random(10) * 10 * (rng.random(10) < 0.8)
    cost = rng.integers(0, 6, 10).astype(float)
    for budget in (0.0, 4.0, 11.5, 100.0):
        positive = gain > 0
        lp = linprog(-gain[positive], A_ub=cost[positive][None, :], b_ub=[budget],
                     bounds=(0, 1), method="highs")
        assert fractional_knapsack(gain, cost, budget) == pytest.approx(-lp.fun)


@pytest.mark.parametrize("seed", range(4))
def test_budget_greedy_bound_holds(seed):
    cover, weights = random_instance(12, 7, 0.3, seed)
    cost = np.random.default_rng(seed).integers(1, 5, 7).astype(float)
    inp = validate(cover, weights, None)
    for budget in (2.0, 5.0, 9.0):
        greedy = greedy_cover(inp, k=None, cost=cost, budget=budget)
        assert cost[greedy.order].sum() <= budget + 1e-9
        best = max(covered_weight(cover, weights, c) for size in range(8)
                   for c in itertools.combinations(range(7), size)
                   if cost[list(c)].sum() <= budget)
        assert greedy.value <= best + 1e-9 <= greedy.bound + 2e-9


@pytest.mark.parametrize("seed", range(4))
def test_capacitated_greedy_serves_within_capacities(seed):
    cover, weights = random_instance(30, 8, 0.2, seed)
    capacity = np.random.default_rng(seed).integers(0, 30, 8).astype(float)
    fixed = [0]
    inp = validate(cover, weights, fixed)
    red = reduce(inp, dominance=False, drop_fixed_rows=False, capacity=capacity)
    selected, served = greedy_capacitated(inp, red, capacity, 3)
    assert 0 in selected and len(selected) <= 4
    assert np.all(served >= 0) and np.all(served <= weights + 1e-9)
    assert np.all(served[~cover[:, selected].any(axis=1)] == 0)
    # The opened set serves what a transportation LP says it can.
    assert served.sum() == pytest.approx(served_weight(cover, weights, capacity, selected))


@pytest.mark.parametrize("seed", range(4))
def test_best_assignment_is_the_transportation_optimum(seed):
    cover, weights = random_instance(25, 6, 0.3, seed)
    capacity = np.random.default_rng(seed).integers(1, 20, 6).astype(float)
    capacity[0] = np.inf
    inp = validate(cover, weights, None)
    red = reduce(inp, dominance=False, drop_fixed_rows=False, capacity=capacity)
    opened = np.arange(0, red.shape[1], 2)
    served = best_assignment(red, capacity, opened)
    assert served is not None and np.all(served <= red.w + 1e-9)
    expected = served_weight(cover, weights, capacity, red.cols[opened].tolist())
    assert served.sum() == pytest.approx(expected)
