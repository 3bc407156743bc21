"""The fewest columns covering a given weight, by a search over their number.

Partial set covering, ``min |S|`` such that the columns ``S`` cover at least ``need``, is hard
for HiGHS as one model on a city's data: its relaxation's bound sits between two counts
(central Harbin's sanitation workers at 04:30, 90 %: 172.5, where the optimum is 174), HiGHS'
cuts take most of a minute to lift it past 173 and its heuristics as long to find 174 columns.
The question "can ``k`` columns cover ``need``?" is easier, and the most weight ``k`` columns
cover never falls as ``k`` grows, so a "no" for ``k`` is a "no" for every smaller count:

1. **Lagrangian "no"s.** The maximal covering Lagrangian (:func:`~geo.siting._mclp.lagrangian`)
   bounds the weight ``k`` columns cover; below ``need`` it rules ``k`` out. Bisection finds the
   smallest count it does not rule out, ``lower``, in a few tenths of a second.
2. **"Yes"es by heuristics.** For a count, the greedy columns and the Lagrangian's best column
   sets, each improved by the swap local search, often reach ``need``; bisection between
   ``lower`` and the greedy count finds the fewest the heuristics reach.
3. **HiGHS decides the count just below** the best answer: the maximal covering model with
   ``need`` as the cutoff, after Lagrangian fixing against ``need`` (a column whose opening
   bounds the weight below ``need`` is dropped). It proves that no such set exists (the answer
   is optimal) or returns one at its first find (which becomes the answer, and the count below
   it is decided next).

Everything is in the reduced problem's terms: columns of ``a``, ``need`` net of the weight
fixed columns already cover.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.siting._greedy import greedy_cover
from geo.siting._mclp import Lagrange, lagrange_fixing, lagrangian, swap_search
from geo.siting._milp import coverage_milp
from geo.siting._reduce import reduce
from geo.siting._validate import Input

#: Column sets the Lagrangian keeps for the local search, per count tried.
STARTS = 10


@dataclass
class Fewest:
    """The search's answer, in reduced columns."""

    columns: np.ndarray  # the fewest columns found that cover the need
    lower: int           # proven: fewer columns than this cannot cover the need
    optimal: bool        # lower == len(columns)
    method: str          # "greedy", "local_search" or "highs": where the answer came from


def fewest_columns(a: sp.csc_array, w: np.ndarray, need: float, lower: int,
                   deadline: float | None, *, rel_gap: float,
                   work_limit: float = math.inf) -> Fewest:
    """The fewest columns of ``a`` whose rows weigh at least ``need`` together.

    Parameters
    ----------
    a, w
        The reduced coverage matrix (rows × columns) and the rows' weights.
    need
        The weight to cover, ``0 < need ≤ w.sum()``.
    lower
        A proven lower bound on the count: every smaller count is known to fall short.
    deadline
        :func:`time.perf_counter` seconds at which to stop, or None: then the answer is the
        best found, ``optimal`` false and ``lower`` what was proven by then.
    rel_gap, work_limit
        HiGHS' relative gap and the dominance test's limit, as in
        :func:`geo.siting._mclp.solve_mclp`.
    """
    a = sp.csc_array(a)
    at = sp.csr_array(a.T)
    n = a.shape[1]
    greedy = greedy_cover(Input(a, w, np.zeros(0, dtype=np.int64)), k=None, need=need)
    best = np.asarray(greedy.order if greedy.value >= need else range(n), dtype=np.int64)
    method = "greedy"
    lags: dict[int, Lagrange] = {}

    def lagrange(k: int) -> Lagrange:
        if k not in lags:
            lags[k] = lagrangian(a, at, w, k, need, deadline, starts=STARTS)
        return lags[k]

    def ruled_out(k: int) -> bool:
        return k <= 0 or lagrange(k).upper < need

    def late() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    # 1. the smallest count the Lagrangian bound does not rule out
    lower = max(int(lower), 1)  # need > 0: no column covers nothing of it
    top = len(best)
    while lower < top and not late():
        mid = (lower + top) // 2
        if ruled_out(mid):
            lower = mid + 1
        else:
            top = mid

    # 2. the fewest columns the heuristics find covering the need
    low, high = lower, len(best)
    while low < high and not late():
        mid = (low + high) // 2
        found = _reaching(a, at, w, mid, need, lagrange(mid), deadline)
        if found is None:
            low = mid + 1
        else:
            best, high, method = found, len(found), "local_search"

    # 3. HiGHS decides the count below the best answer, until it says no
    while len(best) > lower and not late():
        k = len(best) - 1
        answer = _decide(a, w, k, need, lagrange(k), deadline, rel_gap, work_limit)
        if answer is None:
            break  # undecided by the deadline
        if answer.size == 0:
            lower = k + 1
        else:
            best, method = answer, "highs"
    return Fewest(np.sort(best), lower, lower >= len(best), method)


def _reaching(a: sp.csc_array, at: sp.csr_array, w: np.ndarray, k: int, need: float,
              lag: Lagrange, deadline: float | None) -> np.ndarray | None:
    """``k`` columns covering ``need`` found by the greedy and Lagrangian starts improved by
    swaps, or None."""
    if k <= 0 or lag.upper < need:
        return None
    greedy = greedy_cover(Input(a, w, np.zeros(0, dtype=np.int64)), k=k).order
    starts: list[Sequence[int] | np.ndarray] = [greedy, *lag.starts]
    for begin in starts:
        chosen, value = swap_search(a, at, w, begin, deadline)
        if value >= need:
            return np.asarray(chosen, dtype=np.int64)
    return None


def _decide(a: sp.csc_array, w: np.ndarray, k: int, need: float, lag: Lagrange,
            deadline: float | None, rel_gap: float, work_limit: float) -> np.ndarray | None:
    """Whether ``k`` columns can cover ``need``: the columns of one such set, an empty array
    when HiGHS proves there is none, or None when the deadline came first."""
    if lag.upper < need:
        return np.zeros(0, dtype=np.int64)
    drop, force = lagrange_fixing(lag, k, need)
    kept = np.flatnonzero(~drop)
    again = reduce(Input(a[:, kept], w, np.zeros(0, dtype=np.int64)), dominance=True,
                   work_limit=work_limit)
    keep = kept[again.cols]
    if float(again.w.sum()) < need:  # what the fixing left cannot cover the need at all
        return np.zeros(0, dtype=np.int64)
    sol = coverage_milp(again.a, again.w, np.ones(len(keep)), float(k), cutoff=need,
                        lower=force[keep].astype(float), deadline=deadline, heuristics=False,
                        rel_gap=rel_gap, first=True)
    if sol.infeasible:
        return np.zeros(0, dtype=np.int64)
    if sol.open is not None:
        chosen = keep[sol.open]
        covered = Input(a, w, np.zeros(0, dtype=np.int64)).covered(chosen)
        if covered >= need and 0 < len(chosen) <= k:
            return np.sort(chosen)
    return None
