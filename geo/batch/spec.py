"""What a batch runs: one region as :func:`geo.batch.read_regions` checked it (:class:`RegionSpec`),
and what every region is analysed for (:class:`BatchOptions`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from geo.errors import InputError

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from geo.groups import WorkerGroup


@dataclass(frozen=True)
class RegionSpec:
    """One region of a batch, as :func:`geo.batch.read_regions` checked it (paths absolute).

    Attributes
    ----------
    name
        The region's name and the name of its output folder.
    networks
        An OSM extract (``.osm``/``.osm.pbf``) or saved networks (``.npz``, one per mode).
    stations
        A station file (CSV/XLSX/GeoJSON/GeoPackage, coordinates in ``crs``); None with
        ``registry`` or for a region with no station yet.
    registry
        A registry URL (:class:`geo.registry.Registry`) to read the stations from, optionally
        only those in ``bbox`` (W, S, E, N; EPSG:4326 degrees) or in the district ``district``
        of the ``districts`` file.
    demand
        A demand file; None: estimated from the OSM extract (:func:`geo.demo.osm_demand`).
    budgets
        Travel budgets by group id, minutes, replacing the groups' own.
    add, target
        New stations of ``kind`` to plan: how many (maximal covering), or the covered share to
        reach with the fewest (0.9 or 90). Neither: coverage only.
    """

    name: str
    networks: tuple[str, ...]
    stations: str | None = None
    registry: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    district: str | None = None
    crs: str = "wgs84"
    demand: str | None = None
    districts: str | None = None
    groups: str | None = None
    wanted: tuple[str, ...] = ()
    budgets: dict[str, float] = field(default_factory=dict)
    kind: str = "outdoor_rest_point"
    add: int | None = None
    target: float | None = None
    curve: int | None = None

    @property
    def plans(self) -> bool:
        """Whether the region asks for new stations."""
        return self.add is not None or self.target is not None

    def settings(self) -> dict[str, Any]:
        """Everything the region's run depends on besides the files' contents, as JSON."""
        values = asdict(self)
        values["networks"] = list(self.networks)
        values["wanted"] = list(self.wanted)
        values["bbox"] = None if self.bbox is None else list(self.bbox)
        if not self.plans:
            for key in ("kind", "curve"):
                values.pop(key)
        return values

    def files(self) -> list[str]:
        """The input files (their contents decide whether the region runs again)."""
        return [p for p in (*self.networks, self.stations, self.demand, self.districts,
                            self.groups) if p is not None]

    def worker_groups(self) -> dict[str, WorkerGroup]:
        """The worker groups: the defaults or the ``groups`` file's, with ``budgets``."""
        from geo.groups import load_groups

        groups = load_groups(self.groups)
        for gid, minutes in self.budgets.items():
            groups[gid] = replace(groups[gid], budget_min=float(minutes))
        return groups

    def open_stations(self) -> list:
        """The region's stations, from its file or its registry (filtered), or none."""
        if self.stations is not None:
            from geo.io.stations import load_stations

            return load_stations(self.stations, crs=self.crs)
        if self.registry is None:
            return []
        from geo.registry import Registry

        bbox = self.bbox
        area = None
        if self.district is not None:
            area = district_area(self.districts, self.district)
            west, south, east, north = (float(v) for v in area.bounds)
            bbox = (west, south, east, north)
        stations = Registry(self.registry).stations(bbox=bbox)
        if area is not None:
            import shapely

            inside = shapely.contains_xy(area, [s.lon for s in stations],
                                         [s.lat for s in stations])
            stations = [s for s, keep in zip(stations, inside, strict=True) if keep]
        return stations


def district_area(path: str | None, name: str) -> BaseGeometry:
    """The polygon of district ``name`` in the districts file ``path`` (EPSG:4326).

    Raises
    ------
    InputError
        ``parameter="district"``: no file, or the file has no district of that name (the
        message lists some of those it has).
    """
    from geo.io.districts import read_districts

    if path is None:
        raise InputError(f"the district {name!r} needs a districts file", parameter="districts")

    frame = read_districts(path)
    rows = frame[frame["name"].astype(str) == name]
    if rows.empty:
        names = sorted(frame["name"].astype(str))
        raise InputError(f"no district {name!r} in {path}; it has {names[:20]}",
                         parameter="district")
    return rows.geometry.union_all()


@dataclass(frozen=True)
class BatchOptions:
    """What every region of a batch is analysed for.

    Attributes
    ----------
    at
        The time the stations' opening hours are read at, ISO 8601 with its offset (resolved
        by :func:`batch_options` from ``HH:MM``, so that all regions and a resumed run read the
        same day); None: every station counted open.
    by_hour
        Coverage for each hour of ``day``.
    """

    at: str | None = None
    by_hour: bool = False
    day: date | None = None


def batch_options(*, at: str | None = None, by_hour: bool = False,
                  day: date | None = None) -> BatchOptions:
    """:class:`BatchOptions` with ``at`` (``HH:MM`` on ``day``, default today in
    Asia/Shanghai, or an ISO time) and the day of ``by_hour`` made explicit.

    Raises
    ------
    InputError
        ``parameter="at"``: a bad time, or both ``at`` and ``by_hour``.
    """
    from zoneinfo import ZoneInfo

    from geo import settings
    from geo.coverage import parse_at

    if at is not None and by_hour:
        raise InputError("give `at` or `by_hour`, not both", parameter="at")
    if by_hour:
        return BatchOptions(by_hour=True,
                            day=day or datetime.now(ZoneInfo(settings.timezone)).date())
    when = parse_at(at, day)
    return BatchOptions(at=None if when is None else when.isoformat())
