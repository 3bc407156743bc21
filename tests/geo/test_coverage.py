from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.coverage import accessibility, coverage, parse_at, station_costs, step_decay, two_step_fca
from geo.demand import to_h3
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS
from geo.nearest import StationFinder
from geo.stations import Station
from geo.synthetic import city_network, random_points, random_stations
from tests.reference import networkx_costs, networkx_travel, pysal_2sfca

FRIDAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def town():
    nets = {m: city_network(1600, mode=m, seed=2) for m in ("walk", "ebike", "drive")}
    stations = random_stations(nets["walk"], 25, seed=6)
    frames = []
    for k, gid in enumerate(DEFAULT_GROUPS):
        lon, lat = random_points(nets["walk"], 30, seed=20 + k, jitter_deg=0.0004)
        frames.append(pd.DataFrame({"lon": lon, "lat": lat, "weight": np.arange(1, 31) % 7 + 1,
                                    "group": gid}))
    demand = pd.concat(frames, ignore_index=True)
    demand.loc[0, ["lon", "lat"]] = [float(nets["walk"].lon.max()) + 0.05, 30.59]  # off network
    return nets, stations, demand


@pytest.mark.parametrize("budget", [dict(minutes=4), dict(minutes=9), dict(meters=700)], ids=str)
def test_covered_shares_equal_networkx_brute_force(town, budget):
    nets, stations, demand = town
    result = coverage(nets, stations, demand, **budget)
    weight = "length" if "meters" in budget else "time"
    for gid, group in DEFAULT_GROUPS.items():
        rows = demand[demand.group == gid]
        finder = StationFinder(nets[group.mode], stations)
        travel = networkx_travel(finder, rows.lon, rows.lat, group.kinds, weight=weight)
        limit = budget.get("minutes", budget.get("meters"))
        covered = rows.weight.to_numpy()[travel <= limit].sum()
        entry = result.summary["groups"][gid]
        assert entry["covered"] == pytest.approx(covered)
        assert entry["total"] == pytest.approx(rows.weight.sum())
        assert entry["share"] == pytest.approx(covered / rows.weight.sum(), abs=1e-6)
        ours = result.points[result.points.group == gid].travel.to_numpy()
        assert np.allclose(ours, travel, atol=1e-6, equal_nan=True) or np.array_equal(
            np.isinf(ours), np.isinf(travel))
        assert np.allclose(ours[np.isfinite(travel)], travel[np.isfinite(travel)], atol=1e-6)


def test_off_network_points_are_uncovered_and_reported(town):
    nets, stations, demand = town
    result = coverage(nets, stations, demand, minutes=60)
    rider = result.summary["groups"]["delivery_rider"]
    assert rider["off_network"] == pytest.approx(demand.weight[0])
    assert rider["covered"] <= rider["total"] - rider["off_network"]
    first = result.points.iloc[0]
    assert first.off_network and not first.covered and np.isinf(first.travel)


def test_hour_of_day_follows_hand_made_opening_hours():
    net = city_network(900, mode="walk", seed=4)
    centre = int(np.argmin((net.x - net.x.mean()) ** 2 + (net.y - net.y.mean()) ** 2))
    lon, lat = float(net.lon[centre]), float(net.lat[centre])
    stations = [
        Station(id="bank", name="bank", kind="outdoor_rest_point", lon=lon, lat=lat,
                hours="Mo-Fr 09:00-17:00"),
        Station(id="night", name="night", kind="sanitation_station", lon=lon, lat=lat,
                hours="22:00-06:00"),
    ]
    demand = pd.DataFrame({"lon": [lon], "lat": [lat], "weight": [10.0],
                           "group": ["sanitation_worker"]})
    result = coverage({"walk": net}, stations, demand, by_hour=True, day=FRIDAY)
    shares = result.summary["groups"]["sanitation_worker"]["by_hour"]
    expected = [1.0 if (h < 6 or h >= 22 or 9 <= h < 17) else 0.0 for h in range(24)]
    assert shares == expected
    assert result.summary["groups"]["sanitation_worker"]["shift_hours"][0] == 4
    at_four = coverage({"walk": net}, stations[:1], demand, at="04:00", day=FRIDAY)
    assert at_four.summary["groups"]["sanitation_worker"]["share"] == 0.0
    saturday = coverage({"walk": net}, stations[:1], demand, at="2026-11-28T10:00")
    assert saturday.summary["groups"]["sanitation_worker"]["share"] == 0.0


def test_helsinki_coverage_equals_networkx(demo, demo_stations):
    nets = {m: demo.network(m) for m in ("walk", "ebike", "drive")}
    demand = pd.read_csv(demo.demand_path).groupby("group").head(25).reset_index(drop=True)
    result = coverage(nets, demo_stations, demand, minutes=3, at="04:00", day=FRIDAY)
    when = parse_at("04:00", FRIDAY)
    for gid, group in DEFAULT_GROUPS.items():
        rows = demand[demand.group == gid]
        finder = StationFinder(nets[group.mode], demo_stations)
        travel = networkx_travel(finder, rows.lon, rows.lat, group.kinds, open_at=when)
        covered = rows.weight.to_numpy()[travel <= 3].sum()
        assert result.summary["groups"][gid]["covered"] == pytest.approx(covered)


def test_sanitation_share_drops_at_four(demo, demo_stations):
    nets = {m: demo.network(m) for m in ("walk", "ebike", "drive")}
    demand = pd.read_csv(demo.demand_path)
    result = coverage(nets, demo_stations, demand, wanted=["sanitation_worker"], minutes=4,
                      by_hour=True, day=FRIDAY)
    by_hour = result.summary["groups"]["sanitation_worker"]["by_hour"]
    assert by_hour[4] < by_hour[10]


def test_h3_cells_and_districts(town):
    nets, stations, demand = town
    cells = coverage(nets, stations, demand, minutes=6, h3_res=9)
    plain = coverage(nets, stations, demand, minutes=6)
    for gid in DEFAULT_GROUPS:
        assert cells.summary["groups"][gid]["total"] == pytest.approx(
            plain.summary["groups"][gid]["total"])
    assert len(cells.points) < len(plain.points)
    w, s, e, n = nets["walk"].lon.min(), nets["walk"].lat.min(), nets["walk"].lon.max(), \
        nets["walk"].lat.max()
    mid = (w + e) / 2
    districts = gpd.GeoDataFrame({"name": ["西区", "东区"]},
                                 geometry=[box(w - 1, s - 1, mid, n + 1),
                                           box(mid, s - 1, e + 1, n + 1)],
                                 crs=4326)
    result = coverage(nets, stations, demand, minutes=6, districts=districts)
    for gid, entry in result.summary["groups"].items():
        by = entry["by_district"]
        assert set(by) <= {"西区", "东区"}, gid
        assert sum(d["covered"] for d in by.values()) == pytest.approx(entry["covered"]), gid


def test_gap_areas_are_ranked_and_cover_the_uncovered(town):
    nets, stations, demand = town
    result = coverage(nets, stations, demand, minutes=3)
    gaps = result.gaps
    assert len(gaps) > 0
    assert list(gaps["rank"]) == list(range(1, len(gaps) + 1))
    assert list(gaps["workers"]) == sorted(gaps["workers"], reverse=True)
    uncovered = result.points[~result.points.covered & ~result.points.off_network].weight.sum()
    assert gaps["workers"].sum() == pytest.approx(uncovered)
    assert all(g.is_valid and not g.is_empty for g in gaps.geometry)
    first = result.summary["gaps"][0]
    assert first["polygon"]["type"] in ("Polygon", "MultiPolygon")
    assert all(v is None or v > 0 for v in first["nearest"].values())


def test_bad_parameters(town):
    nets, stations, demand = town
    with pytest.raises(InputError, match="minutes"):
        coverage(nets, stations, demand, minutes=-1)
    with pytest.raises(InputError, match="not both"):
        coverage(nets, stations, demand, minutes=5, meters=500)
    with pytest.raises(InputError, match="`at`"):
        coverage(nets, stations, demand, at="25:00")
    with pytest.raises(InputError, match="no ebike network"):
        coverage({"walk": nets["walk"]}, stations, demand)
    with pytest.raises(InputError, match="unknown worker group"):
        coverage(nets, stations, demand, wanted=["astronaut"])


def test_two_step_fca_equals_pysal_access(town):
    nets, stations, demand = town
    finder = StationFinder(nets["walk"], stations)
    cells = to_h3(demand[demand.group == "sanitation_worker"], 9).reset_index(drop=True)
    cost = station_costs(finder, cells.lon, cells.lat, max_cost=10)
    supply = np.array([s.capacity for s in stations], float)
    workers = cells.weight.to_numpy()
    ours = two_step_fca(cost, workers, supply, max_cost=10)
    assert np.allclose(ours, pysal_2sfca(cost, workers, supply, max_cost=10))
    steps = {10 / 3: 1, 20 / 3: 0.68, 10: 0.22}
    ours_e = two_step_fca(cost, workers, supply, max_cost=10, weight_fn=step_decay(steps))
    assert np.allclose(ours_e, pysal_2sfca(cost, workers, supply, max_cost=10, steps=steps))
    scores = accessibility(finder, cells, max_cost=10)
    assert np.allclose(scores.fca2, ours) and np.allclose(scores.e2sfca, ours_e)
    assert (scores.fca2 > 0).any()


def test_station_costs_equal_networkx(town):
    nets, stations, demand = town
    finder = StationFinder(nets["walk"], stations)
    rows = demand.iloc[1:15]
    cost = station_costs(finder, rows.lon, rows.lat, max_cost=12).toarray()
    expected = networkx_costs(finder, rows.lon, rows.lat, weight="time")
    for r, reach in enumerate(expected):
        for j in range(len(stations)):
            value = reach.get(j, np.inf)
            if value <= 12:
                assert cost[r, j] == pytest.approx(value, abs=1e-9)
            else:
                assert cost[r, j] == 0
    assert (cost > 0).sum() > 20


def test_stations_off_the_network_are_listed_in_the_summary(town):
    from dataclasses import replace

    nets, stations, demand = town
    far = replace(stations[0], id="far-away", lon=stations[0].lon + 0.5)
    result = coverage(nets, [*stations, far], demand, minutes=6)
    assert set(result.summary["stations_off_network"]) == {"walk", "ebike", "drive"}
    assert all(ids == ["far-away"] for ids in result.summary["stations_off_network"].values())


def test_without_gaps_the_shares_are_the_same_and_no_gap_is_looked_for():
    from geo.synthetic import city_network, random_points, random_stations

    nets = {m: city_network(400, mode=m, seed=3) for m in ("walk", "ebike", "drive")}
    stations = random_stations(nets["walk"], 3, seed=4)
    lon, lat = random_points(nets["walk"], 30, seed=5, jitter_deg=0.0003)
    demand = pd.DataFrame({"lon": lon, "lat": lat, "weight": 1.0, "group": "sanitation_worker"})
    steps: list[str] = []
    full = coverage(nets, stations, demand, minutes=2)
    bare = coverage(nets, stations, demand, minutes=2, with_gaps=False, progress=steps.append)
    assert bare.summary["groups"] == full.summary["groups"] and len(full.gaps) > 0
    assert bare.gaps.empty and bare.summary["gaps"] == [] and "gap areas" not in steps
