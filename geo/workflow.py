"""The analyses the surfaces run, written once: the CLI, the web app and the batch call these.

Each function takes the opened inputs (networks by mode, stations, a demand table) and returns a
result object; the surfaces only parse their input, call one of these, and serialise the answer.

- :func:`open_networks`: networks by mode from saved ``.npz`` files and/or an OSM extract;
- :func:`open_inputs`: the networks, demand and groups of one region's analysis;
- :func:`coverage_report`, :func:`plan_report`: one region's coverage or plan, and its files
  (what ``yizhan coverage -o``/``yizhan plan -o`` and each region of ``yizhan batch`` run);
- :func:`analysis_groups`: which worker groups an analysis can run for, and why the others not;
- :func:`run_coverage`: coverage by group, hour and district, gap areas, optionally 2SFCA;
- :func:`candidate_sites`: candidate sites from a file, from OSM venues or from the gap cells;
- :func:`run_plan`: siting in the gaps — coverage, candidates, matrix, plan — with the existing
  stations kept, for the hour being looked at.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import pandas as pd

from geo import settings
from geo.coverage import CoverageResult, accessibility, coverage
from geo.demand import groups_in, to_h3
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS, WorkerGroup
from geo.network import MODES, Network, is_osm_file, load_network
from geo.places import osm_extract
from geo.siting.planning import (
    CANDIDATE_COLUMNS,
    Plan,
    coverage_matrix,
    gap_candidates,
    parse_target,
    plan,
)
from geo.stations import Station

if TYPE_CHECKING:
    from geopandas import GeoDataFrame
    from shapely.geometry.base import BaseGeometry

CandidateSource = Literal["gaps", "file", "venues"]


# --- inputs ---------------------------------------------------------------------------------------


def open_networks(paths: Iterable[str | os.PathLike[str]], modes: Iterable[str], *,
                  into: dict[str, Network] | None = None) -> dict[str, Network]:
    """Networks by mode from saved network files and OSM extracts.

    A saved file (``.npz``) gives its own mode; an OSM extract gives every mode of ``modes`` not
    opened yet. With ``into`` (the networks opened before from the same paths), only the modes
    still missing are built, so a caller can open the walk network first and the others once it
    knows which groups it analyses.
    """
    networks: dict[str, Network] = {} if into is None else into
    wanted = [m for m in MODES if m in set(modes)]
    for path in paths:
        if is_osm_file(path):
            for mode in wanted:
                if mode not in networks:
                    networks[mode] = load_network(path, mode=mode)
        elif into is None:
            net = load_network(path)
            networks[net.mode] = net
    return networks


def base_network(networks: dict[str, Network]) -> Network | None:
    """The network that places points for every group: walk, else the first one there is.

    Polygon demand is spread over it, gap candidates are put on its nodes, and it is drawn as
    the basemap of the output maps.
    """
    return networks.get("walk") or next(iter(networks.values()), None)


def analysis_groups(demand: pd.DataFrame, *, groups: dict[str, WorkerGroup] | None = None,
                    wanted: Iterable[str] | None = None, modes: Iterable[str] | None = None,
                    kind: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The groups an analysis runs for, and the skipped ones with the reason.

    Parameters
    ----------
    demand
        The demand table; without ``wanted``, every group in it.
    wanted
        Only these groups (ids or Chinese/English names).
    modes
        The travel modes there are networks for (None: all). A group whose mode is missing is
        skipped; when the caller asked for it by name this is an error instead.
    kind
        Only the groups that use stations of this kind (for siting).

    Raises
    ------
    InputError
        ``parameter="group"``: an unknown group, a wanted group without its network, or no group
        left that uses ``kind``.
    """
    groups = groups or DEFAULT_GROUPS
    chosen = groups_in(demand, wanted, groups)
    if kind is not None:
        users = [g for g in chosen if kind in groups[g].kinds]
        if not users:
            asked = list(wanted) if wanted else sorted(set(demand["group"]))
            raise InputError(f"none of the groups {asked} uses {kind} stations; choose another "
                             "kind or group", parameter="group")
        chosen = users
    available = set(MODES if modes is None else modes)
    skipped = {g: f"there is no {groups[g].mode} network" for g in chosen
               if groups[g].mode not in available}
    if wanted and skipped:
        gid = next(iter(skipped))
        raise InputError(f"`group` {gid} travels by {groups[gid].mode}, but {skipped[gid]}",
                         parameter="group")
    return [g for g in chosen if g not in skipped], skipped


@dataclass
class Inputs:
    """The opened inputs of one region's analysis (:func:`open_inputs`).

    Attributes
    ----------
    networks
        Networks by mode: walk, and those of the groups in ``chosen``.
    demand
        The demand table (``lon, lat, weight, group``; EPSG:4326).
    groups
        The worker groups (defaults, or as overridden).
    chosen
        The groups the analysis runs for.
    extract
        The ``.osm.pbf`` extract among the network paths (names gap candidates), or None.
    paths
        The network paths the networks were opened from (the output maps find their basemap
        there, :func:`basemap_of`).
    """

    networks: dict[str, Network]
    demand: pd.DataFrame
    groups: dict[str, WorkerGroup]
    chosen: list[str]
    extract: Path | None = None
    paths: tuple[Path, ...] = ()


def open_inputs(network_paths: Sequence[str | os.PathLike[str]],
                demand: str | os.PathLike[str] | None, *, crs: str = "wgs84",
                groups: dict[str, WorkerGroup] | None = None,
                wanted: Iterable[str] | None = None, kind: str | None = None) -> Inputs:
    """The networks, demand and groups of one region, opened as the single-region commands and
    the province batch open them.

    The walk network first (polygon demand is spread over it), then the demand, then the
    networks of the groups analysed (:func:`analysis_groups` with ``wanted`` and ``kind``).

    Parameters
    ----------
    network_paths
        Saved networks (``.npz``, one per mode) and/or an OSM extract (``.osm``/``.osm.pbf``).
    demand
        A demand file (:func:`geo.io.demand.read_demand`, coordinates in ``crs``); None: worker
        density estimated from the OSM extract among ``network_paths``
        (:func:`geo.demo.osm_demand`).

    Raises
    ------
    InputError
        ``parameter="demand"``: no demand file and no OSM extract to estimate it from; and as
        :func:`analysis_groups`.
    """
    from geo.groups import DEFAULT_GROUPS as defaults

    groups = groups or defaults
    paths = list(network_paths)
    networks = open_networks(paths, {"walk"})
    if demand is None:
        osm = next((p for p in paths if is_osm_file(p)), None)
        if osm is None:
            raise InputError("without a demand file the workers are estimated from "
                             "OpenStreetMap, which needs an .osm or .osm.pbf extract among the "
                             "networks; give a demand file or the extract", parameter="demand")
        from geo.demo import osm_demand

        open_networks(paths, MODES, into=networks)
        table = osm_demand(osm, networks)
    else:
        from geo.io.demand import read_demand

        table = read_demand(demand, crs=crs, groups=groups, network=base_network(networks))
    chosen, _ = analysis_groups(table, groups=groups, wanted=wanted, kind=kind)
    open_networks(paths, {groups[g].mode for g in chosen}, into=networks)
    extract = next((Path(p) for p in paths if str(p).endswith(".pbf")), None)
    return Inputs(networks=networks, demand=table, groups=groups, chosen=chosen, extract=extract,
                  paths=tuple(map(Path, paths)))


def basemap_of(network_paths: Sequence[str | os.PathLike[str]]) -> dict | None:
    """The basemap layers for maps of these networks: the ``basemap.geojson`` that ``yizhan
    demo`` writes beside saved networks, else read from an ``.osm.pbf`` among them
    (:func:`geo.basemap.read_basemap`, about a second for a city district); None without either
    (the maps then draw the streets)."""
    import json

    from geo.demo import BASEMAP_FILE

    for path in map(Path, network_paths):
        beside = path.parent / BASEMAP_FILE
        if path.suffix == ".npz" and beside.is_file():
            return json.loads(beside.read_text("utf-8"))
    extract = next((Path(p) for p in network_paths if str(p).endswith(".pbf")), None)
    if extract is None:
        return None
    from geo.basemap import read_basemap

    return read_basemap(extract)


# --- coverage -------------------------------------------------------------------------------------


def run_coverage(networks: dict[str, Network], stations: Sequence[Station],
                 demand: pd.DataFrame, *, groups: dict[str, WorkerGroup] | None = None,
                 wanted: Iterable[str] | None = None, minutes: float | None = None,
                 meters: float | None = None, at: str | datetime | None = None,
                 by_hour: bool = False, day: date | None = None, h3_res: int | None = None,
                 gap_res: int | None = None, districts: GeoDataFrame | None = None,
                 with_access: bool = False, extract: str | os.PathLike[str] | None = None,
                 progress: Callable[[str], None] | None = None) -> CoverageResult:
    """Coverage of the demand by the stations, per group, hour and district, with gap areas.

    :func:`geo.coverage.coverage` for the groups of :func:`analysis_groups`; with
    ``with_access`` also 2SFCA/E2SFCA per H3 cell (:func:`accessibility_table`), its per-group
    means in ``summary["accessibility"]`` and the table in ``result.access``. Budgets are the
    groups' own unless ``minutes`` or ``meters`` (one for all) is given. Gap areas are named
    from the OSM ``extract`` (default: :func:`osm_extract` of the walk network).
    """
    groups = groups or DEFAULT_GROUPS
    chosen, _ = analysis_groups(demand, groups=groups, wanted=wanted, modes=networks)
    result = coverage(networks, stations, demand, groups=groups, wanted=chosen, minutes=minutes,
                      meters=meters, at=at, by_hour=by_hour, day=day, h3_res=h3_res,
                      gap_res=gap_res, districts=districts, extract=extract,
                      progress=progress)
    if with_access:
        table = accessibility_table(result, demand, groups=groups, chosen=chosen,
                                    h3_res=h3_res, by_length=meters is not None)
        result.access = table
        result.summary["accessibility"] = accessibility_summary(table)
    return result


def accessibility_table(result: CoverageResult, demand: pd.DataFrame, *,
                        groups: dict[str, WorkerGroup], chosen: Iterable[str],
                        h3_res: int | None = None, by_length: bool = False) -> pd.DataFrame:
    """2SFCA and E2SFCA per H3 cell and group, within each group's budget of ``result``."""
    cells = to_h3(demand, h3_res)
    scores = []
    for gid in chosen:
        finder = result.finders[groups[gid].mode]
        rows = cells[cells["group"] == gid]
        scores.append(accessibility(finder, rows, max_cost=result.budgets[gid],
                                    weight="length" if by_length else "time"))
    return pd.concat(scores, ignore_index=True) if scores else pd.DataFrame()


def accessibility_summary(table: pd.DataFrame) -> dict[str, dict]:
    """Per group: mean 2SFCA, mean E2SFCA and the cells with no station in reach."""
    if table.empty:
        return {}
    return {gid: {"mean_2sfca": round(float(part["fca2"].mean()), 6),
                  "mean_e2sfca": round(float(part["e2sfca"].mean()), 6),
                  "cells_without_station": int((part["stations_in_reach"] == 0).sum())}
            for gid, part in table.groupby("group")}


def coverage_report(inputs: Inputs, stations: Sequence[Station], *,
                    outdir: str | os.PathLike[str] | None = None, minutes: float | None = None,
                    meters: float | None = None, at: str | datetime | None = None,
                    by_hour: bool = False, day: date | None = None, h3_res: int | None = None,
                    districts: GeoDataFrame | None = None, with_access: bool = False,
                    progress: Callable[[str], None] | None = None,
                    ) -> tuple[CoverageResult, dict[str, Path]]:
    """:func:`run_coverage` for the groups of ``inputs``, and with ``outdir`` its files
    (:func:`geo.output.coverage.write_coverage`: GeoPackage, CSV, JSON, charts, map).

    What ``yizhan coverage`` runs, and each region of ``yizhan batch``: the same inputs give
    the same summary and files.
    """
    result = run_coverage(inputs.networks, stations, inputs.demand, groups=inputs.groups,
                          wanted=inputs.chosen, minutes=minutes, meters=meters, at=at,
                          by_hour=by_hour, day=day, h3_res=h3_res, districts=districts,
                          with_access=with_access, extract=inputs.extract, progress=progress)
    files: dict[str, Path] = {}
    if outdir is not None:
        from geo.demo import demo_label
        from geo.output.coverage import write_coverage

        files = write_coverage(result, list(stations), outdir,
                               network=base_network(inputs.networks), groups=inputs.groups,
                               demo_label=demo_label(stations),
                               basemap=basemap_of(inputs.paths))
    return result, files


# --- siting ---------------------------------------------------------------------------------------


def candidate_sites(source: CandidateSource, *, path: str | os.PathLike[str] | None = None,
                    crs: str = "wgs84", uncovered: pd.DataFrame | None = None,
                    network: Network | None = None, res: int | None = None,
                    extract: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Candidate sites (``id, name, lon, lat, cost, capacity, source``; EPSG:4326).

    ``"file"``: a table at ``path`` (:func:`geo.io.candidates.read_candidates`, ``crs`` of its
    coordinates); ``"venues"``: OSM venues that often host stations, from the extract at
    ``path``; ``"gaps"``: per H3 cell of the ``uncovered`` workers, the node of ``network``
    nearest the cell's weighted centre, named by the nearest named street and venue of the OSM
    ``extract`` (default: :func:`osm_extract` of ``network``).
    """
    if source == "file":
        from geo.io.candidates import read_candidates

        if path is None:
            raise InputError("candidates from a file need the file's `path`",
                             parameter="candidates")
        return read_candidates(path, crs=crs)
    if source == "venues":
        from geo.siting.planning import venue_candidates

        return venue_candidates(path)
    if source == "gaps":
        if uncovered is None or network is None:
            raise InputError("gap candidates need the uncovered workers and a network",
                             parameter="candidates")
        return gap_candidates(uncovered, network, res=res,
                              extract=extract if extract is not None else osm_extract(network))
    raise InputError(f"`source` was {source!r} but must be one of ['gaps', 'file', 'venues']",
                     parameter="candidates")


@dataclass
class SitingRun:
    """The outcome of :func:`run_plan`.

    Attributes
    ----------
    groups
        The groups planned for (those that use the new stations' kind).
    before
        Coverage before, with the existing stations (None when candidates came from elsewhere
        and no coverage run was needed).
    candidates
        The candidate sites offered to the model.
    plan
        The proposal; None when there is nothing to plan (see ``note``).
    note
        Why there is no plan (the target is met already, every reachable worker is covered, no
        candidate sites), else "".
    already_met
        With a ``target``: the existing stations reach it already (then ``plan`` is None).
    at
        The time the existing stations' hours were read at (None: all counted open).

    Worker counts (``totals``, the sites' ``newly_covered``) are sums of demand weights and
    keep their decimals here and in :meth:`as_json` (data); what is shown to people rounds
    them to whole workers.
    """

    kind: str
    groups: list[str]
    skipped: dict[str, str]
    budgets: dict[str, float]
    totals: dict[str, float]
    before_shares: dict[str, float]
    candidates: pd.DataFrame
    plan: Plan | None
    before: CoverageResult | None = None
    note: str = ""
    model: str = "max_coverage"
    curve: bool = False
    already_met: bool = False
    target: float | None = None
    at: datetime | None = None
    extra: dict = field(default_factory=dict)

    @property
    def before_share(self) -> float:
        """The share of the workers of :attr:`groups` together that the existing stations
        cover."""
        return _pooled(self.before_shares, self.totals)

    def as_json(self) -> dict:
        """The plan as JSON (``/api/plan``, ``yizhan plan --json``): sites, before/after shares
        per group, the solver's state, the curve; with ``note`` and no sites when there was
        nothing to plan."""
        if self.plan is not None:
            answer = self.plan.as_json()
        else:
            answer = {"model": self.model, "kind": self.kind, "sites": [],
                      "before": dict(self.before_shares), "after": dict(self.before_shares),
                      "optimal": True, "gap": 0.0, "method": "none",
                      "curve": [] if self.curve else None}
        if self.note:
            answer["note"] = self.note
        answer.update(groups=list(self.groups), skipped=dict(self.skipped),
                      totals=dict(self.totals), budgets=dict(self.budgets),
                      candidates=len(self.candidates), already_met=self.already_met,
                      target=self.target, at=None if self.at is None else self.at.isoformat())
        return answer


class _RunCommon(TypedDict):
    """The fields of :class:`SitingRun` that every outcome of :func:`run_plan` shares."""

    kind: str
    groups: list[str]
    skipped: dict[str, str]
    budgets: dict[str, float]
    totals: dict[str, float]
    before_shares: dict[str, float]
    before: CoverageResult | None
    model: str
    curve: bool
    target: float | None
    at: datetime | None


def run_plan(networks: dict[str, Network], stations: Sequence[Station], demand: pd.DataFrame,
             *, kind: str, groups: dict[str, WorkerGroup] | None = None,
             wanted: Iterable[str] | None = None, minutes: float | None = None,
             at: str | datetime | None = None, add: int | None = None,
             target: float | None = None, budget: float | None = None,
             capacitated: bool = False, curve: int | None = None,
             candidates: pd.DataFrame | None = None, time_limit: float | None = None,
             extract: str | os.PathLike[str] | None = None,
             within: BaseGeometry | None = None,
             progress: Callable[[str], None] | None = None) -> SitingRun:
    """New stations of ``kind`` where they cover the most workers, the existing ones kept.

    The flow: the groups that use ``kind`` (:func:`analysis_groups`); their coverage by the
    existing stations (open at ``at``, when given: HH:MM today or an ISO time, the hour the
    planner is looking at); unless ``candidates`` are given, candidate sites in the gap cells of
    the workers left uncovered, named from the OSM ``extract`` (default: :func:`osm_extract`),
    and only those inside ``within`` (a shapely (multi)polygon in EPSG:4326: an organisation's
    area, where it may build) when given;
    the network coverage matrix of those workers × (existing stations + candidates); and
    :func:`geo.siting.planning.plan` with exactly one of ``add`` (maximal covering), ``target``
    (fewest stations reaching a covered share of the workers of the groups planned for,
    together: 0.9 or 90, see :func:`geo.siting.planning.parse_target`) or ``budget``
    (candidate costs).

    Returns a :class:`SitingRun`; its ``plan`` is None, with a ``note``, when the ``target`` is
    met already by the existing stations (``already_met``), when every reachable worker of these
    groups is covered already within their budgets at ``at``, or when there is no candidate site.

    ``progress`` is called with the step starting: ``"coverage"`` (then the messages of
    :func:`geo.coverage.coverage`), ``"candidates"``, ``"matrix"`` and ``"solving"``; an
    exception it raises stops the run there (how a caller cancels one).
    """
    say = progress or (lambda message: None)
    groups = groups or DEFAULT_GROUPS
    time_limit = settings.plan_time_limit_s if time_limit is None else time_limit
    if sum(x is not None for x in (add, target, budget)) != 1:
        raise InputError("give exactly one of `add`, `target` or `budget`", parameter="add")
    if target is not None:
        target = parse_target(target)
    chosen, skipped = analysis_groups(demand, groups=groups, wanted=wanted, modes=networks,
                                      kind=kind)
    model = "max_coverage" if target is None else "set_covering"
    when = None
    if at is not None:
        from geo.coverage import parse_at

        when = parse_at(at)
    say("coverage")
    before = coverage(networks, stations, demand, groups=groups, wanted=chosen, minutes=minutes,
                      at=when, with_gaps=False, progress=progress)  # a plan uses the shares only
    entries = before.summary["groups"]
    totals = {g: entries[g]["total"] for g in chosen}
    shares = {g: entries[g]["share"] for g in chosen}
    common: _RunCommon = {
        "kind": kind, "groups": chosen, "skipped": skipped, "budgets": dict(before.budgets),
        "totals": totals, "before_shares": shares, "before": before, "model": model,
        "curve": bool(curve), "target": target, "at": when}
    who, hour = _context(chosen, groups, before.budgets, before.unit, when)
    if target is not None and _pooled(shares, totals) >= target - 1e-9:
        return SitingRun(candidates=pd.DataFrame(columns=CANDIDATE_COLUMNS), plan=None,
                         already_met=True,
                         note=f"target already met: the existing stations cover "
                              f"{_pooled(shares, totals):.1%} of the workers of {who} {hour}, "
                              f"at least the target {target:.1%}; no new station is needed",
                         **common)
    say("candidates")
    if candidates is None:
        points = before.points
        uncovered = points[~points["covered"] & ~points["off_network"]]
        network = base_network(networks)
        if network is None:
            raise InputError("gap candidates need a network; give at least one",
                             parameter="networks")
        candidates = gap_candidates(uncovered, network,
                                    extract=extract if extract is not None
                                    else osm_extract(network))
        if candidates.empty:
            return SitingRun(candidates=candidates, plan=None,
                             note=f"every reachable worker of {who} is covered already "
                                  f"{hour}",
                             **common)
        if within is not None:
            candidates = _inside_area(candidates, within)
            if candidates.empty:
                return SitingRun(candidates=candidates, plan=None,
                                 note="there is no candidate site inside the area",
                                 **common)
    elif candidates.empty:
        return SitingRun(candidates=pd.DataFrame(columns=CANDIDATE_COLUMNS), plan=None,
                         note="there are no candidate sites", **common)
    say("matrix")
    matrix = coverage_matrix(networks, _open_at(stations, when), demand, candidates, kind=kind,
                             groups=groups, wanted=chosen, minutes=minutes,
                             capacitated=capacitated)
    say("solving")
    result = plan(matrix, add=add, target=target, budget=budget, capacitated=capacitated,
                  curve=curve, time_limit=time_limit)
    return SitingRun(candidates=candidates, plan=result, **common)


def plan_report(inputs: Inputs, stations: Sequence[Station], *, kind: str,
                outdir: str | os.PathLike[str] | None = None, crs: str = "wgs84",
                **options: Any) -> tuple[SitingRun, dict[str, Path]]:
    """:func:`run_plan` for the groups of ``inputs`` that use ``kind``, named from their OSM
    extract, and with ``outdir`` the proposal's files when there is a plan
    (:func:`geo.output.plan.write_plan`, the CSV and XLSX in ``crs``).

    ``options`` are those of :func:`run_plan` (``add``, ``target``, ``budget``, ``at``,
    ``minutes``, ``curve``, ``candidates`` …). What ``yizhan plan`` runs, and each region of
    ``yizhan batch`` that asks for new stations.
    """
    run = run_plan(inputs.networks, stations, inputs.demand, kind=kind, groups=inputs.groups,
                   wanted=inputs.chosen, extract=inputs.extract, **options)
    files: dict[str, Path] = {}
    if outdir is not None and run.plan is not None:
        from geo.demo import demo_label
        from geo.output.plan import write_plan

        files = write_plan(run.plan, outdir, network=base_network(inputs.networks),
                           demo_label=demo_label(stations), crs=crs,
                           basemap=basemap_of(inputs.paths))
    return run, files


def _inside_area(candidates: pd.DataFrame, area: BaseGeometry) -> pd.DataFrame:
    """The candidate sites inside ``area`` (EPSG:4326, its edge included)."""
    import shapely

    keep = shapely.intersects_xy(area, candidates["lon"].to_numpy(float),
                                 candidates["lat"].to_numpy(float))
    return candidates[keep].reset_index(drop=True)


def _pooled(shares: dict[str, float], totals: dict[str, float]) -> float:
    """The share of several groups together, weighted by their workers."""
    total = sum(totals.values())
    return sum(shares[g] * totals[g] for g in shares) / total if total > 0 else 0.0


def _context(chosen: Sequence[str], groups: dict[str, WorkerGroup], budgets: dict[str, float],
             unit: str, when: datetime | None) -> tuple[str, str]:
    """The groups with their budgets, ``"环卫工人 sanitation_worker (within 15 min)"``, and the
    hour, ``"at 04:30"`` (``"with every station counted open"`` without one)."""
    short = "min" if unit == "minutes" else "m"
    names = ", ".join(f"{groups[g].zh} {g} (within {budgets[g]:g} {short})" for g in chosen)
    if when is None:
        return names, "with every station counted open"
    from zoneinfo import ZoneInfo

    return names, f"at {when.astimezone(ZoneInfo(settings.timezone)):%H:%M}"


def _open_at(stations: Sequence[Station], at: str | datetime | None) -> list[Station]:
    """The stations open at ``at`` (all of them when ``at`` is None): those a worker finds open
    at the hour planned for. Stations with unknown hours count as open."""
    if at is None:
        return list(stations)
    from geo.coverage import parse_at

    when = parse_at(at)
    return [s for s in stations if s.is_open(when) is not False]

