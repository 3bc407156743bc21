"""Siting models: against spopt + CBC, brute force, and every error path."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from geo.errors import InputError
from geo.siting import (
    _milp,
    coverage_curve,
    greedy_max_coverage,
    maximize_coverage,
    maximize_coverage_budget,
    maximize_coverage_capacitated,
    minimize_facilities,
)
from tests.geo.siting.conftest import check_result, geometric_instance, random_instance
from tests.reference import (
    brute_budget,
    brute_capacitated,
    brute_mclp,
    brute_min,
    covered_weight,
    spopt_lscp,
    spopt_mclp,
)

pytest.importorskip("pulp")
pytest.importorskip("spopt.locate")


# --------------------------------------------------------------------------------------------
# Against spopt + CBC


@pytest.mark.parametrize("m, n, density, p, n_fixed, seed", [
    (40, 12, 0.15, 3, 0, 1),
    (60, 20, 0.10, 5, 0, 2),
    (60, 20, 0.25, 4, 2, 3),
    (80, 25, 0.05, 6, 1, 4),
    (50, 15, 0.40, 3, 0, 5),
    (70, 30, 0.08, 8, 3, 6),
])
def test_mclp_matches_spopt_random(m, n, density, p, n_fixed, seed):
    cover, weights = random_instance(m, n, density, seed)
    fixed = list(range(n_fixed))
    result = maximize_coverage(cover, weights, p, fixed=fixed)
    check_result(result, fixed=fixed)
    assert result.optimal
    assert result.covered_weight == pytest.approx(spopt_mclp(cover, weights, p, fixed))
    assert len(result.selected) <= p
    assert result.covered_weight == pytest.approx(covered_weight(cover, weights, result.selected))
    assert result.covered_weight >= result.greedy_weight


@pytest.mark.parametrize("seed, n_fixed", [(11, 0), (12, 2)])
def test_mclp_matches_spopt_geometric(seed, n_fixed):
    cover, weights = geometric_instance(200, 40, 6, seed)
    fixed = [5, 17][:n_fixed]
    result = maximize_coverage(cover, weights, 7, fixed=fixed)
    check_result(result, fixed=fixed)
    assert result.optimal
    assert result.covered_weight == pytest.approx(spopt_mclp(cover, weights, 7, fixed))


@pytest.mark.parametrize("seed, fixed", [(21, ()), (22, (0, 3))])
def test_set_covering_matches_spopt_lscp(seed, fixed):
    cover, weights = geometric_instance(120, 30, 5, seed)
    cover = cover[cover.any(axis=1)]  # LSCP needs every demand row coverable
    weights = np.ones(len(cover))
    result = minimize_facilities(cover, weights, 1.0, fixed=list(fixed))
    check_result(result, fixed=fixed)
    assert result.optimal
    assert len(result.selected) == spopt_lscp(cover, fixed)
    assert result.covered_weight == pytest.approx(weights.sum())


def test_real_network_instance_matches_spopt():
    """Coverage within 1.2 km on a generated street grid (network distances by Dijkstra)."""
    from scipy.sparse.csgraph import dijkstra

    from geo.synthetic import city_network

    net = city_network(2500, mode="walk", seed=5)
    rng = np.random.default_rng(5)
    sites = rng.choice(net.n_nodes, 60, replace=False)
    demand = rng.choice(net.n_nodes, 400, replace=True)
    radius = 1200.0
    dist = dijkstra(net.graph("length"), indices=sites, limit=radius)
    cover = (dist[:, demand] <= radius).T
    weights = rng.integers(1, 40, len(demand)).astype(float)
    assert 3 <= cover.sum(axis=1).mean() <= 20  # a realistic density
    fixed = [0, 1]
    result = maximize_coverage(sp.csr_array(cover), weights, 8, fixed=fixed)
    check_result(result, fixed=fixed)
    assert result.optimal
    assert result.covered_weight == pytest.approx(spopt_mclp(cover, weights, 8, fixed))
    curve = coverage_curve(cover, weights, 6, fixed=fixed)  # 2 fixed + 6 new = p 8
    assert curve[-1].covered_weight == pytest.approx(result.covered_weight)


# --------------------------------------------------------------------------------------------
# Brute force on tiny cases


TINY = [(m, n, d, s) for s, (m, n, d) in enumerate(
    [(6, 5, 0.3), (9, 6, 0.2), (12, 7, 0.35), (10, 7, 0.15), (14, 8, 0.25), (8, 6, 0.5)])]


@pytest.mark.parametrize("m, n, density, seed", TINY)
def test_mclp_brute_force(m, n, density, seed):
    cover, weights = random_instance(m, n, density, seed)
    for p in range(n + 1):
        for fixed in ([], [n - 1], [0, 2]):
            if p < len(fixed):
                continue
            result = maximize_coverage(cover, weights, p, fixed=fixed)
            check_result(result, fixed=fixed)
            assert result.optimal
            assert result.covered_weight == pytest.approx(brute_mclp(cover, weights, p, fixed))
            greedy = greedy_max_coverage(cover, weights, p, fixed=fixed)
            assert greedy.covered_weight <= result.covered_weight + 1e-9
            assert greedy.bound >= result.covered_weight - 1e-9
            assert result.greedy_weight == greedy.covered_weight


@pytest.mark.parametrize("m, n, density, seed", TINY)
def test_budget_brute_force(m, n, density, seed):
    cover, weights = random_instance(m, n, density, seed)
    cost = np.random.default_rng(seed).integers(0, 5, n).astype(float)
    for budget in (0.0, 2.0, 4.5, 9.0):
        for fixed in ([], [1]):
            result = maximize_coverage_budget(cover, weights, cost, budget, fixed=fixed)
            check_result(result, fixed=fixed)
            assert result.optimal
            new = [j for j in result.selected if j not in fixed]
            assert cost[new].sum() <= budget + 1e-9
            expected = brute_budget(cover, weights, cost, budget, fixed)
            assert result.covered_weight == pytest.approx(expected)
            greedy = greedy_max_coverage(cover, weights, None, fixed=fixed, cost=cost,
                                         budget=budget)
            assert greedy.covered_weight <= expected + 1e-9 <= greedy.bound + 2e-9


@pytest.mark.parametrize("m, n, density, seed", TINY)
def test_minimize_facilities_brute_force(m, n, density, seed):
    cover, weights = random_instance(m, n, density, seed)
    total = weights.sum()
    reachable = covered_weight(cover, weights, range(n)) / total
    for share in (0.2, 0.5, 0.8, reachable):
        for fixed in ([], [0]):
            if share > reachable:
                continue
            result = minimize_facilities(cover, weights, share, fixed=fixed)
            check_result(result, fixed=fixed)
            assert result.optimal
            assert len(result.selected) == brute_min(cover, weights, share, fixed)
            assert result.covered_weight >= share * total - 1e-9
            assert result.bound == len(result.selected)
            assert len(result.selected) <= result.greedy_weight


@pytest.mark.parametrize("m, n, density, seed", TINY[:4])
def test_capacitated_brute_force(m, n, density, seed):
    cover, weights = random_instance(m, n, density, seed)
    capacity = np.random.default_rng(seed).integers(0, 25, n).astype(float)
    capacity[-1] = np.inf
    for p, fixed in ((1, []), (2, [0]), (3, []), (3, [1, 2])):
        result = maximize_coverage_capacitated(cover, weights, p, capacity, fixed=fixed)
        check_result(result, fixed=fixed)
        assert result.optimal
        expected = brute_capacitated(cover, weights, capacity, p, fixed)
        assert result.covered_weight == pytest.approx(expected, abs=1e-6)
        assert result.served is not None and result.served.shape == weights.shape
        assert np.all(result.served <= weights + 1e-9) and np.all(result.served >= 0)
        assert result.served.sum() == pytest.approx(result.covered_weight)
        reach = cover[:, result.selected].any(axis=1)
        assert np.all(result.served[~reach] == 0)  # only covered rows are served
        assert result.greedy_weight <= result.covered_weight + 1e-9


def test_capacitated_without_limits_is_the_mclp():
    cover, weights = random_instance(60, 15, 0.15, 7)
    result = maximize_coverage_capacitated(cover, weights, 4, np.full(15, np.inf))
    assert result.covered_weight == pytest.approx(maximize_coverage(cover, weights, 4)
                                                  .covered_weight)


def test_capacity_of_a_fixed_station_counts():
    cover = np.array([[1, 1], [1, 0], [1, 0]], dtype=bool)
    weights = np.array([5.0, 5.0, 5.0])
    # The existing station 0 covers everything but serves at most 6; station 1 helps row 0.
    result = maximize_coverage_capacitated(cover, weights, 2, [6.0, 10.0], fixed=[0])
    assert result.covered_weight == pytest.approx(11.0)
    assert result.selected.tolist() == [0, 1]


# --------------------------------------------------------------------------------------------
# Greedy and HiGHS together, fallbacks


@pytest.mark.parametrize("seed", range(4))
def test_exact_never_worse_than_greedy_and_bounds_hold(seed):
    cover, weights = random_instance(300, 60, 0.06, seed)
    greedy = greedy_max_coverage(cover, weights, 6)
    result = maximize_coverage(cover, weights, 6)
    assert result.optimal
    assert greedy.covered_weight <= result.covered_weight <= greedy.bound + 1e-9
    assert result.greedy_weight == greedy.covered_weight


def test_tiny_time_limit_returns_a_heuristic_answer_with_a_gap():
    cover, weights = random_instance(3000, 300, 0.04, 9)  # unstructured: hard to prove
    greedy = greedy_max_coverage(cover, weights, 15)
    result = maximize_coverage(cover, weights, 15, time_limit=0.05)
    check_result(result)
    assert not result.optimal
    assert 0 < result.gap < 1
    assert result.bound > result.covered_weight >= greedy.covered_weight
    assert result.method in {"greedy", "local_search", "highs"}
    assert result.solve_seconds < 5


def test_highs_worse_than_greedy_returns_greedy(monkeypatch):
    cover, weights = random_instance(200, 30, 0.08, 3)
    greedy = greedy_max_coverage(cover, weights, None, cost=np.ones(30), budget=4)

    def bad_highs(c, integrality, bounds, constraints, deadline, **options):
        # An incumbent that opens nothing, stopped by the time limit, with a dual bound.
        return _milp.Milp(np.zeros(len(c)), False, -1e9, False)

    monkeypatch.setattr(_milp, "run_milp", bad_highs)
    result = maximize_coverage_budget(cover, weights, np.ones(30), 4)
    assert result.method == "greedy" and not result.optimal
    assert result.covered_weight == greedy.covered_weight
    assert result.bound >= result.covered_weight and result.gap > 0
    mclp = maximize_coverage(cover, weights, 4)
    assert mclp.method in {"greedy", "local_search"}
    assert mclp.covered_weight >= mclp.greedy_weight


def test_solver_failure_falls_back(monkeypatch):
    cover, weights = random_instance(200, 30, 0.08, 4)
    monkeypatch.setattr(_milp, "run_milp", lambda *a, **k: _milp.Milp(None, False, None))
    share = 0.9 * covered_weight(cover, weights, range(30)) / weights.sum()
    for result in (maximize_coverage_capacitated(cover, weights, 4, np.full(30, 20.0)),
                   minimize_facilities(cover, weights, share),
                   maximize_coverage_budget(cover, weights, np.ones(30), 4)):
        check_result(result)
        assert result.method == "greedy"


def test_coverage_curve_matches_single_solves():
    cover, weights = geometric_instance(150, 30, 5, 8)
    curve = coverage_curve(cover, weights, 5, fixed=[2])
    assert len(curve) == 5
    values = [r.covered_weight for r in curve]
    assert values == sorted(values)
    for k, result in enumerate(curve, start=1):
        single = maximize_coverage(cover, weights, k + 1, fixed=[2])
        assert result.covered_weight == pytest.approx(single.covered_weight)
        assert result.greedy_weight == greedy_max_coverage(cover, weights, k + 1,
                                                           fixed=[2]).covered_weight
        assert 2 in result.selected


@pytest.mark.parametrize("convert", [
    np.asarray, lambda a: a.astype(np.int8), lambda a: a.astype(float), sp.csr_array,
    sp.csc_array, sp.coo_array, sp.lil_array, sp.dok_array, sp.csr_matrix,
])
def test_accepted_matrix_formats(convert):
    cover, weights = random_instance(40, 10, 0.2, 1)
    assert maximize_coverage(convert(cover), weights, 3).covered_weight == pytest.approx(
        brute_mclp(cover, weights, 3))


def test_duplicate_sparse_entries_count_once():
    cover = sp.coo_array((np.ones(3), ([0, 0, 1], [0, 0, 1])), shape=(2, 2))
    result = maximize_coverage(cover, [1.0, 2.0], 1)
    assert result.covered_weight == 2.0 and result.selected.tolist() == [1]


def test_edge_cases():
    cover = np.zeros((3, 2), dtype=bool)
    assert maximize_coverage(cover, [1, 2, 3], 1).covered_weight == 0.0
    assert maximize_coverage(np.ones((0, 3), bool), [], 2).covered_weight == 0.0
    everything = np.ones((3, 4), dtype=bool)
    result = maximize_coverage(everything, [1, 2, 3], 3)
    assert result.covered_weight == 6.0 and len(result.selected) == 1 and result.optimal
    assert maximize_coverage(everything, [1, 2, 3], 0).selected.size == 0
    mask = np.array([False, True, False, True])
    assert maximize_coverage(everything, [1, 2, 3], 2, fixed=mask).selected.tolist() == [1, 3]
    # p counts the fixed ones: only the fixed open
    assert maximize_coverage(everything, [1, 2, 3], 2, fixed=[0, 0, 2]).selected.tolist() == [0, 2]


# --------------------------------------------------------------------------------------------
# Errors


COVER = np.array([[1, 0, 1], [0, 1, 0]], dtype=bool)
W = np.array([1.0, 2.0])


@pytest.mark.parametrize("call, parameter, match", [
    (lambda: maximize_coverage(np.ones(3, bool), [1, 1, 1], 1), "cover", "2-D"),
    (lambda: maximize_coverage(sp.coo_array(np.ones(3)), [1, 1, 1], 1), "cover", "2-D"),
    (lambda: maximize_coverage(np.array([[0.0, 350.0]]), [1.0], 1), "cover", "distance"),
    (lambda: maximize_coverage(sp.csr_array(np.array([[2.0]])), [1.0], 1), "cover", "0/1"),
    (lambda: maximize_coverage([["a", "b"]], [1.0], 1), "cover", "0/1"),
    (lambda: maximize_coverage(COVER, [1.0], 1), "weights", r"shape \(1,\).*2 demand rows"),
    (lambda: maximize_coverage(COVER, [[1.0, 2.0]], 1), "weights", "shape"),
    (lambda: maximize_coverage(COVER, [1.0, -2.0], 1), "weights", "≥ 0.*row 1"),
    (lambda: maximize_coverage(COVER, [1.0, np.nan], 1), "weights", "finite"),
    (lambda: maximize_coverage(COVER, ["x", "y"], 1), "weights", "numbers"),
    (lambda: maximize_coverage(COVER, W, 1, fixed=[0, 2]), "p", "2 candidates are fixed"),
    (lambda: maximize_coverage(COVER, W, 4), "p", "only 3 candidates"),
    (lambda: maximize_coverage(COVER, W, -1), "p", "≥ 0"),
    (lambda: maximize_coverage(COVER, W, 1.5), "p", "integer"),
    (lambda: maximize_coverage(COVER, W, True), "p", "integer"),
    (lambda: maximize_coverage(COVER, W, 2, fixed=[3]), "fixed", "index 3 is out of range"),
    (lambda: maximize_coverage(COVER, W, 2, fixed=[-1]), "fixed", "out of range"),
    (lambda: maximize_coverage(COVER, W, 2, fixed=[0.5]), "fixed", "integers"),
    (lambda: maximize_coverage(COVER, W, 2, fixed=[True, False]), "fixed", "boolean mask"),
    (lambda: maximize_coverage(COVER, W, 2, time_limit=0), "time_limit", "> 0"),
    (lambda: maximize_coverage(COVER, W, 2, time_limit="soon"), "time_limit", "> 0"),
    (lambda: minimize_facilities(COVER, W, 0.0), "target", r"\(0, 1\]"),
    (lambda: minimize_facilities(COVER, W, 1.2), "target", r"\(0, 1\]"),
    (lambda: minimize_facilities(COVER, W, "most"), "target", "number"),
    (lambda: minimize_facilities(np.array([[1, 0], [0, 0]], bool), [1.0, 3.0], 0.5),
     "target", "at most 0.25 of the demand weight"),
    (lambda: maximize_coverage_capacitated(COVER, W, 1, [1.0, 2.0]), "capacity", "3 candidates"),
    (lambda: maximize_coverage_capacitated(COVER, W, 1, [1.0, -2.0, 3.0]), "capacity",
     "candidate 1"),
    (lambda: maximize_coverage_capacitated(COVER, W, 1, [1.0, np.nan, 3.0]), "capacity", "≥ 0"),
    (lambda: maximize_coverage_budget(COVER, W, [1.0], 2.0), "cost", "3 candidates"),
    (lambda: maximize_coverage_budget(COVER, W, [1.0, -1.0, 1.0], 2.0), "cost", "≥ 0"),
    (lambda: maximize_coverage_budget(COVER, W, [1.0, np.inf, 1.0], 2.0), "cost", "finite"),
    (lambda: maximize_coverage_budget(COVER, W, [1.0, 1.0, 1.0], -1.0), "budget", "≥ 0"),
    (lambda: maximize_coverage_budget(COVER, W, [1.0, 1.0, 1.0], np.nan), "budget", "≥ 0"),
    (lambda: maximize_coverage_budget(COVER, W, [1.0, 1.0, 1.0], "lots"), "budget", "number"),
    (lambda: greedy_max_coverage(COVER, W, 1, cost=[1.0, 1.0, 1.0]), "budget", "together"),
    (lambda: greedy_max_coverage(COVER, W, 1, budget=3.0), "cost", "together"),
    (lambda: greedy_max_coverage(COVER, W, None), "p", "budget"),
    (lambda: coverage_curve(COVER, W, 0), "n_max", "≥ 1"),
    (lambda: coverage_curve(COVER, W, 3, fixed=[0]), "n_max", "only 2 new ones"),
])
def test_input_errors(call, parameter, match):
    with pytest.raises(InputError, match=match) as info:
        call()
    assert info.value.parameter == parameter
    assert isinstance(info.value, ValueError)  # callers may catch the built-in too
