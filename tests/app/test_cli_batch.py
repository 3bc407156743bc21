"""yizhan batch: a local cluster of 2 worker processes over central Chengdu and Helsinki, each
region equal to yizhan coverage / yizhan plan on the same inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main

EXAMPLE = Path(__file__).parents[2] / "data" / "regions-example.toml"


@pytest.fixture(scope="module")
def chengdu_demand(tmp_path_factory, chengdu_demo):
    """Sanitation workers of central Chengdu, estimated from OpenStreetMap (the demo's
    estimate, built once per run), as a file."""
    demand = pd.read_csv(chengdu_demo.data_dir / "demand.csv")
    path = tmp_path_factory.mktemp("chengdu") / "demand.csv"
    demand[demand["group"] == "sanitation_worker"].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory, chengdu_demand):
    from click.testing import CliRunner

    base = tmp_path_factory.mktemp("batch")
    stations = EXAMPLE.parent / "regions-example"
    bad = base / "bad.csv"
    bad.write_text("id,name,kind,lon,lat\nx1,坏的一行,sanitation_station,104.07,north\n",
                   "utf-8")
    (base / "regions.toml").write_text(f"""
[[region]]
name = "成都中心城区"
region = "chengdu"
stations = "{stations / 'chengdu-stations.csv'}"
demand = "{chengdu_demand}"
kind = "环卫工人爱心驿站"
add = 2

[[region]]
name = "赫尔辛基"
region = "helsinki"
stations = "{stations / 'helsinki-stations.csv'}"

[[region]]
name = "坏数据"
region = "helsinki"
stations = "bad.csv"
""", "utf-8")
    result = CliRunner().invoke(main, ["batch", str(base / "regions.toml"), "-o",
                                       str(base / "out"), "--workers", "2", "--at", "10:00",
                                       "--retries", "0", "--dashboard", ":0"])
    return base, result


def test_batch_command(batch):
    base, result = batch
    assert result.exit_code == 1, result.output  # one region failed; the others completed
    assert "成都中心城区:" in result.stdout and "赫尔辛基:" in result.stdout
    assert "Dask scheduler tcp://" in result.stderr
    assert "坏数据: failed: DataFileError" in result.stderr and "bad.csv, row 2" in result.stderr
    summary = json.loads((base / "out" / "summary.json").read_text("utf-8"))
    assert [(e["name"], e["status"]) for e in summary["regions"]] == [
        ("成都中心城区", "ok"), ("赫尔辛基", "ok"), ("坏数据", "failed")]
    for name in ("summary.xlsx", "summary.csv", "uncovered.png", "overview.html"):
        assert (base / "out" / name).is_file(), name


def test_a_region_equals_yizhan_coverage_and_plan(batch, runner, chengdu_pbf, chengdu_demand,
                                                  tmp_path):
    base, _ = batch
    folder = base / "out" / "成都中心城区"
    stations = str(EXAMPLE.parent / "regions-example" / "chengdu-stations.csv")
    inputs = ["--network", str(chengdu_pbf), "--stations", stations, "--demand",
              str(chengdu_demand), "--at", "10:00"]
    single = runner.invoke(main, ["coverage", *inputs, "-o", str(tmp_path / "coverage")])
    assert single.exit_code == 0, single.output
    assert (json.loads((folder / "coverage" / "summary.json").read_text("utf-8"))
            == json.loads((tmp_path / "coverage" / "summary.json").read_text("utf-8")))
    assert (pd.read_csv(folder / "coverage" / "summary.csv").equals(
        pd.read_csv(tmp_path / "coverage" / "summary.csv")))
    planned = runner.invoke(main, ["plan", *inputs, "--kind", "sanitation_station", "--add", "2",
                                   "-o", str(tmp_path / "plan"), "--json"])
    assert planned.exit_code == 0, planned.output
    assert (folder / "plan" / "proposal.csv").read_bytes() == (
        tmp_path / "plan" / "proposal.csv").read_bytes()
    written = json.loads((folder / "plan" / "plan.json").read_text("utf-8"))
    assert written == json.loads(planned.stdout)
    entry = json.loads((base / "out" / "summary.json").read_text("utf-8"))["regions"][0]
    assert entry["plan"]["new_stations"] == 2


def test_batch_resumes_on_a_scheduler(batch):
    """Again on a running scheduler (--scheduler): the finished regions are kept, the failed
    one runs again."""
    import logging

    from click.testing import CliRunner
    from distributed import LocalCluster

    base, _ = batch
    with LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        result = CliRunner().invoke(main, ["batch", str(base / "regions.toml"), "-o",
                                           str(base / "out"), "--at", "10:00", "--retries", "0",
                                           "--scheduler", cluster.scheduler_address, "--json"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert [e["status"] for e in summary["regions"]] == ["ok", "ok", "failed"]
    assert [e.get("resumed", False) for e in summary["regions"]] == [True, True, False]


def test_the_readme_example_is_valid():
    from geo.batch import read_regions

    specs = read_regions(EXAMPLE)
    assert [s.name for s in specs] == ["成都中心城区", "上海静安·黄浦", "赫尔辛基市中心"]
    assert all(Path(p).is_file() for s in specs for p in s.files())


@pytest.mark.parametrize("args, message", [
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "--workers or --scheduler"),
    (["--at", "10:00", "--by-hour"], "--at or --by-hour"),
])
def test_batch_usage(runner, tmp_path, args, message):
    result = runner.invoke(main, ["batch", str(EXAMPLE), "-o", str(tmp_path), *args])
    assert result.exit_code == 2 and message in result.output


def test_bad_regions_file(runner, tmp_path):
    path = tmp_path / "regions.toml"
    path.write_text('[[region]]\nname = "x"\nosm = "nowhere.osm.pbf"\ntarget = 200\n\n'
                    '[[region]]\nregion = "mars"\n', "utf-8")
    result = runner.invoke(main, ["batch", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "[[region]] 1 (x), `osm`: no such file" in result.stderr
    assert "[[region]] 1 (x), `target`" in result.stderr
    assert "[[region]] 2, `region`: was 'mars'" in result.stderr
    assert not (tmp_path / "out").exists()
