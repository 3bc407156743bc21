"""The fewest columns covering a share, by the search over their number: against CBC on the
textbook model, every stage on its own, and the deadline."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp

from geo.siting import _fewest, minimize_facilities
from geo.siting._fewest import _decide, fewest_columns
from geo.siting._greedy import greedy_cover
from geo.siting._mclp import lagrangian
from geo.siting._milp import coverage_milp
from geo.siting._reduce import reduce
from geo.siting._validate import Input, validate
from tests.geo.siting.conftest import check_result, geometric_instance, random_instance
from tests.reference import brute_min, cbc_min_cover, covered_weight

pytest.importorskip("pulp")

#: Geometric instances whose relaxation leaves a gap, so that every stage has work.
CASES = [(400, 80, 6.0, 1), (500, 90, 5.0, 2), (300, 60, 8.0, 3), (600, 120, 4.0, 4)]


def reduced_problem(cover, weights, share):
    """The reduced matrix, weights and need of ``minimize_facilities`` without fixed ones."""
    inp = validate(cover, weights, [])
    red = reduce(inp, dominance=True)
    total = float(inp.w.sum())
    return sp.csc_array(red.a), red.w, share * total - red.base - 1e-9 * total


@pytest.mark.parametrize("m, n, per_row, seed", CASES)
def test_the_fewest_equal_cbc(m, n, per_row, seed):
    cover, weights = geometric_instance(m, n, per_row, seed)
    total = weights.sum()
    for share in (0.5, 0.8, 0.9, 0.95):
        for fixed in ([], [0, n // 2]):
            result = minimize_facilities(cover, weights, share, fixed=fixed)
            check_result(result, fixed=fixed)
            assert result.optimal and result.bound == len(result.selected)
            assert len(result.selected) == cbc_min_cover(cover, weights, share, fixed)
            assert result.covered_weight >= share * total - 1e-9 * total
            assert covered_weight(cover, weights, result.selected) == pytest.approx(
                result.covered_weight)
            assert len(result.selected) <= result.greedy_weight


@pytest.mark.parametrize("m, n, density, seed", [(9, 6, 0.2, 1), (12, 7, 0.35, 2),
                                                  (14, 8, 0.25, 4), (10, 8, 0.3, 5)])
def test_the_fewest_by_brute_force(m, n, density, seed):
    cover, weights = random_instance(m, n, density, seed)
    for share in (0.1, 0.4, 0.6, 0.85):
        inp = validate(cover, weights, [])
        reachable = float(inp.w[inp.coverable].sum()) / weights.sum()
        if share > reachable:
            continue
        result = minimize_facilities(cover, weights, share)
        assert result.optimal
        assert len(result.selected) == brute_min(cover, weights, share)


def test_highs_finds_what_the_heuristics_miss(monkeypatch):
    cover, weights = geometric_instance(400, 80, 6.0, 1)
    a, w, need = reduced_problem(cover, weights, 0.9)
    expected = fewest_columns(a, w, need, 1, None, rel_gap=0.0)
    greedy = greedy_cover(Input(a, w, np.zeros(0, dtype=np.int64)), k=None, need=need)
    assert expected.optimal and len(expected.columns) < len(greedy.order)
    monkeypatch.setattr(_fewest, "_reaching", lambda *args: None)
    found = fewest_columns(a, w, need, 1, None, rel_gap=0.0)
    assert found.optimal and found.lower == len(found.columns) == len(expected.columns)
    assert found.method == "highs"
    covered = np.zeros(a.shape[0], dtype=bool)
    covered[a[:, found.columns].indices] = True
    assert w[covered].sum() >= need


@pytest.mark.parametrize("m, n, per_row, seed", CASES[:2])
def test_decide_says_no_below_and_yes_at_the_fewest(m, n, per_row, seed):
    cover, weights = geometric_instance(m, n, per_row, seed)
    a, w, need = reduced_problem(cover, weights, 0.9)
    fewest = cbc_min_cover(cover, weights, 0.9)
    at = sp.csr_array(a.T)
    for k, possible in ((fewest - 1, False), (fewest, True), (fewest + 2, True)):
        lag = lagrangian(a, at, w, k, need, None)
        answer = _decide(a, w, k, need, lag, None, 0.0, np.inf)
        assert answer is not None
        if not possible:
            assert answer.size == 0
        else:
            assert 0 < answer.size <= k
            covered = np.zeros(a.shape[0], dtype=bool)
            covered[a[:, answer].indices] = True
            assert w[covered].sum() >= need


def test_past_the_deadline_the_answer_still_covers_and_the_bound_holds():
    cover, weights = geometric_instance(500, 90, 5.0, 2)
    a, w, need = reduced_problem(cover, weights, 0.9)
    fewest = cbc_min_cover(cover, weights, 0.9)
    late = fewest_columns(a, w, need, 1, time.perf_counter() - 1.0, rel_gap=0.0)
    greedy = greedy_cover(Input(a, w, np.zeros(0, dtype=np.int64)), k=None, need=need)
    assert late.method == "greedy" and len(late.columns) == len(greedy.order)
    assert late.lower <= fewest <= len(late.columns)
    assert late.optimal == (late.lower == len(late.columns))
    result = minimize_facilities(cover, weights, 0.9, time_limit=1e-9)
    assert result.bound <= fewest <= len(result.selected)
    assert result.covered_weight >= 0.9 * weights.sum() - 1e-9 * weights.sum()


def test_the_first_solution_reaches_the_cutoff_without_being_optimal():
    cover, weights = geometric_instance(400, 80, 6.0, 1)
    a, w, need = reduced_problem(cover, weights, 0.9)
    k = cbc_min_cover(cover, weights, 0.9) + 3
    first = coverage_milp(sp.csr_array(a), w, np.ones(a.shape[1]), float(k), cutoff=need,
                          lower=None, deadline=None, heuristics=False, rel_gap=0.0, first=True)
    assert first.open is not None and first.open.sum() <= k
    assert covered_weight(a.toarray().astype(bool), w, np.flatnonzero(first.open)) >= need - 1e-6
