"""HiGHS (through :func:`scipy.optimize.milp`) on the reduced siting models.

:func:`run_milp` runs HiGHS with a deadline, a relative gap and, optionally, a cutoff and its
primal heuristics off. On it, one formulation per model, each on a reduced problem (see
:mod:`geo.siting._reduce`) and in reduced terms (columns of the reduced matrix, the fixed rows'
weight left out), each returning a :class:`Chosen`:

- :func:`coverage_milp`: the most covered weight with one linear limit on the columns (a count
  for the maximal covering model, costs for the budget one);
- :func:`set_cover_milp`: the fewest columns covering a given weight;
- :func:`capacitated_milp`: the most weight served within the columns' capacities.

Objectives are scaled so that the heaviest demand row weighs 1: HiGHS' absolute tolerances then
mean the same on any data.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.siting._reduce import fold_singletons


@dataclass
class Milp:
    """What HiGHS returned, in the terms of the MILP it was given."""

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


def run_milp(c: np.ndarray, integrality: np.ndarray, bounds: Bounds,
             constraints: list[LinearConstraint], deadline: float | None, *, rel_gap: float,
             presolve: bool = True, heuristics: bool = True,
             objective_bound: float | None = None, first: bool = False) -> Milp:
    """HiGHS through :func:`scipy.optimize.milp`, minimising ``c @ x``.

    ``rel_gap`` is the relative MIP gap at which HiGHS stops and calls the answer optimal
    (:data:`geo.siting.models.MIP_REL_GAP`); ``objective_bound`` is HiGHS' cutoff (only
    solutions with ``c @ x`` below it are looked for; none: status infeasible). ``first`` stops
    HiGHS at the first solution it finds (below the cutoff: a yes to "is there one?"), not
    optimal. No time is left at ``deadline`` (:func:`time.perf_counter` seconds): no incumbent,
    no bound.
    """
    options: dict[str, Any] = {"disp": False, "mip_rel_gap": rel_gap, "presolve": presolve}
    if not heuristics:
        options.update(_NO_HEURISTICS)
    if objective_bound is not None:
        options["objective_bound"] = float(objective_bound)
    if first:
        options["mip_max_improving_sols"] = 1
    if deadline is not None:
        left = deadline - time.perf_counter()
        if left <= 0:
            return Milp(None, False, None)
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
        return Milp(res.x, True, dual if dual is not None else float(res.fun))
    if res.status in (1, 4) and res.x is not None:
        # 1: the time limit; 4 with a solution: HiGHS' solution limit (``first``), which SciPy
        # does not name
        return Milp(res.x, False, dual)
    return Milp(None, False, dual, infeasible=res.status == 2)


@dataclass
class Chosen:
    """HiGHS' answer to one reduced model, in reduced terms."""

    open: np.ndarray | None   # boolean per reduced column, None without an incumbent
    optimal: bool             # proven: no better solution (than the cutoff, if any) is missed
    bound: float | None       # proven bound on the model's objective (None: HiGHS gave none)
    infeasible: bool = False  # nothing reaches the cutoff
    served: np.ndarray | None = None  # capacitated_milp: weight served per reduced row


def coverage_milp(a: sp.csr_array, w: np.ndarray, row: np.ndarray, limit: float, *,
                  cutoff: float, lower: np.ndarray | None, deadline: float | None,
                  heuristics: bool, rel_gap: float, first: bool = False) -> Chosen:
    """``max covered weight`` s.t. ``row · y ≤ limit`` and ``covered ≥ cutoff``, by HiGHS.

    The formulation counts **uncovered** weight: ``min sum_i w_i u_i`` s.t.
    ``sum_j a_ij y_j + u_i ≥ 1``, ``0 ≤ u ≤ 1``, with rows a single candidate covers folded
    into that candidate's objective. HiGHS' presolve is off: the reduction has done its work,
    and on these models presolve measurably slowed HiGHS down. The cutoff (the incumbent's
    value, a hair below, as HiGHS' ``objective_bound``) prunes the search. ``lower`` are
    lower bounds on the columns (1 forces one open). ``bound`` is an upper bound on the covered
    weight.
    """
    n = a.shape[1]
    w_single, a_multi, w_multi = fold_singletons(a, w)
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
    sol = run_milp(c, integrality, Bounds(lb, 1.0), cons, deadline, rel_gap=rel_gap,
                   presolve=False, heuristics=heuristics,
                   objective_bound=(total_multi - cutoff) / scale + 1e-7, first=first)
    upper = None if sol.dual is None else total_multi - sol.dual * scale
    chosen = None if sol.x is None else sol.x[:n] > 0.5
    return Chosen(chosen, sol.optimal, upper, sol.infeasible)


def set_cover_milp(a: sp.csr_array, w: np.ndarray, need: float, *, tol: float,
                   deadline: float | None, rel_gap: float) -> Chosen:
    """The fewest columns covering at least ``need`` weight, by HiGHS.

    When ``need`` is all the weight the columns reach (within ``tol``) this is plain set
    covering, ``min sum_j y_j`` s.t. ``sum_j a_ij y_j ≥ 1`` for every row, with no variable per
    row; otherwise ``min sum_j y_j`` s.t. ``z_i ≤ sum_j a_ij y_j`` and ``sum_i w_i z_i ≥ need``,
    with rows a single column covers folded into its weight. ``bound`` is a lower bound on the
    number of columns.
    """
    n_cols = a.shape[1]
    if need >= float(w.sum()) - tol:
        c = np.ones(n_cols)
        cons = [LinearConstraint(a, lb=1.0, ub=np.inf)]
        integrality = np.ones(n_cols)
    else:
        w_single, a_multi, w_multi = fold_singletons(a, w)
        scale = float(w.max())
        mm = a_multi.shape[0]
        c = np.concatenate([np.ones(n_cols), np.zeros(mm)])
        link = sp.hstack([-a_multi, sp.eye_array(mm)], format="csr")
        reach = np.concatenate([w_single, w_multi]) / scale
        cons = [LinearConstraint(link, -np.inf, 0.0),
                LinearConstraint(reach[None, :], need / scale, np.inf)]
        integrality = np.concatenate([np.ones(n_cols), np.zeros(mm)])
    sol = run_milp(c, integrality, Bounds(0.0, 1.0), cons, deadline, rel_gap=rel_gap)
    chosen = None if sol.x is None else sol.x[:n_cols] > 0.5
    return Chosen(chosen, sol.optimal, sol.dual, sol.infeasible)


def capacitated_milp(a: sp.csr_array, w: np.ndarray, capacity: np.ndarray, fixed: np.ndarray,
                     count: int, *, deadline: float | None, rel_gap: float) -> Chosen:
    """The most weight at most ``count`` columns serve within their capacities, by HiGHS.

    With ``x_ij`` the weight of row ``i`` served by column ``j`` (a variable per nonzero of
    ``a``)::

        max  sum_ij x_ij
        s.t. sum_j x_ij ≤ w_i            every row
             sum_i x_ij ≤ c_j y_j        every column
             x_ij ≤ w_i y_j              every pair (tightens the LP relaxation)
             sum_j y_j ≤ count,  y_j = 1 where ``fixed``,  y binary, x ≥ 0

    ``capacity`` is per reduced column, best capped at the weight the column covers; ``fixed``
    a boolean per reduced column. ``bound`` is an upper bound on the served weight and
    ``served`` the weight served per row.
    """
    a = sp.csr_array(a)
    a.sort_indices()
    n_rows, n_cols = a.shape
    nnz = a.nnz
    pair_row = np.repeat(np.arange(n_rows), np.diff(a.indptr))
    pair_col = a.indices
    scale = float(w.max())
    ws = w / scale
    demand_rows = sp.csr_array((np.ones(nnz), np.arange(nnz), a.indptr), shape=(n_rows, nnz))
    cap_rows = sp.csr_array((np.ones(nnz), (pair_col, np.arange(nnz))), shape=(n_cols, nnz))
    vub_y = sp.csr_array((-ws[pair_row], (np.arange(nnz), pair_col)), shape=(nnz, n_cols))
    matrix = sp.vstack([
        sp.hstack([sp.csr_array((n_rows, n_cols)), demand_rows]),
        sp.hstack([sp.diags_array(-capacity / scale), cap_rows]),
        sp.hstack([vub_y, sp.eye_array(nnz, format="csr")]),
        sp.hstack([sp.csr_array(np.ones((1, n_cols))), sp.csr_array((1, nnz))]),
    ], format="csr")
    upper = np.concatenate([ws, np.zeros(n_cols), np.zeros(nnz), [count]])
    c = np.concatenate([np.zeros(n_cols), -np.ones(nnz)])
    lb = np.concatenate([fixed.astype(float), np.zeros(nnz)])
    ub = np.concatenate([np.ones(n_cols), ws[pair_row]])
    integrality = np.concatenate([np.ones(n_cols), np.zeros(nnz)])
    sol = run_milp(c, integrality, Bounds(lb, ub), [LinearConstraint(matrix, -np.inf, upper)],
                   deadline, rel_gap=rel_gap)
    bound = None if sol.dual is None else -sol.dual * scale
    if sol.x is None:
        return Chosen(None, sol.optimal, bound, sol.infeasible)
    chosen = sol.x[:n_cols] > 0.5
    flow = np.clip(sol.x[n_cols:], 0.0, None) * scale * chosen[pair_col]
    served = np.minimum(np.bincount(pair_row, flow, minlength=n_rows), w)
    return Chosen(chosen, sol.optimal, bound, sol.infeasible, served)
