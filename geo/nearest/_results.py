"""What the nearest-station engine answers: one :class:`Hit` per station found for a point, and
a :class:`NearestTable` of every node's nearest station."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from geo.stations import Station


@dataclass(frozen=True)
class Hit:
    """One station found for a query point.

    Attributes
    ----------
    distance_m
        Network distance including both access legs, metres.
    duration_s
        Travel time along that path at the mode's speeds, seconds.
    open
        Open at the time asked (``None`` when the station's hours are unknown).
    route
        With ``route=True``: the path as (lon, lat) pairs, EPSG:4326, from the point through its
        foot on the road, along the roads, to the station's foot and the station.
    changes_at
        When the station next closes (if open) or opens (if closed), in its time zone; None
        when its hours are unknown or round the clock.
    """

    station: Station
    distance_m: float
    duration_s: float
    open: bool | None
    rank: int
    route: list[tuple[float, float]] | None = None
    changes_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """The hit as JSON-ready values: metres and seconds to 0.1, the route as a GeoJSON
        ``LineString`` (EPSG:4326, 7 decimals) when asked for."""
        s = self.station
        out = {"rank": self.rank, "id": s.id, "name": s.name, "kind": s.kind,
               "distance_m": round(self.distance_m, 1), "duration_s": round(self.duration_s, 1),
               "lon": s.lon, "lat": s.lat, "open": self.open,
               "changes_at": (None if self.changes_at is None
                              else self.changes_at.isoformat(timespec="minutes")),
               "services": sorted(s.services), "other_services": list(s.other_services),
               "hours": s.hours, "address": s.address,
               "phone": s.phone, "capacity": s.capacity}
        if self.route is not None:
            out["route"] = {"type": "LineString",
                            "coordinates": [[round(x, 7), round(y, 7)] for x, y in self.route]}
        return out


@dataclass(frozen=True)
class NearestTable:
    """Every node's nearest station among a set, from one search over the whole network.

    Attributes
    ----------
    distance_m
        Per node: network distance from the node to its nearest station, the station's part of
        its edge and its leg included (``inf`` when none is reachable).
    duration_s
        Per node: travel time along that path, seconds.
    station
        Per node: index into :attr:`StationFinder.stations` of that station (-1 when none).
    """

    distance_m: np.ndarray
    duration_s: np.ndarray
    station: np.ndarray
