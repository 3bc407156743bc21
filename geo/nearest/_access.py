"""Where each station joins the network, and the ways into it: built once per finder, read by
every search."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
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
    by_segment
        Per segment index, the on-network stations whose foot lies on it.
    """

    network: Network
    placement: Placement
    leg_m: np.ndarray
    leg_s: np.ndarray
    on_network: np.ndarray
    entries: Entries
    by_segment: dict[int, tuple[int, ...]]

    @classmethod
    def build(cls, network: Network, stations: list[Station], *, max_snap_m: float
              ) -> StationAccess:
        """Place ``stations`` (EPSG:4326) on ``network``; those farther than ``max_snap_m``
        metres are off the network and get no entries."""
        lon = np.array([s.lon for s in stations], float)
        lat = np.array([s.lat for s in stations], float)
        return cls._joined(network, place(network, lon, lat), max_snap_m=max_snap_m)

    def with_changes(self, stations: list[Station], kept: np.ndarray, *, max_snap_m: float
                     ) -> StationAccess:
        """Where ``stations`` join the same network, placing only those that changed: ``kept``
        gives, per station, its index among this access's stations when it is the same
        station there (its placement is reused), else -1 (it is placed). Equal, field by
        field, to :meth:`build` on ``stations``."""
        fresh = np.flatnonzero(kept < 0)
        placed = place(self.network, np.array([stations[i].lon for i in fresh], float),
                       np.array([stations[i].lat for i in fresh], float))
        old = self.placement
        source = np.where(kept < 0, 0, kept)
        fields = {}
        for name in (f.name for f in dataclasses.fields(Placement)):
            column = getattr(old, name)[source] if len(old) else np.zeros(
                (len(kept), *getattr(placed, name).shape[1:]), getattr(placed, name).dtype)
            column[fresh] = getattr(placed, name)
            fields[name] = column
        return self._joined(self.network, Placement(**fields), max_snap_m=max_snap_m)

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
        return cls(network, placement, _read_only(legs.copy()), _read_only(legs / speed),
                   _read_only(on), entries, _by_segment(placement.segment, on))

    def direct(self, segment: int, t: float, allowed: np.ndarray | None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stations on a point's own segment (the point at fraction ``t``), reached along it:
        (station index, metres, seconds), station legs included. ``allowed`` (per station)
        leaves out the others; None allows all."""
        found = self.by_segment.get(segment)
        if not found:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        ids, metres, seconds = [], [], []
        for i in found:
            if allowed is not None and not allowed[i]:
                continue
            m, s = along(self.network, segment, t, float(self.placement.t[i]))
            if np.isfinite(m):
                ids.append(i)
                metres.append(m + self.leg_m[i])
                seconds.append(s + self.leg_s[i])
        return np.array(ids, np.int64), np.array(metres), np.array(seconds)


def _by_segment(segment: np.ndarray, on: np.ndarray) -> dict[int, tuple[int, ...]]:
    """Per segment index, the on-network stations (indices, ascending) whose foot lies on it."""
    ids = np.flatnonzero(on)
    order = np.argsort(segment[ids], kind="stable")
    ids, segs = ids[order], segment[ids][order]
    cuts = np.flatnonzero(np.diff(segs)) + 1
    starts = np.r_[0, cuts].astype(np.int64) if len(ids) else np.zeros(0, np.int64)
    groups = np.split(ids, cuts) if len(ids) else []
    return {int(segs[a]): tuple(g.tolist()) for a, g in zip(starts.tolist(), groups,
                                                             strict=True)}
