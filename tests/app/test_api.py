"""The JSON API under /api, with Flask's test client on the demo region."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from app import create_app
from geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from geo.nearest import StationFinder
from geo.registry import Registry
from geo.stations import Station
from tests.app.conftest import CENTRE, XSS, assert_error, own_app, sign_in


@pytest.fixture(scope="module")
def finders(demo, demo_stations):
    return {mode: StationFinder(demo.network(mode), demo_stations)
            for mode in ("walk", "ebike", "drive")}


# --- stations -------------------------------------------------------------------------------------

def test_stations_are_geojson_with_links(client, demo_stations):
    body = client.get("/api/stations").get_json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == [s.id for s in demo_stations]
    station, feature = demo_stations[0], body["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [station.lon, station.lat]}
    props = feature["properties"]
    assert props["name"] == station.name and props["kind"] == station.kind
    assert props["services"] == sorted(station.services) and "演示数据" in props["notes"]
    assert props["open"] in (True, False, None)
    g_lon, g_lat = wgs84_to_gcj02(station.lon, station.lat)
    b_lon, b_lat = wgs84_to_bd09(station.lon, station.lat)
    links = props["links"]
    assert links["geo"].startswith(f"geo:{station.lat:.6f},{station.lon:.6f}")
    assert f"uri.amap.com/marker?position={g_lon:.6f},{g_lat:.6f}" in links["amap"]
    assert f"location={b_lat:.6f},{b_lon:.6f}" in links["baidu"]
    assert "coord_type=bd09ll" in links["baidu"]


def test_amap_and_baidu_links_shift_inside_china():
    from geo.navigation import nav_links

    s = Station(id="bj", name="天安门 驿站", kind="outdoor_rest_point", lon=116.391, lat=39.907)
    links = nav_links(s)
    g_lon, g_lat = wgs84_to_gcj02(116.391, 39.907)
    assert abs(g_lon - 116.391) > 1e-3  # GCJ-02 really moves points in China
    assert f"position={g_lon:.6f},{g_lat:.6f}" in links["amap"]
    assert "name=%E5%A4%A9%E5%AE%89%E9%97%A8%20" in links["amap"]


@pytest.mark.parametrize("query, check", [
    ("kind=driver_home", lambda s: s.kind == "driver_home"),
    ("kind=司机之家&kind=sanitation_station",
     lambda s: s.kind in ("driver_home", "sanitation_station")),
    ("kind=driver_home,outdoor_rest_point", lambda s: s.kind != "sanitation_station"),
    ("service=toilet&service=热饭", lambda s: {"toilet", "food_heating"} <= s.services),
    ("open_at=2026-11-28T03:00", lambda s: s.is_open("2026-11-28T03:00")),
    ("bbox=24.94,60.165,24.95,60.175",
     lambda s: 24.94 <= s.lon <= 24.95 and 60.165 <= s.lat <= 60.175),
])
def test_station_filters(client, demo_stations, query, check):
    ids = [f["id"] for f in client.get(f"/api/stations?{query}").get_json()["features"]]
    expected = [s.id for s in demo_stations if check(s)]
    assert ids == expected and 0 < len(ids) < len(demo_stations)


def test_one_station_and_unknown_id(client, demo_stations):
    station = demo_stations[3]
    feature = client.get(f"/api/stations/{station.id}").get_json()
    assert feature["type"] == "Feature" and feature["properties"]["name"] == station.name
    assert_error(client.get("/api/stations/no-such-station"), 404)


# --- nearest --------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, kwargs", [
    ("", {}),
    ("&k=5", {"k": 5}),
    ("&mode=ebike&k=4", {"k": 4, "mode": "ebike"}),
    ("&mode=drive&kind=driver_home", {"mode": "drive", "kinds": ["driver_home"]}),
    ("&service=toilet&service=food_heating", {"services": ["toilet", "food_heating"]}),
    ("&open_at=2026-11-28T03:00&k=2", {"open_at": "2026-11-28T03:00", "open_only": True,
                                        "k": 2}),
    ("&kind=sanitation_station&kind=outdoor_rest_point&open_at=2026-11-25T12:00",
     {"kinds": ["sanitation_station", "outdoor_rest_point"], "open_at": "2026-11-25T12:00",
      "open_only": True}),
])
def test_nearest_equals_station_finder(client, finders, query, kwargs):
    lon, lat = CENTRE
    mode = kwargs.pop("mode", "walk")
    kwargs.setdefault("k", 3)
    if "open_at" not in kwargs:
        kwargs["open_at"] = "2026-11-25T12:00"  # a fixed time, so that `open` is comparable
        query += "&open_at=2026-11-25T12:00"
        kwargs["open_only"] = True
    body = client.get(f"/api/nearest?lat={lat}&lon={lon}{query}").get_json()
    hits = finders[mode].nearest(lon, lat, **kwargs)
    assert body["mode"] == mode and len(hits) > 0
    got = [{k: v for k, v in r.items() if k != "links"} for r in body["results"]]
    assert got == [h.as_dict() for h in hits]
    snap = finders[mode].snap(lon, lat)
    assert body["snapped"] == {"lon": snap.lon, "lat": snap.lat,
                               "distance_m": round(snap.distance_m, 1)}


def test_nearest_open_now_and_routes(client, finders):
    lon, lat = CENTRE
    body = client.get(f"/api/nearest?lat={lat}&lon={lon}&open_now=1&route=1&k=3").get_json()
    hits = finders["walk"].nearest(lon, lat, k=3, open_only=True, route=True)
    assert [r["id"] for r in body["results"]] == [h.station.id for h in hits]
    for result in body["results"]:
        assert result["open"] is True
        line = result["route"]
        assert line["type"] == "LineString" and line["coordinates"][0] == [lon, lat]
        assert line["coordinates"][-1] == [result["lon"], result["lat"]]
        assert list(result["links"]) == ["amap", "baidu", "apple", "geo"]  # China's apps first
    plain = client.get(f"/api/nearest?lat={lat}&lon={lon}").get_json()
    assert all("route" not in r for r in plain["results"])


@pytest.mark.parametrize("mode, options", [
    ("walk", {"k": 5, "route": True}),
    ("ebike", {"k": 3, "route": True, "services": ["toilet"]}),
    ("drive", {"k": 2, "kinds": ["driver_home"], "open_only": True}),
])
@pytest.mark.parametrize("cache", [0, 64])
def test_engine_answers_equal_the_finder(demo, finders, mode, options, cache):
    """With answers kept or not, the engine answers as the finder does, bit for bit; a point
    asked again is answered from memory."""
    import numpy as np

    from geo.errors import OffNetworkError

    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "NEAREST_CACHE": cache})
    engine = app.extensions["yizhan"]
    snap = engine.current()
    west, south, east, north = demo.manifest()["bounds"]
    rng = np.random.default_rng(11)
    lons, lats = rng.uniform(west, east, 60), rng.uniform(south, north, 60)
    compared = 0
    options = {**options, "open_at": local("2026-11-25T12:00")}
    for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True):
        try:
            where, hits = engine.nearest(snap, mode, lon, lat, **options)
        except OffNetworkError:
            continue
        expected = finders[mode].nearest(lon, lat, **options)
        assert [h.as_dict() for h in hits] == [h.as_dict() for h in expected]
        assert where == finders[mode].snap(lon, lat)
        again = engine.nearest(snap, mode, lon, lat, **options)
        assert [h.as_dict() for h in again[1]] == [h.as_dict() for h in expected]
        compared += 1
    assert compared > 30
    assert len(snap.searches) == (0 if cache == 0 else min(compared, 64))


def local(text):
    from geo.stations import local_time

    return local_time(text)


def test_off_network_point_is_422_with_the_distance(client):
    body = assert_error(client.get("/api/nearest?lat=60.0&lon=20.0"), 422, "lat")
    assert body["distance_m"] > 100_000 and "off this network" in body["error"]


@pytest.mark.parametrize("query", ["lat=3.6&lon=120.0&mode=ebike", "lat=-89&lon=-179",
                                   "lat=0&lon=-155.5"])
def test_points_a_continent_away_are_off_network_too(client, query):
    """Their projection to the region's metric CRS is infinite: found by schemathesis."""
    body = assert_error(client.get(f"/api/nearest?{query}"), 422, "lat")
    assert body["distance_m"] > 1_000_000 and "off this network" in body["error"]


@pytest.mark.parametrize("query, parameter", [
    ("lat=abc&lon=24.94", "lat"),
    ("lon=24.94", "lat"),
    ("lat=60.17", "lon"),
    ("lat=91&lon=24.94", "lat"),
    ("lat=60.17&lon=nan", "lon"),
    ("lat=60.17&lon=24.94&k=0", "k"),
    ("lat=60.17&lon=24.94&k=99", "k"),
    ("lat=60.17&lon=24.94&k=2.5", "k"),
    ("lat=60.17&lon=24.94&mode=plane", "mode"),
    ("lat=60.17&lon=24.94&kind=x", "kind"),
    ("lat=60.17&lon=24.94&service=x", "service"),
    ("lat=60.17&lon=24.94&open_at=x", "open_at"),
    ("lat=60.17&lon=24.94&open_now=maybe", "open_now"),
    ("lat=60.17&lon=24.94&open_now=1&open_at=2026-11-28T03:00", "open_now"),
    ("lat=60.17&lon=24.94&route=2", "route"),
    ("lat=60.17&lon=24.94&colour=red", "colour"),
])
def test_bad_nearest_parameters_are_400_naming_them(client, query, parameter):
    assert_error(client.get(f"/api/nearest?{query}"), 400, parameter)


@pytest.mark.parametrize("query, parameter", [
    ("bbox=1,2", "bbox"), ("bbox=3,2,1,4", "bbox"), ("bbox=a,b,c,d", "bbox"),
    ("kind=x", "kind"), ("service=x", "service"), ("open_at=x", "open_at"),
    ("open_at=2026-02-30T10:00", "open_at"),
    ("service=0&service=0", "service"),  # only numbering: no filter was meant, not all stations
    ("service=①", "service"),
])
def test_bad_station_parameters_are_400_naming_them(client, query, parameter):
    assert_error(client.get(f"/api/stations?{query}"), 400, parameter)


JUNK = ["", " ", "abc", "-1", "0", "1e309", "-1e309", "nan", "inf", "99999999999999999999",
        "1,2", "1,2,3,4,5", ",,,", "\x00", "%00", "☃", "[]", "{}", "true", "null",
        "2026-13-45", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00", "' OR 1=1 --", XSS,
        "a" * 3000, "60.17,24.94", "司机之家、厕所"]


def test_fuzzing_every_parameter_never_gives_a_server_error(client, demo_stations):
    lon, lat = CENTRE
    base = {"lat": str(lat), "lon": str(lon)}
    names = ["lat", "lon", "mode", "kind", "service", "open_at", "open_now", "k", "route"]
    checked = 0
    for name in names:
        for junk in JUNK:
            response = client.get("/api/nearest", query_string={**base, name: junk})
            assert response.status_code < 500, (name, junk, response.get_data(as_text=True))
            assert response.is_json
            checked += 1
    for name in ["kind", "service", "open_at", "bbox"]:
        for junk in JUNK:
            response = client.get("/api/stations", query_string={name: junk})
            assert response.status_code < 500, (name, junk)
            checked += 1
    for junk in JUNK[1:]:
        for path in (f"/api/stations/{junk}", f"/api/networks/{junk}/lines",
                     f"/api/stations/{junk}/history"):
            assert client.get(path).status_code < 500, path
        response = client.post("/api/reports", json={"station_id": junk, "kind": junk,
                                                     "text": junk})
        assert response.status_code < 500
    assert checked > 300


# --- reports --------------------------------------------------------------------------------------

def test_reports_are_stored_and_planners_read_them(writable, planner, demo_stations):
    client = writable.test_client()
    station = demo_stations[0]
    response = client.post("/api/reports", json={"station_id": station.id, "kind": "closed",
                                                 "text": "门锁着 locked", "lon": 24.94,
                                                 "lat": 60.17})
    assert response.status_code == 201
    stored = response.get_json()
    assert stored["station_id"] == station.id and stored["kind"] == "closed"
    assert_error(client.get("/api/reports"), 401)
    listed = planner.get(f"/api/reports?station_id={station.id}").get_json()["reports"]
    assert [r["text"] for r in listed] == ["门锁着 locked"]
    assert re.match(r"\d{4}-\d\d-\d\dT", listed[0]["created_at"])


@pytest.mark.parametrize("body, parameter", [
    ({"station_id": "nope", "kind": "closed"}, "station_id"),
    ({"kind": "closed"}, "station_id"),
    ({"station_id": "$FIRST", "kind": "broken"}, "kind"),
    ({"station_id": "$FIRST", "kind": "full", "text": "x" * 1001}, "text"),
    ({"station_id": "$FIRST", "kind": "full", "text": 5}, "text"),
    ({"station_id": "$FIRST", "kind": "moved", "lon": 24.9}, "lat"),
    ({"station_id": "$FIRST", "kind": "moved", "lon": 200, "lat": 60}, "lon"),
    ({"station_id": "$FIRST", "kind": "moved", "who": "me"}, "who"),
    ([1, 2], "body"),
])
def test_bad_reports_are_400_naming_the_field(writable, demo_stations, body, parameter):
    if isinstance(body, dict) and body.get("station_id") == "$FIRST":
        body["station_id"] = demo_stations[0].id
    assert_error(writable.test_client().post("/api/reports", json=body), 400, parameter)


def test_a_report_must_be_json(writable):
    response = writable.test_client().post("/api/reports", data="station_id=x&kind=closed")
    assert_error(response, 400, "body")


# --- planner sign-in (more in test_auth.py) ---------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("post", "/api/stations"), ("patch", "/api/stations/x"), ("delete", "/api/stations/x"),
    ("get", "/api/stations/x/history"), ("get", "/api/reports"),
])
def test_planner_endpoints_need_sign_in(writable, method, path):
    response = getattr(writable.test_client(), method)(path, json={"name": "x"})
    assert_error(response, 401)


# --- planner edits --------------------------------------------------------------------------------

NEW = {"name": "江汉路 户外劳动者驿站", "kind": "户外劳动者驿站", "lon": CENTRE[0],
       "lat": CENTRE[1], "services": "休息、厕所、热水", "hours": "周一至周五 8:30-18:00",
       "capacity": 6, "address": "Helsinki", "phone": "027-12345678"}


def test_create_edit_move_close_and_history(writable, planner):
    created = planner.post("/api/stations", json=NEW)
    assert created.status_code == 201, created.get_json()
    feature = created.get_json()
    sid = feature["id"]
    props = feature["properties"]
    assert sid.startswith("st-") and props["kind"] == "outdoor_rest_point"
    assert props["services"] == ["drinking_water", "rest", "toilet"]
    assert props["hours"] == "Mo-Fr 08:30-18:00"
    assert_error(planner.post("/api/stations", json=NEW), 409, "id")
    # the finder sees the new station at once
    query = f"/api/nearest?lat={CENTRE[1]}&lon={CENTRE[0]}&k=1&open_at=2026-11-25T12:00"
    assert planner.get(query).get_json()["results"][0]["id"] == sid
    assert props["version"] == 1 and created.headers["ETag"] == '"1"'
    edited = planner.patch(f"/api/stations/{sid}", json={"name": "新名字", "capacity": None},
                           headers={"If-Match": '"1"'})
    assert edited.status_code == 200
    assert edited.get_json()["properties"]["name"] == "新名字"
    assert edited.get_json()["properties"]["capacity"] is None
    assert planner.get(query).get_json()["results"][0]["name"] == "新名字"
    moved = planner.patch(f"/api/stations/{sid}", json={"lon": 24.9450, "lat": 60.1710,
                                                        "version": 2})
    assert moved.get_json()["geometry"]["coordinates"] == [24.9450, 60.1710]
    assert moved.get_json()["properties"]["version"] == 3
    assert planner.delete(f"/api/stations/{sid}", headers={"If-Match": '"3"'}).get_json() == {
        "deleted": sid}
    assert_error(planner.get(f"/api/stations/{sid}"), 404)
    assert_error(planner.delete(f"/api/stations/{sid}", headers={"If-Match": '"4"'}), 404)
    history = planner.get(f"/api/stations/{sid}/history").get_json()["history"]
    assert [h["action"] for h in history] == ["create", "update", "update", "delete"]
    assert {h["source"] for h in history} == {"planner"}
    assert {h["actor"] for h in history} == {"li.ming"}
    assert history[1]["before"]["name"] == NEW["name"] and history[1]["after"]["name"] == "新名字"
    assert_error(planner.get("/api/stations/never-existed/history"), 404)
    assert_error(planner.patch("/api/stations/never-existed", json={"name": "x", "version": 1}),
                 404)


@pytest.mark.parametrize("change, parameter", [
    ({"kind": "bakery"}, "kind"),
    ({"kind": 3}, "kind"),
    ({"services": "休息、魔法"}, "services"),
    ({"services": 7}, "services"),
    ({"hours": "whenever"}, "hours"),
    ({"capacity": -1}, "capacity"),
    ({"capacity": "ten"}, "capacity"),
    ({"capacity": True}, "capacity"),
    ({"lon": 181}, "lon"),
    ({"lat": "60"}, "lat"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"access": "vip"}, "access"),
    ({"id": "other"}, "id"),
    ({"colour": "red"}, "colour"),
])
def test_bad_edits_are_400_naming_the_field(planner, demo_stations, change, parameter):
    sid = demo_stations[0].id
    assert_error(planner.patch(f"/api/stations/{sid}", json=change), 400, parameter)


@pytest.mark.parametrize("body, parameter", [
    ({k: v for k, v in NEW.items() if k != "name"}, "name"),
    ({k: v for k, v in NEW.items() if k != "kind"}, "kind"),
    ({k: v for k, v in NEW.items() if k != "lat"}, "lat"),
    ({**NEW, "id": "bad id with spaces"}, "id"),
    ({**NEW, "id": "CD/001"}, "id"),
    ({**NEW, "id": "x" * 65}, "id"),
    ({**NEW, "id": ".."}, "id"),
    ({**NEW, "name": "驿站\x07"}, "name"),
    ({**NEW, "notes": "\u202e反向"}, "notes"),
    ({**NEW, "capacity": 10**20}, "capacity"),
])
def test_bad_new_stations_are_400(planner, body, parameter):
    assert_error(planner.post("/api/stations", json=body), 400, parameter)


def test_ids_the_import_takes_are_addressable(planner):
    created = planner.post("/api/stations", json={**NEW, "id": "成都-锦江.001"})
    assert created.status_code == 201, created.get_json()
    assert planner.get("/api/stations/成都-锦江.001").get_json()["id"] == "成都-锦江.001"


def test_a_chinese_deployment_refuses_stations_outside_china(demo, tmp_path):
    app = own_app(demo, tmp_path, REGION="china")
    client = sign_in(app)
    answer = client.post("/api/stations", json=NEW)  # in Helsinki
    assert_error(answer, 400, "lon")
    assert "outside China" in answer.get_json()["error"]
    swapped = client.post("/api/stations", json={**NEW, "lon": 43.8, "lat": 87.6})
    assert "swapped?" in swapped.get_json()["error"]
    created = client.post("/api/stations", json={**NEW, "lon": 104.06, "lat": 30.66})
    assert created.status_code == 201


def test_fuzzing_planner_bodies_never_gives_a_server_error(planner, demo_stations):
    sid = demo_stations[0].id
    values = [None, "", "x", -1, 0, 1e308, float("inf"), [], {}, ["toilet", 3], True, XSS,
              "a" * 5000]
    for field in ["id", "name", "kind", "lon", "lat", "services", "hours", "capacity", "access",
                  "phone", "address", "operator", "notes"]:
        for value in values:
            for response in (planner.patch(f"/api/stations/{sid}", json={field: value}),
                             planner.post("/api/stations", json={**NEW, field: value})):
                assert response.status_code < 500, (field, value, response.get_data(as_text=True))


def test_the_finder_follows_changes_made_elsewhere(writable, demo_stations):
    client = writable.test_client()
    station = demo_stations[0]
    Registry(writable.config["DB_URL"]).upsert([station.replace(name="改名了")], source="other")
    feature = client.get(f"/api/stations/{station.id}").get_json()
    assert feature["properties"]["name"] == "改名了"


def test_station_names_are_data_not_html(writable, demo_stations):
    station = demo_stations[0].replace(name=XSS, address=XSS)
    Registry(writable.config["DB_URL"]).upsert([station], source="test")
    client = writable.test_client()
    response = client.get(f"/api/stations/{station.id}")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["properties"]["name"] == XSS
    lon, lat = station.lon, station.lat
    near = client.get(f"/api/nearest?lat={lat}&lon={lon}&k=1&open_at=2026-11-25T12:00")
    assert near.mimetype == "application/json" and XSS in near.get_data(as_text=True)


# --- description and health -----------------------------------------------------------------------

def test_openapi_lists_every_api_route(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method) for path, item in spec["paths"].items()
                  for method in item if method != "parameters"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    routes = {re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules()}
    assert set(spec["paths"]) <= routes


def test_healthz(client, demo_stations):
    assert client.get("/healthz").get_json() == {"ok": True, "stations": len(demo_stations),
                                                 "networks": ["walk", "ebike", "drive"]}


def test_network_lines_are_gzipped_and_cached(client, demo):
    plain = client.get("/api/networks/walk/lines")
    assert plain.status_code == 200 and plain.mimetype == "application/geo+json"
    feature = json.loads(plain.data)
    assert feature["geometry"]["type"] == "MultiLineString"
    west, south, east, north = demo.manifest()["bounds"]
    lon, lat = feature["geometry"]["coordinates"][0][0]
    assert west - 1e-6 <= lon <= east + 1e-6 and south - 1e-6 <= lat <= north + 1e-6
    zipped = client.get("/api/networks/walk/lines", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data)) == feature
    again = client.get("/api/networks/walk/lines", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304
    assert_error(client.get("/api/networks/plane/lines"), 404)


def test_unknown_api_paths_and_methods_are_json(client):
    assert_error(client.get("/api/nothing-here"), 404)
    assert_error(client.put("/api/stations"), 405)


def test_a_wrong_method_names_the_allowed_ones(client):
    response = client.put("/api/stations")
    assert_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert response.mimetype == "application/json"
    assert set(client.delete("/api/nearest").headers["Allow"].split(", ")) == {
        "GET", "HEAD", "OPTIONS"}


# --- one source for every limit -------------------------------------------------------------------

def _bounded_parameters(spec: dict):
    for path, item in spec["paths"].items():
        operation = item.get("get", {})
        for param in operation.get("parameters", []):
            schema = param["schema"]
            # a number that may come as text too: its numeric branch
            schema = next((s for s in schema.get("anyOf", []) if "maximum" in s), schema)
            if param["in"] == "query" and "maximum" in schema:
                yield path, param["name"], schema


def test_the_documented_limits_are_the_checked_ones(planner):
    """Just past each documented maximum is a 400 naming the parameter and saying the range;
    the maximum itself passes the check (coverage is for planners)."""
    client = planner
    spec = client.get("/api/openapi.json").get_json()
    base = {"/api/nearest": {"lat": "60.1705", "lon": "24.944"}, "/api/coverage": {},
            "/api/stations": {}}
    checked = set()
    for path, name, schema in _bounded_parameters(spec):
        if path not in base:
            continue
        high = schema["maximum"]
        step = 1 if schema["type"] == "integer" else 0.5
        bad = client.get(path, query_string={**base[path], name: str(high + step)})
        body = assert_error(bad, 400, name)
        assert f"{high:g}" in body["error"] and repr(str(high + step)) in body["error"]
        good = client.get(path, query_string={**base[path], name: str(high)})
        assert good.status_code != 400, (path, name, good.get_json())
        checked.add((path, name))
    assert {("/api/nearest", "k"), ("/api/nearest", "lat"), ("/api/coverage", "minutes"),
            ("/api/coverage", "h3_res")} <= checked


def test_every_problem_is_reported_naming_the_first(planner):
    body = assert_error(planner.get("/api/coverage?minutes=0&h3_res=99&colour=red"), 400, "colour")
    assert "`minutes` was '0'" in body["error"] and "`h3_res` was '99'" in body["error"]
    assert "from 5 to 11" in body["error"] and "above 0 and up to 120" in body["error"]


def test_nearest_names_the_stations_left_off_the_network(demo, tmp_path):
    import shutil
    from dataclasses import replace

    from geo.registry import Registry

    data = tmp_path / "data"
    shutil.copytree(demo.data_dir, data)
    registry = Registry(f"sqlite:///{data / 'yizhan.sqlite'}")
    first = registry.stations()[0]
    registry.upsert([replace(first, id="far-away", name="远郊驿站", lon=25.3, lat=60.4)],
                    source="test")
    client = create_app({"TESTING": True, "DATA_DIR": data}).test_client()
    lon, lat = CENTRE
    body = client.get(f"/api/nearest?lat={lat}&lon={lon}").get_json()
    assert body["off_network"] == [{"id": "far-away", "name": "远郊驿站"}]
    assert all(r["id"] != "far-away" for r in body["results"])


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_coordinates_pasted_from_amap_or_baidu_are_stored_as_wgs84(planner, crs):
    from geo.coords import from_wgs84

    lon, lat = 104.0657, 30.6595  # WGS-84, in Chengdu; the office pastes what its map app shows
    shown = [round(float(v), 7) for v in from_wgs84(lon, lat, crs)]
    assert abs(shown[0] - lon) > 1e-3  # the apps' coordinates are shifted by hundreds of metres
    body = {"name": "粘贴的驿站", "kind": "环卫驿站", "lon": shown[0], "lat": shown[1], "crs": crs}
    created = planner.post("/api/stations", json=body)
    assert created.status_code == 201, created.get_json()
    stored = created.get_json()["geometry"]["coordinates"]
    assert stored == pytest.approx([lon, lat], abs=1e-6)
    moved = planner.patch(f"/api/stations/{created.get_json()['id']}",
                          json={"lon": shown[0], "crs": crs})
    assert_error(moved, 400, "crs")
