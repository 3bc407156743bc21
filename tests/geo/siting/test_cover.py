"""The plan's coverage sets (geo/siting/_cover.py) against the matrix of every row and column."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from geo import settings
from geo.coverage import station_costs
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS
from geo.nearest import StationFinder
from geo.nearest._access import StationAccess
from geo.nearest._costs import BudgetCosts
from geo.siting import maximize_coverage, maximize_coverage_budget, minimize_facilities
from geo.siting.planning import coverage_matrix, plan
from geo.stations import Station
from geo.synthetic import city_network, random_points, random_stations

KIND = "sanitation_station"


def dense_reference(nets, stations, demand, candidates, minutes):
    """The matrix as it was built before sets: every row × every column from the finder's
    costs, one group after another (in the order of the groups, as the plan's rows)."""
    sites = [Station(id=str(c.id), name=str(c.id), kind=KIND, lon=float(c.lon),
                     lat=float(c.lat)) for c in candidates.itertuples()]
    columns = list(stations) + sites
    blocks, rows = [], []
    for gid in [g for g in DEFAULT_GROUPS if g in set(demand.group)]:
        group = DEFAULT_GROUPS[gid]
        part = demand[demand.group == gid]
        cost = station_costs(StationFinder(nets[group.mode], columns), part.lon, part.lat,
                             max_cost=minutes)
        usable = np.array([s.kind in group.kinds for s in columns])
        blocks.append((cost.toarray() > 0) & usable[None, :])
        rows.append(part)
    return np.vstack(blocks), pd.concat(rows, ignore_index=True).weight.to_numpy()


def instance(seed, *, nodes=900, n_demand=60, n_candidates=14, n_stations=6):
    nets = {m: city_network(nodes, mode=m, seed=seed) for m in ("walk", "ebike", "drive")}
    stations = random_stations(nets["walk"], n_stations, seed=seed + 1)
    frames = []
    for k, gid in enumerate(["sanitation_worker", "delivery_rider"]):
        lon, lat = random_points(nets["walk"], n_demand, seed=seed + 10 + k, jitter_deg=0.0004)
        frames.append(pd.DataFrame({"lon": lon, "lat": lat, "group": gid,
                                    "weight": (np.arange(n_demand) % 7) + 1.0}))
    lon, lat = random_points(nets["walk"], n_candidates, seed=seed + 20, jitter_deg=0.0002)
    candidates = pd.DataFrame({"id": [f"c{i}" for i in range(n_candidates)], "name": "",
                               "lon": lon, "lat": lat, "cost": np.arange(n_candidates) % 3 + 1.0,
                               "capacity": np.nan, "source": "test"})
    return nets, stations, pd.concat(frames, ignore_index=True), candidates


@pytest.mark.parametrize("seed", [3, 11, 23])
@pytest.mark.parametrize("minutes", [3.0, 6.0])
def test_sets_give_the_optimum_of_the_dense_matrix(seed, minutes):
    nets, stations, demand, candidates = instance(seed)
    dense, weights = dense_reference(nets, stations, demand, candidates, minutes)
    fixed = np.arange(len(stations))
    m = coverage_matrix(nets, stations, demand, candidates, kind=KIND, minutes=minutes)
    assert m.sets.dtype == bool and m.sets.indices.dtype == np.int32
    assert m.sets.shape[0] < len(demand)
    # each row's own coverage, where no existing station covers it, is the dense row
    by_fixed = dense[:, fixed].any(axis=1)
    assert (m.cover.toarray()[~by_fixed] == dense[~by_fixed]).all()
    assert (m.cover.toarray()[:, fixed].any(axis=1) == by_fixed).all()
    for add in (1, 3):
        ours = plan(m, add=add)
        theirs = maximize_coverage(dense, weights, len(fixed) + add, fixed=fixed)
        assert ours.result.optimal and theirs.optimal
        assert ours.result.covered_weight == pytest.approx(theirs.covered_weight)
    reach = weights[dense.any(axis=1)].sum() / weights.sum()
    target = round(0.95 * reach, 3)
    ours = plan(m, target=target)
    theirs = minimize_facilities(dense, weights, target, fixed=fixed)
    assert len(ours.result.selected) == len(theirs.selected)
    costs = np.concatenate([np.zeros(len(fixed)), candidates.cost.to_numpy()])
    ours = plan(m, budget=4)
    theirs = maximize_coverage_budget(dense, weights, costs, 4, fixed=fixed)
    assert ours.result.covered_weight == pytest.approx(theirs.covered_weight)


def test_sets_on_a_real_network(chengdu_walk_network):
    walk = chengdu_walk_network
    nets = {"walk": walk, "ebike": walk}
    stations = random_stations(walk, 8, seed=5)
    lon, lat = random_points(walk, 150, seed=6, jitter_deg=0.0005)
    demand = pd.DataFrame({"lon": lon, "lat": lat, "weight": 1.0 + np.arange(150) % 4,
                           "group": "sanitation_worker"})
    lon, lat = random_points(walk, 25, seed=7, jitter_deg=0.0)
    candidates = pd.DataFrame({"id": [f"c{i}" for i in range(25)], "name": "", "lon": lon,
                               "lat": lat, "cost": 1.0, "capacity": np.nan, "source": "test"})
    dense, weights = dense_reference(nets, stations, demand, candidates, 8.0)
    m = coverage_matrix(nets, stations, demand, candidates, kind=KIND, minutes=8.0)
    fixed = np.arange(len(stations))
    ours = plan(m, add=4)
    theirs = maximize_coverage(dense, weights, len(fixed) + 4, fixed=fixed)
    assert ours.result.covered_weight == pytest.approx(theirs.covered_weight)
    assert ours.sites.newly_covered.sum() == pytest.approx(
        ours.result.covered_weight - weights[dense[:, fixed].any(axis=1)].sum(), abs=1e-2)


@pytest.fixture(scope="module")
def chengdu_walk_network():
    from geo.network import load_network
    from geo.regions import region

    return load_network(region("chengdu").extract(), mode="walk")


@pytest.mark.parametrize("n_points", [5, 200])  # fewer points than stations, and more
def test_within_from_either_side_equals_the_costs(n_points):
    net = city_network(1500, mode="ebike", seed=4)
    stations = random_stations(net, 40, seed=5)
    lon, lat = random_points(net, n_points, seed=6, jitter_deg=0.0004)
    finder = StationFinder(net, stations)
    cost = finder.costs(lon, lat, max_cost=4.0).toarray()
    search = BudgetCosts(StationAccess.build(net, stations, max_snap_m=settings.max_snap_m))
    allowed = np.arange(40) % 3 > 0
    reach = search.within(lon, lat, max_cost=4.0, weight="time",
                          max_snap_m=settings.max_snap_m, stations=allowed)
    assert reach.dtype == bool and reach.indices.dtype == np.int32
    assert (reach.toarray() == ((cost > 0) & allowed[None, :])).all()
    near = search.nearest_cost(lon, lat, max_cost=4.0, weight="time",
                               max_snap_m=settings.max_snap_m, stations=allowed)
    masked = np.where((cost > 0) & allowed[None, :], cost, np.inf)
    assert np.array_equal(near, masked.min(axis=1))  # to the last bit


def test_memory_budget_stops_a_plan_before_it_is_built(monkeypatch):
    nets, stations, demand, candidates = instance(3)
    monkeypatch.setattr(settings, "plan_memory_mb", 0.01)
    with pytest.raises(InputError, match=r"the plan needs about [\d,]+ MB, more than the budget "
                                         r"of 0 MB: narrow the groups or the area, or raise "
                                         r"geo\.settings\.plan_memory_mb") as info:
        coverage_matrix(nets, stations, demand, candidates, kind=KIND, minutes=6.0)
    assert info.value.parameter == "plan_memory_mb"
    monkeypatch.setattr(settings, "plan_memory_mb", 1024.0)
    assert coverage_matrix(nets, stations, demand, candidates, kind=KIND, minutes=6.0).sets.nnz


def test_memory_budget_counts_the_pairs_searched(monkeypatch):
    """A budget the rows fit in but the pairs do not: the projection from the first block
    stops the search."""
    nets, stations, demand, candidates = instance(3, n_candidates=60)
    rows_only = len(demand) * 64 / 2**20
    monkeypatch.setattr(settings, "plan_memory_mb", rows_only * 1.5)
    with pytest.raises(InputError, match="more than the budget"):
        coverage_matrix(nets, stations, demand, candidates, kind=KIND, minutes=30.0,
                        capacitated=True)


def test_a_capacitated_plan_needs_a_complete_matrix():
    nets, stations, demand, candidates = instance(3)
    m = coverage_matrix(nets, stations, demand, candidates, kind=KIND, minutes=6.0)
    with pytest.raises(InputError, match=r"capacitated=True") as info:
        plan(m, add=2, capacitated=True)
    assert info.value.parameter == "capacitated"
    full = coverage_matrix(nets, stations, demand, candidates, kind=KIND, minutes=6.0,
                           capacitated=True)
    assert plan(full, add=2, capacitated=True).result.covered_weight > 0
    assert sparse.issparse(full.cover) and full.cover.shape[0] == len(demand)
