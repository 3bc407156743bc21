"""`yizhan nearest` (app.cli.nearest): one point, many points, filters, and what is said about
stations and points off the network."""

import json
import re

import pandas as pd
import pytest

from app.cli import main
from geo.nearest import StationFinder


@pytest.fixture
def walk_file(demo):
    return str(demo.network_path("walk"))


def test_nearest_json_with_route(runner, demo, demo_stations, walk_file):
    result = runner.invoke(main, ["nearest", "--network", walk_file, "--db", demo.db_url,
                                  "--lat", "60.1705", "--lon", "24.9440", "--service", "厕所",
                                  "--open-at", "2026-11-28T04:00", "--route", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert {"id", "name", "kind", "distance_m", "duration_s", "lon", "lat", "open",
            "route"} <= set(hits[0])
    assert all(h["open"] is True and "toilet" in h["services"] for h in hits)
    assert hits[0]["route"]["type"] == "LineString"
    finder = StationFinder(demo.network("walk"), demo_stations)
    expected = finder.nearest(24.9440, 60.1705, services=["toilet"], open_only=True,
                              open_at="2026-11-28T04:00")
    assert [h["id"] for h in hits] == [h.station.id for h in expected]


def test_nearest_from_a_pbf_and_a_stations_file(runner, demo, demo_stations, helsinki_pbf,
                                                tmp_path):
    from geo.io.stations import write_stations

    stations = write_stations(demo_stations, tmp_path / "s.xlsx")
    result = runner.invoke(main, ["nearest", "--network", str(helsinki_pbf), "--mode", "drive",
                                  "--stations", str(stations), "--lat", "60.1705", "--lon",
                                  "24.9440", "--kind", "driver_home", "--k", "2"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if re.match(r"\d\. ", line)]
    assert len(lines) == 2 and all("[司机之家 driver home]" in line for line in lines)


def test_nearest_off_network_point_exits_1(runner, demo, walk_file):
    result = runner.invoke(main, ["nearest", "--network", walk_file, "--db", demo.db_url,
                                  "--lat", "60.30", "--lon", "24.94"])
    assert result.exit_code == 1 and "off this network" in result.stderr


@pytest.mark.parametrize("args, fragment", [
    (["--k", "0"], "`k`"),
    (["--k", "51"], "`k`"),
    (["--open-at", "soon"], "open_at"),
    (["--service", "spa"], "unknown service"),
    (["--mode", "drive"], "is a walk network"),
])
def test_nearest_bad_parameters_exit_2(runner, demo, walk_file, args, fragment):
    result = runner.invoke(main, ["nearest", "--network", walk_file, "--db", demo.db_url,
                                  "--lat", "60.1705", "--lon", "24.9440", *args])
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr


def test_nearest_batch_points(runner, demo, walk_file, tmp_path):
    points = tmp_path / "riders.csv"
    pd.DataFrame({"id": ["a", "b", "far"], "lon": [24.9440, 24.9480, 24.94],
                  "lat": [60.1705, 60.1690, 60.30]}).to_csv(points, index=False)
    out = tmp_path / "answer.csv"
    result = runner.invoke(main, ["nearest", "--network", walk_file, "--db", demo.db_url,
                                  "--points", str(points), "--k", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table[table.point_id == "a"]["rank"].tolist() == [1, 2]
    assert table[table.point_id == "far"]["status"].tolist() == ["off_network"]
    printed = runner.invoke(main, ["nearest", "--network", walk_file, "--db", demo.db_url,
                                   "--points", str(points), "--json", "--k", "1"])
    rows = json.loads(printed.stdout)
    assert [r["point_id"] for r in rows] == ["a", "b", "far"]


def test_nearest_batch_bad_row_names_row_and_column(runner, demo, walk_file, tmp_path):
    points = tmp_path / "bad.csv"
    points.write_text("lon,lat\n24.94,60.17\nabc,60.17\n")
    result = runner.invoke(main, ["nearest", "--network", walk_file, "--db", demo.db_url,
                                  "--points", str(points)])
    assert result.exit_code == 1 and "row 3, column 'lon'" in result.stderr


def test_stations_off_the_network_are_named(runner, demo, demo_stations, walk_file, tmp_path):
    from dataclasses import replace

    from geo.io.stations import write_stations

    far = replace(demo_stations[0], id="far-away", name="远郊驿站", lon=25.3, lat=60.4)
    stations = write_stations([*demo_stations, far], tmp_path / "s.csv")
    result = runner.invoke(main, ["nearest", "--network", walk_file, "--stations", str(stations),
                                  "--lat", "60.1705", "--lon", "24.9440", "--k", "2"])
    assert result.exit_code == 0, result.output
    assert "1 station(s) lie farther than 300 m from the walk network" in result.stderr
    assert "远郊驿站 (far-away)" in result.stderr
