"""Worker counts and districts uploaded from the browser: /api/inputs."""

from __future__ import annotations

import base64
import json

import pytest

from app import inputs, uploads
from tests.app.conftest import CENTRE, assert_error, own_app, sign_in

LON, LAT = CENTRE
DEMAND_CSV = ("经度,纬度,人数,群体\n"
              f"{LON},{LAT},120,外卖骑手\n"
              f"{LON + 0.002},{LAT + 0.001},30,环卫工人\n")


def box(west, south, east, north):
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


def districts_geojson(features=None) -> str:
    west = box(LON - 0.05, LAT - 0.05, LON - 0.01, LAT + 0.05)
    east = box(LON - 0.01, LAT - 0.05, LON + 0.05, LAT + 0.05)
    features = features if features is not None else [
        {"type": "Feature", "properties": {"name": "西区"},
         "geometry": {"type": "Polygon", "coordinates": west}},
        {"type": "Feature", "properties": {"name": "东区"},
         "geometry": {"type": "Polygon", "coordinates": east}},
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def send(client, kind, filename, text: str | bytes, **query):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(f"/api/inputs/{kind}", query_string=query, json={
        "filename": filename, "content": base64.b64encode(data).decode("ascii")})


@pytest.fixture
def office(demo, tmp_path):
    app = own_app(demo, tmp_path, DEMAND=str(demo.data_dir / "demand.csv"))
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def planner(office):
    return sign_in(office)


def coverage_total(client) -> float:
    answer = client.get("/api/coverage?group=delivery_rider")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["groups"]["delivery_rider"]["total"]


def test_an_upload_is_used_by_coverage_and_siting_and_the_previous_is_restorable(office,
                                                                                 planner):
    before = coverage_total(planner)
    made = send(planner, "demand", "区里的人数.csv", DEMAND_CSV)
    assert made.status_code == 201, made.get_json()
    entry = made.get_json()
    assert entry["filename"] == "区里的人数.csv" and entry["uploaded_by"] == "li.ming"
    assert entry["summary"] == {"rows": 2, "workers": 150.0} and entry["current"] is True
    assert coverage_total(planner) == 120.0  # the next analysis reads the upload
    plan = planner.post("/api/plan", json={"kind": "outdoor_rest_point", "add": 1,
                                           "group": ["delivery_rider"]})
    assert plan.status_code in (200, 404), plan.get_json()
    second = send(planner, "demand", "later.csv", DEMAND_CSV.replace("120", "80")).get_json()
    assert coverage_total(planner) == 80.0
    listed = planner.get("/api/inputs").get_json()
    assert listed["demand"]["current"]["id"] == second["id"]
    assert [u["id"] for u in listed["demand"]["uploads"]] == [second["id"], entry["id"]]
    assert listed["demand"]["fallback"] == "demand.csv" and listed["districts"]["current"] is None
    restored = planner.post(f"/api/inputs/demand/{entry['id']}/restore", json={})
    assert restored.status_code == 200 and restored.get_json()["used_by"] == "li.ming"
    assert coverage_total(planner) == 120.0
    assert before != 120.0


def test_another_process_finds_the_upload(office, planner, demo):
    send(planner, "demand", "n.csv", DEMAND_CSV)
    from app import create_app

    other = create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                        "DB_URL": office.config["DB_URL"], "SECRET_KEY": "test",
                        "REGISTRY_CHECK_INTERVAL": 0.0})
    assert coverage_total(sign_in(other, address="10.0.0.3")) == 120.0
    other.extensions["yizhan"].registry.engine.dispose()


def test_districts_give_coverage_by_district(planner):
    made = send(planner, "districts", "districts.geojson", districts_geojson())
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["summary"] == {"districts": 2}
    send(planner, "demand", "n.csv", DEMAND_CSV)
    group = planner.get("/api/coverage?group=delivery_rider").get_json()["groups"][
        "delivery_rider"]
    assert group["by_district"]["东区"]["total"] == 120.0


@pytest.mark.parametrize(("filename", "text", "where"), [
    ("bad.csv", DEMAND_CSV + f"{LON},north,5,外卖骑手\n{LON},{LAT},-3,外卖骑手\n",
     [(4, "纬度"), (5, "人数")]),
    ("bad.csv", "经度,纬度,人数\n1,2,3\n", [(1, None)]),
    ("empty.csv", "", [(None, None)]),
])
def test_a_bad_demand_file_is_named_by_row_and_column_and_nothing_is_kept(office, planner,
                                                                           filename, text,
                                                                           where):
    answer = assert_error(send(planner, "demand", filename, text, lang="zh"), 400, "file")
    found = [(p["row"], p["column"]) for p in answer["problems"]]
    assert found[:len(where)] == where
    assert all(p["file"] == filename and filename in p["text"] for p in answer["problems"])
    assert "/tmp" not in json.dumps(answer, ensure_ascii=False)
    assert office.extensions["yizhan"].inputs.current_ids()["demand"] is None


def test_bad_district_files_are_named_and_nothing_is_kept(office, planner):
    point = {"type": "Feature", "properties": {"name": "点"},
             "geometry": {"type": "Point", "coordinates": [LON, LAT]}}
    nameless = {"type": "Feature", "properties": {"name": ""},
                "geometry": {"type": "Polygon", "coordinates": box(LON, LAT, LON + 0.1, LAT + 0.1)}}
    answer = assert_error(send(planner, "districts", "d.geojson",
                               districts_geojson([point, nameless]), lang="zh"), 400, "file")
    assert [(p["row"], p["column"]) for p in answer["problems"]] == [(1, "geometry"),
                                                                     (2, "name")]
    assert "不是面" in answer["problems"][0]["text"]
    no_name = districts_geojson().replace('"name"', '"label"')
    assert "name" in assert_error(send(planner, "districts", "d.geojson", no_name), 400,
                                  "file")["error"]
    assert_error(send(planner, "districts", "d.geojson", "{not json"), 400, "file")
    assert_error(send(planner, "districts", "d.csv", "a,b"), 400, "filename")
    assert office.extensions["yizhan"].inputs.current_ids()["districts"] is None


def test_too_large_is_a_clear_413(planner, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 100)
    answer = assert_error(send(planner, "demand", "big.csv", DEMAND_CSV + "x" * 200,
                               lang="zh"), 413, "file")
    assert "MB" in answer["error"] and "文件太大" in answer["error"]
    monkeypatch.setattr(uploads, "MAX_BODY", 100)
    assert_error(send(planner, "demand", "big.csv", DEMAND_CSV * 3), 413, "file")


def test_not_base64_and_unknown_kinds_are_named(planner):
    assert_error(planner.post("/api/inputs/demand", json={"filename": "a.csv",
                                                          "content": "%%%"}), 400, "content")
    assert_error(send(planner, "people", "a.csv", DEMAND_CSV), 400, "kind")
    assert_error(planner.post("/api/inputs/demand/999/restore", json={}), 404)
    # an id no database stores is no upload either (not a server error)
    assert_error(planner.post(f"/api/inputs/demand/{2**63}/restore", json={}), 404)


def test_only_signed_in_planners_upload(office):
    stranger = office.test_client()
    assert_error(send(stranger, "demand", "a.csv", DEMAND_CSV), 401)
    assert_error(stranger.get("/api/inputs"), 401)


def test_a_running_analysis_keeps_the_inputs_it_started_with(office, planner):
    state = office.extensions["yizhan"]
    send(planner, "demand", "a.csv", DEMAND_CSV)
    key, frame = state.demand_input()
    send(planner, "demand", "b.csv", DEMAND_CSV.replace("120", "7"))
    assert float(frame["weight"].sum()) == 150.0  # what a running analysis holds is unchanged
    assert state.demand_input()[0] != key


def test_uploads_keep_the_file_who_and_when(office, planner):
    entry = send(planner, "demand", "a.csv", DEMAND_CSV).get_json()
    name, content = office.extensions["yizhan"].inputs.content(entry["id"])
    assert name == "a.csv" and content == DEMAND_CSV.encode("utf-8")
    assert entry["uploaded_at"] and entry["sha256"] and inputs.INPUT_KINDS == ("demand",
                                                                              "districts")
