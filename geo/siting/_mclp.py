"""The maximal covering solver: swap local search, a Lagrangian bound, HiGHS on what is left.

:func:`solve_mclp` improves the greedy answer by a best-improvement swap local search, bounds
the optimum by the Lagrangian dual (whose bound tends to the LP relaxation's at a fraction of
its cost, and whose best column sets, improved by the same local search, are often optimal),
drops the candidates no better solution can open (Lagrangian fixing), and hands what is left to
HiGHS with the incumbent as a cutoff. It returns the best of all answers: never worse than
greedy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from geo.siting._greedy import Greedy, greedy_cover
from geo.siting._milp import coverage_milp
from geo.siting._reduce import Reduced, reduce
from geo.siting._validate import REL_TOL, Input, ranges


class Answer(NamedTuple):
    """The best answer found and how good it is proven to be, in input terms."""

    selected: np.ndarray  # open candidates, fixed ones included, sorted
    method: str           # "greedy", "local_search" or "highs"
    optimal: bool
    bound: float          # proven upper bound on the covered weight


def swap_search(a: sp.csc_array, at: sp.csr_array, w: np.ndarray,
                start: Sequence[int] | np.ndarray,
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
        rows = indices[ranges(indptr[cols], indptr[cols + 1])]
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
class Lagrange:
    """The best Lagrangian bound found and what it was computed from."""

    upper: float        # proven upper bound on the covered weight (reduced terms)
    constant: float     # sum_i (w_i - lambda_i) at the best multipliers
    profit: np.ndarray  # column profits (A^T lambda) at the best multipliers
    starts: list[np.ndarray]  # the best-covering column sets seen (Lagrangian heuristic)


def lagrangian(a: sp.csc_array, at: sp.csr_array, w: np.ndarray, k: int, incumbent: float,
               deadline: float | None, *, iterations: int = 1000,
               starts: int = 5) -> Lagrange:
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
    best: Lagrange | None = None
    eps = 1e-6 * max(incumbent, 1e-12)
    seen: dict[bytes, float] = {}
    for _ in range(iterations):
        profit = at @ lam
        top = np.argpartition(-profit, k - 1)[:k]
        constant = float((w - lam).sum())
        value = constant + float(profit[top].sum())
        if best is None or value < best.upper:
            stall = 0 if best is None or value < best.upper - eps else stall + 1
            best = Lagrange(value, constant, profit, [])
        else:
            stall += 1
        if stall >= 30:
            step, stall = step / 2, 0
        if best.upper <= incumbent * (1 + REL_TOL) or step < 1e-4:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        count = np.bincount(indices[ranges(indptr[top], indptr[top + 1])], minlength=m)
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


def lagrange_fixing(lag: Lagrange, k: int, incumbent: float) -> tuple[np.ndarray, np.ndarray]:
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


def solve_mclp(inp: Input, red: Reduced, k: int, greedy: Greedy, deadline: float | None, *,
               rel_gap: float, work_limit: float = math.inf) -> Answer:
    """Greedy, swap local search, Lagrangian bound and fixing, then HiGHS on what is left.

    Parameters
    ----------
    inp, red
        The validated input and its reduction (with the fixed rows dropped).
    k
        Number of new candidates to open.
    greedy
        The greedy answer for ``k`` on ``inp``: the answer is never worse.
    deadline
        :func:`time.perf_counter` seconds at which to stop, or None.
    rel_gap
        HiGHS' relative MIP gap (:data:`geo.siting.models.MIP_REL_GAP`).
    work_limit
        The dominance test's limit (:func:`geo.siting._reduce.reduce`), for the second
        reduction: once Lagrangian fixing has dropped columns, rows left with none drop, rows
        now identical merge and columns now dominated drop, before HiGHS sees the problem.
    """
    bound = min(greedy.bound, red.base + float(red.w.sum()))
    if k == 0 or red.shape[1] == 0 or greedy.value >= bound * (1 - REL_TOL):
        return Answer(greedy.selected, "greedy", True, bound)
    if red.shape[1] <= k:  # every useful candidate fits: open them all
        return Answer(np.union1d(inp.fixed, red.cols), "greedy", True, bound)

    def share(fraction: float) -> float | None:
        if deadline is None:
            return None
        now = time.perf_counter()
        return now + max(deadline - now, 0.0) * fraction

    a = red.a.tocsc()
    at = sp.csr_array(a.T)
    reduced = Input(a, red.w, np.zeros(0, dtype=np.int64))
    start = greedy_cover(reduced, k=k).order
    local, local_value = swap_search(a, at, red.w, start, share(0.1))
    best_sel, best_value, method = greedy.selected, greedy.value, "greedy"
    if red.base + local_value > greedy.value * (1 + REL_TOL):
        best_sel = np.union1d(inp.fixed, red.cols[np.asarray(local, dtype=np.int64)])
        best_value, method = inp.covered(best_sel), "local_search"
    incumbent = best_value - red.base
    lag = lagrangian(a, at, red.w, k, incumbent, share(0.2))
    bound = min(bound, red.base + lag.upper)
    stop = share(0.1)
    for begin in lag.starts:  # the Lagrangian heuristic's best sets, improved by swaps
        if best_value >= bound * (1 - REL_TOL):
            break
        local, local_value = swap_search(a, at, red.w, begin, stop)
        if red.base + local_value > best_value * (1 + REL_TOL):
            best_sel = np.union1d(inp.fixed, red.cols[np.asarray(local, dtype=np.int64)])
            best_value, method = inp.covered(best_sel), "local_search"
    incumbent = best_value - red.base
    if best_value >= bound * (1 - REL_TOL):
        return Answer(best_sel, method, True, bound)

    drop, force = lagrange_fixing(lag, k, incumbent)
    kept = np.flatnonzero(~drop)
    again = reduce(Input(a[:, kept], red.w, np.zeros(0, dtype=np.int64)), dominance=True,
                   work_limit=work_limit)
    keep = kept[again.cols]
    sol = coverage_milp(again.a, again.w, np.ones(len(keep)), float(k), cutoff=incumbent,
                        lower=force[keep].astype(float), deadline=deadline, heuristics=False,
                        rel_gap=rel_gap)
    if sol.infeasible:  # nothing the fixing left covers as much: the incumbent is optimal
        return Answer(best_sel, method, True, bound)
    if sol.bound is not None:
        bound = min(bound, red.base + max(sol.bound, incumbent))
    if sol.open is not None:
        selected = np.union1d(inp.fixed, red.cols[keep[sol.open]])
        if inp.covered(selected) >= best_value:
            return Answer(selected, "highs", sol.optimal, bound)
    return Answer(best_sel, method, sol.optimal, bound)
