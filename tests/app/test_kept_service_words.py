"""Kept service words (``Station.other_services``) on every surface: set through the stations
API (checked as the station list reader checks them), shown on the station page, in the map
popups and in ``/api/nearest``'s hits, and documented."""

from __future__ import annotations

import pytest

from geo.registry import Registry

from .conftest import assert_error


@pytest.fixture
def sid(demo_stations):
    return demo_stations[0].id


def _patch(client, sid, body):
    version = client.get(f"/api/stations/{sid}").headers["ETag"]
    return client.patch(f"/api/stations/{sid}", json=body, headers={"If-Match": version})


def test_a_planner_sets_and_clears_kept_words(writable, planner, sid):
    saved = _patch(planner, sid, {"other_services": ["母婴室", "一台冰箱", "母婴室"]})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["properties"]["other_services"] == ["母婴室", "一台冰箱"]
    stored = Registry(writable.config["DB_URL"]).get(sid)
    assert stored.other_services == ("母婴室", "一台冰箱")
    # a change of the known services keeps the kept words
    assert _patch(planner, sid, {"services": "休息、厕所"}).get_json()["properties"][
        "other_services"] == ["母婴室", "一台冰箱"]
    cleared = _patch(planner, sid, {"other_services": None})
    assert cleared.get_json()["properties"]["other_services"] == []
    created = planner.post("/api/stations", json={
        "name": "新驿站", "kind": "sanitation_station", "lon": stored.lon, "lat": stored.lat,
        "services": ["rest"], "other_services": ["雨具"]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["properties"]["other_services"] == ["雨具"]


@pytest.mark.parametrize("words, says", [
    (["x" * 41], "41 characters"),
    (["母婴室、雨具"], "separator"),
    ([" 母婴室"], "spaces"),
    (["母婴\u202e室"], "U+202E"),
    (["厕所"], "put it in `services`"),
    ("母婴室", "list"),
    ([1], "list"),
    ([f"词{i}" for i in range(51)], "at most 50"),
])
def test_bad_kept_words_are_a_400_naming_them(writable, planner, sid, words, says):
    body = assert_error(_patch(planner, sid, {"other_services": words}), 400, "other_services")
    assert says in body["error"]
    assert Registry(writable.config["DB_URL"]).get(sid).other_services == ()


def test_kept_words_show_on_the_page_and_in_nearest(writable, planner, sid):
    assert _patch(planner, sid, {"other_services": ["母婴室", "<b>老花镜"]}).status_code == 200
    station = Registry(writable.config["DB_URL"]).get(sid)
    page = writable.test_client().get(f"/s/{sid}").get_data(as_text=True)
    assert '<li class="chip">母婴室</li>' in page and "&lt;b&gt;老花镜" in page
    hits = writable.test_client().get(
        f"/api/nearest?lon={station.lon}&lat={station.lat}&k=3").get_json()["results"]
    hit = next(h for h in hits if h["id"] == sid)
    assert hit["other_services"] == ["母婴室", "<b>老花镜"]
    assert all(h["other_services"] == [] for h in hits if h["id"] != sid)


def test_the_document_says_kept_words(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    for model in ("StationCreate", "StationPatch", "Hit", "StationProperties"):
        assert "other_services" in schemas[model]["properties"], model
    words = schemas["StationPatch"]["properties"]["other_services"]["anyOf"][0]
    assert words["maxItems"] == 50 and words["items"]["maxLength"] == 40
