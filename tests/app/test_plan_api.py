"""The planner view's API: /api/coverage, /api/plan and the proposal downloads, with Flask's test
client on the demo region, compared with geo.coverage and geo.siting.planning on the same inputs."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from app import create_app
from geo import settings
from geo.coverage import coverage, coverage_cells, parse_at
from geo.demand import read_demand
from geo.registry import Registry
from geo.siting.planning import coverage_matrix, gap_candidates, plan
from geo.workflow import osm_extract

from .conftest import XSS, add_account, assert_error, copy_db, page_config, sign_in, signed_in

GROUPS = ["delivery_rider", "sanitation_worker", "truck_driver", "ride_hailing_driver"]


@pytest.fixture(scope="module")
def app(demo, tmp_path_factory):
    """The web app on the demo region (a copy of its registry, with a planner account), with
    room for the many analyses these tests ask for."""
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                      "DB_URL": copy_db(demo, tmp_path_factory.mktemp("plan-api")),
                      "ANALYSIS_RATE_LIMIT": "10000 per minute"})
    add_account(app)
    return app


@pytest.fixture(scope="module")
def client(app):
    """A planner signed in (coverage and siting are for planners)."""
    return sign_in(app)


@pytest.fixture(scope="module")
def networks(demo):
    return {mode: demo.network(mode) for mode in ("walk", "ebike", "drive")}


@pytest.fixture(scope="module")
def demand(demo, networks):
    return read_demand(demo.demand_path, network=networks["walk"])


def plain(value):
    """As it comes back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def today():
    return datetime.now(ZoneInfo(settings.timezone)).date()


# --- coverage -------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, options", [
    ("", {}),
    ("minutes=4", {"minutes": 4.0}),
    ("minutes=4&at=04:30", {"minutes": 4.0, "at": "04:30"}),
    ("group=sanitation_worker&group=环卫工人&minutes=3&h3_res=8",
     {"minutes": 3.0, "wanted": ["sanitation_worker"], "res": 8}),
    ("group=truck_driver,ride_hailing_driver&at=2026-11-25T03:00&minutes=2",
     {"minutes": 2.0, "wanted": ["ride_hailing_driver", "truck_driver"],
      "at": "2026-11-25T03:00"}),
])
def test_coverage_equals_geo_coverage(client, demo_stations, networks, demand, query, options):
    body = client.get(f"/api/coverage?{query}").get_json()
    res = options.get("res", settings.h3_res)
    when = parse_at(options.get("at"))
    day = when.date() if when is not None else today()
    common = {"wanted": options.get("wanted"), "minutes": options.get("minutes"), "day": day,
              "gap_res": res}
    hours = coverage(networks, demo_stations, demand, by_hour=True, **common)
    timed = coverage(networks, demo_stations, demand, at=when, **common) if when else hours
    assert list(body["groups"]) == list(timed.summary["groups"])
    for gid, entry in timed.summary["groups"].items():
        expected = {**entry, "by_hour": hours.summary["groups"][gid]["by_hour"],
                    "shift_hours": hours.summary["groups"][gid]["shift_hours"]}
        assert body["groups"][gid] == plain(expected)
    assert body["gaps"] == plain(timed.summary["gaps"])
    assert body["at"] == timed.summary["at"] and body["day"] == day.isoformat()
    assert body["h3_res"] == res and body["unit"] == "minutes"
    # the cells pool the points: they add up to the summary
    features = body["cells"]["features"]
    for gid, entry in body["groups"].items():
        mine = [f["properties"] for f in features if f["properties"]["group"] == gid]
        rounding = 1e-3 * len(mine) + 1e-6  # cells are rounded to 3 decimals
        assert sum(p["workers"] for p in mine) == pytest.approx(entry["total"], abs=rounding)
        assert sum(p["covered"] for p in mine) == pytest.approx(entry["covered"], abs=rounding)
        for hour in (4, 12):
            at_hour = sum(p["by_hour"][hour] * p["workers"] for p in mine)
            expected = entry["by_hour"][hour] * entry["total"]
            assert at_hour == pytest.approx(expected, rel=1e-3, abs=0.05)
    cells = coverage_cells(timed.points, res)
    ids = [f"{c}:{g}" for c, g in zip(cells["cell"], cells["group"], strict=True)]
    assert [f["id"] for f in features] == ids


def test_cells_are_h3_polygons_with_travel_times(client):
    body = client.get("/api/coverage?minutes=4").get_json()
    import h3

    feature = body["cells"]["features"][0]
    props = feature["properties"]
    assert h3.is_valid_cell(props["cell"]) and h3.get_resolution(props["cell"]) == settings.h3_res
    ring = feature["geometry"]["coordinates"][0]
    assert feature["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) >= 7
    _, lon = h3.cell_to_latlng(props["cell"])
    assert min(p[0] for p in ring) < lon < max(p[0] for p in ring)
    assert set(props) == {"cell", "group", "workers", "covered", "share", "off_network", "travel",
                          "travel_max", "by_hour"}
    assert 0 <= props["share"] <= 1 and len(props["by_hour"]) == 24
    assert props["travel"] is None or 0 <= props["travel"] <= props["travel_max"] + 1e-9


def test_the_04_00_sanitation_gap_shows(client):
    body = client.get("/api/coverage?minutes=4&group=sanitation_worker").get_json()
    entry = body["groups"]["sanitation_worker"]
    assert entry["by_hour"][4] < entry["share"]  # stations open office hours, shifts start at 4
    at_four = client.get("/api/coverage?minutes=4&group=sanitation_worker&at=04:30").get_json()
    assert at_four["groups"]["sanitation_worker"]["share"] == entry["by_hour"][4]
    assert at_four["groups"]["sanitation_worker"]["by_hour"] == entry["by_hour"]


def test_coverage_is_kept_and_revalidated(client):
    first = client.get("/api/coverage?minutes=5")
    started = time.perf_counter()
    again = client.get("/api/coverage?minutes=5", headers={"Accept-Encoding": "gzip"})
    assert time.perf_counter() - started < 0.5  # kept: computing it takes seconds
    assert again.headers["Content-Encoding"] == "gzip"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache" and first.mimetype == "application/json"
    assert client.get("/api/coverage?minutes=5",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_coverage_follows_station_changes(demo, tmp_path):
    url = copy_db(demo, tmp_path)
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url,
                      "REGISTRY_CHECK_INTERVAL": 0.0})
    client = signed_in(app)
    before = client.get("/api/coverage?minutes=4").get_json()
    registry = Registry(url)
    for station in registry.stations():
        if station.kind == "sanitation_station":
            registry.delete(station.id, source="test")
    after = client.get("/api/coverage?minutes=4").get_json()
    assert after["version"] != before["version"]
    share = {k: v["groups"]["sanitation_worker"]["share"] for k, v in (("before", before),
                                                                       ("after", after))}
    assert share["after"] < share["before"]


def test_no_demand_file_is_404_and_a_bad_one_409(demo, tmp_path):
    (tmp_path / "net").mkdir()
    shutil.copy(demo.network_path("walk"), tmp_path / "net" / "network-walk.npz")
    bare = signed_in(create_app({"TESTING": True, "DATA_DIR": tmp_path / "net"}))
    body = assert_error(bare.get("/api/coverage"), 404)
    assert "demand" in body["error"] and "YIZHAN_DEMAND" in body["error"]
    assert_error(bare.post("/api/plan", json={"kind": "sanitation_station", "add": 1}), 404)
    bad = tmp_path / "bad.csv"
    bad.write_text("lon,lat,weight,group\n24.94,60.17,abc,sanitation_worker\n24.94,95,1,pilots\n",
                   encoding="utf-8")
    broken = create_app({"TESTING": True, "DATA_DIR": tmp_path / "net", "DEMAND": str(bad)})
    body = assert_error(signed_in(broken).get("/api/coverage"), 409, "demand")
    assert len(body["problems"]) == 3 and body["problems"][0]["row"] == 2


def test_groups_without_a_network_are_skipped_or_refused(demo, tmp_path):
    (tmp_path / "net").mkdir()
    shutil.copy(demo.network_path("walk"), tmp_path / "net" / "network-walk.npz")
    shutil.copy(demo.demand_path, tmp_path / "net" / "demand.csv")
    client = signed_in(create_app({"TESTING": True, "DATA_DIR": tmp_path / "net"}))
    body = client.get("/api/coverage?minutes=4").get_json()
    assert list(body["groups"]) == ["sanitation_worker"]
    assert set(body["skipped"]) == {"delivery_rider", "truck_driver", "ride_hailing_driver"}
    assert_error(client.get("/api/coverage?group=truck_driver"), 400, "group")


# --- plans ----------------------------------------------------------------------------------------

ANSWER_EXTRAS = {"groups", "skipped", "totals", "budgets", "candidates", "version", "elapsed_s",
                 "downloads", "already_met", "target", "at"}


def geo_plan(networks, stations, demand, *, kind, minutes=None, wanted=None, **options):
    """The flow of ``yizhan plan`` without --candidates, with geo's functions."""
    from geo.demand import groups_in
    from geo.groups import DEFAULT_GROUPS as groups

    chosen = [g for g in groups_in(demand, wanted, groups) if kind in groups[g].kinds]
    before = coverage(networks, stations, demand, wanted=chosen, minutes=minutes)
    points = before.points
    candidates = gap_candidates(points[~points["covered"] & ~points["off_network"]],
                                networks["walk"], extract=osm_extract(networks["walk"]))
    matrix = coverage_matrix(networks, stations, demand, candidates, kind=kind, wanted=chosen,
                             minutes=minutes)
    return chosen, len(candidates), plan(matrix, time_limit=10, **options)


@pytest.mark.parametrize("body, expected", [
    ({"kind": "sanitation_station", "add": 2, "minutes": 4, "curve": 4},
     {"kind": "sanitation_station", "add": 2, "minutes": 4, "curve": 4}),
    ({"kind": "环卫驿站", "add": "3", "minutes": "3", "group": "sanitation_worker"},
     {"kind": "sanitation_station", "add": 3, "minutes": 3, "wanted": ["sanitation_worker"]}),
    ({"kind": "outdoor_rest_point", "target": 0.95, "minutes": 4,
      "group": ["sanitation_worker", "ride_hailing_driver"]},
     {"kind": "outdoor_rest_point", "target": 0.95, "minutes": 4,
      "wanted": ["ride_hailing_driver", "sanitation_worker"]}),
    ({"kind": "driver_home", "add": 1, "minutes": 1},
     {"kind": "driver_home", "add": 1, "minutes": 1}),
])
def test_plan_equals_geo_plan(client, demo_stations, networks, demand, body, expected):
    response = client.post("/api/plan", json=body)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    chosen, n_candidates, result = geo_plan(networks, demo_stations, demand, **expected)
    assert {k: v for k, v in answer.items() if k not in ANSWER_EXTRAS} == plain(result.as_json())
    assert answer["groups"] == chosen and answer["candidates"] == n_candidates
    assert answer["budgets"] == {g: float(expected["minutes"]) for g in chosen}
    assert set(answer["downloads"]) == {"geojson", "csv", "xlsx"}
    for gid in chosen:
        assert answer["after"][gid] >= answer["before"][gid]
        assert answer["totals"][gid] == pytest.approx(float(demand.loc[demand.group == gid,
                                                                       "weight"].sum()), abs=1e-3)


def test_proposal_downloads_parse(client):
    answer = client.post("/api/plan", json={"kind": "sanitation_station", "add": 2,
                                            "minutes": 4}).get_json()
    sites = answer["sites"]
    assert len(sites) == 2
    links = answer["downloads"]
    geo = client.get(links["geojson"])
    assert geo.status_code == 200 and geo.mimetype == "application/geo+json"
    disposition = geo.headers["Content-Disposition"]
    assert 'filename="yizhan-plan-sanitation_station-2.geojson"' in disposition
    collection = json.loads(geo.data)
    assert [f["geometry"]["coordinates"] for f in collection["features"]] == \
        [[s["lon"], s["lat"]] for s in sites]
    assert collection["features"][0]["properties"]["newly_covered"] == sites[0]["newly_covered"]
    csv = client.get(links["csv"])
    assert csv.data.startswith("\ufeff".encode("utf-8"))  # a BOM, for Excel
    table = pd.read_csv(io.BytesIO(csv.data), encoding="utf-8-sig")
    assert {"rank", "id", "name", "lon", "lat", "newly_covered",
            "new_sanitation_worker"} <= set(table)
    assert table["id"].tolist() == [s["id"] for s in sites]
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(client.get(links["xlsx"]).data))
    rows = list(book["proposal"].iter_rows(values_only=True))
    assert rows[0][:5] == ("rank", "id", "name", "lon", "lat") and len(rows) == 3


def test_downloads_need_no_memory_of_the_run(demo, app, client):
    """Another worker process (a fresh app) answers a download link by running the plan again."""
    answer = client.post("/api/plan", json={"kind": "outdoor_rest_point", "add": 2,
                                            "minutes": 4}).get_json()
    fresh = signed_in(create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                                  "DB_URL": app.config["DB_URL"]}))
    collection = json.loads(fresh.get(answer["downloads"]["geojson"]).data)
    ids = [f["properties"]["id"] for f in collection["features"]]
    assert ids == [s["id"] for s in answer["sites"]]


def test_downloads_after_a_station_change_are_409(demo, tmp_path):
    url = copy_db(demo, tmp_path)
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url,
                      "REGISTRY_CHECK_INTERVAL": 0.0})
    client = signed_in(app)
    answer = client.post("/api/plan", json={"kind": "sanitation_station", "add": 1,
                                            "minutes": 4}).get_json()
    station = Registry(url).stations()[0]
    Registry(url).upsert([station.replace(name="改名 renamed")], source="test")
    assert_error(client.get(answer["downloads"]["csv"]), 409, "v")


def test_a_plan_with_nothing_left_to_cover(client):
    answer = client.post("/api/plan", json={"kind": "outdoor_rest_point", "add": 2,
                                            "group": "delivery_rider"}).get_json()
    assert answer["sites"] == [] and answer["downloads"] is None and answer["note"]
    assert answer["before"] == answer["after"] == {"delivery_rider": 1.0}


def test_plans_are_kept(client):
    body = {"kind": "sanitation_station", "add": 4, "minutes": 3.5}
    first = client.post("/api/plan", json=body).get_json()
    again = client.post("/api/plan", json=body).get_json()
    assert again == first  # the same answer, elapsed time included: it was not run again


# --- bad parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize("query, parameter", [
    ("minutes=0", "minutes"), ("minutes=-3", "minutes"), ("minutes=abc", "minutes"),
    ("minutes=121", "minutes"), ("minutes=nan", "minutes"), ("minutes=inf", "minutes"),
    ("h3_res=4", "h3_res"), ("h3_res=12", "h3_res"), ("h3_res=9.5", "h3_res"),
    ("h3_res=x", "h3_res"), ("at=25:00", "at"), ("at=abc", "at"), ("at=04:61", "at"),
    ("at=9999-12-31T23:59:59+14:00", "at"), ("at=0001-01-01T00:00", "at"),
    ("group=pilots", "group"), ("group=sanitation_worker,pilots", "group"),
    ("colour=red", "colour"),
])
def test_bad_coverage_parameters_are_400_naming_them(client, query, parameter):
    assert_error(client.get(f"/api/coverage?{query}"), 400, parameter)


@pytest.mark.parametrize("body, parameter", [
    ({"add": 2}, "kind"), ({"kind": "bakery", "add": 2}, "kind"), ({"kind": 3, "add": 2}, "kind"),
    ({"kind": "sanitation_station"}, "add"),
    ({"kind": "sanitation_station", "add": 2, "target": 0.9}, "add"),
    ({"kind": "sanitation_station", "add": 0}, "add"),
    ({"kind": "sanitation_station", "add": 2.5}, "add"),
    ({"kind": "sanitation_station", "add": True}, "add"),
    ({"kind": "sanitation_station", "add": 51}, "add"),
    ({"kind": "sanitation_station", "add": [2]}, "add"),
    ({"kind": "sanitation_station", "target": 0}, "target"),
    ({"kind": "sanitation_station", "target": 150}, "target"),
    ({"kind": "sanitation_station", "target": -1}, "target"),
    ({"kind": "sanitation_station", "target": True}, "target"),
    ({"kind": "sanitation_station", "add": 2, "at": "25:61"}, "at"),
    ({"kind": "sanitation_station", "add": 2, "at": 430}, "at"),
    ({"kind": "sanitation_station", "target": "most"}, "target"),
    ({"kind": "sanitation_station", "target": 0.99999, "minutes": 1}, "target"),  # unreachable
    ({"kind": "sanitation_station", "add": 2, "minutes": 0}, "minutes"),
    ({"kind": "sanitation_station", "add": 2, "minutes": "soon"}, "minutes"),
    ({"kind": "sanitation_station", "add": 2, "group": ["pilots"]}, "group"),
    ({"kind": "sanitation_station", "add": 2, "group": 5}, "group"),
    ({"kind": "driver_home", "add": 2, "group": ["sanitation_worker"]}, "group"),
    ({"kind": "sanitation_station", "add": 2, "curve": 0}, "curve"),
    ({"kind": "sanitation_station", "add": 2, "curve": 21}, "curve"),
    ({"kind": "sanitation_station", "add": 2, "budget": 3}, "budget"),
    ([1, 2], "body"), ("sanitation_station", "body"),
])
def test_bad_plan_bodies_are_400_naming_the_field(client, body, parameter):
    assert_error(client.post("/api/plan", json=body), 400, parameter)


def test_a_plan_must_be_json(client):
    assert_error(client.post("/api/plan", data="kind=sanitation_station&add=2"), 400, "body")


def test_bad_download_links(client):
    assert_error(client.get("/api/plan/proposal.pdf?kind=sanitation_station&add=1"), 404)
    assert_error(client.get("/api/plan/proposal.csv?add=1"), 400, "kind")
    assert_error(client.get("/api/plan/proposal.csv?kind=sanitation_station&add=1&x=1"), 400, "x")
    assert_error(client.get("/api/plan/proposal.csv?kind=sanitation_station&add=1&v=0-0"), 409, "v")


JUNK = ["", " ", "abc", "-1", "0", "1e309", "-1e309", "nan", "inf", "99999999999999999999",
        "1,2", "1,2,3,4,5", ",,,", "\x00", "%00", "☃", "[]", "{}", "true", "null",
        "2026-13-45", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00", "' OR 1=1 --", XSS,
        "a" * 3000, "60.17,24.94", "司机之家、厕所", "04:30", "4", "0.5", "环卫工人"]
JSON_JUNK = [None, "", "x", -1, 0, 0.5, 3, 1e308, [], {}, ["sanitation_worker", 3], True, XSS,
             "a" * 5000, {"a": 1}, [[]]]


def test_fuzzing_every_parameter_never_gives_a_server_error(client):
    checked = 0
    for name in ["group", "at", "minutes", "h3_res"]:
        for junk in JUNK:
            response = client.get("/api/coverage", query_string={"minutes": "4", name: junk})
            assert response.status_code < 500, (name, junk, response.get_data(as_text=True))
            assert response.is_json
            checked += 1
    base = {"kind": "sanitation_station", "add": 2, "minutes": 4}
    for name in ["kind", "add", "target", "minutes", "group", "curve"]:
        for junk in JSON_JUNK:
            body = {**base, name: junk}
            if name == "target":
                body.pop("add")
            response = client.post("/api/plan", json=body)
            assert response.status_code < 500, (name, junk, response.get_data(as_text=True))
            checked += 1
        for junk in [*JUNK[:12], XSS, "☃"]:
            query = {"kind": "sanitation_station", "add": "1", name: junk}
            response = client.get("/api/plan/proposal.csv", query_string=query)
            assert response.status_code < 500, (name, junk, response.get_data(as_text=True))
            checked += 1
    for junk in [*JUNK[1:8], XSS]:
        assert client.get(f"/api/plan/proposal.{junk}?kind=x").status_code < 500
    assert checked > 300


# --- the page -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, label, tab", [("zh", "环卫工人", "缺口"),
                                              ("en", "Sanitation worker", "Gaps")])
def test_the_plan_page_in_both_languages(client, lang, label, tab):
    response = client.get(f"/plan?lang={lang}")
    html = response.get_data(as_text=True)
    config = page_config(html)
    assert config["lang"] == lang and config["groupOrder"] == GROUPS
    assert config["groups"]["sanitation_worker"]["label"] == label
    assert config["groups"]["sanitation_worker"]["shiftHours"][0] == 4
    assert config["defaultMinutes"] == 4  # a demo region: small, so a small budget
    assert f">{tab}<" in html and "/static/vendor/leaflet/leaflet.js" in html
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    with client.get("/static/js/plan.js") as js:
        text = js.get_data(as_text=True)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", text)) <= {"https://leafletjs.com",
                                                                "http://www.w3.org/2000/svg"}
    assert "innerHTML" not in text


def test_the_page_keeps_station_names_as_data(demo, tmp_path):
    url = copy_db(demo, tmp_path)
    registry = Registry(url)
    registry.upsert([registry.stations()[0].replace(name=XSS)], source="test")
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url})
    html = app.test_client().get("/plan").get_data(as_text=True)
    assert XSS not in html


# --- the hour, the target's forms, a target met -------------------------------------------------

def test_plan_at_the_hour_equals_run_plan(client, demo_stations, networks, demand):
    from geo.workflow import run_plan

    body = {"kind": "sanitation_station", "add": 2, "minutes": 4, "at": "04:30"}
    answer = client.post("/api/plan", json=body).get_json()
    when = parse_at("04:30")
    run = run_plan(networks, demo_stations, demand, kind="sanitation_station", add=2,
                   minutes=4, at=when, time_limit=10)
    assert answer["at"] == when.isoformat()
    assert answer["before"] == run.as_json()["before"]
    assert [s["id"] for s in answer["sites"]] == [s["id"] for s in run.as_json()["sites"]]
    anytime = client.post("/api/plan", json={**body, "at": None}).get_json()
    assert anytime["at"] is None
    # some stations close at night, so 04:30 is planned with fewer of them
    assert answer["before"]["sanitation_worker"] <= anytime["before"]["sanitation_worker"]
    # the downloads are of the same plan, at the same hour
    assert "at=" in answer["downloads"]["csv"]
    table = pd.read_csv(io.BytesIO(client.get(answer["downloads"]["csv"]).data),
                        encoding="utf-8-sig")
    assert table["id"].tolist() == [s["id"] for s in answer["sites"]]


def test_plan_target_as_share_or_percentage(client):
    body = {"kind": "sanitation_station", "minutes": 4, "group": "sanitation_worker"}
    share = client.post("/api/plan", json={**body, "target": 0.3}).get_json()
    percent = client.post("/api/plan", json={**body, "target": 30}).get_json()
    text = client.post("/api/plan", json={**body, "target": "30%"}).get_json()
    assert share["target"] == percent["target"] == text["target"] == 0.3
    assert [s["id"] for s in share["sites"]] == [s["id"] for s in percent["sites"]]
    assert share["groups"] == ["sanitation_worker"]


def test_plan_bad_target_names_target_in_both_forms(client):
    body = assert_error(client.post("/api/plan", json={"kind": "sanitation_station",
                                                       "target": 150}), 400, "target")
    assert "0.9" in body["error"] and "90" in body["error"]
    assert "target_share" not in json.dumps(body)


def test_plan_target_already_met(client):
    answer = client.post("/api/plan", json={"kind": "sanitation_station", "minutes": 4,
                                            "target": 2}).get_json()  # 2 %
    assert answer["already_met"] is True and answer["sites"] == []
    assert answer["note"].startswith("target already met") and answer["downloads"] is None
    assert "no candidate" not in answer["note"]
    assert answer["before"] == answer["after"]


def test_gap_sites_have_place_names(client):
    answer = client.post("/api/plan", json={"kind": "sanitation_station", "add": 3,
                                            "minutes": 4}).get_json()
    names = [s["name"] for s in answer["sites"]]
    assert names and not any("gap site" in n for n in names)
    assert any(n.endswith("附近") for n in names)
