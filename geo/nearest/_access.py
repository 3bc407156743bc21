"""Where each station joins the network, and the ways into it: built once per finder, read by
every search."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from geo import settings
from geo.network import Network
from geo.network.placement import Placement, along, place
from geo.stations import Station


def access_speed_kmh(mode: str) -> float:
    """Speed on the straight access legs (point → foot, foot → station) for ``mode``, km/h
    (from :mod:`geo.settings`, read at call time)."""
    return {"walk": settings.walk_speed_kmh, "ebike": settings.ebike_speed_kmh,
            "drive": settings.drive_default_speed_kmh}[mode]


class Entries(NamedTuple):
    """The ways into the stations as a CSR over nodes: the entries of node ``u`` are
    ``ptr[u]:ptr[u + 1]`` of the other arrays (sorted by node)."""

    ptr: np.ndarray
    station: np.ndarray
    metres: np.ndarray
    seconds: np.ndarray
    node: np.ndarray


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class StationAccess:
    """Where stations join one network (:meth:`build` computes every field).

    Attributes
    ----------
    network
        The network they join.
    placement
        Each station's foot on its nearest edge (:class:`~geo.network.placement.Placement`).
    leg_m, leg_s
        Each station's straight leg to its foot, metres and seconds (read-only arrays).
    on_network
        Per station, whether its leg is at most the finder's ``max_snap_m`` (read-only).
    entries
        From which nodes each on-network station is reached, and at what cost (metres,
        seconds): the part of its edge plus its leg.
    segments, on_segment
        The on-network stations ordered by the segment their foot lies on (then by index):
        ``on_segment`` their indices, ``segments`` the segment of each (sorted); see
        :meth:`at_segment` and :attr:`by_segment`.
    """

    network: Network
    placement: Placement
    leg_m: np.ndarray
    leg_s: np.ndarray
    on_network: np.ndarray
    entries: Entries
    segments: np.ndarray
    on_segment: np.ndarray

    def at_segment(self, segment: int) -> np.ndarray:
        """The on-network stations whose foot lies on ``segment`` (indices, ascending)."""
        lo, hi = np.searchsorted(self.segments, [segment, segment + 1])
        return self.on_segment[lo:hi]

    @cached_property
    def by_segment(self) -> dict[int, tuple[int, ...]]:
        """Per segment index, the on-network stations whose foot lies on it."""
        found: dict[int, list[int]] = {}
        for seg, i in zip(self.segments.tolist(), self.on_segment.tolist(), strict=True):
            found.setdefault(seg, []).append(i)
        return {seg: tuple(ids) for seg, ids in found.items()}

    @classmethod
    def build(cls, network: Network, stations: list[Station], *, max_snap_m: float
              ) -> StationAccess:
        """Place ``stations`` (EPSG:4326) on ``network``; those farther than ``max_snap_m``
        metres are off the network and get no entries."""
        lon = np.array([s.lon for s in stations], float)
        lat = np.array([s.lat for s in stations], float)
        return cls._joined(network, place(network, lon, lat), max_snap_m=max_snap_m)

    def with_changes(self, stations: list[Station], kept: np.ndarray, *, max_snap_m: float,
                     between: Callable[[], None] | None = None) -> StationAccess:
        """Where ``stations`` join the same network, placing only those that changed: ``kept``
        gives, per station, its index among this access's stations when it is the same
        station there (its placement and entries are reused), else -1 (it is placed); the kept
        stations keep their order. Equal, field by field, to :meth:`build` on ``stations``.
        ``between`` is called between the steps (as in
        :meth:`geo.nearest.StationFinder.with_changes`)."""
        from geo.nearest._merge import (
            carried,
            gathered,
            gathered_stations,
            legs,
            merge_order,
            node_pointers,
            renumbering,
        )

        pause = between or (lambda: None)
        fresh = np.flatnonzero(kept < 0)
        placed = place(self.network, np.array([stations[i].lon for i in fresh], float),
                       np.array([stations[i].lat for i in fresh], float))
        pause()
        old = self.placement
        fields = {}
        for name in (f.name for f in dataclasses.fields(Placement)):
            fields[name] = carried(getattr(old, name), kept, fresh, getattr(placed, name))
            pause()
        placement = Placement(**fields)
        speed = access_speed_kmh(self.network.mode) / 3.6
        leg_m, leg_s, on = legs(placement.distance_m, max_snap_m, speed)
        renumber = renumbering(kept, len(old))  # old index -> new one (-1: gone)
        added = fresh[on[fresh]]
        node, station, metres, seconds = _entries(placement, added, leg_m, speed)
        was = self.entries
        rows = merge_order(was.node, was.station, renumber, node, station, len(kept))
        pause()
        merged_node = gathered(was.node, node, rows)
        pointers = node_pointers(merged_node, self.network.n_nodes)
        pause()
        entries = Entries(pointers, gathered_stations(was.station, station, rows, renumber),
                          gathered(was.metres, metres, rows), gathered(was.seconds, seconds, rows),
                          merged_node)
        pause()
        rows = merge_order(self.segments, self.on_segment, renumber, placement.segment[added],
                           added, len(kept))
        segments = gathered(self.segments, placement.segment[added], rows)
        on_segment = gathered_stations(self.on_segment, added, rows, renumber)
        for array in (*entries, leg_m, leg_s, on, segments, on_segment):
            _read_only(array)
        return StationAccess(self.network, placement, leg_m, leg_s, on, entries, segments,
                             on_segment)

    @classmethod
    def _joined(cls, network: Network, placement: Placement, *, max_snap_m: float
                ) -> StationAccess:
        """The access of stations placed at ``placement``."""
        speed = access_speed_kmh(network.mode) / 3.6
        legs = placement.distance_m
        on = legs <= max_snap_m
        node = placement.in_node[on].ravel()
        station = np.repeat(np.flatnonzero(on), 2)
        metres = (placement.in_m[on] + legs[on, None]).ravel()
        seconds = (placement.in_s[on] + (legs / speed)[on, None]).ravel()
        keep = node >= 0
        node, station, metres, seconds = node[keep], station[keep], metres[keep], seconds[keep]
        order = np.argsort(node, kind="stable")
        entries = Entries(
            np.searchsorted(node[order], np.arange(network.n_nodes + 1)).astype(np.int64),
            station[order].astype(np.int64), metres[order], seconds[order], node[order])
        for array in entries:
            _read_only(array)
        ids = np.flatnonzero(on)
        by_seg = ids[np.argsort(placement.segment[ids], kind="stable")]
        return cls(network, placement, _read_only(legs.copy()), _read_only(legs / speed),
                   _read_only(on), entries, _read_only(placement.segment[by_seg]),
                   _read_only(by_seg))

    def direct(self, segment: int, t: float, allowed: np.ndarray | None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stations on a point's own segment (the point at fraction ``t``), reached along it:
        (station index, metres, seconds), station legs included. ``allowed`` (per station)
        leaves out the others; None allows all."""
        found = self.at_segment(segment)
        if not len(found):
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        ids, metres, seconds = [], [], []
        for i in found.tolist():
            if allowed is not None and not allowed[i]:
                continue
            m, s = along(self.network, segment, t, float(self.placement.t[i]))
            if np.isfinite(m):
                ids.append(i)
                metres.append(m + self.leg_m[i])
                seconds.append(s + self.leg_s[i])
        return np.array(ids, np.int64), np.array(metres), np.array(seconds)



def _entries(placement: Placement, ids: np.ndarray, leg_m: np.ndarray, speed: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ways into the stations ``ids`` (node, station, metres, seconds), station-major."""
    node = placement.in_node[ids].ravel()
    station = np.repeat(ids, 2).astype(np.int64)
    metres = (placement.in_m[ids] + leg_m[ids, None]).ravel()
    seconds = (placement.in_s[ids] + (leg_m[ids] / speed)[:, None]).ravel()
    keep = node >= 0
    return node[keep], station[keep], metres[keep], seconds[keep]
