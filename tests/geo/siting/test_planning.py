import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.coverage import coverage
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS
from geo.nearest import StationFinder
from geo.siting.planning import (
    coverage_matrix,
    gap_candidates,
    parse_target,
    place_names,
    plan,
    venue_candidates,
)
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


@pytest.mark.parametrize("complete", [True, False])
def test_matrix_equals_networkx(area, complete):
    nets, stations, demand, candidates = area
    m = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station", minutes=4,
                        capacitated=complete)
    assert m.cover.shape == (len(demand), len(stations) + len(candidates))
    cover = m.cover.toarray()
    sites = [Station(id=str(c.id), name="", kind="sanitation_station", lon=float(c.lon),
                     lat=float(c.lat)) for c in candidates.itertuples()]
    n_fixed = len(stations)
    for gid in ("sanitation_worker", "delivery_rider"):
        group = DEFAULT_GROUPS[gid]
        finder = StationFinder(nets[group.mode], list(stations) + sites)
        rows = m.rows.index[m.rows.group == gid][:15]
        reach = networkx_costs(finder, m.rows.lon[rows], m.rows.lat[rows], weight="time")
        for r, costs in zip(rows, reach, strict=True):
            truth = np.array([costs.get(j, np.inf) <= 4 and (j >= n_fixed or s.kind in group.kinds)
                              for j, s in enumerate(finder.stations)])
            if complete or not truth[:n_fixed].any():
                assert (cover[r] == truth).all()
            else:  # covered by an existing station: one set that every existing one covers
                assert cover[r, :n_fixed].all() and not cover[r, n_fixed:].any()
        assert cover[rows].any()
    assert m.weights.sum() == pytest.approx(demand.weight.sum())
    assert m.sets.shape[0] < len(demand)  # rows that the same columns cover are one set


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
    _, dist = nets["walk"].nearest_node(cands.lon.to_numpy(), cands.lat.to_numpy())
    assert np.allclose(dist, 0, atol=1e-6)
    assert cands.id.is_unique


def test_venue_candidates_from_an_extract(helsinki_pbf):
    for frame in (venue_candidates(), venue_candidates(helsinki_pbf)):  # Chengdu by default
        assert len(frame) > 20 and frame.id.is_unique
        assert frame.source.str.startswith("osm:").all()
    chengdu = venue_candidates()
    assert chengdu.lon.between(103.9, 104.2).all() and chengdu.lat.between(30.6, 30.8).all()


# --- the target: 0.9 or 90, of the chosen groups -----------------------------------------------

@pytest.mark.parametrize("value, share", [
    (0.9, 0.9), (90, 0.9), ("90", 0.9), ("90%", 0.9), (" 0.9 ", 0.9), (1, 1.0), (100, 1.0),
    (1.5, 0.015), (np.float64(0.25), 0.25), (np.int64(40), 0.4),
])
def test_parse_target_reads_a_share_or_a_percentage(value, share):
    assert parse_target(value) == pytest.approx(share)


@pytest.mark.parametrize("value", [0, -5, 100.5, 150, float("nan"), float("inf"), "most", "",
                                   True, None, [90]])
def test_parse_target_refuses_naming_target(value):
    with pytest.raises(InputError, match=r"`target` was .* share above 0 and up to 1 \(0\.9\) "
                                         r"or a percentage above 1 and up to 100 \(90\)") as info:
        parse_target(value)
    assert info.value.parameter == "target" and "target_share" not in str(info.value)


def test_target_is_a_share_of_the_chosen_groups_only(area):
    nets, stations, demand, candidates = area
    m = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station", minutes=4,
                        wanted=["sanitation_worker"])
    assert set(m.rows.group) == {"sanitation_worker"}  # the rows are the chosen group's only
    full = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station",
                           minutes=4)
    top = plan(m, add=len(candidates)).after["sanitation_worker"] - 1e-6  # shares are rounded
    p = plan(m, target=top)
    assert p.after["sanitation_worker"] >= top
    weights = m.rows.weight.to_numpy()
    assert p.result.covered_weight >= top * weights.sum() - 1e-6
    # the same share of both groups together is another number of workers
    assert full.rows.weight.sum() > weights.sum()


# --- names of gap sites -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chengdu_walk():
    from geo.network import load_network
    from geo.regions import region

    extract = region("chengdu").extract()
    return load_network(extract, mode="walk"), extract


def test_gap_sites_are_named_by_streets_and_venues_of_the_extract(chengdu_walk):
    walk, extract = chengdu_walk
    lon, lat = random_points(walk, 60, seed=3, jitter_deg=0.0005)
    uncovered = pd.DataFrame({"lon": lon, "lat": lat, "weight": 1.0, "group": "sanitation_worker"})
    named = gap_candidates(uncovered, walk, extract=extract)
    assert len(named) > 10 and named.name.is_unique
    assert not named.name.str.contains("gap site").any()
    near = named.name[~named.name.str.startswith("缺口候选点")]
    assert len(near) >= 0.8 * len(named)  # a dense city: nearly every site has a street near
    assert near.str.contains("附近").all()
    assert near.str.contains("[\u4e00-\u9fff]").all()  # Chinese names (name:zh) first
    assert near.str.contains(" · ").any()  # a venue near some of them
    # the same sites, the same ids and places, whatever their names
    plain = gap_candidates(uncovered, walk)
    assert plain.id.tolist() == named.id.tolist()
    assert plain.name.tolist() == [f"缺口候选点 {k + 1}" for k in range(len(plain))]


def test_place_names_agree_with_a_brute_force_nearest_street(chengdu_walk):
    from pyrosm import OSM

    _, extract = chengdu_walk
    ways = OSM(str(extract)).get_data_by_custom_criteria(
        custom_filter={"highway": ["primary", "secondary", "tertiary", "residential"]},
        filter_type="keep", keep_nodes=False, keep_relations=False)
    way = ways[ways.name.notna()].iloc[0]
    x, y = way.geometry.coords[0]
    name = place_names([x], [y], extract)[0]
    import json

    zh = json.loads(way.tags).get("name:zh") if isinstance(way.tags, str) else None
    assert name.split(" · ")[0].removesuffix("附近") in {way["name"], zh}
    # far from everything: no name
    assert place_names([0.0], [0.0], extract) == [""]
    assert place_names([x], [y], Path("nowhere.osm.pbf")) == [""]
