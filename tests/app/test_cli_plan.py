import json

import pandas as pd
import pytest

from app.cli import main


@pytest.fixture
def base(demo):
    nets = [a for mode in ("walk", "ebike", "drive")
            for a in ("--network", str(demo.network_path(mode)))]
    return ["plan", *nets, "--db", demo.db_url, "--demand", str(demo.demand_path),
            "--minutes", "3", "--kind", "sanitation_station"]


def test_plan_json(runner, base):
    result = runner.invoke(main, [*base, "--add", "3", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert len(answer["sites"]) == 3 and answer["optimal"] is True and answer["gap"] == 0
    site = answer["sites"][0]
    assert {"id", "lon", "lat", "newly_covered", "new_sanitation_worker"} <= set(site)
    assert answer["after"]["sanitation_worker"] > answer["before"]["sanitation_worker"]


def test_plan_outputs_with_curve_and_osm_candidates(runner, base, helsinki_pbf, tmp_path):
    out = tmp_path / "plan"
    result = runner.invoke(main, [*base, "--add", "2", "--curve", "4", "--osm-candidates",
                                  str(helsinki_pbf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("proposal.geojson", "proposal.csv", "proposal.xlsx", "coverage_curve.png",
                 "plan_map.html", "leaflet/leaflet.js"):
        assert (out / name).exists(), name
    sites = pd.read_excel(out / "proposal.xlsx")
    assert len(sites) == 2 and sites["id"].str.startswith("osm-").all()
    assert "curve: 4 new" in result.output


def test_plan_target_and_budget(runner, base, tmp_path):
    target = runner.invoke(main, [*base, "--target", "0.9", "--json"])
    assert target.exit_code == 0, target.output
    assert json.loads(target.stdout)["model"] == "set_covering"
    hosts = tmp_path / "hosts.csv"
    hosts.write_text("id,lon,lat,cost\nh1,24.9453,60.1739,3\nh2,24.9375,60.1753,1\n"
                     "h3,24.9498,60.1735,1\n")
    budget = runner.invoke(main, [*base, "--budget", "2", "--candidates", str(hosts), "--json"])
    assert budget.exit_code == 0, budget.output
    answer = json.loads(budget.stdout)
    assert sum(s["cost"] for s in answer["sites"]) <= 2


def test_plan_bad_usage(runner, base):
    assert runner.invoke(main, [*base]).exit_code == 2
    assert runner.invoke(main, [*base, "--add", "2", "--target", "0.5"]).exit_code == 2
    assert runner.invoke(main, [*base, "--target", "0.5", "--capacity"]).exit_code == 2
    bad = runner.invoke(main, [*base, "--target", "7"])
    assert bad.exit_code == 2 and "target" in bad.stderr
