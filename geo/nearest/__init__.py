"""The exact nearest-station engine: snapping, k-nearest with filters, routes, tables.

A :class:`StationFinder` is built once from a :class:`~geo.network.Network` and a list of stations
and answers many queries. Query points and stations are *snapped*: they join the network where
they stand, at the foot on the nearest edge (:mod:`geo.network.placement`; a :class:`Snap` for one
point). A distance is the straight leg from the point to its foot, the part of its edge to a node,
the shortest path through the network, the part of the station's edge, and the station's own leg
(metres); two feet on the same edge reach each other along it. One-way edges are respected
(drive, e-bike).

Three searches share the network arrays (:mod:`geo.network.search`, compiled):

- a filtered k-nearest query from one point runs a bounded Dijkstra that stops as soon as the k
  nearest matching stations (kind, services, open at a time) are settled
  (:meth:`StationFinder.nearest`);
- per set of stations, one pruned search per station gives every node its k nearest stations
  at once; a point then combines the tables of its edge's two ends
  (:meth:`StationFinder.nearest_many`, :meth:`StationFinder.travel`,
  :meth:`StationFinder.nearest_table`) — coverage, siting and batch lookups read these;
- per station, a search bounded by a travel budget gives the cost matrix of 2SFCA and siting
  (:meth:`StationFinder.costs`).

The parts, each private to this package: ``_access`` (where stations join the network),
``_filters`` (kinds, services, opening hours), ``_point`` (the searches from one point),
``_tables`` (the per-node label tables), ``_many`` (many points at once), ``_costs`` (costs within
a budget), ``_changes`` (the stations after some changed: :meth:`StationFinder.with_changes`
updates a finder, placing only those), ``_validate`` (parameter checks) and ``_results``
(:class:`Hit`, :class:`NearestTable`).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from geo.nearest._access import access_speed_kmh
from geo.nearest._changes import REBUILD_SHARE, apply_changes, id_array, in_id_order
from geo.nearest._finder import StationFinder
from geo.nearest._results import Hit, NearestTable
from geo.nearest._validate import check_kinds, check_services
from geo.network.placement import Placement, Snap

if TYPE_CHECKING:
    import subprocess

__all__ = ["REBUILD_SHARE", "Hit", "NearestTable", "Placement", "Snap", "StationFinder",
           "access_speed_kmh", "apply_changes", "check_kinds", "check_services",
           "compile_in_background", "id_array", "in_id_order"]


def compile_in_background() -> subprocess.Popen[bytes]:
    """Compile the engine's searches in a second process (numba, cached on disk), so a first
    run reads its OpenStreetMap extract on one core while the other compiles. Returns the
    process; ``wait()`` on it before the first search to load what it compiled rather than
    compile the same again."""
    import subprocess
    import sys

    code = "from geo.nearest import _exercise; _exercise()"
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _exercise() -> None:
    """Run every compiled search once on a small generated city, through the public methods
    (so with the argument types real use compiles for)."""
    from geo.synthetic import city_network, random_points, random_stations

    net = city_network(400)
    finder = StationFinder(net, random_stations(net, 12))
    lon, lat = random_points(net, 5, seed=1)
    finder.nearest_table()
    finder.nearest_table(weight="time")
    finder.nearest_many(lon, lat, k=3)
    finder.nearest(float(lon[0]), float(lat[0]), k=3)
    finder.costs(lon, lat, max_cost=5.0)


def __getattr__(name: str) -> Any:
    """The deprecated names of this module (a warning, then the current object)."""
    if name == "PointPlacement":
        warnings.warn("`geo.nearest.PointPlacement` is deprecated: one point joined to the "
                      "network is a `Snap` (geo.nearest.Snap)", DeprecationWarning, stacklevel=2)
        return Snap
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
