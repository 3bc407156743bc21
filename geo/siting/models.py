"""Siting models on a coverage matrix: where the next stations should go.

Every model reads a **coverage matrix** ``cover`` of shape ``(demand rows, candidate sites)``:
``cover[i, j]`` is true when candidate site ``j`` serves demand row ``i`` (for example: the
network travel time from the demand point to the site is within the worker group's budget).
Building the matrix is not this module's business; the models only see booleans and weights.
Existing stations are passed as ``fixed`` candidates: they are always open and, in the models
with a number of stations ``p``, counted in ``p``.

The models
----------
:func:`maximize_coverage`
    Maximal covering location problem (MCLP): open at most ``p`` candidates to cover the most
    demand weight.
:func:`minimize_facilities`
    Partial set covering: the fewest candidates covering at least a share of all demand weight.
:func:`maximize_coverage_capacitated`
    MCLP where a candidate serves at most its capacity; demand may be split between candidates.
:func:`maximize_coverage_budget`
    MCLP with a cost per candidate and a total budget instead of a count.
:func:`coverage_curve`
    The MCLP optimum for 1, 2, ... ``n_max`` new stations: how much each extra station buys.
:func:`greedy_max_coverage`
    The lazy greedy heuristic alone (fast start, fallback, and a baseline).

How they are solved
-------------------
1. **Reduction.** Demand rows no candidate covers, rows of zero weight and rows an existing
   (fixed) station already covers are dropped (the latter count as covered); identical rows are
   merged (weights summed); a candidate whose remaining rows are a subset of another candidate's
   (at no higher cost) is dropped where that is safe (the uncapacitated models; never the
   capacitated one); rows only one candidate covers become that candidate's own objective weight.
   The reduced problem has the same optimum.
2. **Greedy.** The lazy greedy (a priority queue of stale gains, exact because coverage is
   submodular) gives a solution in milliseconds and, with the data-dependent bound
   ``f(S) + sum of the best p marginal gains``, a proven upper bound.
3. **Better incumbents and bounds** (:func:`maximize_coverage`, :func:`coverage_curve`): a
   best-improvement swap local search from the greedy answer; a Lagrangian dual (subgradient)
   whose bound tends to the LP relaxation's at a fraction of its cost, and whose best column
   sets, improved by the same local search, are often optimal; Lagrangian fixing then drops the
   candidates no better solution can open.
4. **Exact.** HiGHS (:func:`scipy.optimize.milp`) solves what is left to proven optimality, or
   until ``time_limit``, told to look only for solutions at least as good as the incumbent.
   SciPy's interface takes no starting solution, so the heuristic answer is no warm start;
   the best of all answers is returned instead: **never worse than greedy**. When the time
   limit stops HiGHS, ``optimal`` is false and ``gap`` and ``bound`` (the best of HiGHS' dual
   bound, the Lagrangian and the greedy bound) say how far from the optimum the answer can at
   most be.

All weights are in the caller's unit (workers, usually); costs and budget in any one unit.
"""

from __future__ import annotations

import heapq
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from geo.errors import InputError

#: Relative MIP gap at which HiGHS stops and calls the answer optimal. 0 asks for a proven
#: optimum (up to HiGHS' absolute gap tolerance of 1e-6 on the objective scaled so that the
#: heaviest demand row weighs 1). Read at call time; raise it to trade optimality for speed.
MIP_REL_GAP: float = 0.0

#: Above this many row-pair products (sum over rows of (candidates per row)^2) the
#: dominated-candidate reduction is skipped, because its co-occurrence matrix would be too big.
DOMINANCE_WORK_LIMIT: int = 50_000_000

_REL_TOL = 1e-9


@dataclass(frozen=True)
class SitingResult:
    """The answer of one siting model.

    Attributes
    ----------
    selected
        Sorted indices of the open candidates (columns of ``cover``), fixed ones included. There
        may be fewer than ``p``: candidates that would cover nothing more are not opened.
    covered_weight
        Total weight of the demand rows the selected candidates cover (recomputed on the input
        matrix, not read from the solver); for :func:`maximize_coverage_capacitated`, the weight
        served within the capacities.
    optimal
        Whether the answer is proven optimal.
    gap
        Relative gap between the answer and ``bound``: ``(bound - value) / bound`` for the
        maximising models (the answer is at least ``1 - gap`` of the optimum),
        ``(value - bound) / value`` for :func:`minimize_facilities`. 0.0 when optimal.
    bound
        Best proven bound on the objective: an upper bound on the covered (served) weight for
        the maximising models, a lower bound on the number of open candidates (fixed included)
        for :func:`minimize_facilities`. From HiGHS' dual bound and the greedy bounds.
    method
        Where the answer comes from: ``"highs"`` (HiGHS' solution), ``"local_search"`` (swap
        local search from the greedy or the Lagrangian heuristic; :func:`maximize_coverage` and
        :func:`coverage_curve` only) or ``"greedy"`` (as good as anything else found, or HiGHS
        had no better incumbent in time or failed, or only greedy was asked). ``optimal`` says
        whether the answer is proven optimal whatever its source.
    greedy_weight
        The greedy solution's objective: covered (served) weight for the maximising models, the
        number of open candidates for :func:`minimize_facilities`. The answer is never worse.
    solve_seconds
        Wall-clock seconds of the whole call: validation, reduction, greedy and HiGHS.
    reduced_shape
        ``(demand rows, candidates)`` of the coverage matrix after the reduction.
    served
        :func:`maximize_coverage_capacitated` only: weight served per demand row, shape
        ``(n_demand,)``; ``None`` for the other models.
    """

    selected: np.ndarray
    covered_weight: float
    optimal: bool
    gap: float
    bound: float
    method: str
    greedy_weight: float
    solve_seconds: float
    reduced_shape: tuple[int, int]
    served: np.ndarray | None = None


# --------------------------------------------------------------------------------------------
# Public models


def maximize_coverage(cover: Any, weights: Any, p: int, *, fixed: Any = None,
                      time_limit: float | None = None) -> SitingResult:
    """Open at most ``p`` candidates, fixed ones included, to cover the most demand weight (MCLP).

    Parameters
    ----------
    cover
        Boolean coverage matrix, shape ``(n_demand, n_candidates)``: a NumPy array (bool or 0/1)
        or any ``scipy.sparse`` matrix or array. ``cover[i, j]`` means candidate ``j`` serves
        demand row ``i``.
    weights
        Demand weight per row (workers, say), ≥ 0, shape ``(n_demand,)``.
    p
        Number of candidates open in total, **fixed ones included**; ``len(fixed) ≤ p ≤
        n_candidates``.
    fixed
        Indices of candidates that are open whatever happens (existing stations), or a boolean
        mask of length ``n_candidates``.
    time_limit
        Seconds for the whole call (up to HiGHS' own reaction time): the local search and the
        Lagrangian bound take a share, HiGHS gets the rest. ``None``: no limit, solve to proven
        optimality however long it takes.

    Returns
    -------
    SitingResult
        The open candidates and the covered weight; ``optimal``, ``gap`` and ``bound`` say how
        good it is proven to be.

    Raises
    ------
    geo.errors.InputError
        When a parameter is malformed; ``parameter`` names it.

    Notes
    -----
    The model is ``max sum_i w_i z_i`` subject to ``z_i ≤ sum_j a_ij y_j``,
    ``sum_j y_j ≤ p``, ``y_j = 1`` for fixed ``j``, ``y`` binary and ``0 ≤ z ≤ 1`` (``z`` can be
    continuous: with binary ``y`` an optimal ``z`` is 0 or 1).
    """
    started = time.perf_counter()
    inp = _validate(cover, weights, fixed)
    k = _check_p(p, inp)
    _check_time_limit(time_limit)
    deadline = None if time_limit is None else started + time_limit
    red = _reduce(inp, dominance=True)
    greedy = _greedy_cover(inp, k=k)
    return _solve_mclp(inp, red, k, greedy, started, deadline)


def coverage_curve(cover: Any, weights: Any, n_max: int, *, fixed: Any = None,
                   time_limit: float | None = None) -> list[SitingResult]:
    """The maximal coverage with 1, 2, ... ``n_max`` **new** stations beyond the fixed ones.

    Parameters
    ----------
    cover, weights, fixed
        As in :func:`maximize_coverage`.
    n_max
        The largest number of new candidates; ``len(fixed) + n_max ≤ n_candidates``.
    time_limit
        Seconds for the whole curve, shared evenly among the points still to solve (a point that
        finishes early leaves its time to the next ones). ``None``: no limit.

    Returns
    -------
    list of SitingResult
        Element ``k - 1`` is :func:`maximize_coverage` with ``p = len(fixed) + k``. The reduction
        and the greedy order are computed once for the whole curve.
    """
    started = time.perf_counter()
    inp = _validate(cover, weights, fixed)
    n_max = _check_int(n_max, "n_max", minimum=1)
    if len(inp.fixed) + n_max > inp.n:
        raise InputError(
            f"`n_max` was {n_max} but with {len(inp.fixed)} fixed candidates only "
            f"{inp.n - len(inp.fixed)} new ones can open among {inp.n}; lower `n_max`",
            parameter="n_max")
    _check_time_limit(time_limit)
    red = _reduce(inp, dominance=True)
    order = _greedy_cover(inp, k=n_max).order
    results = []
    for k in range(1, n_max + 1):
        point_started = time.perf_counter()
        deadline = None
        if time_limit is not None:
            left = started + time_limit - point_started
            deadline = point_started + max(left, 0.0) / (n_max - k + 1)
        greedy = _greedy_prefix(inp, order[:k])
        results.append(_solve_mclp(inp, red, k, greedy, point_started, deadline))
    return results


def minimize_facilities(cover: Any, weights: Any, target: float, *, fixed: Any = None,
                        time_limit: float | None = None) -> SitingResult:
    """The fewest candidates, fixed ones included, covering a share of all demand weight.

    Parameters
    ----------
    cover, weights, fixed, time_limit
        As in :func:`maximize_coverage`.
    target
        Share of the total weight of **all** demand rows (also those no candidate reaches) to
        cover, in ``(0, 1]``.

    Returns
    -------
    SitingResult
        ``bound`` is a proven lower bound on the number of open candidates and ``greedy_weight``
        the greedy number of candidates (the answer never opens more).

    Raises
    ------
    geo.errors.InputError
        Also when no choice of candidates reaches ``target``; the message gives the highest
        reachable share.

    Notes
    -----
    With a share the candidates can cover entirely this is set covering,
    ``min sum_j y_j`` subject to ``sum_j a_ij y_j ≥ 1`` for every reachable row; otherwise
    ``min sum_j y_j`` subject to ``z_i ≤ sum_j a_ij y_j`` and ``sum_i w_i z_i ≥ target``. A
    shortfall of at most 1e-9 of the total weight counts as reached (rounding).
    """
    started = time.perf_counter()
    inp = _validate(cover, weights, fixed)
    share = _check_share(target)
    _check_time_limit(time_limit)
    deadline = None if time_limit is None else started + time_limit
    total = float(inp.w.sum())
    reachable = float(inp.w[inp.coverable].sum())
    target = share * total
    tol = _REL_TOL * max(total, 1e-300)
    if target > reachable + tol:
        raise InputError(
            f"`target` was {share:g} but the candidates can reach at most "
            f"{reachable / total:.6g} of the demand weight ({reachable:g} of {total:g}); lower "
            f"`target` or add candidates", parameter="target")
    red = _reduce(inp, dominance=True)
    need = target - red.base - tol
    greedy = _greedy_cover(inp, k=None, need=need)
    greedy_count = len(inp.fixed) + len(greedy.order)
    n_fixed = len(inp.fixed)

    def result(selected, method, optimal, bound):
        count = len(selected)
        bound = float(count) if optimal else min(float(bound), float(count))
        gap = 0.0 if optimal or count == 0 else (count - bound) / count
        return SitingResult(np.asarray(selected, dtype=np.int64), inp.covered(selected), optimal,
                            gap, bound, method, float(greedy_count),
                            time.perf_counter() - started, red.shape)

    if need <= 0 or red.shape[1] == 0:
        return result(inp.fixed, "greedy", True, n_fixed)
    # Lower bound: the fewest candidates whose separate gains could add up to the need.
    gains = np.sort(red.a.T @ red.w)[::-1]
    lower = n_fixed + int(np.searchsorted(np.cumsum(gains), need * (1 - _REL_TOL)) + 1)
    if greedy_count <= lower:
        return result(greedy.selected, "greedy", True, lower)

    w_single, a_multi, w_multi = _fold_singletons(red.a, red.w)
    n_cols = red.shape[1]
    scale = float(red.w.max())
    if need >= float(red.w.sum()) - tol:
        # Everything the candidates reach: plain set covering, no z variables.
        c = np.ones(n_cols)
        cons = [LinearConstraint(red.a, lb=1.0, ub=np.inf)]
        integrality = np.ones(n_cols)
        bounds = Bounds(0.0, 1.0)
    else:
        mm = a_multi.shape[0]
        c = np.concatenate([np.ones(n_cols), np.zeros(mm)])
        link = sp.hstack([-a_multi, sp.eye_array(mm)], format="csr")
        reach = np.concatenate([w_single, w_multi]) / scale
        cons = [LinearConstraint(link, -np.inf, 0.0),
                LinearConstraint(reach[None, :], need / scale, np.inf)]
        integrality = np.concatenate([np.ones(n_cols), np.zeros(mm)])
        bounds = Bounds(0.0, 1.0)
    sol = _run_milp(c, integrality, bounds, cons, deadline)
    if sol.dual is not None:
        lower = max(lower, n_fixed + math.ceil(sol.dual - 1e-6))
    if sol.x is not None:
        selected = np.union1d(inp.fixed, red.cols[sol.x[:n_cols] > 0.5])
        if len(selected) <= greedy_count and inp.covered(selected) >= target - tol:
            return result(selected, "highs", sol.optimal, lower)
    return result(greedy.selected, "greedy", sol.optimal and sol.x is not None, lower)


def maximize_coverage_capacitated(cover: Any, weights: Any, p: int, capacity: Any, *,
                                  fixed: Any = None,
                                  time_limit: float | None = None) -> SitingResult:
    """Open at most ``p`` candidates to serve the most demand weight within their capacities.

    Parameters
    ----------
    cover, weights, p, fixed, time_limit
        As in :func:`maximize_coverage`.
    capacity
        Weight each candidate can serve at most (workers, in the unit of ``weights``), ≥ 0,
        shape ``(n_candidates,)``; ``inf`` for no limit. Fixed candidates use theirs too.

    Returns
    -------
    SitingResult
        ``covered_weight`` is the **served** weight, ``served`` the weight served per demand row.

    Notes
    -----
    A demand row may be split across the open candidates that cover it. With ``x_ij`` the
    weight of row ``i`` served by candidate ``j`` (only where ``a_ij = 1``)::

        max  sum_ij x_ij
        s.t. sum_j x_ij ≤ w_i            every demand row
             sum_i x_ij ≤ c_j y_j        every candidate (c_j capped at the weight it covers)
             x_ij ≤ w_i y_j              every pair (tightens the LP relaxation)
             sum_j y_j ≤ p,  y_j = 1 for fixed j,  y binary, x ≥ 0

    Rows an existing station covers are **not** dropped here (it may be full), and no
    candidate is dropped as dominated (a smaller one with more capacity can be better).
    """
    started = time.perf_counter()
    inp = _validate(cover, weights, fixed)
    k = _check_p(p, inp)
    cap = _check_vector(capacity, "capacity", inp.n, allow_inf=True)
    _check_time_limit(time_limit)
    deadline = None if time_limit is None else started + time_limit
    red = _reduce(inp, dominance=False, drop_fixed_rows=False, capacity=cap)
    greedy_sel, greedy_served = _greedy_capacitated(inp, red, cap, k)
    greedy_value = float(greedy_served.sum())
    n_cols = red.shape[1]
    capped = np.minimum(cap[red.cols], red.a.T @ red.w)
    is_fixed = np.isin(red.cols, inp.fixed)
    trivial = (float(capped[is_fixed].sum())
               + float(np.sort(capped[~is_fixed])[::-1][:k].sum()))
    bound = min(float(red.w.sum()), trivial)

    def result(selected, served, method, optimal, bound):
        value = float(served.sum())
        bound = value if optimal else max(bound, value)
        gap = 0.0 if optimal or bound <= 0 else (bound - value) / bound
        return SitingResult(np.asarray(selected, dtype=np.int64), value, optimal, gap, bound,
                            method, greedy_value, time.perf_counter() - started, red.shape,
                            served=served)

    if n_cols == 0 or greedy_value >= bound * (1 - _REL_TOL):
        return result(greedy_sel, greedy_served, "greedy", True, bound)

    a = red.a.tocsr()
    a.sort_indices()
    nnz = a.nnz
    pair_row = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    pair_col = a.indices
    scale = float(red.w.max())
    w = red.w / scale
    eye_nnz = sp.eye_array(nnz, format="csr")
    demand_rows = sp.csr_array((np.ones(nnz), np.arange(nnz), a.indptr), shape=(a.shape[0], nnz))
    cap_rows = sp.csr_array((np.ones(nnz), (pair_col, np.arange(nnz))), shape=(n_cols, nnz))
    vub_y = sp.csr_array((-w[pair_row], (np.arange(nnz), pair_col)), shape=(nnz, n_cols))
    matrix = sp.vstack([
        sp.hstack([sp.csr_array((a.shape[0], n_cols)), demand_rows]),
        sp.hstack([sp.diags_array(-capped / scale), cap_rows]),
        sp.hstack([vub_y, eye_nnz]),
        sp.hstack([sp.csr_array(np.ones((1, n_cols))), sp.csr_array((1, nnz))]),
    ], format="csr")
    upper = np.concatenate([w, np.zeros(n_cols), np.zeros(nnz), [len(inp.fixed) + k]])
    c = np.concatenate([np.zeros(n_cols), -np.ones(nnz)])
    lb = np.concatenate([is_fixed.astype(float), np.zeros(nnz)])
    ub = np.concatenate([np.ones(n_cols), w[pair_row]])
    integrality = np.concatenate([np.ones(n_cols), np.zeros(nnz)])
    sol = _run_milp(c, integrality, Bounds(lb, ub), [LinearConstraint(matrix, -np.inf, upper)],
                    deadline)
    if sol.dual is not None:
        bound = min(bound, -sol.dual * scale)
    if sol.x is not None:
        open_ = sol.x[:n_cols] > 0.5
        flow = np.clip(sol.x[n_cols:], 0.0, None) * scale * open_[pair_col]
        served_red = np.minimum(np.bincount(pair_row, flow, minlength=a.shape[0]), red.w)
        served = red.expand(served_red, inp.w)
        if float(served.sum()) >= greedy_value:
            selected = np.union1d(inp.fixed, red.cols[open_])
            return result(selected, served, "highs", sol.optimal, bound)
    return result(greedy_sel, greedy_served, "greedy", sol.optimal and sol.x is not None, bound)


def maximize_coverage_budget(cover: Any, weights: Any, cost: Any, budget: float, *,
                             fixed: Any = None, time_limit: float | None = None) -> SitingResult:
    """Open candidates costing at most ``budget`` in total to cover the most demand weight.

    Parameters
    ----------
    cover, weights, fixed, time_limit
        As in :func:`maximize_coverage`.
    cost
        Cost of opening each candidate, ≥ 0 and finite, shape ``(n_candidates,)``, in any unit.
        **Fixed candidates cost nothing**: they exist already, their entries are ignored.
    budget
        Total cost allowed for the new candidates, ≥ 0, same unit as ``cost``.

    Returns
    -------
    SitingResult

    Notes
    -----
    ``max sum_i w_i z_i`` subject to ``z_i ≤ sum_j a_ij y_j`` and ``sum_j cost_j y_j ≤ budget``.
    The greedy is the cost-benefit one (largest gain per cost, candidates that no longer fit
    skipped), compared with the best single affordable candidate. A candidate is dropped as
    dominated only by one covering a superset at no higher cost.
    """
    started = time.perf_counter()
    inp = _validate(cover, weights, fixed)
    costs = _check_vector(cost, "cost", inp.n, allow_inf=False)
    budget = _check_budget(budget)
    _check_time_limit(time_limit)
    deadline = None if time_limit is None else started + time_limit
    costs = costs.copy()
    costs[inp.fixed] = 0.0
    red = _reduce(inp, dominance=True, cost=costs, budget=budget)
    greedy = _greedy_cover(inp, k=None, cost=costs, budget=budget)
    bound = min(greedy.bound, red.base + float(red.w.sum()))
    ccost = costs[red.cols]
    slack = _REL_TOL * max(budget, 1.0)

    def finish(selected, method, optimal, bound):
        return _max_result(inp, selected, method, optimal, bound, greedy.value, started, red.shape)

    if red.shape[1] == 0 or greedy.value >= bound * (1 - _REL_TOL):
        return finish(greedy.selected, "greedy", True, bound)
    if float(ccost.sum()) <= budget:  # everything useful fits: open it all
        return finish(np.union1d(inp.fixed, red.cols), "greedy", True, bound)
    sol = _coverage_milp(red.a, red.w, ccost, budget, cutoff=greedy.value - red.base,
                         lower=None, deadline=deadline, heuristics=True)
    if sol.infeasible:  # nothing covers as much as greedy: greedy is optimal
        return finish(greedy.selected, "greedy", True, bound)
    if sol.upper is not None:
        bound = min(bound, red.base + max(sol.upper, greedy.value - red.base))
    optimal = sol.optimal
    if sol.open is not None:
        chosen = red.cols[sol.open]
        selected = np.union1d(inp.fixed, chosen)
        if float(costs[chosen].sum()) > budget + slack:
            optimal = False  # HiGHS' answer breaks the budget beyond rounding: do not trust it
        elif inp.covered(selected) >= greedy.value:
            return finish(selected, "highs", optimal, bound)
    return finish(greedy.selected, "greedy", optimal, bound)


def greedy_max_coverage(cover: Any, weights: Any, p: int | None, *, fixed: Any = None,
                        cost: Any = None, budget: float | None = None) -> SitingResult:
    """The lazy greedy heuristic for maximal coverage, alone.

    Parameters
    ----------
    cover, weights, fixed
        As in :func:`maximize_coverage`.
    p
        Candidates open in total, fixed included; ``None`` for no count limit (then ``cost`` and
        ``budget`` are required).
    cost, budget
        Optional, together: a cost per candidate and the budget for the new ones (fixed ones cost
        nothing), as in :func:`maximize_coverage_budget`. With a budget the greedy takes the
        largest gain per cost and is compared with the best single affordable candidate.

    Returns
    -------
    SitingResult
        ``method`` is ``"greedy"``; ``bound`` is the data-dependent upper bound (covered weight
        plus the best marginal gains that still fit), so ``gap`` is a proven one; ``optimal`` when
        the answer meets it.

    Notes
    -----
    Gains are kept in a priority queue and recomputed only when a candidate reaches its top
    (coverage is submodular, so a stale gain is an upper bound). Columns are read from a CSC
    matrix: 50,000 rows × 2,000 candidates with ``p = 50`` take milliseconds.
    """
    started = time.perf_counter()
    inp = _validate(cover, weights, fixed)
    if (cost is None) != (budget is None):
        missing = "budget" if budget is None else "cost"
        raise InputError(f"`cost` and `budget` go together but `{missing}` was not given",
                         parameter=missing)
    if p is None and cost is None:
        raise InputError("`p` was None with no `budget`; give a number of candidates or a budget",
                         parameter="p")
    k = None if p is None else _check_p(p, inp)
    costs = None
    if cost is not None:
        costs = _check_vector(cost, "cost", inp.n, allow_inf=False).copy()
        costs[inp.fixed] = 0.0
        budget = _check_budget(budget)
    greedy = _greedy_cover(inp, k=k, cost=costs, budget=math.inf if budget is None else budget)
    bound = greedy.bound
    optimal = greedy.value >= bound * (1 - _REL_TOL)
    return _max_result(inp, greedy.selected, "greedy", optimal, bound, greedy.value, started,
                       (inp.m, inp.n))


# --------------------------------------------------------------------------------------------
# Validation


@dataclass
class _Input:
    """Validated input: the coverage matrix as CSC (float ones), weights and fixed indices."""

    a: sp.csc_array
    w: np.ndarray
    fixed: np.ndarray

    @property
    def m(self) -> int:
        return self.a.shape[0]

    @property
    def n(self) -> int:
        return self.a.shape[1]

    @cached_property
    def coverable(self) -> np.ndarray:
        """Rows at least one candidate covers."""
        mask = np.zeros(self.m, dtype=bool)
        mask[self.a.indices] = True
        return mask

    def covered_mask(self, selected: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.m, dtype=bool)
        selected = np.asarray(selected, dtype=np.int64)
        if len(selected):
            starts, ends = self.a.indptr[selected], self.a.indptr[selected + 1]
            mask[self.a.indices[_ranges(starts, ends)]] = True
        return mask

    def covered(self, selected: np.ndarray) -> float:
        return float(self.w[self.covered_mask(selected)].sum())


def _validate(cover: Any, weights: Any, fixed: Any) -> _Input:
    a = _check_cover(cover)
    m, n = a.shape
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"`weights` must be numbers, one per demand row: {exc}",
                         parameter="weights") from None
    if w.ndim != 1 or len(w) != m:
        raise InputError(f"`weights` has shape {w.shape} but `cover` has {m} demand rows; pass "
                         f"one weight per row, shape ({m},)", parameter="weights")
    if not np.isfinite(w).all():
        bad = int(np.flatnonzero(~np.isfinite(w))[0])
        raise InputError(f"`weights` must be finite but row {bad} is {w[bad]}",
                         parameter="weights")
    if (w < 0).any():
        bad = int(np.flatnonzero(w < 0)[0])
        raise InputError(f"`weights` must be ≥ 0 but row {bad} is {w[bad]:g}",
                         parameter="weights")
    return _Input(a, w, _check_fixed(fixed, n))


def _check_cover(cover: Any) -> sp.csc_array:
    if sp.issparse(cover):
        if len(cover.shape) != 2:
            raise InputError(f"`cover` must be 2-D (demand × candidates) but has shape "
                             f"{cover.shape}", parameter="cover")
        a = sp.coo_array(cover)  # the stored values as given, duplicates not yet summed
        data = a.data
    else:
        try:
            arr = np.asarray(cover)
        except (TypeError, ValueError) as exc:
            raise InputError(f"`cover` must be a boolean matrix: {exc}", parameter="cover") from None
        if arr.ndim != 2:
            raise InputError(f"`cover` must be 2-D (demand × candidates) but has shape "
                             f"{arr.shape}", parameter="cover")
        a, data = arr, arr
    if data.dtype != bool and not (np.issubdtype(data.dtype, np.number)
                                   and bool(np.all((data == 0) | (data == 1)))):
        raise InputError("`cover` must hold booleans or 0/1 only (is it a distance matrix? "
                             "pass `distance <= radius`)", parameter="cover")
    if sp.issparse(a):
        a = sp.csc_array(a.astype(bool))  # duplicates of True sum to True
        a.eliminate_zeros()
    else:
        a = sp.csc_array(a.astype(bool))
    a.sort_indices()
    out = sp.csc_array((np.ones(a.nnz), a.indices.astype(np.int64), a.indptr.astype(np.int64)),
                       shape=a.shape)
    return out


def _check_fixed(fixed: Any, n: int) -> np.ndarray:
    if fixed is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(fixed)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise InputError(f"`fixed` as a boolean mask must have one entry per candidate, "
                             f"shape ({n},), but has shape {arr.shape}", parameter="fixed")
        return np.flatnonzero(arr).astype(np.int64)
    arr = arr.ravel()
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"`fixed` must be candidate indices (integers) but has dtype "
                         f"{arr.dtype}", parameter="fixed")
    arr = arr.astype(np.int64)
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        raise InputError(f"`fixed` index {int(bad[0])} is out of range: candidates are numbered "
                         f"0 to {n - 1}", parameter="fixed")
    return np.unique(arr)


def _check_int(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"`{name}` was {value!r} but must be an integer", parameter=name)
    if value < minimum:
        raise InputError(f"`{name}` was {value} but must be ≥ {minimum}", parameter=name)
    return int(value)


def _check_p(p: Any, inp: _Input) -> int:
    """``p`` checked against the candidates and the fixed ones; returns how many new ones."""
    p = _check_int(p, "p", minimum=0)
    if p < len(inp.fixed):
        raise InputError(f"`p` was {p} but {len(inp.fixed)} candidates are fixed, and `p` counts "
                         f"them; pass p ≥ {len(inp.fixed)}", parameter="p")
    if p > inp.n:
        raise InputError(f"`p` was {p} but there are only {inp.n} candidates", parameter="p")
    return p - len(inp.fixed)


def _check_share(share: Any) -> float:
    try:
        value = float(share)
    except (TypeError, ValueError):
        raise InputError(f"`target` was {share!r} but must be a number in (0, 1]",
                         parameter="target") from None
    if not 0.0 < value <= 1.0:
        raise InputError(f"`target` was {share!r} but must be in (0, 1]",
                         parameter="target")
    return value


def _check_vector(values: Any, name: str, n: int, *, allow_inf: bool) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"`{name}` must be numbers, one per candidate", parameter=name) from None
    if arr.shape != (n,):
        raise InputError(f"`{name}` has shape {arr.shape} but there are {n} candidates; pass "
                         f"one value per candidate, shape ({n},)", parameter=name)
    bad = np.isnan(arr) | (arr < 0) | (~np.isfinite(arr) if not allow_inf else False)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        allowed = "≥ 0 (inf for no limit)" if allow_inf else "finite and ≥ 0"
        raise InputError(f"`{name}` must be {allowed} but candidate {j} has {arr[j]}",
                         parameter=name)
    return arr


def _check_budget(budget: Any) -> float:
    try:
        value = float(budget)
    except (TypeError, ValueError):
        raise InputError(f"`budget` was {budget!r} but must be a number ≥ 0",
                         parameter="budget") from None
    if math.isnan(value) or value < 0:
        raise InputError(f"`budget` was {budget!r} but must be ≥ 0", parameter="budget")
    return value


def _check_time_limit(time_limit: Any) -> None:
    if time_limit is None:
        return
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.number)) \
            or not time_limit > 0:
        raise InputError(f"`time_limit` was {time_limit!r} but must be seconds > 0 or None",
                         parameter="time_limit")


# --------------------------------------------------------------------------------------------
# Reduction


@dataclass
class _Reduced:
    """The reduced problem: ``a`` (merged rows × kept candidates, CSR of ones) and its weights.

    ``cols`` maps reduced columns to input candidates; ``group`` maps every input row to its
    reduced row (-1 when dropped); ``base`` is the weight the fixed candidates already cover
    (0 when their rows were kept).
    """

    a: sp.csr_array
    w: np.ndarray
    cols: np.ndarray
    group: np.ndarray
    base: float

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.a.shape[0]), int(self.a.shape[1]))

    def expand(self, per_row: np.ndarray, w_in: np.ndarray) -> np.ndarray:
        """Spread a quantity per reduced row back to the input rows, in proportion to weight."""
        out = np.zeros(len(self.group))
        kept = self.group >= 0
        share = np.divide(w_in[kept], self.w[self.group[kept]],
                          out=np.zeros(int(kept.sum())), where=self.w[self.group[kept]] > 0)
        out[kept] = per_row[self.group[kept]] * share
        return out


def _reduce(inp: _Input, *, dominance: bool, drop_fixed_rows: bool = True,
            cost: np.ndarray | None = None, budget: float = math.inf,
            capacity: np.ndarray | None = None) -> _Reduced:
    m, n = inp.a.shape
    keep_rows = inp.coverable & (inp.w > 0)
    base = 0.0
    keep_cols = np.ones(n, dtype=bool)
    if drop_fixed_rows:
        by_fixed = inp.covered_mask(inp.fixed)
        base = float(inp.w[by_fixed].sum())
        keep_rows &= ~by_fixed
        keep_cols[inp.fixed] = False
    if cost is not None:
        keep_cols &= cost <= budget
    if capacity is not None:
        keep_cols &= capacity > 0
        keep_cols[inp.fixed] = True
    rows = np.flatnonzero(keep_rows)
    sub = inp.a.tocsr()[rows][:, np.flatnonzero(keep_cols)].tocsc()
    cols = np.flatnonzero(keep_cols)
    # Candidates that cover nothing left (fixed ones stay in the capacitated model).
    useful = np.diff(sub.indptr) > 0
    if capacity is not None:
        useful |= np.isin(cols, inp.fixed)
    if dominance and useful.sum() > 1:
        dominated = _dominated(sub, None if cost is None else cost[cols])
        useful &= ~dominated
    cols = cols[useful]
    sub = sub[:, np.flatnonzero(useful)].tocsr()
    sub.sort_indices()
    # Rows no kept candidate covers: only when every covering candidate was dropped for cost.
    alive = np.diff(sub.indptr) > 0
    if not alive.all():
        rows, sub = rows[alive], sub[np.flatnonzero(alive)]
    # Merge identical rows.
    indptr, indices = sub.indptr, sub.indices
    keys: dict[bytes, int] = {}
    row_group = np.empty(len(rows), dtype=np.int64)
    firsts = []
    for r in range(len(rows)):
        key = indices[indptr[r]:indptr[r + 1]].tobytes()
        g = keys.setdefault(key, len(keys))
        if g == len(firsts):
            firsts.append(r)
        row_group[r] = g
    merged = sub[np.asarray(firsts, dtype=np.int64)] if firsts else sub[:0]
    w = np.bincount(row_group, inp.w[rows], minlength=len(firsts)) if len(rows) else np.zeros(0)
    group = np.full(m, -1, dtype=np.int64)
    group[rows] = row_group
    merged = sp.csr_array(merged)
    merged.sort_indices()
    return _Reduced(merged, w, cols, group, base)


def _dominated(sub: sp.csc_array, cost: np.ndarray | None) -> np.ndarray:
    """Columns whose rows are a subset of another column's at no lower cost.

    Ties (identical columns, equal cost) keep the lowest index, so the relation is a strict
    order and every dropped column has a kept one covering at least as much for no more.
    """
    n = sub.shape[1]
    counts = np.diff(sub.indptr)
    row_len = np.diff(sub.tocsr().indptr)
    if float(np.sum(row_len.astype(np.float64) ** 2)) > DOMINANCE_WORK_LIMIT:
        return np.zeros(n, dtype=bool)
    b = sp.csc_array((np.ones(sub.nnz, dtype=np.int32), sub.indices, sub.indptr), shape=sub.shape)
    co = (b.T @ b).tocoo()
    j, k = co.row, co.col  # j ⊆ k when co[j, k] == counts[j]
    mask = (j != k) & (co.data == counts[j])
    j, k = j[mask], k[mask]
    if cost is None:
        beats = (counts[k] > counts[j]) | (k < j)
    else:
        cheaper = cost[k] < cost[j]
        same = cost[k] == cost[j]
        beats = (cost[k] <= cost[j]) & ((counts[k] > counts[j]) | cheaper | (same & (k < j)))
    out = np.zeros(n, dtype=bool)
    out[j[beats]] = True
    return out


def _fold_singletons(a: sp.csr_array, w: np.ndarray):
    """Rows one candidate covers become that candidate's own weight (``w_single`` per column);
    returns it with the rows several candidates cover (``a_multi``, ``w_multi``). Rows no
    candidate covers drop out."""
    lengths = np.diff(a.indptr)
    single = lengths == 1
    w_single = np.bincount(a.indices[np.repeat(single, lengths)], w[single],
                           minlength=a.shape[1])
    multi = np.flatnonzero(lengths > 1)
    return w_single, a[multi], w[multi]


# --------------------------------------------------------------------------------------------
# Greedy


@dataclass
class _Greedy:
    order: list[int]           # new candidates in the order greedy opened them
    selected: np.ndarray       # fixed + order, sorted
    value: float               # covered weight
    bound: float               # proven upper bound on the optimum of the same problem


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, e)`` for every pair, vectorised."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + offsets


def _greedy_cover(inp: _Input, *, k: int | None, cost: np.ndarray | None = None,
                  budget: float = math.inf, need: float = math.inf) -> _Greedy:
    """Lazy greedy from the fixed candidates: at most ``k`` new ones, within ``budget``, and
    stopping once ``need`` more weight is covered."""
    a = inp.a
    indptr, indices = a.indptr, a.indices
    residual = inp.w.copy()
    residual[inp.covered_mask(inp.fixed)] = 0.0
    base = float(inp.w.sum() - residual.sum())
    pool = np.ones(inp.n, dtype=bool)
    pool[inp.fixed] = False
    if cost is not None:
        pool &= cost <= budget
    gains0 = a.T @ residual
    slack = _REL_TOL * max(budget, 1.0) if math.isfinite(budget) else 0.0

    def key(gain: float, j: int) -> tuple[float, float]:
        # Smallest first: the largest gain (per cost); free candidates first, by gain.
        if cost is None:
            return (-gain, 0.0)
        return (-math.inf, -gain) if cost[j] == 0 else (-gain / cost[j], 0.0)

    heap = [(key(float(gains0[j]), int(j)), int(j)) for j in np.flatnonzero(pool & (gains0 > 0))]
    heapq.heapify(heap)
    order: list[int] = []
    got = 0.0
    spent = 0.0
    while heap and (k is None or len(order) < k) and got < need:
        _, j = heapq.heappop(heap)
        if cost is not None and spent + cost[j] > budget + slack:
            continue  # does not fit, and the budget left only shrinks
        rows = indices[indptr[j]:indptr[j + 1]]
        gain = float(residual[rows].sum())
        if gain <= 0:
            continue
        fresh = key(gain, j)
        if heap and fresh > heap[0][0]:
            heapq.heappush(heap, (fresh, j))
            continue
        order.append(j)
        got += gain
        residual[rows] = 0.0
        if cost is not None:
            spent += float(cost[j])
    if cost is not None:
        # The cost-benefit greedy can miss a single big candidate: compare with the best one.
        affordable = np.flatnonzero(pool)
        if len(affordable):
            best = int(affordable[np.argmax(gains0[affordable])])
            if gains0[best] > got * (1 + _REL_TOL):
                residual = inp.w.copy()
                residual[inp.covered_mask(inp.fixed)] = 0.0
                residual[indices[indptr[best]:indptr[best + 1]]] = 0.0
                order, got = [best], float(gains0[best])
    value = base + got
    # Data-dependent bound: OPT ≤ f(S) + the best marginal gains w.r.t. S that the OPT set could
    # add (at most k of them, or a fractional knapsack within the budget).
    marginal = a.T @ residual
    marginal[~pool] = 0.0
    bounds = [value + float(residual[inp.coverable].sum())]
    if k is not None:
        top = np.sort(marginal)[::-1][:k]
        bounds.append(value + float(top.sum()))
    if cost is not None and math.isfinite(budget):
        bounds.append(value + _fractional_knapsack(marginal, cost, budget))
    selected = np.union1d(inp.fixed, np.asarray(order, dtype=np.int64))
    return _Greedy(order, selected, value, min(bounds))


def _greedy_prefix(inp: _Input, order: list[int]) -> _Greedy:
    """The greedy answer for a smaller ``k``: the first picks of a longer greedy run."""
    selected = np.union1d(inp.fixed, np.asarray(order, dtype=np.int64))
    covered = inp.covered_mask(selected)
    residual = np.where(covered, 0.0, inp.w)
    marginal = inp.a.T @ residual
    marginal[inp.fixed] = 0.0
    value = float(inp.w[covered].sum())
    top = np.sort(marginal)[::-1][:len(order)]
    bound = min(value + float(top.sum()), value + float(residual[inp.coverable].sum()))
    return _Greedy(list(order), selected, value, bound)


def _fractional_knapsack(gain: np.ndarray, cost: np.ndarray, budget: float) -> float:
    """The LP relaxation of the knapsack: an upper bound on any affordable set's total gain."""
    positive = gain > 0
    free = positive & (cost <= 0)
    total = float(gain[free].sum())
    items = np.flatnonzero(positive & (cost > 0))
    if not len(items):
        return total
    ratio = gain[items] / cost[items]
    items = items[np.argsort(-ratio, kind="stable")]
    cum = np.cumsum(cost[items])
    full = int(np.searchsorted(cum, budget, side="right"))
    total += float(gain[items[:full]].sum())
    if full < len(items):
        left = budget - (cum[full - 1] if full else 0.0)
        total += float(gain[items[full]]) * left / float(cost[items[full]])
    return total


def _greedy_capacitated(inp: _Input, red: _Reduced, cap: np.ndarray,
                        k: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy for the capacitated model: open the candidate that can serve the most unserved
    weight, and fill it with the rows fewest candidates reach first; then serve the opened set
    as well as it can be (a transportation LP). Returns the selection and the weight served per
    input row."""
    a = red.a.tocsc()
    a.sort_indices()
    indptr, indices = a.indptr, a.indices
    degree = np.diff(red.a.indptr)
    residual = red.w.copy()
    served = np.zeros(len(red.w))

    def fill(j: int) -> float:
        rows = indices[indptr[j]:indptr[j + 1]]
        rows = rows[np.argsort(degree[rows], kind="stable")]
        r = residual[rows]
        before = np.cumsum(r) - r
        take = np.clip(cap[red.cols[j]] - before, 0.0, r)
        residual[rows] -= take
        served[rows] += take
        return float(take.sum())

    col_of = {int(c): j for j, c in enumerate(red.cols)}
    for f in inp.fixed:
        if int(f) in col_of:
            fill(col_of[int(f)])
    is_fixed = np.isin(red.cols, inp.fixed)

    def gain(j: int) -> float:
        rows = indices[indptr[j]:indptr[j + 1]]
        return min(float(cap[red.cols[j]]), float(residual[rows].sum()))

    heap = [(-gain(j), j) for j in np.flatnonzero(~is_fixed)]
    heap = [(g, int(j)) for g, j in heap if g < 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap and len(order) < k:
        _, j = heapq.heappop(heap)
        g = gain(j)
        if g <= 0:
            continue
        if heap and -g > heap[0][0]:
            heapq.heappush(heap, (-g, j))
            continue
        fill(j)
        order.append(j)
    opened = np.union1d(np.flatnonzero(is_fixed), np.asarray(order, dtype=np.int64))
    best = _best_assignment(red, cap, opened)
    if best is not None and best.sum() > served.sum():
        served = best
    return np.union1d(inp.fixed, red.cols[opened]), red.expand(served, inp.w)


def _best_assignment(red: _Reduced, cap: np.ndarray, opened: np.ndarray) -> np.ndarray | None:
    """The most weight the ``opened`` (reduced) columns can serve: a transportation LP (HiGHS).

    Returns the weight served per reduced row, or None if the LP solver failed."""
    a = red.a.tocsc()[:, opened].tocsr()
    a.sort_indices()
    nnz = a.nnz
    if nnz == 0:
        return np.zeros(a.shape[0])
    scale = float(red.w.max())
    pair_row = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    rows = sp.csr_array((np.ones(nnz), np.arange(nnz), a.indptr), shape=(a.shape[0], nnz))
    cols = sp.csr_array((np.ones(nnz), (a.indices, np.arange(nnz))), shape=(len(opened), nnz))
    limits = np.concatenate([red.w, np.minimum(cap[red.cols[opened]], red.w.sum())]) / scale
    res = linprog(-np.ones(nnz), A_ub=sp.vstack([rows, cols], format="csr"), b_ub=limits,
                  bounds=(0, None), method="highs")
    if res.status != 0:
        return None
    served = np.bincount(pair_row, np.clip(res.x, 0.0, None), minlength=a.shape[0]) * scale
    return np.minimum(served, red.w)


# --------------------------------------------------------------------------------------------
# HiGHS


@dataclass
class _Milp:
    x: np.ndarray | None   # HiGHS' incumbent, None without one
    optimal: bool
    dual: float | None     # bound on the minimised objective c @ x, as HiGHS reports it
    infeasible: bool = False


#: HiGHS options that switch its primal heuristics off, for models where we bring a better
#: incumbent than they would find: they spent most of HiGHS' time on MCLP instances, and proving
#: went about 1.5x faster without them. SciPy's ``milp`` passes options it does not know to
#: HiGHS verbatim (with a RuntimeWarning saying so, silenced below); an option HiGHS does not
#: know raises SciPy's OptimizeWarning, which the test suite turns into an error. The same way
#: passes HiGHS' ``objective_bound`` (the incumbent as a cutoff, since there is no warm start).
_NO_HEURISTICS = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_zi_round": False,
    "mip_heuristic_run_shifting": False,
}


def _run_milp(c, integrality, bounds, constraints, deadline: float | None, *,
              presolve: bool = True, heuristics: bool = True,
              objective_bound: float | None = None) -> _Milp:
    """HiGHS through :func:`scipy.optimize.milp`; ``objective_bound`` is HiGHS' cutoff (only
    solutions with ``c @ x`` below it are looked for; none: status infeasible)."""
    options: dict[str, Any] = {"disp": False, "mip_rel_gap": MIP_REL_GAP, "presolve": presolve}
    if not heuristics:
        options.update(_NO_HEURISTICS)
    if objective_bound is not None:
        options["objective_bound"] = float(objective_bound)
    if deadline is not None:
        left = deadline - time.perf_counter()
        if left <= 0:
            return _Milp(None, False, None)
        options["time_limit"] = left
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unrecognized options detected",
                                category=RuntimeWarning)
        res = milp(c, integrality=integrality, bounds=bounds, constraints=constraints,
                   options=options)
    dual = getattr(res, "mip_dual_bound", None)
    if dual is not None and not math.isfinite(dual):
        dual = None
    if res.status == 0:
        return _Milp(res.x, True, dual if dual is not None else float(res.fun))
    if res.status == 1 and res.x is not None:
        return _Milp(res.x, False, dual)
    return _Milp(None, False, dual, infeasible=res.status == 2)


@dataclass
class _CoverMilp:
    """HiGHS on a reduced coverage problem, in reduced terms (fixed rows' weight excluded)."""

    open: np.ndarray | None   # boolean per reduced column, None without an incumbent
    optimal: bool             # proven: no solution covering more than the cutoff is missed
    upper: float | None       # proven upper bound on the covered weight (None: HiGHS gave none)
    infeasible: bool          # nothing reaches the cutoff


def _coverage_milp(a: sp.csr_array, w: np.ndarray, row: np.ndarray, limit: float, *,
                   cutoff: float, lower: np.ndarray | None, deadline: float | None,
                   heuristics: bool) -> _CoverMilp:
    """``max covered weight`` s.t. ``row · y ≤ limit`` and ``covered ≥ cutoff``, by HiGHS.

    The formulation counts **uncovered** weight: ``min sum_i w_i u_i`` s.t.
    ``sum_j a_ij y_j + u_i ≥ 1``, ``0 ≤ u ≤ 1``, with rows a single candidate covers folded
    into that candidate's objective. HiGHS' presolve is off: the reduction has done its work,
    and on these models presolve measurably slowed HiGHS down. The cutoff (the incumbent's
    value, a hair below, as HiGHS' ``objective_bound``) prunes the search.
    """
    n = a.shape[1]
    w_single, a_multi, w_multi = _fold_singletons(a, w)
    mm = a_multi.shape[0]
    scale = float(w.max())
    total_multi = float(w_multi.sum())
    c = np.concatenate([-w_single, w_multi]) / scale
    cover_rows = sp.hstack([a_multi, sp.eye_array(mm)], format="csr")
    extra = np.concatenate([row, np.zeros(mm)])[None, :]
    cons = [LinearConstraint(cover_rows, 1.0, np.inf), LinearConstraint(extra, -np.inf, limit)]
    lb = np.zeros(n + mm)
    if lower is not None:
        lb[:n] = lower
    integrality = np.concatenate([np.ones(n), np.zeros(mm)])
    sol = _run_milp(c, integrality, Bounds(lb, 1.0), cons, deadline, presolve=False,
                    heuristics=heuristics,
                    objective_bound=(total_multi - cutoff) / scale + 1e-7)
    upper = None if sol.dual is None else total_multi - sol.dual * scale
    chosen = None if sol.x is None else sol.x[:n] > 0.5
    return _CoverMilp(chosen, sol.optimal, upper, sol.infeasible)


def _swap_search(a: sp.csc_array, at: sp.csr_array, w: np.ndarray, start: Sequence[int],
                 deadline: float | None) -> tuple[list[int], float]:
    """Best-improvement 1-swap local search for maximal coverage on a reduced problem.

    Each round evaluates every (close one, open another) pair at once with two sparse products
    and makes the best strictly improving swap, until none is left (or the deadline).
    """
    m, n = a.shape
    sel = [int(j) for j in start]
    count = np.zeros(m, dtype=np.int64)
    indptr, indices = a.indptr, a.indices
    for j in sel:
        count[indices[indptr[j]:indptr[j + 1]]] += 1
    value = float(w[count > 0].sum())
    tol = 1e-12 * max(float(w.sum()), 1.0)
    chunk = max(1, 4_000_000 // max(n, 1))
    for _ in range(50 * len(sel) + 100):
        if deadline is not None and time.perf_counter() > deadline:
            break
        gain = at @ np.where(count == 0, w, 0.0)
        gain[sel] = -np.inf
        cols = np.asarray(sel, dtype=np.int64)
        rows = indices[_ranges(indptr[cols], indptr[cols + 1])]
        owner = np.repeat(np.arange(len(cols)), indptr[cols + 1] - indptr[cols])
        alone = count[rows] == 1
        unique = sp.csc_array((w[rows[alone]], (rows[alone], owner[alone])),
                              shape=(m, len(cols)))
        loss = np.asarray(unique.sum(axis=0)).ravel()
        best, best_in, best_out = tol, -1, -1
        for lo in range(0, len(cols), chunk):
            delta = (at @ unique[:, lo:lo + chunk]).toarray()
            delta += gain[:, None] - loss[None, lo:lo + chunk]
            flat = int(np.argmax(delta))
            j_in, s_out = divmod(flat, delta.shape[1])
            if delta[j_in, s_out] > best:
                best, best_in, best_out = float(delta[j_in, s_out]), j_in, lo + s_out
        if best_in < 0:
            break
        out = sel[best_out]
        count[indices[indptr[out]:indptr[out + 1]]] -= 1
        count[indices[indptr[best_in]:indptr[best_in + 1]]] += 1
        sel[best_out] = best_in
        value = float(w[count > 0].sum())
    return sel, value


@dataclass
class _Lagrange:
    upper: float        # proven upper bound on the covered weight (reduced terms)
    constant: float     # sum_i (w_i - lambda_i) at the best multipliers
    profit: np.ndarray  # column profits (A^T lambda) at the best multipliers
    starts: list[np.ndarray]  # the best-covering column sets seen (Lagrangian heuristic)


def _lagrangian(a: sp.csc_array, at: sp.csr_array, w: np.ndarray, k: int, incumbent: float,
                deadline: float | None, *, iterations: int = 1000,
                starts: int = 5) -> _Lagrange:
    """Lagrangian dual of the MCLP by deflected subgradient optimisation.

    Relaxing ``z_i ≤ sum_j a_ij y_j`` with multipliers ``0 ≤ lambda_i ≤ w_i`` gives the bound
    ``sum_i (w_i - lambda_i) + (sum of the k largest (A^T lambda)_j)`` for any multipliers; its
    minimum equals the LP relaxation's optimum. Cheap on problems where the LP itself is slow.
    Stops when the bound meets the incumbent (which is then optimal), when the step has shrunk
    to nothing, or at the deadline. The k best columns of every iteration are a solution too:
    the best few are kept as starts for the local search.
    """
    m = a.shape[0]
    indptr, indices = a.indptr, a.indices
    lam = w.copy()
    direction = np.zeros(m)
    step, stall = 2.0, 0
    best: _Lagrange | None = None
    eps = 1e-6 * max(incumbent, 1e-12)
    seen: dict[bytes, float] = {}
    for _ in range(iterations):
        profit = at @ lam
        top = np.argpartition(-profit, k - 1)[:k]
        constant = float((w - lam).sum())
        value = constant + float(profit[top].sum())
        if best is None or value < best.upper:
            stall = 0 if best is None or value < best.upper - eps else stall + 1
            best = _Lagrange(value, constant, profit, [])
        else:
            stall += 1
        if stall >= 30:
            step, stall = step / 2, 0
        if best.upper <= incumbent * (1 + _REL_TOL) or step < 1e-4:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        count = np.bincount(indices[_ranges(indptr[top], indptr[top + 1])], minlength=m)
        seen[np.sort(top).tobytes()] = float(w[count > 0].sum())
        sub = count - 1.0  # d bound / d lambda_i
        sub[((lam <= 0) & (sub > 0)) | ((lam >= w) & (sub < 0))] = 0.0
        direction = sub + 0.5 * direction
        norm = float(direction @ direction)
        if norm == 0:
            break
        lam = np.clip(lam - step * (value - incumbent) / norm * direction, 0.0, w)
    assert best is not None
    ranked = sorted(seen.items(), key=lambda item: -item[1])[:starts]
    best.starts = [np.frombuffer(key, dtype=top.dtype) for key, _ in ranked]
    return best


def _lagrange_fixing(lag: _Lagrange, k: int, incumbent: float) -> tuple[np.ndarray, np.ndarray]:
    """Columns no solution better than ``incumbent`` opens (drop) or closes (force open).

    With the column profits ``g`` sorted, opening a column outside the k best bounds the
    covered weight by ``upper - g_(k) + g_j``; closing one of the k best by
    ``upper - g_j + g_(k+1)``. Where that is below the incumbent the column is decided.
    """
    g = lag.profit
    n = len(g)
    order = np.argsort(-g, kind="stable")
    upper = lag.constant + float(g[order[:k]].sum())
    in_top = np.zeros(n, dtype=bool)
    in_top[order[:k]] = True
    kth = float(g[order[k - 1]])
    next_ = float(g[order[k]]) if k < n else 0.0
    margin = 1e-7 * max(abs(upper), 1.0)
    drop = ~in_top & (upper - kth + g < incumbent - margin)
    force = in_top & (upper - g + next_ < incumbent - margin)
    return drop, force


def _solve_mclp(inp: _Input, red: _Reduced, k: int, greedy: _Greedy, started: float,
                deadline: float | None) -> SitingResult:
    """Greedy, swap local search, Lagrangian bound and fixing, then HiGHS on what is left."""
    bound = min(greedy.bound, red.base + float(red.w.sum()))

    def finish(selected, method, optimal, bound):
        return _max_result(inp, selected, method, optimal, bound, greedy.value, started, red.shape)

    if k == 0 or red.shape[1] == 0 or greedy.value >= bound * (1 - _REL_TOL):
        return finish(greedy.selected, "greedy", True, bound)
    if red.shape[1] <= k:  # every useful candidate fits: open them all
        return finish(np.union1d(inp.fixed, red.cols), "greedy", True, bound)

    def share(fraction: float) -> float | None:
        if deadline is None:
            return None
        now = time.perf_counter()
        return now + max(deadline - now, 0.0) * fraction

    a = red.a.tocsc()
    at = sp.csr_array(a.T)
    reduced = _Input(a, red.w, np.zeros(0, dtype=np.int64))
    start = _greedy_cover(reduced, k=k).order
    local, local_value = _swap_search(a, at, red.w, start, share(0.1))
    best_sel, best_value, method = greedy.selected, greedy.value, "greedy"
    if red.base + local_value > greedy.value * (1 + _REL_TOL):
        best_sel = np.union1d(inp.fixed, red.cols[np.asarray(local, dtype=np.int64)])
        best_value, method = inp.covered(best_sel), "local_search"
    incumbent = best_value - red.base
    lag = _lagrangian(a, at, red.w, k, incumbent, share(0.2))
    bound = min(bound, red.base + lag.upper)
    stop = share(0.1)
    for begin in lag.starts:  # the Lagrangian heuristic's best sets, improved by swaps
        if best_value >= bound * (1 - _REL_TOL):
            break
        local, local_value = _swap_search(a, at, red.w, begin, stop)
        if red.base + local_value > best_value * (1 + _REL_TOL):
            best_sel = np.union1d(inp.fixed, red.cols[np.asarray(local, dtype=np.int64)])
            best_value, method = inp.covered(best_sel), "local_search"
    incumbent = best_value - red.base
    if best_value >= bound * (1 - _REL_TOL):
        return finish(best_sel, method, True, bound)

    drop, force = _lagrange_fixing(lag, k, incumbent)
    keep = np.flatnonzero(~drop)
    sol = _coverage_milp(red.a[:, keep].tocsr(), red.w, np.ones(len(keep)), float(k),
                         cutoff=incumbent, lower=force[keep].astype(float), deadline=deadline,
                         heuristics=False)
    if sol.infeasible:  # nothing the fixing left covers as much: the incumbent is optimal
        return finish(best_sel, method, True, bound)
    if sol.upper is not None:
        bound = min(bound, red.base + max(sol.upper, incumbent))
    if sol.open is not None:
        selected = np.union1d(inp.fixed, red.cols[keep[sol.open]])
        if inp.covered(selected) >= best_value:
            return finish(selected, "highs", sol.optimal, bound)
    return finish(best_sel, method, sol.optimal, bound)


def _max_result(inp: _Input, selected: np.ndarray, method: str, optimal: bool, bound: float,
                greedy_value: float, started: float, shape: tuple[int, int]) -> SitingResult:
    value = inp.covered(selected)
    bound = value if optimal else max(float(bound), value)
    gap = 0.0 if optimal or bound <= 0 else (bound - value) / bound
    return SitingResult(np.asarray(selected, dtype=np.int64), value, bool(optimal), float(gap),
                        float(bound), method, float(greedy_value), time.perf_counter() - started,
                        shape)
