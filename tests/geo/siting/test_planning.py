import itertools

import numpy as np
import pandas as pd
import pytest

from geo.coverage import coverage
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS
from geo.nearest import StationFinder
from geo.siting.planning import coverage_matrix, gap_candidates, plan, venue_candidates
from geo.stations import Station
from geo.synthetic import city_network, random_points, random_stations
from tests.reference import networkx_costs


@pytest.fixture(scope="module")
def area():
    nets = {m: city_network(900, mode=m, seed=8) for m in ("walk", "ebike", "drive")}
    stations = random_stations(nets["walk"], 6, seed=9)
    frames = []
    for k, gid in enumerate(["sanitation_worker", "delivery_rider"]):
        lon, lat = random_points(nets["walk"], 40, seed=30 + k, jitter_deg=0.0003)
        frames.append(pd.DataFrame({"lon": lon, "lat": lat, "weight": (np.arange(40) % 5) + 1.0,
                                    "group": gid}))
    demand = pd.concat(frames, ignore_index=True)
    lon, lat = random_points(nets["walk"], 12, seed=40, jitter_deg=0.0)
    candidates = pd.DataFrame({"id": [f"c{i}" for i in range(12)], "name": "", "lon": lon,
                               "lat": lat, "cost": np.arange(12) % 3 + 1.0,
                               "capacity": np.nan, "source": "test"})
    return nets, stations, demand, candidates


def test_matrix_equals_networkx(area):
    nets, stations, demand, candidates = area
    m = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station", minutes=4)
    assert m.cover.shape == (len(demand), len(stations) + len(candidates))
    cover = m.cover.toarray()
    sites = [Station(id=str(c.id), name="", kind="sanitation_station", lon=float(c.lon),
                     lat=float(c.lat)) for c in candidates.itertuples()]
    for gid in ("sanitation_worker", "delivery_rider"):
        group = DEFAULT_GROUPS[gid]
        finder = StationFinder(nets[group.mode], list(stations) + sites)
        rows = m.rows.index[m.rows.group == gid][:15]
        reach = networkx_costs(finder, m.rows.lon[rows], m.rows.lat[rows], weight="time")
        for r, costs in zip(rows, reach):
            for j, s in enumerate(finder.stations):
                usable = j >= len(stations) or s.kind in group.kinds
                assert cover[r, j] == (costs.get(j, np.inf) <= 4 and usable)
        assert cover[rows].any()


def test_before_shares_equal_coverage(area):
    nets, stations, demand, candidates = area
    m = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station", minutes=4)
    p = plan(m, add=2)
    cov = coverage(nets, stations, demand, minutes=4)
    for gid, share in p.before.items():
        assert share == pytest.approx(cov.summary["groups"][gid]["share"], abs=1e-6)


def brute_best(m, n_new, *, budget=None):
    weights = m.rows.weight.to_numpy()
    cover = m.cover.toarray()
    fixed = list(m.fixed)
    best = -1.0
    cands = range(len(m.existing), cover.shape[1])
    costs = m.candidates.cost.to_numpy()
    for k in range(0 if budget else n_new, (n_new if not budget else len(cands)) + 1):
        for combo in itertools.combinations(cands, k):
            if budget is not None and costs[[c - len(m.existing) for c in combo]].sum() > budget:
                continue
            covered = cover[:, fixed + list(combo)].any(axis=1)
            best = max(best, weights[covered].sum())
    return best


@pytest.mark.parametrize("n_new", [1, 2, 3])
def test_plan_is_optimal_by_brute_force(area, n_new):
    nets, stations, demand, candidates = area
    m = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station", minutes=4)
    p = plan(m, add=n_new)
    assert p.result.covered_weight == pytest.approx(brute_best(m, n_new))
    assert p.result.optimal and len(p.sites) == n_new
    total = m.rows.weight.sum()
    gained = sum((p.after[g] - p.before[g]) * m.rows.weight[m.rows.group == g].sum()
                 for g in p.before)
    assert p.sites.newly_covered.sum() == pytest.approx(gained, abs=1e-2)
    assert all(p.after[g] >= p.before[g] for g in p.before) and total > 0


def test_budget_and_target_plans(area):
    nets, stations, demand, candidates = area
    m = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station", minutes=4)
    p = plan(m, budget=4)
    assert p.sites.cost.sum() <= 4
    assert p.result.covered_weight == pytest.approx(brute_best(m, 0, budget=4))
    reachable = m.cover.toarray().any(axis=1)
    top = m.rows.weight[reachable].sum() / m.rows.weight.sum()
    t = plan(m, target=round(top * 0.97, 3))
    assert t.result.covered_weight >= 0.97 * top * m.rows.weight.sum() - 1e-6
    assert top < 0.99  # some workers no candidate reaches: a target above that cannot be met
    with pytest.raises(InputError, match="target"):
        plan(m, target=top + 0.01)


def test_curve_rises_and_flattens(area):
    nets, stations, demand, candidates = area
    m = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station", minutes=4)
    p = plan(m, add=1, curve=4)
    shares = [c["share"] for c in p.curve]
    assert shares == sorted(shares) and len(shares) == 4


def test_plan_parameters(area):
    nets, stations, demand, candidates = area
    m = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station", minutes=4)
    with pytest.raises(InputError, match="exactly one"):
        plan(m, add=2, target=0.5)
    with pytest.raises(InputError, match="`add`"):
        plan(m, add=0)
    with pytest.raises(InputError, match="kind"):
        coverage_matrix(nets, stations, demand, candidates, kind="spaceport")
    with pytest.raises(InputError, match="no worker group"):
        coverage_matrix(nets, stations, demand[demand.group == "delivery_rider"], candidates,
                        kind="driver_home")


def test_gap_candidates_sit_on_the_road_among_the_uncovered(area):
    nets, stations, demand, _ = area
    cov = coverage(nets, stations, demand, minutes=2)
    uncovered = cov.points[~cov.points.covered & ~cov.points.off_network]
    cands = gap_candidates(uncovered, nets["walk"])
    assert 0 < len(cands) <= len(uncovered)
    _, dist = nets["walk"].snap(cands.lon.to_numpy(), cands.lat.to_numpy())
    assert np.allclose(dist, 0, atol=1e-6)
    assert cands.id.is_unique


def test_venue_candidates_from_helsinki():
    frame = venue_candidates()
    assert len(frame) > 20 and frame.id.is_unique
    assert frame.source.str.startswith("osm:").all()
