"""Reduction of a coverage problem to a smaller one with the same optimum.

Demand rows no candidate covers and rows of zero weight are dropped; rows an existing (fixed)
station covers are dropped and counted as covered (``base``), except in the capacitated model,
where that station may be full; identical rows are merged, their weights summed. Candidates that
cover nothing left, or cost more than the budget, are dropped, and where it is safe (never in the
capacitated model) so is a candidate whose rows are a subset of another's at no lower cost.
:func:`fold_singletons` then lets a MILP count the rows only one candidate covers as that
candidate's own weight, without a variable of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.siting._validate import Input


@dataclass
class Reduced:
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


def reduce(inp: Input, *, dominance: bool, work_limit: float = math.inf,
           drop_fixed_rows: bool = True, cost: np.ndarray | None = None,
           budget: float = math.inf, capacity: np.ndarray | None = None) -> Reduced:
    """The reduced problem of ``inp``, with the same optimum.

    Parameters
    ----------
    inp
        The validated input.
    dominance
        Drop candidates whose rows are a subset of another's at no lower cost (not safe with
        capacities).
    work_limit
        Skip the dominance test above this many row-pair products (sum over rows of the
        squared number of candidates per row): its co-occurrence matrix would be too big.
    drop_fixed_rows
        Drop the rows the fixed candidates cover (counted in ``base``) and the fixed columns.
    cost, budget
        Drop the candidates costing more than the whole budget; costs also weigh in dominance.
    capacity
        Drop candidates of capacity 0; keep the fixed ones whatever they cover.
    """
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
        useful &= ~dominated(sub, None if cost is None else cost[cols], work_limit=work_limit)
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
    firsts: list[int] = []
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
    return Reduced(merged, w, cols, group, base)


def dominated(sub: sp.csc_array, cost: np.ndarray | None, *,
              work_limit: float = math.inf) -> np.ndarray:
    """Columns whose rows are a subset of another column's at no lower cost.

    Ties (identical columns, equal cost) keep the lowest index, so the relation is a strict
    order and every dropped column has a kept one covering at least as much for no more. None
    is dropped when the test would take more than ``work_limit`` row-pair products.
    """
    n = sub.shape[1]
    counts = np.diff(sub.indptr)
    row_len = np.diff(sub.tocsr().indptr)
    if float(np.sum(row_len.astype(np.float64) ** 2)) > work_limit:
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


def fold_singletons(a: sp.csr_array,
                    w: np.ndarray) -> tuple[np.ndarray, sp.csr_array, np.ndarray]:
    """Rows one candidate covers become that candidate's own weight (``w_single`` per column);
    returns it with the rows several candidates cover (``a_multi``, ``w_multi``). Rows no
    candidate covers drop out."""
    lengths = np.diff(a.indptr)
    single = lengths == 1
    w_single = np.bincount(a.indices[np.repeat(single, lengths)], w[single],
                           minlength=a.shape[1])
    multi = np.flatnonzero(lengths > 1)
    return w_single, a[multi], w[multi]

