import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from app.cli import main


@pytest.fixture
def networks(demo):
    return [a for mode in ("walk", "ebike", "drive")
            for a in ("--network", str(demo.network_path(mode)))]


def test_coverage_json_summary(runner, demo, networks):
    result = runner.invoke(main, ["coverage", *networks, "--db", demo.db_url, "--demand",
                                  str(demo.demand_path), "--minutes", "4", "--by-hour",
                                  "--date", "2026-11-27", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    groups = summary["groups"]
    assert set(groups) == {"delivery_rider", "sanitation_worker", "truck_driver",
                           "ride_hailing_driver"}
    for entry in groups.values():
        assert {"total", "covered", "uncovered", "share", "off_network", "by_hour"} <= set(entry)
        assert entry["share"] == pytest.approx(entry["covered"] / entry["total"], abs=1e-6)
        assert len(entry["by_hour"]) == 24
    sanitation = groups["sanitation_worker"]["by_hour"]
    assert sanitation[4] < sanitation[11]  # the 04:00 gap
    assert isinstance(summary["gaps"], list)


def test_coverage_outputs(runner, demo, networks, tmp_path):
    outdir = tmp_path / "out"
    w, s, e, n = demo.manifest()["bounds"]
    districts = tmp_path / "districts.geojson"
    gpd.GeoDataFrame({"name": ["西", "东"]}, geometry=[box(w, s, (w + e) / 2, n),
                                                      box((w + e) / 2, s, e, n)],
                     crs=4326).to_file(districts)
    result = runner.invoke(main, ["coverage", *networks, "--db", demo.db_url, "--demand",
                                  str(demo.demand_path), "--minutes", "3", "--by-hour",
                                  "--districts", str(districts), "--h3-res", "10", "--access",
                                  "-o", str(outdir)])
    assert result.exit_code == 0, result.output
    assert "gap areas" in result.output
    for name in ("coverage.gpkg", "summary.csv", "districts.csv", "summary.json",
                 "coverage_by_hour.png", "workers_by_travel.png", "coverage_map.html",
                 "leaflet/leaflet.js", "accessibility.csv"):
        assert (outdir / name).exists(), name
    layers = {name for name, _ in pyogrio.list_layers(outdir / "coverage.gpkg")}
    assert {"demand", "gaps", "stations"} <= layers
    summary = pd.read_csv(outdir / "summary.csv", encoding="utf-8-sig")
    assert "h04" in summary.columns and len(summary) == 4
    html = (outdir / "coverage_map.html").read_text("utf-8")
    assert "https://" not in html and "演示数据 demo data" in html
    assert (outdir / "coverage_by_hour.png").read_bytes()[:4] == b"\x89PNG"


def test_coverage_bad_usage(runner, demo, networks, tmp_path):
    base = ["coverage", *networks, "--db", demo.db_url, "--demand", str(demo.demand_path)]
    assert runner.invoke(main, [*base, "--at", "04:00", "--by-hour"]).exit_code == 2
    bad_at = runner.invoke(main, [*base, "--at", "4 am"])
    assert bad_at.exit_code == 2 and "`at`" in bad_at.stderr
    only_walk = runner.invoke(main, ["coverage", "--network", str(demo.network_path("walk")),
                                     "--db", demo.db_url, "--demand", str(demo.demand_path)])
    assert only_walk.exit_code == 2 and "network" in only_walk.stderr
    demand = tmp_path / "demand.csv"
    demand.write_text("经度,纬度,人数,群体\n24.94,60.17,3,环卫工人\n24.94,60.17,x,外星人\n",
                      encoding="gbk")
    bad = runner.invoke(main, [*base[:-1], str(demand)])
    assert bad.exit_code == 1
    assert "row 3, column '人数'" in bad.stderr and "row 3, column '群体'" in bad.stderr
