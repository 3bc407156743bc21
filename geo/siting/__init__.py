"""Siting new stations: where the next stations should go.

- :mod:`geo.siting.models`: the covering models on a boolean coverage matrix (maximal covering,
  fewest stations for a target share, capacity, budget, the curve), exact on HiGHS with a greedy
  start; they know nothing of networks.
- :mod:`geo.siting.planning`: candidate sites (a file, OSM venues, gap cells), the network
  coverage matrix of workers × candidates with the existing stations kept, and :func:`plan`.
"""

from __future__ import annotations

from geo.siting.models import (
    SitingResult,
    coverage_curve,
    greedy_max_coverage,
    maximize_coverage,
    maximize_coverage_budget,
    maximize_coverage_capacitated,
    minimize_facilities,
)

__all__ = ["SitingResult", "coverage_curve", "greedy_max_coverage", "maximize_coverage",
           "maximize_coverage_budget", "maximize_coverage_capacitated", "minimize_facilities"]
