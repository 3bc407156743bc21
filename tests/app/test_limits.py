"""Worker reports that cannot flood: per-client rate limits (429 with Retry-After); and request
bodies bounded in size and depth on every JSON endpoint (no body gives a 500). What a report
holds and answers (folding, entries, handling) is in test_reports.py."""

from __future__ import annotations

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
