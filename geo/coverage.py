"""Coverage of workers by stations: per group, per district, per hour of the day; gap areas; 2SFCA.

A worker is *covered* when the nearest station of a kind their group uses is within the group's
travel budget on the group's network (by time, or by distance with ``meters``) and, when a time
is asked, open at that time. Points farther than the snap distance from the network are *off
network*: uncovered, and counted separately.

Everything is driven by the per-kind nearest-station tables of
:class:`geo.nearest.StationFinder`: one search per group (and per distinct set of open stations
for hours of the day), then a lookup per demand point.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import h3
import numpy as np
import pandas as pd
from scipy.sparse import coo_array, csr_array

from geo import settings
from geo.demand import groups_in, to_h3
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS, WorkerGroup
from geo.nearest import StationFinder
from geo.network import Network
from geo.places import name_places, osm_extract
from geo.stations import Station

if TYPE_CHECKING:
    from geopandas import GeoDataFrame


@dataclass
class CoverageResult:
    """What :func:`coverage` found.

    Attributes
    ----------
    points
        One row per demand point (or H3 cell with ``h3_res``): ``lon, lat, weight, group``,
        ``node``, ``snap_m``, ``off_network``, ``travel`` (minutes, or metres with ``meters``;
        ``inf`` when no station is reachable), ``station_id``, ``covered``, and with ``by_hour``
        ``covered_h00`` … ``covered_h23``.
    summary
        The JSON summary: ``{"groups": {...}, "gaps": [...], ...}``.
    gaps
        Gap areas, a GeoDataFrame ranked by uncovered workers (EPSG:4326).
    access
        2SFCA/E2SFCA per H3 cell and group, when asked for
        (:func:`geo.workflow.run_coverage` with ``with_access``).
    """

    points: pd.DataFrame
    summary: dict
    gaps: GeoDataFrame
    unit: str
    budgets: dict[str, float]
    finders: dict[str, StationFinder] = field(repr=False, default_factory=dict)
    access: pd.DataFrame | None = field(repr=False, default=None)


def _check_budget(minutes: float | None, meters: float | None) -> None:
    if minutes is not None and meters is not None:
        raise InputError("give `minutes` or `meters`, not both", parameter="minutes")
    for name, value in (("minutes", minutes), ("meters", meters)):
        if value is not None and not (np.isfinite(value) and value > 0):
            raise InputError(f"`{name}` was {value!r} but must be a positive number",
                             parameter=name)


def hour_time(hour: int, day: Date | None = None, minute: int = 30,
              timezone: str | None = None) -> datetime:
    """The moment ``hour:minute`` on ``day`` (default: today) in ``timezone`` (Asia/Shanghai)."""
    tz = ZoneInfo(timezone or settings.timezone)
    day = day or datetime.now(tz).date()
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def parse_at(at: str | datetime | None, day: Date | None = None) -> datetime | None:
    """``HH:MM`` (on ``day``, default today, Asia/Shanghai) or an ISO time, as an aware datetime."""
    if at is None or isinstance(at, datetime):
        return at
    text = str(at).strip()
    try:
        if len(text) <= 5 and ":" in text:
            hh, mm = (int(v) for v in text.split(":"))
            if not (0 <= hh <= 23 and 0 <= mm <= 59):
                raise ValueError
            return hour_time(hh, day, mm)
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(settings.timezone))
    except ValueError:
        raise InputError(f"`at` was {at!r} but must be HH:MM (e.g. 04:30) or an ISO time",
                         parameter="at") from None


def coverage(networks: dict[str, Network] | Sequence[Network], stations: Sequence[Station],
             demand: pd.DataFrame, *, groups: dict[str, WorkerGroup] | None = None,
             wanted: Iterable[str] | None = None, minutes: float | None = None,
             meters: float | None = None, at: str | datetime | None = None,
             by_hour: bool = False, day: Date | None = None, h3_res: int | None = None,
             districts: GeoDataFrame | None = None, gap_res: int | None = None,
             extract: str | os.PathLike[str] | None = None, with_gaps: bool = True,
             progress: Callable[[str], None] | None = None) -> CoverageResult:
    """Covered and uncovered workers per group.

    Parameters
    ----------
    networks
        Networks by mode (or a list; each knows its mode). Every analysed group needs its mode.
    stations
        The stations (WGS-84).
    demand
        Demand table (``lon, lat, weight, group``), e.g. from :func:`geo.demand.read_demand`.
    groups
        Worker groups (default :data:`geo.groups.DEFAULT_GROUPS`).
    wanted
        Only these groups (default: every group in the demand).
    minutes, meters
        One budget for every group instead of each group's own (minutes of travel, or metres).
    at
        Count a station only when it is open at this time (``HH:MM`` today in Asia/Shanghai, or
        an ISO time).
    by_hour
        Also compute the covered share for each hour of ``day`` (at half past the hour).
    h3_res
        Aggregate demand to H3 cells of this resolution first.
    districts
        A GeoDataFrame of polygons with a ``name`` column: adds ``by_district`` to the summary.
    gap_res
        H3 resolution of gap areas (default ``h3_res`` or :data:`geo.settings.h3_res`).
    extract
        The ``.osm.pbf`` extract whose named streets name the gap areas (:func:`gap_areas`);
        default the one the walk network was built from, when it is at hand
        (:func:`geo.places.osm_extract`).
    with_gaps
        Whether to find and name the gap areas (False: ``gaps`` is empty and the summary's
        ``gaps`` too, for a caller that only needs the shares, such as a plan).
    progress
        Called as each step starts: ``"<group>: <mode> network"`` per group, ``"summary"``,
        ``"gap areas"``; an exception it raises stops the run there (how a caller cancels one).
    """
    say = progress or (lambda message: None)
    _check_budget(minutes, meters)
    groups = groups or DEFAULT_GROUPS
    if not isinstance(networks, dict):
        networks = {net.mode: net for net in networks}
    when = parse_at(at, day)
    chosen = groups_in(demand, wanted, groups)
    unit = "meters" if meters is not None else "minutes"
    weight_kind = "length" if meters is not None else "time"
    table = to_h3(demand, h3_res) if h3_res is not None else demand.reset_index(drop=True)
    finders: dict[str, StationFinder] = {}
    parts, budgets = [], {}
    for gid in chosen:
        group = groups[gid]
        if group.mode not in networks:
            raise InputError(f"group {gid} travels by {group.mode} but no {group.mode} network "
                             f"was given (have: {sorted(networks)})", parameter="network")
        say(f"{gid}: {group.mode} network")
        finder = finders.get(group.mode)
        if finder is None:
            finder = finders[group.mode] = StationFinder(networks[group.mode], stations)
        rows = table[table["group"] == gid].copy()
        budget = meters if meters is not None else (minutes or group.budget_min)
        budgets[gid] = float(budget)
        rows = _assess(rows, finder, group, weight_kind, budget, when, by_hour, day)
        parts.append(rows)
    points = pd.concat(parts, ignore_index=True) if parts else table.iloc[0:0]
    say("summary")
    summary = _summary(points, chosen, groups, by_hour, districts, unit, budgets, when)
    if with_gaps:
        say("gap areas")
    gaps = (gap_areas(points, finders, groups, res=gap_res or h3_res or settings.h3_res,
                      weight_kind=weight_kind, extract=extract) if with_gaps
            else gap_areas(points.iloc[0:0], finders, groups, res=settings.h3_res))
    summary["gaps"] = [_gap_json(row) for row in gaps.itertuples()] if len(gaps) else []
    summary["stations_off_network"] = {mode: [s.id for s in finder.off_network]
                                       for mode, finder in finders.items()}
    return CoverageResult(points, summary, gaps, unit, budgets, finders)


def _assess(rows: pd.DataFrame, finder: StationFinder, group: WorkerGroup, weight_kind: str,
            budget: float, when: datetime | None, by_hour: bool, day: Date | None) -> pd.DataFrame:
    lon, lat = rows["lon"].to_numpy(float), rows["lat"].to_numpy(float)
    placement = finder.place(lon, lat)
    legs = placement.distance_m
    off = ~(legs <= finder.max_snap_m)

    def travel(open_at: datetime | None) -> tuple[np.ndarray, np.ndarray]:
        value, station, _ = finder.travel(lon, lat, group.kinds, weight=weight_kind,
                                          open_at=open_at, open_only=open_at is not None,
                                          placement=placement)
        return value, station

    value, station = travel(when)
    ids = np.array([s.id for s in finder.stations] + [None], dtype=object)
    rows = rows.assign(snap_m=legs.round(1), off_network=off, travel=value,
                       station_id=ids[np.where(station >= 0, station, -1)],
                       covered=value <= budget)
    if by_hour:
        hours = {}
        for hour in range(24):
            v, _ = travel(hour_time(hour, day, 30, finder.stations[0].timezone
                                    if finder.stations else None))
            hours[f"covered_h{hour:02d}"] = v <= budget
        rows = rows.assign(**hours)
    return rows


def _share(covered: float, total: float) -> float:
    return round(covered / total, 6) if total > 0 else 0.0


def _summary(points: pd.DataFrame, chosen: list[str], groups: dict[str, WorkerGroup],
             by_hour: bool, districts: GeoDataFrame | None, unit: str, budgets: dict,
             when: datetime | None) -> dict:
    out: dict = {"unit": unit, "budgets": budgets,
                 "at": when.isoformat() if when is not None else None, "groups": {}}
    district_of = None
    if districts is not None and len(points):
        district_of = _district_names(points, districts)
    for gid in chosen:
        rows = points[points["group"] == gid]
        w = rows["weight"].to_numpy(float)
        total = float(w.sum())
        covered = float(w[rows["covered"].to_numpy(bool)].sum())
        entry = {"zh": groups[gid].zh, "en": groups[gid].en, "mode": groups[gid].mode,
                 "budget": budgets[gid], "total": round(total, 3), "covered": round(covered, 3),
                 "uncovered": round(total - covered, 3), "share": _share(covered, total),
                 "off_network": round(float(w[rows["off_network"].to_numpy(bool)].sum()), 3)}
        if by_hour:
            entry["by_hour"] = [_share(float(w[rows[f"covered_h{h:02d}"].to_numpy(bool)].sum()),
                                       total) for h in range(24)]
            entry["shift_hours"] = [h for h in range(24) if groups[gid].works_at(h)]
        if district_of is not None:
            names = district_of[rows.index]
            by = {}
            for name in sorted(set(names.dropna())):
                mask = (names == name).to_numpy()
                t = float(w[mask].sum())
                c = float(w[mask & rows["covered"].to_numpy(bool)].sum())
                by[name] = {"total": round(t, 3), "covered": round(c, 3), "share": _share(c, t)}
            entry["by_district"] = by
        out["groups"][gid] = entry
    return out


def _district_names(points: pd.DataFrame, districts: GeoDataFrame) -> pd.Series:
    import geopandas as gpd

    if "name" not in districts.columns:
        raise InputError("the districts file needs a `name` column (名称)", parameter="districts")
    districts = districts.to_crs(4326) if districts.crs is not None else districts
    gpts = gpd.GeoDataFrame(index=points.index,
                            geometry=gpd.points_from_xy(points["lon"], points["lat"]), crs=4326)
    joined = gpd.sjoin(gpts, districts[["name", "geometry"]], predicate="intersects", how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["name"].reindex(points.index)


# --- gap areas --------------------------------------------------------------------------------

def gap_areas(points: pd.DataFrame, finders: dict[str, StationFinder],
              groups: dict[str, WorkerGroup], *, res: int, weight_kind: str = "time",
              extract: str | os.PathLike[str] | None = None) -> GeoDataFrame:
    """Uncovered demand grouped into contiguous areas of neighbouring H3 cells.

    Returns a GeoDataFrame ranked by uncovered workers with ``rank``, ``name`` and ``name_en``
    (the nearest named street of the OSM ``extract`` to the area's centre, ``"双林巷附近"`` /
    ``"near 双林巷"``, or its coordinates: :func:`geo.places.name_places`; default extract: the
    one the walk network was built from, :func:`geo.places.osm_extract`), ``workers, by_group
    (dict), cells, lon, lat`` (the area's centre snapped to the road), ``nearest`` (per group:
    minutes, or metres, from there to the nearest station the group uses) and the polygon.
    """
    import geopandas as gpd
    from shapely.geometry import shape

    columns = ["rank", "name", "name_en", "workers", "by_group", "cells", "lon", "lat",
               "nearest", "geometry"]
    gaps = points[~points["covered"] & ~points["off_network"] & (points["weight"] > 0)]
    if gaps.empty:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=4326)
    cells = [h3.latlng_to_cell(y, x, res)
             for x, y in zip(gaps["lon"], gaps["lat"], strict=True)]
    gaps = gaps.assign(gap_cell=cells)
    per_cell = gaps.groupby("gap_cell")["weight"].sum()
    cell_list = per_cell.index.tolist()
    index = {c: i for i, c in enumerate(cell_list)}
    rows, cols = [], []
    for c, i in index.items():
        for neighbour in h3.grid_ring(c, 1):
            j = index.get(neighbour)
            if j is not None:
                rows.append(i)
                cols.append(j)
    from scipy.sparse.csgraph import connected_components

    adjacency = coo_array((np.ones(len(rows)), (rows, cols)), shape=(len(index), len(index)))
    _, label = connected_components(adjacency, directed=False)
    gaps = gaps.assign(area=label[[index[c] for c in gaps["gap_cell"]]])
    placer = finders.get("walk") or next(iter(finders.values()))
    records = []
    for _, part in gaps.groupby("area"):
        area_cells = sorted(set(part["gap_cell"]))
        polygon = shape(h3.cells_to_geo(area_cells))
        by_group = part.groupby("group")["weight"].sum().round(3).to_dict()
        w = part["weight"].to_numpy(float)
        cx = float(np.average(part["lon"], weights=w))
        cy = float(np.average(part["lat"], weights=w))
        foot = placer.place([cx], [cy])  # the area's centre on the road
        lon, lat = float(foot.lon[0]), float(foot.lat[0])
        nearest = {}
        for gid in by_group:
            finder = finders[groups[gid].mode]  # every group of the points has its network's
            value, _, _ = finder.travel([lon], [lat], groups[gid].kinds, weight=weight_kind)
            nearest[gid] = round(float(value[0]), 2) if np.isfinite(value[0]) else None
        records.append({"workers": round(float(w.sum()), 3), "by_group": by_group,
                        "cells": area_cells, "lon": lon, "lat": lat, "nearest": nearest,
                        "geometry": polygon})
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=4326)
    frame = frame.sort_values("workers", ascending=False, kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    if extract is None:
        extract = osm_extract(placer.network)
    places = name_places(frame["lon"], frame["lat"], extract)
    frame["name"] = [p.zh for p in places]
    frame["name_en"] = [p.en for p in places]
    return frame[columns]


def _gap_json(row: Any) -> dict:  # a row of gap_areas' frame, from itertuples
    from shapely.geometry import mapping

    return {"rank": int(row.rank), "name": row.name, "name_en": row.name_en,
            "workers": row.workers, "by_group": row.by_group,
            "cells": len(row.cells), "lon": round(row.lon, 7), "lat": round(row.lat, 7),
            "nearest": row.nearest, "polygon": mapping(row.geometry)}


# --- coverage per H3 cell ---------------------------------------------------------------------

def coverage_cells(points: pd.DataFrame, res: int | None = None) -> pd.DataFrame:
    """Coverage of :attr:`CoverageResult.points` pooled into H3 cells, one row per cell and group.

    Unlike ``coverage(..., h3_res=...)``, which moves every worker of a cell to the cell's centre
    before measuring, this measures every demand point where it is and only then pools, so the
    cells add up to the summary exactly.

    Parameters
    ----------
    points
        :attr:`CoverageResult.points` (``lon, lat, weight, group, off_network, travel, covered``
        and, after ``by_hour``, ``covered_h00`` … ``covered_h23``).
    res
        H3 resolution (default :data:`geo.settings.h3_res`).

    Returns
    -------
    pandas.DataFrame
        ``cell, group, lon, lat`` (the cell centre, EPSG:4326), ``workers``, ``covered``,
        ``share``, ``off_network`` (workers), ``travel`` (worker-weighted mean over the points that
        reach a station, in the result's unit; NaN when none does), ``travel_max`` and, with hours,
        ``share_h00`` … ``share_h23``. Sorted by cell, then group.
    """
    res = settings.h3_res if res is None else res
    if not 0 <= int(res) <= 15:
        raise InputError(f"`h3_res` was {res!r} but must be 0..15", parameter="h3_res")
    hours = [c for c in points.columns if c.startswith("covered_h")]
    columns = ["cell", "group", "lon", "lat", "workers", "covered", "share", "off_network",
               "travel", "travel_max", *[f"share_h{c[-2:]}" for c in hours]]
    if points.empty:
        return pd.DataFrame(columns=columns)
    w = points["weight"].to_numpy(float)
    travel = points["travel"].to_numpy(float)
    reach = np.isfinite(travel)
    frame = pd.DataFrame({
        "cell": [h3.latlng_to_cell(y, x, int(res))
                 for x, y in zip(points["lon"], points["lat"], strict=True)],
        "group": points["group"].to_numpy(), "workers": w,
        "covered": w * points["covered"].to_numpy(bool),
        "off_network": w * points["off_network"].to_numpy(bool),
        "wt": w * np.where(reach, travel, 0.0), "wr": np.where(reach, w, 0.0),
        "tmax": np.where(reach, travel, -np.inf),
        **{f"share_h{c[-2:]}": w * points[c].to_numpy(bool) for c in hours}})
    sums = {c: "sum" for c in frame.columns if c not in ("cell", "group", "tmax")}
    agg = frame.groupby(["cell", "group"], sort=True).agg({**sums, "tmax": "max"}).reset_index()
    total = agg["workers"].to_numpy(float)

    def share(part: pd.Series) -> np.ndarray:
        return np.divide(part.to_numpy(float), total, out=np.zeros(len(total)), where=total > 0)

    agg["share"] = share(agg["covered"])
    for c in hours:
        agg[f"share_h{c[-2:]}"] = share(agg[f"share_h{c[-2:]}"])
    weighted = agg["wr"].to_numpy(float)
    agg["travel"] = np.divide(agg["wt"].to_numpy(float), weighted,
                              out=np.full(len(agg), np.nan), where=weighted > 0)
    agg["travel_max"] = agg["tmax"].where(np.isfinite(agg["tmax"]))
    centres = [h3.cell_to_latlng(c) for c in agg["cell"]]
    agg["lat"] = [c[0] for c in centres]
    agg["lon"] = [c[1] for c in centres]
    return agg[columns]


# --- accessibility: two-step floating catchment ----------------------------------------------

def station_costs(finder: StationFinder, lon: np.ndarray, lat: np.ndarray, *, max_cost: float,
                  weight: str = "time") -> csr_array:
    """Network cost from each demand point to each station within ``max_cost``.

    Returns a sparse (demand × station) matrix of costs in minutes (``weight="time"``) or metres
    (``"length"``), legs included; pairs beyond ``max_cost`` or off the network are absent
    (:meth:`geo.nearest.StationFinder.costs`).
    """
    return finder.costs(lon, lat, max_cost=max_cost, weight=weight)


def two_step_fca(cost: csr_array, demand: np.ndarray, supply: np.ndarray, *,
                 max_cost: float | None = None,
                 weight_fn: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Two-step floating catchment area accessibility (Luo & Wang 2003), and with ``weight_fn``
    the enhanced 2SFCA (Luo & Qi 2009).

    Parameters
    ----------
    cost
        Sparse (demand × station) travel costs; absent pairs are out of reach.
    demand
        Workers at each demand location.
    supply
        Capacity of each station (people it can host).
    max_cost
        Catchment size in the units of ``cost`` (pairs beyond are dropped).
    weight_fn
        Distance decay applied to costs (vectorised); 1 within the catchment when None.

    Returns
    -------
    numpy.ndarray
        Station places per worker reachable from each demand location.
    """
    cost = csr_array(cost)
    demand, supply = np.asarray(demand, float), np.asarray(supply, float)
    if cost.shape != (len(demand), len(supply)):
        raise InputError(f"`cost` has shape {cost.shape} but there are {len(demand)} demand "
                         f"locations and {len(supply)} stations", parameter="cost")
    coo = cost.tocoo()
    keep = np.ones(coo.nnz, bool) if max_cost is None else coo.data <= max_cost
    i, j, c = coo.row[keep], coo.col[keep], coo.data[keep]
    w = np.ones(len(c)) if weight_fn is None else np.asarray(weight_fn(c), float)
    reached = np.bincount(j, weights=demand[i] * w, minlength=len(supply))
    ratio = np.divide(supply, reached, out=np.zeros(len(supply)), where=reached > 0)
    return np.bincount(i, weights=ratio[j] * w, minlength=len(demand))


def step_decay(steps: dict[float, float]) -> Callable[[np.ndarray], np.ndarray]:
    """A step decay: ``{10: 1, 20: 0.68, 30: 0.22}`` (the E2SFCA paper's weights, in minutes)."""
    edges = sorted(steps)
    values = [steps[e] for e in edges]

    def weight(cost: np.ndarray) -> np.ndarray:
        cost = np.asarray(cost, float)
        at = np.searchsorted(edges, cost, side="left")
        return np.where(at < len(edges), np.array([*values, 0.0])[at], 0.0)

    return weight


def accessibility(finder: StationFinder, cells: pd.DataFrame, *, max_cost: float,
                  weight: str = "time") -> pd.DataFrame:
    """2SFCA and E2SFCA scores for demand cells (``lon, lat, weight``) with station capacity.

    Stations without a capacity count as 0 places. E2SFCA uses the step weights
    :data:`geo.settings.e2sfca_steps` (1 / 0.68 / 0.22) over the first, second and last third of
    ``max_cost``.
    """
    cost = station_costs(finder, cells["lon"], cells["lat"], max_cost=max_cost, weight=weight)
    supply = np.array([s.capacity or 0 for s in finder.stations], float)
    demand = cells["weight"].to_numpy(float)
    near, middle, far = settings.e2sfca_steps
    decay = step_decay({max_cost / 3: near, 2 * max_cost / 3: middle, max_cost: far})
    return cells.assign(
        fca2=two_step_fca(cost, demand, supply, max_cost=max_cost),
        e2sfca=two_step_fca(cost, demand, supply, max_cost=max_cost, weight_fn=decay),
        stations_in_reach=np.diff(cost.indptr),
    )
