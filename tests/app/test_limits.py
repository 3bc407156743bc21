"""Worker reports that cannot flood: per-client rate limits (429 with Retry-After), repeated
reports folded into one with a count, planners marking reports handled; and request bodies
bounded in size and depth on every JSON endpoint (no body gives a 500)."""

from __future__ import annotations

import sqlite3

import pytest

from app.limits import MAX_JSON_DEPTH
from app.reports import Reports
from geo.registry import Registry

from .conftest import assert_error, client_at, own_app, sign_in


@pytest.fixture
def app(demo, tmp_path):
    app = own_app(demo, tmp_path, REPORT_RATE_LIMIT="3 per minute")
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def planner(app):
    return sign_in(app)


def worker(app, address: str = "10.0.0.1"):
    """A client at its own address (a phone)."""
    return client_at(app, address)


# --- rates ----------------------------------------------------------------------------------------

def test_reports_are_limited_per_client(app, demo_stations):
    phone = worker(app)
    kinds = ["closed", "full", "moved", "other"]
    answers = [phone.post("/api/reports", json={"station_id": demo_stations[i].id, "kind": k})
               for i, k in enumerate(kinds)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert all("Retry-After" not in a.headers for a in answers[:3])  # nothing to wait for
    body = assert_error(answers[-1], 429)
    assert "报告提交太频繁" in body["error"] and "3 per 1 minute" in body["error"]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    other = worker(app, "10.0.0.2")  # another phone is not held back by the first
    assert other.post("/api/reports", json={"station_id": demo_stations[0].id,
                                            "kind": "other"}).status_code == 201
    assert len(Reports(Registry(app.config["DB_URL"])).list()) == 4


# --- folding and handling -------------------------------------------------------------------------

def test_the_same_problem_reported_again_counts_on_the_open_report(app, planner, demo_stations):
    sid = demo_stations[0].id
    first = worker(app, "10.0.0.1").post("/api/reports", json={"station_id": sid,
                                                                "kind": "closed", "text": "锁门"})
    again = worker(app, "10.0.0.2").post("/api/reports", json={"station_id": sid,
                                                                "kind": "closed", "text": "没人"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["count"] == 2 and again.get_json()["text"] == "锁门 | 没人"
    other_kind = worker(app, "10.0.0.3").post("/api/reports", json={"station_id": sid,
                                                                     "kind": "full"})
    assert other_kind.status_code == 201
    listed = planner.get(f"/api/reports?station_id={sid}").get_json()["reports"]
    assert [(r["kind"], r["count"], r["status"]) for r in listed] == [
        ("full", 1, "open"), ("closed", 2, "open")]

    rid = first.get_json()["id"]
    handled = planner.patch(f"/api/reports/{rid}", json={"status": "handled"})
    assert handled.status_code == 200
    assert handled.get_json()["status"] == "handled" and handled.get_json()["handled_at"]
    assert [r["id"] for r in planner.get("/api/reports?status=open").get_json()["reports"]] == [
        other_kind.get_json()["id"]]
    # reported again once handled: a new report
    new = worker(app, "10.0.0.4").post("/api/reports", json={"station_id": sid, "kind": "closed"})
    assert new.status_code == 201 and new.get_json()["id"] != rid


def test_marking_reports_needs_a_planner_and_a_real_report(app, planner):
    assert_error(app.test_client().patch("/api/reports/1", json={"status": "handled"}), 401)
    assert_error(planner.patch("/api/reports/999", json={"status": "handled"}), 404)
    assert_error(planner.patch("/api/reports/99999999999999999999",
                               json={"status": "handled"}), 404)
    assert_error(planner.patch("/api/reports/1", json={"status": "done"}), 400, "status")


def test_an_older_reports_table_gains_count_and_status(tmp_path, demo_stations):
    path = tmp_path / "old.sqlite"
    registry = Registry(f"sqlite:///{path}")
    registry.upsert(demo_stations[:1])
    with sqlite3.connect(path) as db:  # the table as it was before counts and statuses
        db.execute("CREATE TABLE reports (id INTEGER PRIMARY KEY, station_id VARCHAR(64) NOT "
                   "NULL, kind VARCHAR(32) NOT NULL, text TEXT NOT NULL, lon FLOAT, lat FLOAT, "
                   "created_at DATETIME NOT NULL)")
        db.execute("INSERT INTO reports VALUES (1, ?, 'closed', '', NULL, NULL, ?)",
                   (demo_stations[0].id, "2020-01-01 00:00:00"))
    reports = Reports(Registry(f"sqlite:///{path}"))
    (old,) = reports.list()
    assert (old["count"], old["status"]) == (1, "open")
    assert reports.add(demo_stations[0].id, "closed")["id"] == 2  # years old: not folded


# --- bodies ---------------------------------------------------------------------------------------

def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("method, path", [
    ("post", "/api/reports"), ("post", "/api/login"), ("post", "/api/stations"),
    ("patch", "/api/stations/x"), ("post", "/api/plan"), ("patch", "/api/reports/1"),
    ("delete", "/api/stations/x"),
])
def test_json_nested_too_deep_is_400_naming_body_everywhere(planner, method, path):
    for depth in (MAX_JSON_DEPTH + 1, 1000, 100_000):
        body = b'{"kind": ' + nested(depth) + b"}"
        response = getattr(planner, method)(path, data=body, content_type="application/json")
        error = assert_error(response, 400, "body")
        assert "nested more than 32 levels" in error["error"]
    ok = getattr(planner, method)(path, data=b'{"a": ' + nested(MAX_JSON_DEPTH - 1) + b"}",
                                  content_type="application/json")
    assert ok.status_code != 500 and "nested" not in ok.get_data(as_text=True)


JUNK_BODIES = [
    (b"", "application/json"), (b"{", "application/json"), (b"\xff\xfe\x00", "application/json"),
    (b"null", "application/json"), (b"[1, 2]", "application/json"), (b'"x"', "application/json"),
    (b'{"kind": NaN}', "application/json"), (b'{"lon": 1e999999}', "application/json"),
    (b'{"station_id": 123456789012345678901234567890}', "application/json"),
    (b'{"a": "\\ud800"}', "application/json"),
    (b"station_id=x", "application/x-www-form-urlencoded"),
    (b"--b\r\n\r\n", "multipart/form-data; boundary=b"), (b"<x/>", "text/xml"), (b"{}", ""),
    (b"{}" + b" " * (300 * 1024), "application/json"),
]


@pytest.mark.parametrize("body, content_type", JUNK_BODIES)
def test_no_body_of_any_kind_gives_a_server_error(planner, demo_stations, body, content_type):
    sid = demo_stations[0].id
    for method, path in [("post", "/api/reports"), ("post", "/api/login"),
                         ("post", "/api/stations"), ("patch", f"/api/stations/{sid}"),
                         ("post", "/api/plan"), ("delete", f"/api/stations/{sid}")]:
        response = getattr(planner, method)(path, data=body, content_type=content_type)
        assert response.status_code in (400, 401, 413, 428, 429), (path, body[:40],
                                                                    response.status_code)
        assert response.is_json and response.get_json()["error"]
    if len(body) > 256 * 1024:
        assert response.status_code == 413
