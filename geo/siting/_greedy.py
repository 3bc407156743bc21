"""Greedy heuristics of the siting models, and the bounds they prove.

:func:`greedy_cover` is the lazy greedy for maximal coverage (at most ``k`` new candidates, a
budget, or a weight to reach): gains wait in a priority queue and are recomputed only when a
candidate reaches its top, which is exact because coverage is submodular. With the
data-dependent bound ``f(S) + the best marginal gains`` it proves how far from the optimum its
answer can be. :func:`greedy_capacitated` is its counterpart for candidates with capacities,
finished by the best assignment of demand to the open candidates (a transportation LP).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from geo.siting._reduce import Reduced
from geo.siting._validate import REL_TOL, Input


@dataclass
class Greedy:
    """A greedy answer and the bound it proves."""

    order: list[int]           # new candidates in the order greedy opened them
    selected: np.ndarray       # fixed + order, sorted
    value: float               # covered weight
    bound: float               # proven upper bound on the optimum of the same problem


def greedy_cover(inp: Input, *, k: int | None, cost: np.ndarray | None = None,
                 budget: float = math.inf, need: float = math.inf) -> Greedy:
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
    slack = REL_TOL * max(budget, 1.0) if math.isfinite(budget) else 0.0

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
            if gains0[best] > got * (1 + REL_TOL):
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
        bounds.append(value + fractional_knapsack(marginal, cost, budget))
    selected = np.union1d(inp.fixed, np.asarray(order, dtype=np.int64))
    return Greedy(order, selected, value, min(bounds))


def greedy_prefix(inp: Input, order: list[int]) -> Greedy:
    """The greedy answer for a smaller ``k``: the first picks of a longer greedy run."""
    selected = np.union1d(inp.fixed, np.asarray(order, dtype=np.int64))
    covered = inp.covered_mask(selected)
    residual = np.where(covered, 0.0, inp.w)
    marginal = inp.a.T @ residual
    marginal[inp.fixed] = 0.0
    value = float(inp.w[covered].sum())
    top = np.sort(marginal)[::-1][:len(order)]
    bound = min(value + float(top.sum()), value + float(residual[inp.coverable].sum()))
    return Greedy(list(order), selected, value, bound)


def fractional_knapsack(gain: np.ndarray, cost: np.ndarray, budget: float) -> float:
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


def greedy_capacitated(inp: Input, red: Reduced, cap: np.ndarray,
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

    heap = [(-gain(j), j) for j in map(int, np.flatnonzero(~is_fixed))]
    heap = [(g, j) for g, j in heap if g < 0]
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
    best = best_assignment(red, cap, opened)
    if best is not None and best.sum() > served.sum():
        served = best
    return np.union1d(inp.fixed, red.cols[opened]), red.expand(served, inp.w)


def best_assignment(red: Reduced, cap: np.ndarray, opened: np.ndarray) -> np.ndarray | None:
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

