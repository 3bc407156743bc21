import json
import re

import pandas as pd
import pytest

from app.cli import main
from geo.nearest import StationFinder


@pytest.fixture
def walk_file(demo):
    return str(demo.network_path("walk"))


def test_network_build_from_pbf(runner, helsinki_pbf, tmp_path):
    out = tmp_path / "drive.npz"
    result = runner.invoke(main, ["network", "build", "--osm", str(helsinki_pbf), "--mode",
                                  "drive", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "drive network:" in result.output and out.exists()


def test_network_build_needs_one_source(runner, tmp_path):
    result = runner.invoke(main, ["network", "build", "--mode", "walk", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "exactly one of" in result.output


def test_network_build_offline_place_is_a_clear_error(runner, tmp_path, monkeypatch):
    import osmnx

    def offline(*args, **kwargs):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(osmnx, "graph_from_place", offline)
    result = runner.invoke(main, ["network", "build", "--place", "Wuhan, China", "--mode", "walk",
                                  "-o", str(tmp_path / "w.npz")])
    assert result.exit_code == 1 and "--osm" in result.stderr


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


def test_demo_build_only(runner, tmp_path):
    """The default demo is central Chengdu; the build prints the shares at the groups' own
    budgets, which show real gaps."""
    result = runner.invoke(main, ["demo", "--build-only", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "成都中心城区" in out and "demo data" in out and "OpenStreetMap, 2018" in out
    assert re.search(r"\b\d{2,3} demo stations \(1\.\d+ per km² over 69\.9 km²\)", out)
    ten = re.search(r"covered at 10:00 .*sanitation_worker (\d+\.\d)%", out)
    four = re.search(r"covered at 04:00 .*sanitation_worker (\d+\.\d)%", out)
    assert 40 <= float(ten.group(1)) <= 90 and float(four.group(1)) < float(ten.group(1))
    assert re.search(r"gap areas at 10:00: [1-9]", out)
    assert "Built in" in result.stderr and "路网 network walk" in result.stderr


def test_demo_serves_the_built_region_with_a_demo_planner(runner, demo, monkeypatch, tmp_path):
    import shutil

    import app
    from app.accounts import Accounts
    from geo.registry import Registry

    data_dir = tmp_path / "demo"  # a copy: the account goes into its registry
    shutil.copytree(demo.data_dir, data_dir)
    served = {}
    monkeypatch.setattr(app, "serve", lambda **kwargs: served.update(kwargs))
    passwords = []
    for _ in range(2):
        result = runner.invoke(main, ["demo", "--data-dir", str(data_dir), "--port", "5099"])
        assert result.exit_code == 0, result.output
        assert served["data_dir"] == data_dir and served["port"] == 5099
        passwords += re.findall(r"user demo, password (\S+) ", result.output)
    assert len(passwords) == 2 and passwords[0] != passwords[1]  # a new one at each start
    accounts = Accounts(Registry(f"sqlite:///{data_dir / 'yizhan.sqlite'}"))
    assert [u.name for u in accounts.users()] == ["demo"]
    assert accounts.sign_in("demo", passwords[1], client="t").user.role == "planner"
    accounts.engine.dispose()


def test_serve_takes_saved_networks(runner, demo, monkeypatch):
    import app

    served = {}
    monkeypatch.setattr(app, "serve", lambda **kwargs: served.update(kwargs))
    result = runner.invoke(main, ["serve", "--db", demo.db_url, "--network",
                                  str(demo.network_path("drive")), "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert served["networks"] == {"drive": str(demo.network_path("drive"))}
    assert served["host"] == "0.0.0.0" and served["db_url"] == demo.db_url


def test_serve_takes_an_osm_file_for_every_mode(runner, demo, helsinki_pbf, monkeypatch):
    import app

    served = {}
    monkeypatch.setattr(app, "serve", lambda **kwargs: served.update(kwargs))
    result = runner.invoke(main, ["serve", "--db", demo.db_url, "--network",
                                  str(demo.network_path("walk")), "--network", str(helsinki_pbf)])
    assert result.exit_code == 0, result.output
    assert served["networks"] == {"walk": str(demo.network_path("walk")),
                                  "ebike": str(helsinki_pbf), "drive": str(helsinki_pbf)}


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
