"""Small coverage instances and result checks shared by the siting tests."""

from __future__ import annotations

import numpy as np

from geo.siting import SitingResult


def random_instance(m: int, n: int, density: float, seed: int, *, integer_weights: bool = True):
    """A random boolean coverage matrix ``(m, n)`` and a weight per row."""
    rng = np.random.default_rng(seed)
    cover = rng.random((m, n)) < density
    weights = rng.integers(0, 20, m).astype(float) if integer_weights else rng.random(m) * 10
    return cover, weights


def geometric_instance(m: int, n: int, per_row: float, seed: int):
    """Demand and candidates in the unit square, covered within a radius (about ``per_row``
    candidates per demand point)."""
    rng = np.random.default_rng(seed)
    demand, sites = rng.random((m, 2)), rng.random((n, 2))
    radius = np.sqrt(per_row / (n * np.pi))
    dist = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    return dist <= radius, rng.integers(1, 30, m).astype(float)


def check_result(result: SitingResult, *, fixed=()) -> None:
    """What every answer of a siting model must satisfy."""
    assert isinstance(result, SitingResult)
    assert result.selected.dtype == np.int64
    assert np.all(np.diff(result.selected) > 0), "selected must be sorted and unique"
    assert set(fixed) <= set(result.selected.tolist())
    assert result.gap >= 0
    if result.optimal:
        assert result.gap == 0.0
    assert result.method in {"highs", "local_search", "greedy"}
    assert result.solve_seconds >= 0
