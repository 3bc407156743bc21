"""Where the next stations should go: candidates, coverage matrices on the road network, and plans.

A plan chooses new stations of one kind among candidate sites so that more workers of the groups
that use that kind are within their travel budget, keeping the existing stations (and counting what
they already cover). The coverage matrix (demand × candidate) comes from bounded searches on each
group's network (:mod:`geo.siting._cover`), never from straight lines, and holds each distinct
coverage set once, within :data:`geo.settings.plan_memory_mb`; the models are in
:mod:`geo.siting`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pandas as pd
from scipy import sparse

from geo import settings
from geo.demand import groups_in
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS, WorkerGroup
from geo.io.candidates import CANDIDATE_COLUMNS
from geo.network import Network
from geo.places import name_places
from geo.places import place_names as place_names  # where it was first
from geo.siting._cover import build_sets, nearest_chosen
from geo.siting.models import (
    SitingResult,
    coverage_curve,
    maximize_coverage,
    maximize_coverage_budget,
    maximize_coverage_capacitated,
    minimize_facilities,
)
from geo.stations import KINDS, Station

#: Host categories taken from OSM when candidates come from venues.
HOST_CATEGORIES = ("bank", "fuel", "community_centre", "post_office", "supermarket",
                   "convenience", "social_facility", "townhall", "toilets", "parking")


def venue_candidates(source: str | os.PathLike[str] | None = None, *,
                     categories: Iterable[str] = HOST_CATEGORIES) -> pd.DataFrame:
    """Candidate sites at OSM venues that often host stations (banks, fuel stations, community
    centres, shops …), from an ``.osm.pbf``/``.osm`` file (default: the central Chengdu extract,
    the default demo region's)."""
    from geo.demo import read_venues
    from geo.regions import region

    venues = read_venues(Path(source) if source else region("chengdu").extract())
    venues = venues[venues["category"].isin(list(categories))]
    return pd.DataFrame({"id": [f"osm-{i}" for i in venues["osm_id"]],
                         "name": venues["name"].where(venues["name"] != "", venues["category"]),
                         "lon": venues["lon"], "lat": venues["lat"], "cost": 1.0,
                         "capacity": np.nan, "source": "osm:" + venues["category"]}
                        ).reset_index(drop=True)


def parse_target(value: Any) -> float:
    """A target coverage as a share in (0, 1]: ``0.9`` is a share, ``90`` a percentage.

    A number above 0 and up to 1 is a share; above 1 and up to 100, a percentage (so ``1``
    means everyone, and ``1.5`` means 1.5 %). Text such as ``"90"``, ``"90%"`` or ``"0.9"`` is
    read as that number. The CLI's ``--target`` and the API's ``target`` both go through here.

    Raises
    ------
    InputError
        ``parameter="target"``, saying both accepted forms.
    """
    forms = "a share above 0 and up to 1 (0.9) or a percentage above 1 and up to 100 (90)"
    number = value
    if isinstance(value, str):
        text = value.strip().rstrip("%％").strip()
        try:
            number = float(text)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float, np.integer, np.floating)):
        raise InputError(f"`target` was {value!r} but must be {forms}", parameter="target")
    number = float(number)
    if not math.isfinite(number) or not 0 < number <= 100:
        raise InputError(f"`target` was {value!r} but must be {forms}", parameter="target")
    return number if number <= 1 else number / 100


def gap_candidates(uncovered: pd.DataFrame, network: Network, *, res: int | None = None,
                   extract: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Candidate sites in the gap areas: per H3 cell of uncovered demand, the road node nearest
    to the cell's weighted centre (so candidates spread over the uncovered workers).

    Each candidate is named for where it is (:func:`geo.places.name_places`), from the named
    streets and venues of the OSM ``extract`` (``.osm.pbf``) the network was built from: ``name``
    ``"春熙路 · 中国银行附近"`` (the nearest named street and, when one is close, the nearest
    named venue), ``"红星路附近"``, and ``name_en`` ``"near 春熙路 · 中国银行"``; with nothing named
    within a few hundred metres, its coordinates, ``"（104.07512, 30.66123）附近"`` /
    ``"near (104.07512, 30.66123)"``; without an extract, ``"缺口候选点 N"`` / ``"gap site N"``.
    """
    res = settings.h3_res if res is None else res
    if uncovered.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    cells = [h3.latlng_to_cell(y, x, res) for x, y in
             zip(uncovered["lon"], uncovered["lat"], strict=True)]
    frame = uncovered.assign(cell=cells, wx=uncovered["lon"] * uncovered["weight"],
                             wy=uncovered["lat"] * uncovered["weight"])
    agg = frame.groupby("cell").agg(w=("weight", "sum"), wx=("wx", "sum"), wy=("wy", "sum"),
                                    mx=("lon", "mean"), my=("lat", "mean"))
    lon = np.where(agg["w"] > 0, agg["wx"] / agg["w"].where(agg["w"] > 0, 1), agg["mx"])
    lat = np.where(agg["w"] > 0, agg["wy"] / agg["w"].where(agg["w"] > 0, 1), agg["my"])
    nodes, _ = network.nearest_node(lon, lat, main_component=True)
    nodes = np.unique(nodes)
    lon, lat = network.lon[nodes], network.lat[nodes]
    places = name_places(lon, lat, extract)
    return pd.DataFrame({"id": [f"gap-{network.node_ids[n]}" for n in nodes],
                         "name": _unique([p.zh if extract is not None else f"缺口候选点 {k + 1}"
                                          for k, p in enumerate(places)]),
                         "lon": lon, "lat": lat, "cost": 1.0,
                         "capacity": np.nan, "source": "gap",
                         "name_en": _unique([p.en if extract is not None else f"gap site {k + 1}"
                                             for k, p in enumerate(places)], en=True)})


def _unique(names: list[str], *, en: bool = False) -> list[str]:
    """Names made distinct: the second 红星路附近 becomes 红星路附近（2）, the second
    ``near 红星路`` (``en``) ``near 红星路 (2)``."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        n = seen[name]
        out.append(name if n == 1 else f"{name} ({n})" if en else f"{name}（{n}）")
    return out


@dataclass
class CoverageMatrix:
    """Which demand rows each column (existing station or candidate) covers, as the distinct
    coverage sets of the rows (:mod:`geo.siting._cover`): rows that the same columns cover are
    one set, whose weight is theirs summed.

    Attributes
    ----------
    sets
        Sparse boolean (sets × columns), int32 indices; columns are ``existing`` stations first,
        then candidates. The last set is empty: the rows no column covers.
    weights
        Per set, the demand weight of its rows (what the models read).
    row_set
        Per demand row (of ``rows``), the index of its set.
    rows
        Demand rows (``lon, lat, weight, group``) in matrix order.
    complete
        Whether every row's candidates were searched. Otherwise (the default) the rows an
        existing station covers are one set that every existing station covers, and their
        candidates were never searched: a row an existing station covers is covered whatever a
        plan opens. The capacitated model needs a complete matrix.
    networks, weight
        The networks by mode and the travel cost (``"time"`` or ``"length"``) the budgets are
        in, to attribute newly covered workers to the nearest chosen site.
    """

    sets: sparse.csr_array
    weights: np.ndarray
    row_set: np.ndarray
    rows: pd.DataFrame
    existing: list[Station]
    candidates: pd.DataFrame
    kind: str
    budgets: dict[str, float] = field(default_factory=dict)
    complete: bool = False
    networks: dict[str, Network] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    weight: str = "time"

    @property
    def fixed(self) -> np.ndarray:
        return np.arange(len(self.existing))

    @property
    def cover(self) -> sparse.csc_array:
        """Sparse boolean (demand rows × columns): each row's set, expanded (as big as the
        matrix of every row, so for small problems and checks; the models read ``sets``)."""
        return sparse.csc_array(self.sets[self.row_set])


def coverage_matrix(networks: dict[str, Network], stations: Sequence[Station],
                    demand: pd.DataFrame, candidates: pd.DataFrame, *, kind: str,
                    groups: dict[str, WorkerGroup] | None = None,
                    wanted: Iterable[str] | None = None, minutes: float | None = None,
                    meters: float | None = None, capacitated: bool = False) -> CoverageMatrix:
    """The demand × (existing stations + candidates) coverage matrix, as distinct sets.

    Rows are the demand of the groups that use ``kind`` (the kind of the new stations); a column
    covers a row when the station's kind is one the row's group uses and the network travel from
    the row to it is within the group's budget. Unless ``capacitated``, candidates are searched
    only for the rows no existing station covers (see :class:`CoverageMatrix`).

    Raises
    ------
    InputError
        ``parameter="plan_memory_mb"`` when the matrix would need more than
        :data:`geo.settings.plan_memory_mb` (checked before it is built, from the first
        searches).
    """
    groups = groups or DEFAULT_GROUPS
    if kind not in KINDS:
        raise InputError(f"`kind` was {kind!r} but must be one of {sorted(KINDS)}",
                         parameter="kind")
    chosen = [g for g in groups_in(demand, wanted, groups) if kind in groups[g].kinds]
    if not chosen:
        raise InputError(f"no worker group in the demand uses {kind} stations",
                         parameter="group")
    sites = [Station(id=str(c.id), name=str(c.name) or str(c.id), kind=kind, lon=float(c.lon),
                     lat=float(c.lat), hours="24/7",
                     capacity=None if pd.isna(c.capacity) else int(c.capacity))
             for c in candidates.itertuples()]
    rows, budgets = [], {}
    for gid in chosen:
        group = groups[gid]
        if group.mode not in networks:
            raise InputError(f"group {gid} travels by {group.mode} but no {group.mode} network "
                             "was given", parameter="network")
        rows.append(demand[demand["group"] == gid])
        budgets[gid] = float(meters if meters is not None else (minutes or group.budget_min))
    table = pd.concat(rows, ignore_index=True)
    weight = "length" if meters is not None else "time"
    built = build_sets(networks, list(stations) + sites, len(stations), table, groups, budgets,
                       weight=weight, complete=capacitated)
    return CoverageMatrix(built.matrix, built.weights, built.row_set, table, list(stations),
                          candidates.reset_index(drop=True), kind, budgets,
                          complete=capacitated, networks=dict(networks),
                          modes={g: groups[g].mode for g in chosen}, weight=weight)


@dataclass
class Plan:
    """A siting proposal with before/after figures."""

    sites: pd.DataFrame
    before: dict[str, float]
    after: dict[str, float]
    result: SitingResult
    matrix: CoverageMatrix
    curve: list[dict] | None = None
    model: str = "max_coverage"
    newly_covered: np.ndarray | None = None  # per demand row: covered now, not before

    def as_json(self) -> dict:
        return {
            "model": self.model, "kind": self.matrix.kind,
            "sites": self.sites.replace({np.nan: None}).to_dict("records"),
            "before": self.before, "after": self.after,
            "optimal": bool(self.result.optimal), "gap": float(self.result.gap),
            "method": self.result.method, "greedy_weight": float(self.result.greedy_weight),
            "covered_weight": float(self.result.covered_weight),
            "curve": self.curve,
        }


def _covered(matrix: CoverageMatrix, open_columns: np.ndarray) -> np.ndarray:
    """Per demand row: whether any of ``open_columns`` covers it."""
    if len(open_columns) == 0:
        return np.zeros(len(matrix.row_set), bool)
    by_set = np.asarray(matrix.sets[:, open_columns].sum(axis=1)).ravel() > 0
    return by_set[matrix.row_set]


def _shares(matrix: CoverageMatrix, open_columns: np.ndarray) -> dict[str, float]:
    covered = _covered(matrix, open_columns)
    out = {}
    for gid, part in matrix.rows.groupby("group", sort=False):
        w = part["weight"].to_numpy(float)
        total = w.sum()
        out[gid] = round(float(w[covered[part.index]].sum() / total), 6) if total > 0 else 0.0
    return out


def plan(matrix: CoverageMatrix, *, add: int | None = None, target: float | None = None,
         budget: float | None = None, capacitated: bool = False, curve: int | None = None,
         time_limit: float | None = 60.0) -> Plan:
    """Choose new sites: ``add`` N (maximal covering), reach a ``target`` share with the fewest
    (set covering), or spend at most ``budget`` (candidate costs). ``capacitated`` caps what each
    station serves at its capacity (candidates without one get the median existing capacity).

    ``target`` is a share in (0, 1] of the workers of the matrix's rows together, that is of the
    groups the matrix was made for (:func:`coverage_matrix` ``wanted``), not of every group; a
    percentage such as 90 goes through :func:`parse_target` first. With ``curve``, each point
    gives the share of the groups together and ``by_group`` per group.

    Worker counts in :attr:`Plan.sites` (``newly_covered``, ``new_<group>``) are sums of demand
    weights, kept to 3 decimals as data; what is shown to people rounds them to whole workers.
    """
    if sum(x is not None for x in (add, target, budget)) != 1:
        raise InputError("give exactly one of `add`, `target` or `budget`", parameter="add")
    if capacitated and not matrix.complete:
        raise InputError("a capacitated plan needs every row's candidates: build the matrix "
                         "with coverage_matrix(..., capacitated=True)", parameter="capacitated")
    cover, weights = matrix.sets, matrix.weights
    fixed = matrix.fixed
    n_fixed = len(fixed)
    model = "max_coverage"
    if add is not None:
        if not isinstance(add, (int, np.integer)) or add < 1:
            raise InputError(f"`add` was {add!r} but must be a whole number ≥ 1", parameter="add")
        add = min(int(add), len(matrix.candidates))
        if capacitated:
            known = [s.capacity for s in matrix.existing if s.capacity]
            default = float(np.median(known)) if known else 10.0
            caps = np.array([s.capacity or default for s in matrix.existing]
                            + [default if pd.isna(c) else c for c in matrix.candidates["capacity"]],
                            float)
            result = maximize_coverage_capacitated(cover, weights, n_fixed + add, caps,
                                                   fixed=fixed, time_limit=time_limit)
            model = "capacitated"
        else:
            result = maximize_coverage(cover, weights, n_fixed + add, fixed=fixed,
                                       time_limit=time_limit)
    elif target is not None:
        result = minimize_facilities(cover, weights, target, fixed=fixed,
                                     time_limit=time_limit)
        model = "set_covering"
    else:
        assert budget is not None  # exactly one of add, target and budget: checked above
        costs = np.concatenate([np.zeros(n_fixed), matrix.candidates["cost"].to_numpy(float)])
        result = maximize_coverage_budget(cover, weights, costs, budget, fixed=fixed,
                                          time_limit=time_limit)
        model = "budget"
    selected = np.asarray(result.selected)
    new = selected[selected >= n_fixed]
    before = _shares(matrix, fixed)
    after = _shares(matrix, selected)
    sites = _describe_sites(matrix, fixed, new)
    curve_rows = None
    if curve:
        points = coverage_curve(cover, weights, min(int(curve), len(matrix.candidates)),
                                fixed=fixed, time_limit=time_limit)
        total = weights.sum()
        curve_rows = [{"new_stations": k + 1, "share": round(float(r.covered_weight / total), 6),
                       "by_group": _shares(matrix, np.asarray(r.selected)),
                       "optimal": bool(r.optimal)} for k, r in enumerate(points)]
    return Plan(sites, before, after, result, matrix, curve_rows, model,
                _covered(matrix, selected) & ~_covered(matrix, fixed))


def _describe_sites(matrix: CoverageMatrix, fixed: np.ndarray, new: np.ndarray) -> pd.DataFrame:
    """The chosen sites with the workers each newly covers, per group (each newly covered worker
    counted at the nearest chosen site)."""
    n_fixed = len(fixed)
    gain_rows = _covered(matrix, new) & ~_covered(matrix, fixed)
    best = np.zeros(len(gain_rows), dtype=np.int64)
    if len(new) and gain_rows.any():
        sites = [Station(id=str(c.id), name=str(c.id), kind=matrix.kind, lon=float(c.lon),
                         lat=float(c.lat), hours="24/7")
                 for c in matrix.candidates.iloc[new - n_fixed].itertuples()]
        best[gain_rows] = nearest_chosen(
            matrix.networks, matrix.modes, matrix.budgets, matrix.rows[gain_rows], sites,
            matrix.sets[matrix.row_set[gain_rows]][:, new], weight=matrix.weight)
    groups = list(dict.fromkeys(matrix.rows["group"]))
    records = []
    for k, column in enumerate(new.tolist()):
        c = matrix.candidates.iloc[column - n_fixed]
        mine = gain_rows & (best == k)
        per_group = {g: round(float(matrix.rows.loc[mine & (matrix.rows["group"] == g).to_numpy(),
                                                    "weight"].sum()), 3) for g in groups}
        english = c.get("name_en")  # gap sites have an English name too: the last column
        records.append({"rank": k + 1, "id": c["id"], "name": c["name"],
                        "lon": round(float(c["lon"]), 7), "lat": round(float(c["lat"]), 7),
                        "source": c["source"], "cost": c["cost"],
                        "newly_covered": round(sum(per_group.values()), 3),
                        **{f"new_{g}": v for g, v in per_group.items()},
                        **({"name_en": english} if isinstance(english, str) else {})})
    frame = pd.DataFrame(records)
    if len(frame):
        frame = frame.sort_values("newly_covered", ascending=False, kind="stable")
        frame["rank"] = np.arange(1, len(frame) + 1)
    return frame.reset_index(drop=True)
