"""Validated input of the siting models: the coverage matrix, weights and fixed candidates.

:func:`validate` turns what a caller passes (a NumPy array or any ``scipy.sparse`` matrix, a
weight per demand row, fixed candidates as indices or a mask) into one :class:`Input`: a CSC
matrix of float ones, float weights and sorted unique fixed indices. The ``check_*`` functions
check the other parameters of the models; every message names the parameter, the bad value and
the fix. :func:`ranges` is the index helper the solvers share for reading several columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from geo.errors import InputError

#: Relative tolerance at which two objective values count as equal (rounding), for example a
#: heuristic answer that meets a proven bound.
REL_TOL = 1e-9


@dataclass
class Input:
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
        """Rows any of the ``selected`` candidates covers, a boolean per demand row."""
        mask = np.zeros(self.m, dtype=bool)
        selected = np.asarray(selected, dtype=np.int64)
        if len(selected):
            starts, ends = self.a.indptr[selected], self.a.indptr[selected + 1]
            mask[self.a.indices[ranges(starts, ends)]] = True
        return mask

    def covered(self, selected: np.ndarray) -> float:
        """Total weight of the rows any of the ``selected`` candidates covers."""
        return float(self.w[self.covered_mask(selected)].sum())


def validate(cover: Any, weights: Any, fixed: Any) -> Input:
    """``cover``, ``weights`` and ``fixed`` as the models take them, checked and converted."""
    a = check_cover(cover)
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
    return Input(a, w, check_fixed(fixed, n))


def check_cover(cover: Any) -> sp.csc_array:
    """The coverage matrix as CSC of float ones, whatever boolean or 0/1 form it came in."""
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
            raise InputError(f"`cover` must be a boolean matrix: {exc}",
                             parameter="cover") from None
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


def check_fixed(fixed: Any, n: int) -> np.ndarray:
    """Fixed candidates (indices or a boolean mask of length ``n``) as sorted unique indices."""
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


def check_int(value: Any, name: str, *, minimum: int) -> int:
    """An integer parameter (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"`{name}` was {value!r} but must be an integer", parameter=name)
    if value < minimum:
        raise InputError(f"`{name}` was {value} but must be ≥ {minimum}", parameter=name)
    return int(value)


def check_p(p: Any, inp: Input) -> int:
    """``p`` checked against the candidates and the fixed ones; returns how many new ones."""
    p = check_int(p, "p", minimum=0)
    if p < len(inp.fixed):
        raise InputError(f"`p` was {p} but {len(inp.fixed)} candidates are fixed, and `p` counts "
                         f"them; pass p ≥ {len(inp.fixed)}", parameter="p")
    if p > inp.n:
        raise InputError(f"`p` was {p} but there are only {inp.n} candidates", parameter="p")
    return p - len(inp.fixed)


def check_share(share: Any) -> float:
    """``target`` of :func:`~geo.siting.models.minimize_facilities`: a share in (0, 1]."""
    try:
        value = float(share)
    except (TypeError, ValueError):
        raise InputError(f"`target` was {share!r} but must be a number in (0, 1]",
                         parameter="target") from None
    if not 0.0 < value <= 1.0:
        raise InputError(f"`target` was {share!r} but must be in (0, 1]",
                         parameter="target")
    return value


def check_vector(values: Any, name: str, n: int, *, allow_inf: bool) -> np.ndarray:
    """One number ≥ 0 per candidate (``cost``, ``capacity``); ``inf`` only if ``allow_inf``."""
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


def check_budget(budget: Any) -> float:
    """``budget``: a number ≥ 0, in the unit of ``cost``."""
    try:
        value = float(budget)
    except (TypeError, ValueError):
        raise InputError(f"`budget` was {budget!r} but must be a number ≥ 0",
                         parameter="budget") from None
    if math.isnan(value) or value < 0:
        raise InputError(f"`budget` was {budget!r} but must be ≥ 0", parameter="budget")
    return value


def check_time_limit(time_limit: Any) -> None:
    """``time_limit``: seconds > 0, or None for no limit."""
    if time_limit is None:
        return
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.number)) \
            or not time_limit > 0:
        raise InputError(f"`time_limit` was {time_limit!r} but must be seconds > 0 or None",
                         parameter="time_limit")


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, e)`` for every pair, vectorised."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + offsets

