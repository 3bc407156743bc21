"""Worker reports that cannot flood: per-client rate limits (429 with Retry-After); and request
bodies bounded in size and depth on every JSON endpoint (no body gives a 500). What a report
holds and answers (folding, entries, handling) is in test_reports.py."""

from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from limits.errors import ConfigurationError
from limits.storage import storage_from_string

from app import create_app, limit_store
from app.handlers import BUSY_RETRY_S
from app.limit_store import DatabaseStorage
from app.limits import MAX_JSON_DEPTH
from app.reports import Reports
from geo.registry import Registry
from tests.geo.test_registry_import import read_only

from .conftest import assert_error, client_at, copy_db, own_app, sign_in


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


# --- counts shared by every worker ----------------------------------------------------------------

def test_a_busy_analysis_says_its_own_wait_on_a_limited_endpoint(app, planner):
    """The rate limiter writes a Retry-After counting to its window's end on every answer of a
    limited endpoint; a 503 of a busy analysis keeps the app's few seconds (the planner's page
    asks again after Retry-After: a minute there kept an upload waiting that long)."""
    slot = app.extensions["yizhan"]._analysis_slots
    assert slot.acquire(blocking=False)
    try:
        answers = [planner.get("/api/coverage"),
                   planner.post("/api/imports?name=list.csv", data=b"name,lon,lat\n",
                                content_type="application/octet-stream")]
    finally:
        slot.release()
    for answer in answers:
        assert_error(answer, 503)
        assert answer.headers["Retry-After"] == str(BUSY_RETRY_S)
    assert "Retry-After" not in planner.get("/api/coverage").headers


def test_two_app_instances_on_one_database_share_one_report_limit(demo, tmp_path, demo_stations):
    """Two app instances on one database, as two worker processes (the default limit, 6 a
    minute): the seventh report from one phone within the minute is a 429 whichever instance
    it reaches."""
    first = own_app(demo, tmp_path)
    second = create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                         "DB_URL": first.config["DB_URL"], "SECRET_KEY": "test"})
    assert first.config["RATELIMIT_STORAGE_URI"] == "registry://"
    phones = [worker(first, "10.0.0.9"), worker(second, "10.0.0.9")]
    answers = [phones[i % 2].post("/api/reports", json={
        "station_id": demo_stations[i % len(demo_stations)].id, "kind": "other"})
        for i in range(7)]
    assert [a.status_code < 300 for a in answers] == [True] * 6 + [False]
    assert "报告提交太频繁" in assert_error(answers[-1], 429)["error"]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert worker(first, "10.0.0.8").post("/api/reports", json={
        "station_id": demo_stations[0].id, "kind": "full"}).status_code < 300
    for app in (first, second):
        app.extensions["yizhan"].registry.engine.dispose()


def storages(registry) -> list[DatabaseStorage]:
    """Two storages on the registry's database, each with its own engine (two processes)."""
    return [DatabaseStorage("registry://", engine=registry.engine),
            DatabaseStorage("registry://", engine=Registry(registry.url).engine)]


def test_hits_at_once_across_storages_pass_exactly_the_limit(registry):
    """Sixteen hits at once through two storages on one database (SQLite file, PostgreSQL):
    exactly as many pass as the limit allows."""
    pair = storages(registry)
    start = threading.Barrier(16)

    def hit(i):
        start.wait()
        return pair[i % 2].acquire_entry("LIMITER/10.0.0.1/api.add_report", 5, 60)

    with ThreadPoolExecutor(16) as pool:
        passed = list(pool.map(hit, range(16)))
    assert passed.count(True) == 5
    assert pair[0].get_moving_window("LIMITER/10.0.0.1/api.add_report", 5, 60)[1] == 5
    assert pair[1].acquire_entry("LIMITER/10.0.0.2/api.add_report", 5, 60)  # another client
    pair[1].engine.dispose()


def test_the_moving_window_lets_hits_in_again_as_old_ones_leave(registry, monkeypatch):
    storage = DatabaseStorage("registry://", engine=registry.engine)
    clock = [1_000_000.0]
    monkeypatch.setattr(limit_store.time, "time", lambda: clock[0])
    assert [storage.acquire_entry("k", 2, 60) for _ in range(3)] == [True, True, False]
    clock[0] += 30
    assert not storage.acquire_entry("k", 2, 60)
    assert storage.get_moving_window("k", 2, 60) == (1_000_000.0, 2)
    clock[0] += 31  # the first two left the window
    assert storage.acquire_entry("k", 2, 60)
    assert storage.get_moving_window("k", 2, 60) == (clock[0], 1)
    storage.clear("k")
    assert storage.get_moving_window("k", 2, 60) == (clock[0], 0)


def test_the_fixed_window_counts_too(registry, monkeypatch):
    storage = DatabaseStorage("registry://", engine=registry.engine)
    clock = [1_000_000.0]
    monkeypatch.setattr(limit_store.time, "time", lambda: clock[0])
    assert [storage.incr("f", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("f") == 3 and storage.get_expiry("f") == 1_000_060.0
    clock[0] += 61
    assert storage.get("f") == 0 and storage.incr("f", 60, amount=2) == 2
    assert storage.check() and storage.reset() >= 1 and storage.get("f") == 0


def test_a_read_only_database_counts_in_memory(demo, tmp_path):
    """The limits still hold (per process) while the database cannot be written; no error."""
    url = copy_db(demo, tmp_path)
    writable = Registry(url)
    DatabaseStorage("registry://", engine=writable.engine)  # the table, made before
    writable.engine.dispose()
    storage = DatabaseStorage("registry://", engine=Registry(read_only(url)).engine)
    assert [storage.acquire_entry("k", 2, 60) for _ in range(3)] == [True, True, False]
    assert storage.get_moving_window("k", 2, 60)[1] == 2


def test_a_copy_of_the_database_file_starts_with_fresh_counts(tmp_path):
    original = Registry(f"sqlite:///{tmp_path / 'a.sqlite'}")
    storage = DatabaseStorage("registry://", engine=original.engine)
    assert storage.acquire_entry("k", 1, 60) and not storage.acquire_entry("k", 1, 60)
    original.engine.dispose()
    shutil.copy(tmp_path / "a.sqlite", tmp_path / "b.sqlite")
    copy = DatabaseStorage("registry://", engine=Registry(f"sqlite:///{tmp_path / 'b.sqlite'}")
                           .engine)
    assert copy.acquire_entry("k", 1, 60)


def test_the_registry_store_needs_the_apps_database():
    with pytest.raises(ConfigurationError, match=r"RATELIMIT_STORAGE_URI.*memory://"):
        storage_from_string("registry://")


def test_redis_shares_the_counts_when_configured(demo, tmp_path, demo_stations):
    """``RATELIMIT_STORAGE_URI=redis://…``: run where a Redis server listens on 6379."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on localhost:6379")
    uri = "redis://localhost:6379"
    first = own_app(demo, tmp_path, RATELIMIT_STORAGE_URI=uri, REPORT_RATE_LIMIT="2 per minute")
    second = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "SECRET_KEY": "test",
                         "DB_URL": first.config["DB_URL"], "RATELIMIT_STORAGE_URI": uri,
                         "REPORT_RATE_LIMIT": "2 per minute"})
    first.extensions["yizhan-limiter"].reset()
    address = f"10.9.{os.getpid() % 250}.1"
    answers = [worker(app, address).post("/api/reports", json={
        "station_id": demo_stations[0].id, "kind": "other"}) for app in (first, second, first)]
    assert [a.status_code for a in answers][-1] == 429
