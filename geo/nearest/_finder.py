"""The :class:`StationFinder`: one network and a list of stations, many queries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import csr_array

from geo import settings
from geo.errors import InputError, OffNetworkError
from geo.nearest._access import StationAccess, access_speed_kmh
from geo.nearest._changes import REBUILD_SHARE, apply_changes, id_array, in_id_order, positions
from geo.nearest._costs import BudgetCosts
from geo.nearest._filters import StationFilter
from geo.nearest._many import hits_frame, to_points
from geo.nearest._point import PointSearch
from geo.nearest._results import Hit, NearestTable
from geo.nearest._tables import LabelTables
from geo.nearest._validate import check_k, check_kinds, check_point, check_services, check_weight
from geo.network import Network
from geo.network.placement import Placement, Snap, place, place_point
from geo.stations import Station, local_time

if TYPE_CHECKING:
    import pandas as pd


class StationFinder:
    """Nearest stations on one network. Build once; rebuilding after a station changes is cheap
    (placing the stations only; the tables are computed on first use). One finder may answer
    from several threads at once.

    Parameters
    ----------
    network
        The road network of the travel mode.
    stations
        The stations; those farther than ``max_snap_m`` from the network are left out and listed in
        :attr:`off_network`.
    max_snap_m
        Maximum straight distance from a point or station to the network, metres
        (default :data:`geo.settings.max_snap_m`, read when the finder is built).
    compiled
        Search from a point with the compiled search (numba); False runs it with
        ``scipy.sparse.csgraph`` instead, which answers a one-off question (the command line's
        single point) without loading the compiler. Tables are always compiled.
    """

    def __init__(self, network: Network, stations: Sequence[Station],
                 max_snap_m: float | None = None, compiled: bool = True) -> None:
        self._network = network
        self._stations = list(stations)
        self._max_snap_m = float(settings.max_snap_m if max_snap_m is None else max_snap_m)
        self._compiled = bool(compiled)
        self._access = StationAccess.build(network, self._stations, max_snap_m=self._max_snap_m)
        self._off_network = [s for s, ok in zip(self._stations, self._access.on_network,
                                                strict=True) if not ok]
        self._filter = StationFilter(self._stations, self._access.on_network)
        self._tables = LabelTables(network, self._access)
        self._point = PointSearch(network, self._stations, self._access)
        self._budget = BudgetCosts(self._access)
        self._ids = id_array(self._stations)
        self._in_order = in_id_order(self._ids)

    def with_changes(self, changed: Iterable[Station], removed: Iterable[str] = (), *,
                     between: Callable[[], None] | None = None, repair: bool = False
                     ) -> StationFinder:
        """A finder of the same network whose stations are these after some changed.

        Only the changed stations are placed; the network, the other stations' placements,
        their filter masks and opening states, the searches' scratch arrays are reused, and the
        per-node tables are repaired from this finder's when asked for (around the changed
        stations only: :func:`geo.network.label_repair.repair_labels`), or, where this finder
        has no table of the same stations, built again when next asked for often enough (in a
        background thread, answering by the bounded search meanwhile). When more than
        :data:`geo.nearest._changes.REBUILD_SHARE` of the stations changed, the finder is
        built afresh. Either way its answers equal those of ``StationFinder(network,
        new.stations)``. This finder is not changed (readers may keep using it).

        Parameters
        ----------
        changed
            New stations, and new versions of stations (by id; a version equal to the present
            one changes nothing).
        removed
            Ids of stations to leave out (unknown ids are ignored).
        between
            Called between the update's steps (each well under a millisecond on a city of
            20,000 stations): a server waits there for the lookups under way
            (:mod:`app.traffic`), which otherwise share the interpreter with the update.
        repair
            Repair now the per-node tables the lookups read most recently, for the station
            sets they will likely ask for (:meth:`LabelTables.repair_ahead`), rather than when
            first asked for: an update made before it is served, so that no lookup takes the
            bounded search while they are repaired.

        Returns
        -------
        StationFinder
            The updated finder; its :attr:`stations` keep their order, the new ones placed
            where an id-ordered list puts them (:func:`geo.nearest._changes.apply_changes`).
        """
        pause = between or (lambda: None)
        stations, kept, ids = apply_changes(self._stations, changed, removed, ids=self._ids,
                                            in_order=self._in_order)
        pause()
        new = object.__new__(StationFinder)
        new._ids = ids
        new._in_order = self._in_order or in_id_order(ids)
        new._network = self._network
        new._stations = stations
        new._max_snap_m = self._max_snap_m
        new._compiled = self._compiled
        previous = None
        if np.count_nonzero(kept < 0) > REBUILD_SHARE * max(len(stations), 1):
            new._access = StationAccess.build(self._network, stations,
                                              max_snap_m=self._max_snap_m)
            new._filter = StationFilter(stations, new._access.on_network)
        else:
            new._access = self._access.with_changes(stations, kept, max_snap_m=self._max_snap_m,
                                                    between=pause)
            pause()
            new._filter = self._filter.with_changes(stations, new._access.on_network, kept)
            pause()
            previous = self._tables.handed_on(kept)
            pause()
        new._off_network = [stations[i] for i in np.flatnonzero(~new._access.on_network)]
        new._tables = LabelTables(self._network, new._access, background=True,
                                  reverse=self._tables.__dict__.get("reverse"), previous=previous)
        new._point = PointSearch(self._network, stations, new._access, scratch_from=self._point)
        new._budget = BudgetCosts(new._access)
        if repair and previous is not None and previous.tables is self._tables:
            fresh = np.flatnonzero(kept < 0)
            before = positions(self._ids, ids[fresh].tolist(), self._in_order)
            was = {i: j for i, j in zip(fresh.tolist(), before, strict=True) if j >= 0}
            new._tables.repair_ahead(was, between=pause)
        return new

    def __repr__(self) -> str:
        return (f"StationFinder({self._network!r}, {len(self._stations)} stations, "
                f"{len(self._off_network)} off the network, max_snap_m={self._max_snap_m:g})")

    # --- what the finder was built from, and where its stations joined the network ---

    @property
    def network(self) -> Network:
        """The road network of the travel mode."""
        return self._network

    @property
    def stations(self) -> list[Station]:
        """The stations, in the order given; hits and tables index into this list."""
        return self._stations

    @property
    def max_snap_m(self) -> float:
        """Maximum straight distance from a point or station to the network, metres."""
        return self._max_snap_m

    @property
    def compiled(self) -> bool:
        """Whether a point's search runs compiled (numba) rather than with scipy."""
        return self._compiled

    @property
    def placement(self) -> Placement:
        """Where each station joins the network (:class:`geo.network.placement.Placement`)."""
        return self._access.placement

    @property
    def station_leg_m(self) -> np.ndarray:
        """Each station's straight leg to its foot on the road, metres (read-only)."""
        return self._access.leg_m

    @property
    def station_leg_s(self) -> np.ndarray:
        """Each station's leg in seconds at the mode's access speed (read-only)."""
        return self._access.leg_s

    @property
    def on_network(self) -> np.ndarray:
        """Per station, whether it is within ``max_snap_m`` of the network (read-only)."""
        return self._access.on_network

    @property
    def off_network(self) -> list[Station]:
        """The stations left out: farther than ``max_snap_m`` from the network."""
        return self._off_network

    # --- where points meet the network ---

    def place(self, lon: ArrayLike, lat: ArrayLike) -> Placement:
        """Where points (EPSG:4326 arrays) join the network; compare ``distance_m`` with
        :attr:`max_snap_m` for "off network"."""
        return place(self._network, lon, lat)

    def snap(self, lon: float, lat: float) -> Snap:
        """Snap (lon, lat) in EPSG:4326 to the network: its foot on the nearest edge.

        Raises
        ------
        OffNetworkError
            When the point is farther than ``max_snap_m`` from the network.
        """
        check_point(lon, lat)
        p = place_point(self._network, float(lon), float(lat))
        dist = p.distance_m
        net = self._network
        if not np.isfinite(dist):
            raise OffNetworkError(
                f"the point ({lon:.6f}, {lat:.6f}) is far outside the area of this "
                f"{net.mode} network ({net.source})", distance_m=dist)
        if not dist <= self._max_snap_m:
            raise OffNetworkError(
                f"the point ({lon:.6f}, {lat:.6f}) is {dist:.0f} m from the nearest "
                f"{net.mode} road, more than the {self._max_snap_m:.0f} m allowed: it lies "
                "off this network (outside the area, or in a park or on water)", distance_m=dist)
        return p

    # --- k nearest with filters ---

    def nearest(self, lon: float, lat: float, *, k: int | None = None,
                kinds: Iterable[str] | None = None, services: Iterable[str] | None = None,
                open_at: datetime | str | None = None, open_only: bool = False,
                route: bool = False, snap: Snap | None = None) -> list[Hit]:
        """The k stations nearest by network distance that match every filter.

        Parameters
        ----------
        lon, lat
            Query point in EPSG:4326 degrees.
        k
            How many stations to return, 1 to ``settings.max_k`` (default ``settings.default_k``).
        kinds
            Only stations of these kinds.
        services
            Only stations that offer all of these services.
        open_at
            Time for the ``open`` flag (aware, or naive in the station's zone; None = now).
        open_only
            Only stations open at ``open_at``; filters apply before k is counted.
        route
            Also return the path as (lon, lat) pairs.
        snap
            Where the point joins the network, when the caller has it already
            (:meth:`snap`).

        Returns
        -------
        list of Hit
            Up to k hits in order of distance (fewer when fewer match within reach).
        """
        k = check_k(settings.default_k if k is None else k)
        kinds = check_kinds(kinds)
        services = check_services(services)
        when = local_time(open_at)
        snap = self.snap(lon, lat) if snap is None else snap
        allowed = self._filter.allowed(kinds, services, when, open_only)
        found, route_to = self._point.find(lon, lat, snap, k, allowed,
                                           labels=self._tables.for_lookups(allowed, k),
                                           compiled=self._compiled)
        speed = access_speed_kmh(self._network.mode) / 3.6
        hits = []
        for rank, (i, metres, seconds, via) in enumerate(found, start=1):
            station = self._stations[i]
            path = route_to(i, via) if route else None
            hits.append(Hit(station, metres + snap.distance_m, seconds + snap.distance_m / speed,
                            station.is_open(when), rank, path, station.next_change(when)))
        return hits

    # --- many points at once ---

    def nearest_many(self, lon: ArrayLike, lat: ArrayLike, *, ids: Iterable[object] | None = None,
                     k: int | None = None, kinds: Iterable[str] | None = None,
                     services: Iterable[str] | None = None,
                     open_at: datetime | str | None = None, open_only: bool = False
                     ) -> pd.DataFrame:
        """The k nearest matching stations for every point, as one table.

        Parameters
        ----------
        lon, lat
            Arrays of EPSG:4326 degrees.
        ids
            Point ids for the output (default 1, 2, …).

        Returns
        -------
        pandas.DataFrame
            One row per point and rank: ``point_id, rank, station_id, name, kind, distance_m,
            duration_s, open, status``. ``status`` is ``ok``, ``off_network`` (the point is farther
            than ``max_snap_m`` from the network; no distance is given) or ``no_station`` (none
            matches within reach).
        """
        k = check_k(settings.default_k if k is None else k)
        kinds, services = check_kinds(kinds), check_services(services)
        when = local_time(open_at)
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        ids = list(range(1, len(lon) + 1)) if ids is None else list(ids)
        bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise InputError(f"point {ids[first]!r} has coordinates ({lon[first]}, {lat[first]}) "
                             "out of range", parameter="points")
        chosen = self._filter.chosen(kinds, services, when, open_only)
        metres, seconds, station, placement = to_points(self._tables, self._access, lon, lat,
                                                        chosen, k, "length")
        return hits_frame(self._stations, ids, station, metres, seconds, placement.distance_m,
                          speed=access_speed_kmh(self._network.mode) / 3.6, when=when,
                          max_snap_m=self._max_snap_m)

    def travel(self, lon: ArrayLike, lat: ArrayLike, kinds: Iterable[str] | None = None, *,
               services: Iterable[str] | None = None, open_at: datetime | str | None = None,
               open_only: bool = False, weight: str = "time",
               placement: Placement | None = None) -> tuple[np.ndarray, np.ndarray, Placement]:
        """Per point, the travel to its nearest matching station, legs included.

        Returns ``(cost, station, placement)``: minutes (``weight="time"``: the quickest) or
        metres (``"length"``: the nearest), ``inf`` where nothing is in reach or the point is off
        the network; the station's index (-1 for none); and where the points joined the network
        (pass it back as ``placement`` to skip placing the same points again).
        """
        kinds, services = check_kinds(kinds), check_services(services)
        check_weight(weight)
        when = local_time(open_at) if open_only else None
        chosen = self._filter.chosen(kinds, services, when, open_only)
        metres, seconds, station, placement = to_points(self._tables, self._access, lon, lat,
                                                        chosen, 1, weight, placement)
        legs = placement.distance_m
        speed = access_speed_kmh(self._network.mode) / 3.6
        cost = (metres[:, 0] + legs if weight == "length"
                else (seconds[:, 0] + legs / speed) / 60.0)
        off = ~(legs <= self._max_snap_m)
        cost = np.where(off, np.inf, cost)
        return cost, np.where(off, -1, station[:, 0]), placement

    # --- every node's nearest stations at once ---

    def nearest_table(self, kinds: Iterable[str] | None = None, *,
                      services: Iterable[str] | None = None, open_at: datetime | str | None = None,
                      open_only: bool = False, weight: str = "length") -> NearestTable:
        """Every node's nearest matching station, from one search over the whole network.

        Parameters
        ----------
        weight
            ``"length"``: the nearest station by network distance; ``"time"``: the quickest to
            reach (differs from the nearest when driving). The other quantity is measured along
            the chosen path.

        Tables are cached by the set of stations they search from, so hours of the day with the
        same stations open share one search.
        """
        kinds = check_kinds(kinds)
        services = check_services(services)
        check_weight(weight)
        when = local_time(open_at) if open_only else None
        chosen = self._filter.chosen(kinds, services, when, open_only)
        key, carried, label, _ = self._tables.labels(chosen, 1, weight)
        if weight == "length":
            return NearestTable(key[:, 0], carried[:, 0], label[:, 0])
        return NearestTable(carried[:, 0], key[:, 0], label[:, 0])

    # --- per-station costs within a budget ---

    def costs(self, lon: ArrayLike, lat: ArrayLike, *, max_cost: float, weight: str = "time"
              ) -> csr_array:
        """Network cost from each point to each station within ``max_cost``, legs included.

        Returns a sparse (points × stations) matrix of minutes (``weight="time"``) or metres
        (``"length"``); pairs beyond ``max_cost``, off the network, or stations off the network
        are absent. Costs of exactly zero are stored as a tiny positive number so they stay
        entries.
        """
        check_weight(weight)
        return self._budget.costs(lon, lat, max_cost=max_cost, weight=weight,
                                  max_snap_m=self._max_snap_m)
