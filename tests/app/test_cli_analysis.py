"""`yizhan coverage` and `yizhan plan` (app.cli.analysis): summaries, files written, usage, and
the worker-group options (`--group`, `--groups-file`, formerly `--groups`)."""

import json
import re

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from app.cli import main


@pytest.fixture
def networks(demo):
    """``--network FILE`` for each of the demo's networks (walk, ebike, drive)."""
    return [a for mode in ("walk", "ebike", "drive")
            for a in ("--network", str(demo.network_path(mode)))]


@pytest.fixture
def base(demo, networks):
    """A `yizhan plan` of sanitation stations on the demo within 3 minutes, without its goal."""
    return ["plan", *networks, "--db", demo.db_url, "--demand", str(demo.demand_path),
            "--minutes", "3", "--kind", "sanitation_station"]


# --- coverage -------------------------------------------------------------------------------------

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


def test_a_bad_district_of_the_file_is_named_by_its_feature(runner, demo, networks, tmp_path):
    w, s, e, n = demo.manifest()["bounds"]
    districts = tmp_path / "districts.geojson"
    gpd.GeoDataFrame({"name": ["西", ""]}, geometry=[box(w, s, (w + e) / 2, n),
                                                    box((w + e) / 2, s, e, n).centroid],
                     crs=4326).to_file(districts)
    result = runner.invoke(main, ["--lang", "zh", "coverage", *networks, "--db", demo.db_url,
                                  "--demand", str(demo.demand_path), "--districts",
                                  str(districts)])
    assert result.exit_code == 1, result.output
    assert "第 2 行，列“name”：辖区没有名称" in result.stderr
    assert "第 2 行，列“geometry”：辖区是 Point，不是面" in result.stderr


def test_coverage_lowest_hour_is_on_shift(runner, demo, networks):
    from geo.groups import DEFAULT_GROUPS

    result = runner.invoke(main, ["coverage", *networks, "--db", demo.db_url, "--demand",
                                  str(demo.demand_path), "--by-hour"])
    assert result.exit_code == 0, result.output
    summary = json.loads(runner.invoke(main, ["coverage", *networks, "--db", demo.db_url,
                                              "--demand", str(demo.demand_path), "--by-hour",
                                              "--json"]).stdout)
    lines = result.stdout.splitlines()
    seen = 0
    for k, line in enumerate(lines):
        found = re.match(r"\S+ (\w+): ([\d,]+) of ([\d,]+) workers", line)
        if not found:
            continue
        gid = found.group(1)
        low = re.search(r"lowest at (\d\d):30", lines[k + 1])
        hour = int(low.group(1))
        group = DEFAULT_GROUPS[gid]
        assert group.works_at(hour)
        shares = summary["groups"][gid]["by_hour"]
        assert shares[hour] == min(shares[h] for h in range(24) if group.works_at(h))
        seen += 1
    assert seen == len(summary["groups"])


# --- worker groups: --group chooses them, --groups-file defines them ------------------------------

@pytest.mark.parametrize("option", ["--groups-file", "--groups"])
def test_a_groups_file_overrides_the_groups(runner, demo, networks, tmp_path, option):
    """`--groups-file` (and its former name `--groups`, with a note on stderr) reads the TOML
    file; `--group` chooses among the groups."""
    groups = tmp_path / "groups.toml"
    groups.write_text("[groups.sanitation_worker]\nbudget_min = 1.5\n", "utf-8")
    result = runner.invoke(main, ["coverage", *networks, "--db", demo.db_url, "--demand",
                                  str(demo.demand_path), "--group", "sanitation_worker", option,
                                  str(groups), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["groups"]
    assert list(summary) == ["sanitation_worker"] and summary["sanitation_worker"]["budget"] == 1.5
    note = "Note: --groups is deprecated; use --groups-file."
    assert (note in result.stderr) is (option == "--groups")


def test_the_former_groups_option_is_hidden_and_noted_in_chinese(runner, demo, networks,
                                                                 tmp_path):
    for command in ("coverage", "plan"):
        shown = runner.invoke(main, [command, "--help"]).stdout
        assert "--groups-file PATH" in shown and "--groups " not in shown
    args = ["--lang", "zh", "plan", *networks, "--demand", str(demo.demand_path), "--groups",
            str(tmp_path / "groups.toml")]  # no goal: a usage error after the note
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert "注意：--groups 已弃用，请改用 --groups-file。" in result.stderr


def test_a_bad_groups_file_is_named(runner, demo, networks, tmp_path):
    missing = tmp_path / "nope.toml"
    result = runner.invoke(main, ["coverage", *networks, "--db", demo.db_url, "--demand",
                                  str(demo.demand_path), "--groups-file", str(missing)])
    assert result.exit_code == 2 and str(missing) in result.stderr


# --- plan -----------------------------------------------------------------------------------------

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
    bad = runner.invoke(main, [*base, "--target", "150"])
    assert bad.exit_code == 2 and "target" in bad.stderr


def test_plan_target_as_share_or_percentage(runner, base):
    share = runner.invoke(main, [*base, "--target", "0.3", "--json"])
    percent = runner.invoke(main, [*base, "--target", "30", "--json"])
    assert share.exit_code == 0 and percent.exit_code == 0, share.output + percent.output
    a, b = json.loads(share.stdout), json.loads(percent.stdout)
    assert a["target"] == b["target"] == 0.3
    assert [s["id"] for s in a["sites"]] == [s["id"] for s in b["sites"]]


@pytest.mark.parametrize("value", ["0", "150", "-1", "most"])
def test_plan_bad_target_says_both_forms(runner, base, value):
    bad = runner.invoke(main, [*base, "--target", value])
    assert bad.exit_code == 2
    assert "--target" in bad.stderr and "0.9" in bad.stderr and "90" in bad.stderr
    assert "target_share" not in bad.stderr


def test_plan_target_already_met_is_said(runner, base):
    result = runner.invoke(main, [*base, "--target", "2"])  # 2 % of the workers
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Target already met")
    assert "no candidate" not in result.stdout and "within 3 min" in result.stdout
    answer = json.loads(runner.invoke(main, [*base, "--target", "2", "--json"]).stdout)
    assert answer["already_met"] is True and answer["sites"] == [] and answer["note"]


def test_plan_at_the_hour_and_for_which_groups(runner, base):
    result = runner.invoke(main, [*base, "--add", "2", "--at", "04:30"])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("For ") and "sanitation_worker" in first and "at 04:30" in first
    # whole workers for people
    gains = re.findall(r"— \+([\d,.]+) workers", result.stdout)
    assert len(gains) == 2 and all("." not in g for g in gains)
    answer = json.loads(runner.invoke(main, [*base, "--add", "2", "--at", "04:30",
                                             "--json"]).stdout)
    assert "T04:30" in answer["at"]
    anytime = json.loads(runner.invoke(main, [*base, "--add", "2", "--json"]).stdout)
    assert anytime["at"] is None
    bad = runner.invoke(main, [*base, "--add", "2", "--at", "25:00"])
    assert bad.exit_code == 2 and "at" in bad.stderr


def test_plan_nothing_to_plan_says_budget_and_hour(runner, demo, networks):
    result = runner.invoke(main, ["plan", *networks, "--db", demo.db_url, "--demand",
                                  str(demo.demand_path), "--kind", "outdoor_rest_point",
                                  "--group", "delivery_rider", "--minutes", "120", "--add", "1",
                                  "--at", "12:00"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("There is nothing to plan: every reachable worker of")
    assert "within 120 min" in result.stdout and "at 12:00" in result.stdout


def test_plan_curve_png_shows_each_group(runner, base, tmp_path):
    from PIL import Image

    out = tmp_path / "plan"
    result = runner.invoke(main, [*base, "--group", "sanitation_worker", "--group",
                                  "delivery_rider", "--add", "2", "--curve", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    one = tmp_path / "one"
    runner.invoke(main, [*base, "--group", "sanitation_worker", "--add", "2", "--curve", "3",
                         "-o", str(one)])
    with Image.open(out / "coverage_curve.png") as two, Image.open(one / "coverage_curve.png") \
            as single:
        two_wide, one_wide = two.size[0], single.size[0]
    assert two_wide > 1.6 * one_wide  # a panel per group


# --- names of gap areas and gap sites -------------------------------------------------------------

def test_gap_areas_are_named_after_streets_everywhere(runner, demo, networks, helsinki_pbf,
                                                      tmp_path):
    """The printout, the JSON, the GeoPackage and the map name each gap area after its nearest
    named street (geo.places), in Chinese and English, instead of its coordinates."""
    from geo.places import name_places

    args = ["coverage", *networks, "--db", demo.db_url, "--demand", str(demo.demand_path),
            "--minutes", "3"]
    gaps = json.loads(runner.invoke(main, [*args, "--json"]).stdout)["gaps"]
    assert gaps  # central Helsinki: one gap area in the middle
    places = name_places([g["lon"] for g in gaps], [g["lat"] for g in gaps], helsinki_pbf)
    assert [(g["name"], g["name_en"]) for g in gaps] == [(p.zh, p.en) for p in places]
    assert sum(p.named for p in places) >= 0.8 * len(places)
    out = tmp_path / "out"
    result = runner.invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("  #")]
    assert lines == [f"  #{g['rank']} {g['name']} {g['name_en']}: {g['workers']:,.0f} workers, "
                     f"{g['cells']} cells" for g in gaps[:5]]
    assert not any(f"near ({g['lon']:.5f}" in result.stdout for g, p in zip(gaps, places,
                                                                             strict=True)
                   if p.named)
    layer = gpd.read_file(out / "coverage.gpkg", layer="gaps")
    assert list(layer["name"]) == [g["name"] for g in gaps]
    assert list(layer["name_en"]) == [g["name_en"] for g in gaps]
    html = (out / "coverage_map.html").read_text("utf-8")
    named = next(g for g, p in zip(gaps, places, strict=True) if p.named)
    assert named["name_en"] in html or json.dumps(named["name_en"])[1:-1] in html


def test_gap_sites_are_named_after_streets_in_the_printout_and_files(runner, base, helsinki_pbf,
                                                                     tmp_path):
    from geo.places import name_places

    answer = json.loads(runner.invoke(main, [*base, "--add", "3", "--json"]).stdout)
    sites = answer["sites"]
    places = name_places([s["lon"] for s in sites], [s["lat"] for s in sites], helsinki_pbf)
    # the names of the places, made distinct with (2), (3) where two sites share a street
    assert [s["name_en"].split(" (")[0] if p.named else s["name_en"]
            for s, p in zip(sites, places, strict=True)] == [p.en for p in places]
    assert all(s["name"].split("（")[0] == p.zh.split("（")[0] for s, p in
               zip(sites, places, strict=True) if p.named)
    assert not any(s["name"].startswith("缺口候选点") for s in sites)
    out = tmp_path / "plan"
    result = runner.invoke(main, [*base, "--add", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    for s in sites:
        assert f". {s['name']} {s['name_en']} ({s['lon']:.6f}, {s['lat']:.6f})" in result.stdout
    table = pd.read_csv(out / "proposal.csv", encoding="utf-8-sig")
    assert list(table["name"]) == [s["name"] for s in sites]
    assert list(table["name_en"]) == [s["name_en"] for s in sites]
    geojson = json.loads((out / "proposal.geojson").read_text("utf-8"))
    assert [f["geometry"]["coordinates"] for f in geojson["features"]] == [
        [s["lon"], s["lat"]] for s in sites]


# --- input and output coordinate systems ------------------------------------------------------

@pytest.fixture
def chengdu_plan(chengdu_demo):
    """A `yizhan plan` of one sanitation station on the Chengdu demo, as JSON (in China, where
    GCJ-02 moves points by hundreds of metres)."""
    return ["plan", "--network", str(chengdu_demo.network_path("walk")), "--db",
            chengdu_demo.db_url, "--demand", str(chengdu_demo.demand_path), "--group",
            "sanitation_worker", "--kind", "sanitation_station", "--minutes", "5", "--add", "1",
            "--json"]


def test_plan_output_crs_sets_the_proposal_only(runner, chengdu_plan, tmp_path):
    """`--output-crs gcj02` writes the proposal for Amap and leaves the WGS-84 inputs as they are:
    the baseline is the one of a plan without it (with `--crs gcj02` it moved: 57.7 % → 53.8 %
    in the demo)."""
    plain = runner.invoke(main, chengdu_plan)
    assert plain.exit_code == 0, plain.output
    out = tmp_path / "plan"
    amap = runner.invoke(main, [*chengdu_plan, "--output-crs", "gcj02", "-o", str(out)])
    assert amap.exit_code == 0, amap.output
    assert json.loads(amap.stdout)["before"] == json.loads(plain.stdout)["before"]
    assert "converted" not in amap.stderr and "--crs" not in amap.stderr
    table = pd.read_csv(out / "proposal-gcj02.csv", encoding="utf-8-sig")
    assert set(table["crs"]) == {"GCJ-02"}
    site = json.loads(amap.stdout)["sites"][0]
    assert abs(table["lon"][0] - site["lon"]) > 1e-3  # converted for Amap


def test_the_former_crs_sets_the_inputs_only_and_says_so(runner, chengdu_plan, tmp_path):
    plain = runner.invoke(main, chengdu_plan)
    out = tmp_path / "plan"
    old = runner.invoke(main, [*chengdu_plan, "--crs", "gcj02", "-o", str(out)])
    assert old.exit_code == 0, old.output
    assert "--crs sets the coordinate system of the input files only" in old.stderr
    assert "--output-crs" in old.stderr
    assert "Read demand.csv in GCJ-02 (Amap/Tencent) and converted them to WGS-84" in old.stderr
    assert json.loads(old.stdout)["before"] != json.loads(plain.stdout)["before"]  # read as GCJ
    assert (out / "proposal.csv").exists() and not (out / "proposal-gcj02.csv").exists()
    zh = runner.invoke(main, ["--lang", "zh", *chengdu_plan, "--crs", "gcj02"])
    assert "--crs 只设定输入文件的坐标系" in zh.stderr and "已按 GCJ-02" in zh.stderr


def test_coverage_reads_gcj02_inputs_and_says_it_converted_them(runner, chengdu_demo, tmp_path):
    """The demand written in GCJ-02 and read with `--input-crs gcj02` covers as the WGS-84
    original does; the output names the file converted."""
    from geo import coords

    demand = pd.read_csv(chengdu_demo.demand_path)
    lon, lat = coords.from_wgs84(demand["lon"].to_numpy(), demand["lat"].to_numpy(), "gcj02")
    gcj = tmp_path / "demand-gcj02.csv"
    demand.assign(lon=lon, lat=lat).to_csv(gcj, index=False)
    args = ["coverage", "--network", str(chengdu_demo.network_path("walk")), "--db",
            chengdu_demo.db_url, "--group", "sanitation_worker", "--minutes", "5"]
    wgs = runner.invoke(main, [*args, "--demand", str(chengdu_demo.demand_path), "--json"])
    read = runner.invoke(main, [*args, "--demand", str(gcj), "--input-crs", "gcj02", "--json"])
    assert read.exit_code == 0, read.output
    share = json.loads(wgs.stdout)["groups"]["sanitation_worker"]["share"]
    assert json.loads(read.stdout)["groups"]["sanitation_worker"]["share"] == pytest.approx(
        share, abs=0.002)
    assert "Read demand-gcj02.csv in GCJ-02" in read.stderr
    text = runner.invoke(main, [*args, "--demand", str(gcj), "--input-crs", "gcj02"])
    assert text.stdout.startswith("Read demand-gcj02.csv in GCJ-02 (Amap/Tencent) and converted")
    assert "converted" not in runner.invoke(main, [*args, "--demand",
                                                   str(chengdu_demo.demand_path)]).output
