"""The coverage of a plan, built sparsely per group and within a memory budget.

:func:`build_sets` reads, per worker group, which columns (existing stations, then candidate
sites) reach each demand row within the group's budget, and keeps only the **distinct coverage
sets**: rows that the same columns reach become one row whose weight is theirs summed. The
models see that aggregated matrix; each demand row keeps the index of its set, so per-group
figures stay exact.

Unless every row's candidates are needed (the capacitated model, where a candidate may serve
workers an existing station also reaches once that one is full), the existing stations are
searched first, all at once (one multi-source search per group: each row's nearest usable
station), and the candidates only for the rows none of them covers: a row an existing station
covers is covered whatever the plan opens, so its candidates change no model's optimum and no
figure of the plan. Each group's pairs are a boolean CSR with int32 indices, freed once its
rows are folded into sets.

Before a group's pairs are held, the first block of searches projects how many the group will
have; past :data:`geo.settings.plan_memory_mb` the build stops with an :class:`InputError`
saying how much the plan would need, instead of the machine swapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from geo import settings
from geo.errors import InputError
from geo.groups import WorkerGroup
from geo.nearest._access import StationAccess
from geo.nearest._costs import BudgetCosts
from geo.network import Network
from geo.stations import Station

#: Bytes one (row, column) pair takes while a group's coverage is built: its int32 row and
#: column in the search blocks, their concatenation, the sort and the boolean CSR.
BUILD_BYTES_PER_PAIR = 26
#: Bytes one entry of the aggregated matrix takes in the solver: the models' float64/int64
#: copy (CSC and CSR), the reduction and HiGHS' model of the reduced problem.
SOLVE_BYTES_PER_PAIR = 64
#: Bytes per demand row: its set index, weight and flags, and the models' per-row arrays.
BYTES_PER_ROW = 64


def memory_error(need_mb: float) -> InputError:
    """The error of a plan that would need more than :data:`geo.settings.plan_memory_mb`."""
    return InputError(
        f"the plan needs about {need_mb:,.0f} MB, more than the budget of "
        f"{settings.plan_memory_mb:,.0f} MB: narrow the groups or the area, or raise "
        "geo.settings.plan_memory_mb", parameter="plan_memory_mb")


class _Budget:
    """Bytes held by the build so far, checked against :data:`geo.settings.plan_memory_mb`."""

    def __init__(self, rows: int) -> None:
        self.limit = float(settings.plan_memory_mb) * 2**20
        self.held = float(rows * BYTES_PER_ROW)
        self.check(0.0)

    def check(self, extra: float) -> None:
        need = self.held + extra
        if need > self.limit:
            raise memory_error(need / 2**20)

    def pairs(self, projected: float) -> None:
        """While a group is searched: ``projected`` pairs about to be held."""
        self.check(projected * BUILD_BYTES_PER_PAIR)


@dataclass
class Sets:
    """The distinct coverage sets of the demand rows.

    Attributes
    ----------
    matrix
        Boolean CSR (sets × columns), int32 indices. The last set is empty: the rows no column
        reaches (kept so that their weight counts in shares of all the workers).
    weights
        Per set, the demand weight of its rows.
    row_set
        Per demand row (in the order given), the index of its set.
    """

    matrix: sparse.csr_array
    weights: np.ndarray
    row_set: np.ndarray


class _Folder:
    """Rows folded into distinct sets of column indices, across groups."""

    def __init__(self) -> None:
        self.keys: dict[bytes, int] = {}
        self.sets: list[np.ndarray] = []
        self.nnz = 0

    def add(self, columns: np.ndarray) -> int:
        key = columns.tobytes()
        found = self.keys.get(key)
        if found is None:
            found = self.keys[key] = len(self.sets)
            self.sets.append(columns)
            self.nnz += len(columns)
        return found

    def fold(self, reach: sparse.csr_array) -> np.ndarray:
        """Each row of ``reach`` as the index of its set (-1: an empty row)."""
        indptr, indices = reach.indptr, reach.indices
        out = np.full(reach.shape[0], -1, dtype=np.int64)
        for r in np.flatnonzero(np.diff(indptr)).tolist():
            out[r] = self.add(indices[indptr[r]:indptr[r + 1]])
        return out


def build_sets(networks: dict[str, Network], columns: Sequence[Station], n_fixed: int,
               rows: pd.DataFrame, groups: dict[str, WorkerGroup], budgets: dict[str, float],
               *, weight: str, complete: bool) -> Sets:
    """The distinct coverage sets of ``rows`` (``lon, lat, weight, group``, in matrix order).

    Parameters
    ----------
    networks
        Networks by mode.
    columns
        The existing stations (the first ``n_fixed``), then the candidate sites.
    groups, budgets
        The worker groups, and each group's budget (minutes for ``weight="time"``, metres for
        ``"length"``); a column is usable by a group when its kind is one the group uses.
    complete
        Search the candidates for every row (the capacitated model needs it); otherwise only
        for the rows no existing station covers, the others all in one set of the existing
        stations.

    Raises
    ------
    InputError
        ``parameter="plan_memory_mb"`` when the build is projected to need more than
        :data:`geo.settings.plan_memory_mb`.
    """
    budget = _Budget(len(rows))
    searches: dict[str, BudgetCosts] = {}
    folder = _Folder()
    row_set = np.full(len(rows), -1, dtype=np.int64)
    fixed_set = folder.add(np.arange(n_fixed, dtype=np.int32)) if n_fixed and not complete \
        else -1
    index = np.arange(len(columns))
    kinds = np.array([s.kind for s in columns], dtype=object)
    groups_of = rows["group"].to_numpy()
    for gid in dict.fromkeys(groups_of):
        group = groups[gid]
        search = searches.get(group.mode)
        if search is None:
            access = StationAccess.build(networks[group.mode], list(columns),
                                         max_snap_m=settings.max_snap_m)
            search = searches[group.mode] = BudgetCosts(access)
        at = np.flatnonzero(groups_of == gid)
        lon = rows["lon"].to_numpy(float)[at]
        lat = rows["lat"].to_numpy(float)[at]
        usable = (index >= n_fixed) | np.isin(kinds, list(group.kinds))
        todo = np.ones(len(at), bool)
        if not complete and n_fixed:
            near = search.nearest_cost(lon, lat, max_cost=budgets[gid], weight=weight,
                                       max_snap_m=settings.max_snap_m,
                                       stations=usable & (index < n_fixed))
            todo = ~np.isfinite(near)
            row_set[at[~todo]] = fixed_set
        allowed = usable if complete else index >= n_fixed
        held = budget.held
        reach = search.within(lon[todo], lat[todo], max_cost=budgets[gid], weight=weight,
                              max_snap_m=settings.max_snap_m, stations=allowed,
                              check=budget.pairs)
        budget.held = held + reach.nnz * BUILD_BYTES_PER_PAIR
        budget.check(0.0)
        row_set[at[todo]] = folder.fold(reach)
        del reach
        budget.held = held + folder.nnz * 4.0
    unreached = len(folder.sets)
    row_set[row_set < 0] = unreached
    folder.sets.append(np.zeros(0, dtype=np.int32))
    budget.check(folder.nnz * SOLVE_BYTES_PER_PAIR)
    lengths = np.array([len(s) for s in folder.sets], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    matrix = sparse.csr_array((np.ones(int(lengths.sum()), bool),
                               np.concatenate(folder.sets).astype(np.int32), indptr),
                              shape=(len(folder.sets), len(columns)))
    matrix.sort_indices()
    weights = np.bincount(row_set, rows["weight"].to_numpy(float), minlength=len(folder.sets))
    return Sets(matrix, weights, row_set)


def nearest_chosen(networks: dict[str, Network], modes: dict[str, str],
                   budgets: dict[str, float], rows: pd.DataFrame, sites: Sequence[Station],
                   covers: sparse.csr_array, *, weight: str) -> np.ndarray:
    """For each of ``rows`` (workers a plan newly covers), the index of the nearest of the
    chosen ``sites`` among those that cover it (``covers``: rows × sites, boolean).

    The costs are searched again from the chosen sites only (a few, where the matrix had every
    candidate). Should the search put a covering site a hair beyond the budget (its sum runs
    the other way from the matrix's), that site still counts, behind any within it.
    """
    from geo.nearest import StationFinder

    best = np.zeros(len(rows), dtype=np.int64)
    covers = sparse.csr_array(covers)
    groups_of = rows["group"].to_numpy()
    for gid in dict.fromkeys(groups_of):
        at = np.flatnonzero(groups_of == gid)
        finder = StationFinder(networks[modes[gid]], list(sites))
        cost = finder.costs(rows["lon"].to_numpy(float)[at], rows["lat"].to_numpy(float)[at],
                            max_cost=budgets[gid], weight=weight).toarray()
        mine = covers[at].toarray()
        cost[cost == 0] = np.inf
        cost = np.where(mine, np.where(np.isfinite(cost), cost, 1e300), np.inf)
        best[at] = np.argmin(cost, axis=1)
    return best
