"""The province batch on a real Dask LocalCluster of 2 worker processes: real regions (Shanghai,
Helsinki) and small generated cities, a region that fails, a worker process killed mid-run, and
a resumed run."""

from __future__ import annotations

import json
import logging
import os
import signal
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin

from geo.batch import (
    BatchOptions,
    batch_options,
    read_regions,
    region_digest,
    run_batch,
    summary_table,
)
from geo.errors import InputError

EXAMPLE = Path(__file__).parents[2] / "data" / "regions-example"


@pytest.fixture(scope="module")
def client():
    """One local cluster of 2 worker processes (one thread each) for the module."""
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as connected:
        yield connected


def small_city(folder: Path, seed: int, *, nodes: int = 900, stations: int = 12) -> dict:
    """A generated city's files: three saved networks, a station CSV and a demand CSV."""
    from geo.groups import DEFAULT_GROUPS
    from geo.io.stations import write_stations
    from geo.synthetic import city_network, random_points, random_stations

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for mode in ("walk", "ebike", "drive"):
        net = city_network(nodes, mode=mode, seed=seed, centre=(101.78 + seed / 10, 36.62))
        paths.append(str(net.save(folder / f"{mode}.npz")))
        if mode == "walk":
            walk = net
    write_stations(random_stations(walk, stations, seed=seed), folder / "stations.csv")
    frames = []
    for k, gid in enumerate(DEFAULT_GROUPS):
        lon, lat = random_points(walk, 60, seed=seed * 10 + k)
        frames.append(pd.DataFrame({"lon": lon, "lat": lat, "weight": 1.5, "group": gid}))
    pd.concat(frames).to_csv(folder / "demand.csv", index=False)
    return {"networks": [Path(p).relative_to(folder.parent).as_posix() for p in paths],
            "stations": f"{folder.name}/stations.csv", "demand": f"{folder.name}/demand.csv"}


def toml(regions: list[dict]) -> str:
    """``[[region]]`` tables written out (strings, numbers, lists and inline tables)."""
    def value(v):
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        return json.dumps(v, ensure_ascii=False)

    return "\n".join("[[region]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in r.items())
                     for r in regions)


@pytest.fixture(scope="module")
def province(tmp_path_factory, client):
    """One batch over Shanghai, Helsinki, two generated cities, a region with a bad station
    row and one whose demand file is gone by the time it runs."""
    base = tmp_path_factory.mktemp("province")
    a, b = small_city(base / "city-a", 1), small_city(base / "city-b", 2)
    bad = base / "bad-stations.csv"
    text = (base / "city-a" / "stations.csv").read_text("utf-8-sig").splitlines()
    cells = text[3].split(",")
    cells[3] = "abc"  # the lon of the third station
    text[3] = ",".join(cells)
    bad.write_text("\n".join(text) + "\n", "utf-8")
    gone = base / "gone.csv"
    gone.write_text((base / "city-b" / "demand.csv").read_text("utf-8"), "utf-8")
    regions = [
        {"name": "上海静安·黄浦", "region": "shanghai", "add": 2},
        {"name": "Helsinki", "region": "helsinki",
         "stations": str(EXAMPLE / "helsinki-stations.csv"),
         "budgets": {"sanitation_worker": 10}},
        {"name": "city-a", **a, "kind": "sanitation_station", "add": 2},
        {"name": "city-b", **b, "target": 0.95},
        {"name": "bad-row", "networks": a["networks"], "stations": "bad-stations.csv",
         "demand": a["demand"]},
        {"name": "gone", "networks": b["networks"], "stations": b["stations"],
         "demand": "gone.csv"},
    ]
    (base / "regions.toml").write_text(toml(regions), "utf-8")
    specs = read_regions(base / "regions.toml")
    gone.unlink()  # after the check: missing at run time
    options = batch_options(at="10:00")
    seen = []
    run = run_batch(specs, base / "out", options=options, client=client, retries=1,
                    progress=seen.append)
    return {"base": base, "specs": specs, "run": run, "options": options, "seen": seen}


def test_every_region_is_reported(province):
    run = province["run"]
    entries = {e["name"]: e for e in (r["entry"] for r in run.records)}
    assert list(entries) == [s.name for s in province["specs"]]
    assert sorted(e["name"] for e in province["seen"]) == sorted(entries)
    ok = {n for n, e in entries.items() if e["status"] == "ok"}
    assert ok == {"上海静安·黄浦", "Helsinki", "city-a", "city-b"}
    bad = entries["bad-row"]
    assert bad["status"] == "failed" and "DataFileError" in bad["error"]
    assert "bad-stations.csv" in bad["error"] and "row 4" in bad["error"]
    assert "lon" in bad["error"] and bad["tries"] == 2
    assert bad["inputs"]["stations"].endswith("bad-stations.csv")
    assert entries["gone"]["status"] == "failed" and "gone.csv" in entries["gone"]["error"]
    summary = json.loads(run.files["json"].read_text("utf-8"))
    assert [e["name"] for e in summary["regions"]] == list(entries)
    assert summary["ok"] == 4 and summary["failed"] == 2
    for entry in summary["regions"]:
        for values in entry["groups"].values():
            assert set(values) == {"share", "covered", "uncovered", "total"}
            assert values["covered"] + values["uncovered"] == pytest.approx(values["total"])
    shanghai = entries["上海静安·黄浦"]
    assert shanghai["stations"] == 0 and all(v["share"] == 0 for v in shanghai["groups"].values())
    assert shanghai["plan"]["new_stations"] == 2 and shanghai["plan"]["after"] > 0


def test_regions_equal_their_single_region_runs(province):
    """Each region's folder and summary entry are what the single-region flow gives."""
    from geo.workflow import coverage_report, open_inputs, plan_report

    out = province["base"] / "out"
    options: BatchOptions = province["options"]
    for spec in province["specs"]:
        if spec.name not in {"Helsinki", "city-a"}:
            continue
        inputs = open_inputs(spec.networks, spec.demand, groups=spec.worker_groups())
        stations = spec.open_stations()
        result, _ = coverage_report(inputs, stations, at=options.at)
        written = json.loads((out / spec.name / "coverage" / "summary.json").read_text("utf-8"))
        assert written == json.loads(json.dumps(result.summary, ensure_ascii=False))
        entry = next(r["entry"] for r in province["run"].records if r["entry"]["name"] == spec.name)
        for gid, values in result.summary["groups"].items():
            assert entry["groups"][gid]["uncovered"] == values["uncovered"]
        if spec.plans:
            run, _ = plan_report(inputs, stations, kind=spec.kind, add=spec.add, at=options.at)
            plan = json.loads((out / spec.name / "plan" / "plan.json").read_text("utf-8"))
            assert [s["id"] for s in plan["sites"]] == [s["id"] for s in run.as_json()["sites"]]
            assert (out / spec.name / "plan" / "proposal.csv").is_file()
    helsinki = json.loads((out / "Helsinki" / "coverage" / "summary.json").read_text("utf-8"))
    assert helsinki["groups"]["sanitation_worker"]["budget"] == 10


def test_summary_files(province):
    run = province["run"]
    files = run.files
    csv = files["csv"].read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(files["csv"], encoding="utf-8-sig")
    assert "地区 region" in table.columns and "未覆盖 uncovered" in table.columns
    assert set(table["地区 region"]) == {s.name for s in province["specs"]}
    import openpyxl

    sheet = openpyxl.load_workbook(files["xlsx"]).active
    assert sheet["A1"].value == "地区 region"
    assert files["chart"].read_bytes()[:4] == b"\x89PNG"
    page = files["map"].read_text("utf-8")
    assert "https://" not in page and (files["map"].parent / "leaflet" / "leaflet.js").is_file()
    assert "city-a/coverage/coverage_map.html" in page
    assert "bad-row" in page  # the failed regions are named on the map
    assert len(summary_table(r["entry"] for r in run.records)) == len(table)


def test_the_summary_is_the_province_output():
    """geo.batch still offers the summary writers, from geo.output.province."""
    from geo.batch import write_summary
    from geo.output import province

    assert write_summary is province.write_summary and summary_table is province.summary_table


class KillOnce(WorkerPlugin):
    """Kills the worker process that starts the first region task (once: a marker file)."""

    def __init__(self, marker: str):
        self.marker = marker

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and str(key).startswith("region-") \
                and not os.path.exists(self.marker):
            Path(self.marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)


def test_a_killed_worker_still_gives_a_complete_summary(province, client, tmp_path):
    specs = [s for s in province["specs"] if s.name == "city-a"]
    marker = tmp_path / "killed"
    client.register_plugin(KillOnce(str(marker)), name="kill-once")
    try:
        run = run_batch(specs, tmp_path / "out", options=province["options"], client=client,
                        retries=0)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert marker.exists()  # a worker did die
    assert [r["entry"]["status"] for r in run.records] == ["ok"]
    summary = json.loads(run.files["json"].read_text("utf-8"))
    assert [e["name"] for e in summary["regions"]] == ["city-a"]
    first = next(r["entry"] for r in province["run"].records if r["entry"]["name"] == "city-a")
    assert summary["regions"][0]["groups"] == first["groups"]


def test_resume_skips_unchanged_regions_and_reruns_a_changed_one(province, client):
    from geo.io.stations import load_stations, write_stations

    base, out = province["base"], province["base"] / "out"
    specs = [s for s in province["specs"] if s.name in {"上海静安·黄浦", "city-a", "city-b"}]
    again = run_batch(specs, out, options=province["options"], client=client)
    assert again.ran == [] and again.resumed == [s.name for s in specs]
    assert all(r["entry"]["resumed"] for r in again.records)
    path = base / "city-b" / "stations.csv"
    write_stations(load_stations(path)[:-3], path)
    changed = run_batch(specs, out, options=province["options"], client=client)
    assert changed.ran == ["city-b"] and changed.resumed == ["上海静安·黄浦", "city-a"]
    entry = next(r["entry"] for r in changed.records if r["entry"]["name"] == "city-b")
    assert entry["stations"] == 9 and not entry.get("resumed")
    other = batch_options(at="04:00")  # another hour is another result
    assert region_digest(specs[0], other) != region_digest(specs[0], province["options"])


def test_bad_entries_are_reported_at_once(tmp_path):
    (tmp_path / "walk.npz").write_bytes(b"")
    (tmp_path / "regions.toml").write_text(toml([
        {"name": "a", "osm": "missing.osm.pbf", "add": 2, "target": 0.9},
        {"name": "a", "region": "atlantis", "stations": {"registry": "nope", "bbox": [1, 2]}},
        {"name": "b/c", "networks": ["walk.npz"], "budgets": {"nobody": 5}, "colour": "red"},
        {"region": "helsinki", "kind": "spaceport", "add": 0},
    ]), "utf-8")
    with pytest.raises(InputError) as caught:
        read_regions(tmp_path / "regions.toml")
    text = str(caught.value)
    assert caught.value.parameter == "regions"
    for expected in ("[[region]] 1 (a), `osm`: no such file",
                     "[[region]] 1 (a), `add`: give `add` or `target`, not both",
                     "[[region]] 2 (a), `region`: was 'atlantis'",
                     "[[region]] 2 (a), `stations.registry`",
                     "[[region]] 2 (a), `stations.bbox`",
                     "[[region]] 3 (b/c), `name`",
                     "[[region]] 3 (b/c), `budgets.nobody`",
                     "[[region]] 3 (b/c), `colour`: unknown key",
                     "[[region]] 3 (b/c), `demand`",
                     "[[region]] 4, `name`",
                     "[[region]] 4, `kind`",
                     "[[region]] 4, `add`"):
        assert expected in text, expected


def test_three_bad_entries_are_reported_with_the_lines_they_start_on(tmp_path):
    (tmp_path / "regions.toml").write_text(
        "# the province\n"
        "[[region]]\nname = \"good\"\nregion = \"helsinki\"\n\n"           # line 2
        "[[region]]  # the north\nname = \"one\"\nregion = \"mars\"\n\n"    # line 6
        "[[region]]\nname = \"two\"\nregion = \"helsinki\"\nadd = 0\n\n"   # line 10
        "  [[ region ]]\nname = \"three\"\nosm = \"gone.osm.pbf\"\n",        # line 15
        "utf-8")
    with pytest.raises(InputError) as caught:
        read_regions(tmp_path / "regions.toml")
    header, *problems = str(caught.value).splitlines()
    assert header.endswith("regions.toml: 3 problem(s) in the regions file:")
    assert problems == [
        "  line 6, [[region]] 2 (one), `region`: was 'mars' but must be one of "
        "['chengdu', 'harbin', 'shanghai', 'helsinki']",
        "  line 10, [[region]] 3 (two), `add`: was 0 but must be a whole number of new "
        "stations, 1 or more",
        f"  line 15, [[region]] 4 (three), `osm`: no such file: "
        f"{(tmp_path / 'gone.osm.pbf').resolve()}"]


def test_every_problem_of_an_entry_names_its_line(tmp_path):
    (tmp_path / "regions.toml").write_text(toml([
        {"name": "a", "region": "helsinki"},
        {"name": "a", "osm": "missing.osm.pbf", "add": 2, "target": 0.9, "colour": "red"},
    ]), "utf-8")
    with pytest.raises(InputError) as caught:
        read_regions(tmp_path / "regions.toml")
    problems = str(caught.value).splitlines()[1:]
    assert len(problems) == 4  # the name taken, the file, add with target, the unknown key
    assert all(p.startswith("  line 5, [[region]] 2 (a), `") for p in problems)
    assert "`name`: another region has this name" in problems[0]


def test_entries_written_inline_are_reported_without_a_line(tmp_path):
    (tmp_path / "regions.toml").write_text('region = [{name = "a", region = "mars"}]\n',
                                           "utf-8")
    with pytest.raises(InputError, match=r"\n  \[\[region\]\] 1 \(a\), `region`: was 'mars'"):
        read_regions(tmp_path / "regions.toml")


@pytest.mark.parametrize("text, problem", [
    ("x = 1\n", "unknown top-level key(s) ['x']"),
    ("[[region]\n", "cannot read the regions file"),
    ("region = 3\n", "no [[region]] tables"),
])
def test_a_file_that_is_no_regions_file(tmp_path, text, problem):
    (tmp_path / "regions.toml").write_text(text, "utf-8")
    with pytest.raises(InputError) as caught:
        read_regions(tmp_path / "regions.toml")
    assert problem in str(caught.value) and caught.value.parameter == "regions"


def test_a_region_entry_is_a_pydantic_model(tmp_path):
    """The model checks one table on its own; its errors sit at the keys as the file has them."""
    from pydantic import ValidationError

    from geo.batch import RegionEntry

    (tmp_path / "walk.npz").write_bytes(b"")
    table = {"name": "a", "networks": "walk.npz", "demand": "walk.npz",
             "budgets": {"sanitation_worker": 10}, "target": "90%",
             "stations": {"registry": "sqlite:///s.sqlite", "bbox": [1, 2, 3, 4]}}
    spec = RegionEntry.model_validate(table, context={"base": tmp_path}).spec()
    assert spec.networks == (str((tmp_path / "walk.npz").resolve()),)
    assert spec.budgets == {"sanitation_worker": 10.0} and spec.target == 0.9
    assert (spec.registry, spec.bbox, spec.stations) == ("sqlite:///s.sqlite", (1, 2, 3, 4), None)
    bad = {**table, "budgets": {"nobody": -1}, "stations": {"registry": "x", "bbox": [1, 2]}}
    with pytest.raises(ValidationError) as caught:
        RegionEntry.model_validate(bad, context={"base": tmp_path})
    places = {tuple(p for p in e["loc"] if p != "[key]") for e in caught.value.errors()}
    assert places == {("budgets", "nobody"), ("stations", "registry"), ("stations", "bbox")}


def test_bad_batch_options():
    with pytest.raises(InputError, match="`at` was '25:00'"):
        batch_options(at="25:00")
    with pytest.raises(InputError, match="not both"):
        batch_options(at="10:00", by_hour=True)


def test_stations_from_a_registry_by_bbox_or_district(tmp_path):
    """A region's stations selected from a shared registry by a box (in the database) or by a
    district of its districts file."""
    import geopandas as gpd
    from shapely.geometry import box

    from geo.registry import Registry
    from geo.synthetic import city_network, random_stations

    net = city_network(900, seed=3)
    stations = random_stations(net, 40, seed=3)
    url = f"sqlite:///{tmp_path / 'national.sqlite'}"
    Registry(url).upsert(stations, source="test")
    west, south = float(net.lon.min()), float(net.lat.min())
    mid_lon, mid_lat = float(net.lon.mean()), float(net.lat.mean())
    gpd.GeoDataFrame({"name": ["西南", "其余"]},
                     geometry=[box(west - 1, south - 1, mid_lon, mid_lat),
                               box(mid_lon, mid_lat, mid_lon + 1, mid_lat + 1)],
                     crs=4326).to_file(tmp_path / "districts.geojson")
    np_ = net.save(tmp_path / "walk.npz")
    (tmp_path / "regions.toml").write_text(toml([
        {"name": "box", "networks": [np_.name], "demand": "d.csv",
         "stations": {"registry": url, "bbox": [west - 1, south - 1, mid_lon, mid_lat]}},
        {"name": "district", "networks": [np_.name], "demand": "d.csv",
         "districts": "districts.geojson", "stations": {"registry": url, "district": "西南"}},
        {"name": "all", "networks": [np_.name], "demand": "d.csv", "stations": url},
    ]), "utf-8")
    (tmp_path / "d.csv").write_text("lon,lat,weight,group\n", "utf-8")
    by_box, by_district, everything = read_regions(tmp_path / "regions.toml")
    expected = sorted(s.id for s in stations if s.lon <= mid_lon and s.lat <= mid_lat)
    assert 0 < len(expected) < len(stations)
    assert sorted(s.id for s in by_box.open_stations()) == expected
    assert sorted(s.id for s in by_district.open_stations()) == expected
    assert len(everything.open_stations()) == len(stations)
    options = batch_options(at="10:00")
    before = region_digest(everything, options)
    assert region_digest(everything, options) == before
    Registry(url).delete(stations[0].id, source="test")  # a changed registry: run again
    assert region_digest(everything, options) != before
