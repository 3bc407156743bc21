"""``GET /api/stations`` for a city-sized list: gzip, ETag and 304, and the ``bbox`` box."""

from __future__ import annotations

import gzip
import json
import sqlite3
from datetime import datetime

import numpy as np
import pytest

from app import create_app
from geo.registry import Registry
from geo.synthetic import random_stations


@pytest.fixture(scope="module")
def registry_url(demo, tmp_path_factory):
    """A private copy of the demo registry with 400 generated stations added."""
    from geo.network import load_network

    target = tmp_path_factory.mktemp("stations-api") / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    registry = Registry(url)
    registry.upsert(random_stations(load_network(demo.data_dir / "network-walk.npz", mode="walk"),
                                    400, seed=3), source="test")
    registry.engine.dispose()
    return url


@pytest.fixture(scope="module")
def app(demo, registry_url):
    return create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": registry_url,
                       "REGISTRY_CHECK_INTERVAL": 0})


@pytest.fixture(scope="module")
def stations(registry_url):
    return Registry(registry_url).stations()


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [f["id"] for f in response.get_json()["features"]]


# --- compression ----------------------------------------------------------------------------------

def test_gzip_answer_is_the_same_json(client, stations):
    query = "/api/stations?open_at=2026-11-25T12:00"
    plain = client.get(query, headers={"Accept-Encoding": "identity"})
    packed = client.get(query, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()
    assert len(plain.get_json()["features"]) == sum(s.is_open("2026-11-25T12:00") for s in stations)
    assert len(packed.data) * 4 < len(plain.data)


@pytest.mark.parametrize("accept, gzipped", [
    ("gzip", True), ("*", True), ("br;q=1, gzip;q=0.5", True), ("gzip;q=0", False), ("", False),
    ("br", False), ("identity", False),
])
def test_gzip_only_when_accepted(client, accept, gzipped):
    response = client.get("/api/stations?kind=driver_home", headers={"Accept-Encoding": accept})
    assert (response.headers.get("Content-Encoding") == "gzip") is gzipped
    body = gzip.decompress(response.data) if gzipped else response.data
    assert json.loads(body)["type"] == "FeatureCollection"


# --- caching --------------------------------------------------------------------------------------

def test_etag_and_304(client):
    query = "/api/stations?open_at=2026-11-25T12:00&bbox=-180,-90,180,90"
    first = client.get(query, headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get(query, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "no-cache"
    # the same question in other words has the same answer, other questions other ETags
    same = client.get("/api/stations?bbox=-180,-90,180,90&open_at=2026-11-25T12:00:00")
    assert same.headers["ETag"] == etag
    other = client.get("/api/stations?open_at=2026-11-25T12:00&bbox=-180,-90,180,89")
    assert other.headers["ETag"] != etag
    assert client.get(query, headers={"If-None-Match": '"other"'}).status_code == 200


def test_etag_changes_with_the_stations(app, client, stations):
    query = "/api/stations?open_at=2026-11-25T12:00"
    before = client.get(query)
    registry = Registry(app.config["DB_URL"])
    try:
        registry.upsert([stations[0].replace(name="改名 renamed")], source="test")
        after = client.get(query, headers={"If-None-Match": before.headers["ETag"]})
    finally:
        registry.upsert([stations[0]], source="test")
        registry.engine.dispose()
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    names = {f["id"]: f["properties"]["name"] for f in after.get_json()["features"]}
    assert names[stations[0].id] == "改名 renamed"


def test_without_open_at_the_flags_and_etag_are_per_minute(client, stations, monkeypatch):
    from app import api

    def at(text):
        monkeypatch.setattr(api, "local_time", lambda _at: datetime.fromisoformat(text))
        response = client.get("/api/stations")
        return response.headers["ETag"], {f["id"]: f["properties"]["open"]
                                          for f in response.get_json()["features"]}

    noon, flags = at("2026-11-25T12:00:10+08:00")
    assert flags == {s.id: s.is_open("2026-11-25T12:00+08:00") for s in stations}
    assert at("2026-11-25T12:00:50+08:00")[0] == noon
    night, flags = at("2026-11-25T23:30:00+08:00")
    assert night != noon
    assert flags == {s.id: s.is_open("2026-11-25T23:30+08:00") for s in stations}


def test_openapi_documents_bbox_and_304(client):
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/stations"]["get"]
    assert "304" in operation["responses"]
    bbox = next(p for p in operation["parameters"] if p["name"] == "bbox")
    assert "-180 to 180" in bbox["description"] and "-90 to 90" in bbox["description"]


# --- the box --------------------------------------------------------------------------------------

def boxes(stations) -> list[tuple[float, float, float, float]]:
    lon = np.array([s.lon for s in stations])
    lat = np.array([s.lat for s in stations])
    w, s, e, n = lon.min(), lat.min(), lon.max(), lat.max()
    mid_lon, mid_lat = (w + e) / 2, (s + n) / 2
    rng = np.random.default_rng(11)
    out = [(w, s, e, n),  # every station, some on the edges
           (mid_lon - (e - w) / 8, mid_lat - (n - s) / 8, mid_lon + (e - w) / 8,
            mid_lat + (n - s) / 8),  # about a phone's view
           (stations[5].lon, stations[5].lat, stations[5].lon + 0.001,
            stations[5].lat + 0.001),  # a station on the corner
           (w - 1, s - 1, w - 0.5, s - 0.5)]  # nothing
    for _ in range(4):
        x, y = sorted(rng.uniform(w, e, 2)), sorted(rng.uniform(s, n, 2))
        out.append((x[0], y[0], x[1], y[1]))
    return out


def test_bbox_equals_a_brute_force_filter(client, stations):
    counts = []
    for box in boxes(stations):
        text = ",".join(repr(float(v)) for v in box)
        got = ids(client.get(f"/api/stations?bbox={text}"))
        expected = [s.id for s in stations
                    if box[0] <= s.lon <= box[2] and box[1] <= s.lat <= box[3]]
        assert got == expected, text
        counts.append(len(got))
    assert counts[0] == len(stations) and 0 < counts[1] < len(stations) and counts[3] == 0
    assert stations[5].id in ids(client.get(
        "/api/stations?bbox=" + ",".join(repr(float(v)) for v in boxes(stations)[2])))


def test_bbox_with_the_other_filters(client, stations):
    box = boxes(stations)[1]
    text = ",".join(repr(float(v)) for v in box)
    got = ids(client.get(f"/api/stations?bbox={text}&kind=sanitation_station&service=toilet"))
    expected = [s.id for s in stations if box[0] <= s.lon <= box[2] and box[1] <= s.lat <= box[3]
                and s.kind == "sanitation_station" and "toilet" in s.services]
    assert got == expected and got


@pytest.mark.parametrize("bbox, says", [
    ("1,2", "four numbers"), ("1,2,3,4,5", "four numbers"), ("a,b,c,d", "four numbers"),
    (",,,", "four numbers"), ("1;2;3;4", "four numbers"),
    ("3,2,1,4", "west 3 is not less than east 1"), ("1,4,3,2", "south 4 is not less than north 2"),
    ("1,2,1,4", "west 1 is not less than east 1"),
    ("-181,0,1,1", "west -181 is outside -180 to 180"),
    ("0,-91,1,1", "south -91 is outside -90 to 90"), ("0,0,1,95", "north 95 is outside -90 to 90"),
    ("0,0,nan,1", "east nan is outside"), ("0,0,inf,1", "east inf is outside"),
    ("60.16,24.93,60.18", "four numbers"),
])
def test_bad_bbox_is_400_naming_it(client, bbox, says):
    response = client.get("/api/stations", query_string={"bbox": bbox})
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == "bbox"
    assert says in body["error"] and "west,south,east,north" in body["error"]
