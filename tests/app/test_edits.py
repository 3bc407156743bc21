"""Planner edits that cannot be lost: station versions, If-Match, 409 and 428, and creating one
id from many threads at once (on a file SQLite database, and on PostgreSQL when
YIZHAN_TEST_POSTGRES is set)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from app import create_app
from geo.registry import Registry
from tests.conftest import POSTGRES, empty_postgres

from .conftest import CENTRE, add_account, assert_error, copy_db, signed_in


def make_app(demo, db_url: str):
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": db_url,
                      "SECRET_KEY": "test", "REGISTRY_CHECK_INTERVAL": 0.0})
    if not app.extensions["accounts"].users():
        add_account(app)
    return app


@pytest.fixture
def app(demo, tmp_path):
    return make_app(demo, copy_db(demo, tmp_path))


@pytest.fixture
def sid(demo_stations):
    return demo_stations[0].id


def test_one_station_carries_its_version_and_etag(app, sid):
    response = app.test_client().get(f"/api/stations/{sid}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.get_json()["properties"]["version"] == 1


def test_two_planners_edit_one_station_and_the_second_is_told(app, sid):
    first, second = signed_in(app), signed_in(app)
    opened = {c: c.get(f"/api/stations/{sid}").headers["ETag"] for c in (first, second)}
    saved = first.patch(f"/api/stations/{sid}", json={"name": "第一位的名字"},
                        headers={"If-Match": opened[first]})
    assert saved.status_code == 200 and saved.headers["ETag"] == '"2"'
    late = second.patch(f"/api/stations/{sid}", json={"name": "第二位的名字", "capacity": 9},
                        headers={"If-Match": opened[second]})
    body = assert_error(late, 409, "version")
    assert body["version"] == 2 and late.headers["ETag"] == '"2"'
    assert "在你打开之后修改了此站点" in body["error"]
    assert body["current"]["properties"]["name"] == "第一位的名字"
    kept = Registry(app.config["DB_URL"]).get_versioned(sid)
    assert kept.station.name == "第一位的名字" and kept.version == 2  # the first edit is kept
    history = first.get(f"/api/stations/{sid}/history").get_json()["history"]
    assert [h["action"] for h in history].count("update") == 1
    last = history[-1]
    assert body["changed_by"] == (last.get("actor") or last["source"])  # the person, else how
    assert body["changed_at"] == last["at"]
    # the second planner saw their change and overwrites it knowingly
    again = second.patch(f"/api/stations/{sid}", json={"name": "第二位的名字", "version": 2})
    assert again.status_code == 200 and again.get_json()["properties"]["version"] == 3
    assert again.get_json()["properties"]["name"] == "第二位的名字"


def test_closing_a_changed_station_is_409_too(app, sid):
    first, second = signed_in(app), signed_in(app)
    assert first.patch(f"/api/stations/{sid}", json={"notes": "x"},
                       headers={"If-Match": '"1"'}).status_code == 200
    assert_error(second.delete(f"/api/stations/{sid}", headers={"If-Match": '"1"'}), 409,
                 "version")
    assert second.delete(f"/api/stations/{sid}", json={"version": 2}).status_code == 200
    assert_error(second.get(f"/api/stations/{sid}"), 404)


def test_a_change_without_a_version_is_428_naming_if_match(app, sid):
    planner = signed_in(app)
    assert_error(planner.patch(f"/api/stations/{sid}", json={"name": "无版本"}), 428, "If-Match")
    assert_error(planner.delete(f"/api/stations/{sid}"), 428, "If-Match")
    assert Registry(app.config["DB_URL"]).get_versioned(sid).version == 1


@pytest.mark.parametrize("if_match, body, parameter", [
    ("*", {}, "If-Match"), ('"abc"', {}, "If-Match"), ('"0"', {}, "If-Match"),
    ('"99999999999"', {}, "If-Match"), ('"1"', {"version": 2}, "version"),
    (None, {"version": "1"}, "version"), (None, {"version": 0}, "version"),
])
def test_bad_versions_are_400_naming_them(app, sid, if_match, body, parameter):
    headers = {} if if_match is None else {"If-Match": if_match}
    response = signed_in(app).patch(f"/api/stations/{sid}", json={"notes": "n", **body},
                                    headers=headers)
    assert_error(response, 400, parameter)


def test_a_weak_or_bare_etag_is_accepted(app, sid):
    planner = signed_in(app)
    assert planner.patch(f"/api/stations/{sid}", json={"notes": "a"},
                         headers={"If-Match": 'W/"1"'}).status_code == 200
    assert planner.patch(f"/api/stations/{sid}", json={"notes": "b"},
                         headers={"If-Match": "2"}).status_code == 200


def test_an_unchanged_save_keeps_the_version(app, sid):
    planner = signed_in(app)
    same = planner.patch(f"/api/stations/{sid}", json={}, headers={"If-Match": '"1"'})
    assert same.status_code == 200 and same.headers["ETag"] == '"1"'


def test_imports_bump_versions(app, sid, demo_stations):
    registry = Registry(app.config["DB_URL"])
    registry.upsert([demo_stations[0].replace(name="导入的新名字")], source="import x.csv",
                    actor="ops")
    assert registry.get_versioned(sid).version == 2
    planner = signed_in(app)
    body = assert_error(planner.patch(f"/api/stations/{sid}", json={"notes": "n"},
                                      headers={"If-Match": '"1"'}), 409, "version")
    assert body["changed_by"] == "ops"


NEW = {"id": "one-id", "name": "同一个驿站", "kind": "outdoor_rest_point", "lon": CENTRE[0],
       "lat": CENTRE[1]}


def create_at_once(app, creators: int = 8) -> Counter:
    """``creators`` signed-in clients POST the same new station at the same moment."""
    clients = [signed_in(app) for _ in range(creators)]
    start = threading.Barrier(creators)
    statuses: Counter = Counter()
    lock = threading.Lock()

    def create(client):
        start.wait()
        response = client.post("/api/stations", json=NEW)
        with lock:
            statuses[response.status_code] += 1
        if response.status_code == 409:
            assert response.get_json()["parameter"] == "id"

    threads = [threading.Thread(target=create, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses


def test_eight_creators_of_one_id_get_one_201_and_seven_409(app):
    assert create_at_once(app) == {201: 1, 409: 7}
    history = Registry(app.config["DB_URL"]).history(NEW["id"])
    assert [h["action"] for h in history] == ["create"]


def test_creating_a_closed_id_brings_it_back(app):
    planner = signed_in(app)
    assert planner.post("/api/stations", json=NEW).status_code == 201
    assert planner.delete(f"/api/stations/{NEW['id']}", json={"version": 1}).status_code == 200
    back = planner.post("/api/stations", json={**NEW, "name": "重开"})
    assert back.status_code == 201 and back.get_json()["properties"]["version"] == 3
    assert_error(planner.post("/api/stations", json=NEW), 409, "id")


@pytest.fixture
def postgres_app(demo, demo_stations):
    registry = Registry(empty_postgres())
    registry.upsert(demo_stations[:5], source="test")
    registry.engine.dispose()
    app = make_app(demo, POSTGRES)
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


def test_on_postgresql_too(postgres_app, demo_stations):
    assert create_at_once(postgres_app) == {201: 1, 409: 7}
    sid = demo_stations[0].id
    first, second = signed_in(postgres_app), signed_in(postgres_app)
    assert first.patch(f"/api/stations/{sid}", json={"name": "甲"},
                       headers={"If-Match": '"1"'}).status_code == 200
    assert_error(second.patch(f"/api/stations/{sid}", json={"name": "乙"},
                              headers={"If-Match": '"1"'}), 409, "version")
    registry = Registry(POSTGRES)
    try:
        assert registry.get(sid).name == "甲"
    finally:
        registry.engine.dispose()
