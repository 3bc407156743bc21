"""Siting new stations: where the next stations should go.

- :mod:`geo.siting.models`: the covering models on a boolean coverage matrix (maximal covering,
  fewest stations for a target share, capacity, budget, the curve), exact on HiGHS with a greedy
  start; they know nothing of networks.
- Beside it, private, the machinery the models share, one topic each (models imports them, they
  never import models): :mod:`geo.siting._validate` (the checked input and every parameter
  check), :mod:`geo.siting._reduce` (the smaller problem with the same optimum),
  :mod:`geo.siting._greedy` (the greedy heuristics and their bounds), :mod:`geo.siting._milp`
  (HiGHS and one formulation per model) and :mod:`geo.siting._mclp` (the maximal covering
  solver: swap local search, Lagrangian bound and fixing, then HiGHS).
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
