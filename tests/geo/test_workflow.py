"""The shared analysis flow: the same answers as the steps called one by one, and clear errors."""

import numpy as np
import pandas as pd
import pytest

from geo.coverage import accessibility, coverage
from geo.demand import to_h3
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS
from geo.nearest import StationFinder
from geo.siting.planning import coverage_matrix, gap_candidates, plan
from geo.stations import Station
from geo.synthetic import city_network, random_points, random_stations
from geo.workflow import (
    accessibility_summary,
    analysis_groups,
    base_network,
    candidate_sites,
    open_networks,
    run_coverage,
    run_plan,
)


@pytest.fixture(scope="module")
def area():
    nets = {m: city_network(900, mode=m, seed=8) for m in ("walk", "ebike", "drive")}
    stations = random_stations(nets["walk"], 6, seed=9)
    frames = []
    for k, gid in enumerate(["sanitation_worker", "delivery_rider", "truck_driver"]):
        lon, lat = random_points(nets["walk"], 40, seed=30 + k, jitter_deg=0.0003)
        frames.append(pd.DataFrame({"lon": lon, "lat": lat, "weight": (np.arange(40) % 5) + 1.0,
                                    "group": gid}))
    return nets, stations, pd.concat(frames, ignore_index=True)


def test_run_coverage_equals_coverage(area):
    nets, stations, demand = area
    ours = run_coverage(nets, stations, demand, minutes=3, by_hour=True)
    theirs = coverage(nets, stations, demand, minutes=3, by_hour=True)
    assert ours.summary == theirs.summary
    pd.testing.assert_frame_equal(ours.points, theirs.points)
    assert ours.access is None and "accessibility" not in ours.summary


def test_run_coverage_with_accessibility(area):
    nets, stations, demand = area
    result = run_coverage(nets, stations, demand, minutes=3, h3_res=9, with_access=True)
    cells = to_h3(demand, 9)
    for gid in ("sanitation_worker", "delivery_rider"):
        finder = StationFinder(nets[DEFAULT_GROUPS[gid].mode], stations)
        expected = accessibility(finder, cells[cells.group == gid], max_cost=3)
        got = result.access[result.access.group == gid]
        assert np.allclose(got.fca2.to_numpy(), expected.fca2.to_numpy())
        assert np.allclose(got.e2sfca.to_numpy(), expected.e2sfca.to_numpy())
        summary = result.summary["accessibility"][gid]
        assert summary["mean_2sfca"] == pytest.approx(expected.fca2.mean(), abs=1e-6)
        assert summary["cells_without_station"] == int((expected.stations_in_reach == 0).sum())
    assert accessibility_summary(pd.DataFrame()) == {}


def test_analysis_groups_skips_groups_without_their_network(area):
    _, _, demand = area
    chosen, skipped = analysis_groups(demand, modes={"walk", "ebike"})
    assert chosen == ["delivery_rider", "sanitation_worker"]
    assert skipped == {"truck_driver": "there is no drive network"}
    with pytest.raises(InputError, match="truck_driver travels by drive") as caught:
        analysis_groups(demand, wanted=["货车司机"], modes={"walk"})
    assert caught.value.parameter == "group"


def test_analysis_groups_for_a_kind(area):
    _, _, demand = area
    chosen, _ = analysis_groups(demand, kind="driver_home")
    assert chosen == ["truck_driver"]
    with pytest.raises(InputError, match="uses driver_home stations"):
        analysis_groups(demand, wanted=["sanitation_worker"], kind="driver_home")


def test_run_plan_equals_the_steps_one_by_one(area):
    nets, stations, demand = area
    run = run_plan(nets, stations, demand, kind="sanitation_station", minutes=3, add=3,
                   time_limit=20)
    before = coverage(nets, stations, demand, wanted=run.groups, minutes=3)
    uncovered = before.points[~before.points.covered & ~before.points.off_network]
    candidates = gap_candidates(uncovered, nets["walk"])
    matrix = coverage_matrix(nets, stations, demand, candidates, kind="sanitation_station",
                             wanted=run.groups, minutes=3)
    expected = plan(matrix, add=3, time_limit=20)
    assert run.groups == ["delivery_rider", "sanitation_worker"]
    assert run.plan.sites.id.tolist() == expected.sites.id.tolist()
    assert run.plan.after == expected.after
    answer = run.as_json()
    assert answer["candidates"] == len(candidates) and answer["kind"] == "sanitation_station"
    assert answer["before"] == {g: before.summary["groups"][g]["share"] for g in run.groups}
    assert answer["totals"]["sanitation_worker"] == pytest.approx(
        demand[demand.group == "sanitation_worker"].weight.sum())


def test_run_plan_when_everyone_is_covered(area):
    nets, stations, demand = area
    run = run_plan(nets, stations, demand, kind="sanitation_station", minutes=500, add=2)
    assert run.plan is None and "covered already" in run.note
    answer = run.as_json()
    assert answer["sites"] == [] and answer["before"] == answer["after"]


def test_run_plan_plans_for_the_hour(area):
    nets, _, demand = area
    walk = nets["walk"]
    lon, lat = random_points(walk, 6, seed=51, jitter_deg=0.0)
    day = [Station(id=f"d{i}", name="bank", kind="sanitation_station", lon=float(x),
                   lat=float(y), hours="Mo-Su 09:00-17:00")
           for i, (x, y) in enumerate(zip(lon, lat, strict=True))]
    at_ten = run_plan(nets, day, demand, kind="sanitation_station", minutes=3, add=1,
                      at="2026-11-27T10:00")
    at_four = run_plan(nets, day, demand, kind="sanitation_station", minutes=3, add=1,
                       at="2026-11-27T04:30")
    assert at_four.before_shares["sanitation_worker"] == 0.0
    assert at_ten.before_shares["sanitation_worker"] > 0.0
    # at 04:30 the closed stations cover nobody, so the new site's gain counts from zero
    assert at_four.plan.before["sanitation_worker"] == 0.0


def test_run_plan_with_given_candidates_and_bad_modes(area):
    nets, stations, demand = area
    lon, lat = random_points(nets["walk"], 5, seed=60, jitter_deg=0.0)
    candidates = pd.DataFrame({"id": [f"c{i}" for i in range(5)], "name": "", "lon": lon,
                               "lat": lat, "cost": 1.0, "capacity": np.nan, "source": "test"})
    run = run_plan(nets, stations, demand, kind="outdoor_rest_point", minutes=3, add=1,
                   candidates=candidates)
    assert set(run.plan.sites.id) <= set(candidates.id)
    empty = run_plan(nets, stations, demand, kind="outdoor_rest_point", minutes=3, add=1,
                     candidates=candidates.iloc[0:0])
    assert empty.plan is None and empty.note == "there are no candidate sites"
    with pytest.raises(InputError, match="exactly one of `add`, `target` or `budget`"):
        run_plan(nets, stations, demand, kind="outdoor_rest_point", add=1, target=0.5)


def test_candidate_sites_sources(area):
    nets, stations, demand = area
    result = coverage(nets, stations, demand, minutes=3)
    uncovered = result.points[~result.points.covered]
    gaps = candidate_sites("gaps", uncovered=uncovered, network=nets["walk"])
    assert len(gaps) and (gaps.source == "gap").all()
    with pytest.raises(InputError, match="need the uncovered workers"):
        candidate_sites("gaps")
    with pytest.raises(InputError, match="must be one of"):
        candidate_sites("somewhere")


def test_open_networks_builds_only_the_missing_modes(helsinki_pbf, tmp_path):
    saved = open_networks([helsinki_pbf], {"walk"})
    assert list(saved) == ["walk"]
    path = saved["walk"].save(tmp_path / "walk.npz")
    from_file = open_networks([path], {"walk", "drive"})
    assert list(from_file) == ["walk"]  # a saved file gives its own mode only
    more = open_networks([helsinki_pbf], {"walk", "drive"}, into=saved)
    assert more is saved and set(more) == {"walk", "drive"}
    assert more["walk"] is not None and base_network(more) is more["walk"]
    assert base_network({"drive": more["drive"]}) is more["drive"]
    assert base_network({}) is None


def test_run_plan_says_the_target_is_met_already(area):
    nets, stations, demand = area
    first = run_plan(nets, stations, demand, kind="sanitation_station", minutes=3, add=1)
    met = first.before_share * 0.9
    for target in (met, met * 100):  # a share or a percentage: the same target
        run = run_plan(nets, stations, demand, kind="sanitation_station", minutes=3,
                       target=target)
        assert run.already_met and run.plan is None and run.target == pytest.approx(met)
        assert run.note.startswith("target already met")
        assert "no candidate" not in run.note and "within 3 min" in run.note
        answer = run.as_json()
        assert answer["already_met"] is True and answer["sites"] == []
        assert answer["before"] == answer["after"]
    above = run_plan(nets, stations, demand, kind="sanitation_station", minutes=3,
                     target=min(first.before_share + 0.05, 0.99) * 100)
    assert not above.already_met and above.plan is not None and len(above.plan.sites) >= 1
    assert above.as_json()["already_met"] is False


def test_run_plan_target_is_of_the_chosen_groups(area):
    nets, stations, demand = area
    one = run_plan(nets, stations, demand, kind="sanitation_station", minutes=3, target=0.6,
                   wanted=["sanitation_worker"])
    assert one.groups == ["sanitation_worker"] and one.plan is not None
    assert set(one.plan.matrix.rows.group) == {"sanitation_worker"}
    assert one.plan.after["sanitation_worker"] >= 0.6 - 1e-9
    with pytest.raises(InputError, match="`target` was 150") as info:
        run_plan(nets, stations, demand, kind="sanitation_station", target=150)
    assert info.value.parameter == "target"


def test_nothing_to_plan_names_the_budget_and_the_hour(area):
    nets, stations, demand = area
    always = [s.replace(hours="24/7") for s in stations]
    run = run_plan(nets, always, demand, kind="sanitation_station", minutes=500, add=2,
                   at="2026-11-27T10:00")
    assert run.plan is None and not run.already_met
    assert run.note.startswith("every reachable worker of")
    assert "within 500 min" in run.note and run.note.endswith("at 10:00")
    assert run.as_json()["at"].startswith("2026-11-27T10:00")
    anytime = run_plan(nets, always, demand, kind="sanitation_station", minutes=500, add=2)
    assert anytime.note.endswith("with every station counted open")
    assert anytime.as_json()["at"] is None


def test_run_plan_curve_per_group(area):
    nets, stations, demand = area
    run = run_plan(nets, stations, demand, kind="sanitation_station", minutes=3, add=2, curve=3)
    for point in run.plan.curve:
        assert set(point["by_group"]) == set(run.groups)
        totals = {g: run.plan.matrix.rows.weight[run.plan.matrix.rows.group == g].sum()
                  for g in run.groups}
        pooled = sum(point["by_group"][g] * totals[g] for g in run.groups) / sum(totals.values())
        assert pooled == pytest.approx(point["share"], abs=1e-5)


def test_osm_extract_of_a_network(helsinki_pbf, tmp_path):
    from geo.network import load_network
    from geo.workflow import osm_extract

    walk = load_network(helsinki_pbf, mode="walk")
    assert osm_extract(walk) == helsinki_pbf  # a shipped region, known by its file name
    saved = load_network(walk.save(tmp_path / "walk.npz"))
    assert osm_extract(saved) == helsinki_pbf
    assert osm_extract(None) is None
