"""GET /api/search: stations, streets and venues by name, from the index built with the
networks (the Helsinki demo) and the current stations."""

from __future__ import annotations

import pytest

from app import create_app
from app.schemas.search import SearchAnswer
from geo.search import SEARCH_FILE


def test_the_demo_build_writes_the_place_index(demo):
    assert (demo.data_dir / SEARCH_FILE).stat().st_size > 10_000


def test_a_street_by_part_of_its_name(client):
    answer = client.get("/api/search?q=mannerheim").get_json()
    SearchAnswer.model_validate(answer)
    first = answer["results"][0]
    assert first["type"] == "street" and first["name"] == "Mannerheimintie"
    west, south, east, north = first["bbox"]
    assert west <= first["lon"] <= east and south <= first["lat"] <= north


def test_a_station_by_its_name(client, demo_stations):
    station = demo_stations[0]
    answer = client.get("/api/search", query_string={"q": station.name}).get_json()
    ids = [r["id"] for r in answer["results"] if r["type"] == "station"]
    assert station.id in ids
    found = next(r for r in answer["results"] if r["id"] == station.id)
    assert (found["kind"], found["detail"]) == (station.kind, station.address or "")
    assert found["lon"] == pytest.approx(station.lon) and found["bbox"] is None


def test_nothing_found_is_an_empty_list(client):
    answer = client.get("/api/search?q=qqqxxxzzz").get_json()
    assert answer == {"query": "qqqxxxzzz", "results": []}


@pytest.mark.parametrize(("query", "parameter"), [
    ("", "q"), ("q=", "q"), ("q=" + "x" * 61, "q"), ("q=a&limit=0", "limit"),
    ("q=a&limit=21", "limit"), ("q=a\u202e", "q"), ("q=a&x=1", "x")])
def test_bad_queries_name_the_parameter(client, query, parameter):
    answer = client.get("/api/search?" + query)
    assert answer.status_code == 400
    assert answer.get_json()["parameter"] == parameter


def test_limit(client):
    assert len(client.get("/api/search?q=a&limit=3").get_json()["results"]) == 3


def test_without_a_place_index_stations_are_still_found(demo, demo_stations, tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "DB_URL": demo.db_url,
                      "NETWORKS": {}})
    client = app.test_client()
    station = demo_stations[0]
    answer = client.get("/api/search", query_string={"q": station.name}).get_json()
    assert {r["type"] for r in answer["results"]} == {"station"}
    assert client.get("/api/search?q=mannerheim").get_json()["results"] == []
    app.extensions["yizhan"].registry.engine.dispose()


def test_documented(client):
    spec = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert params["q"]["required"] and params["q"]["schema"]["maxLength"] == 60
