"""The station writes taken by a writer process (app.writer): a worker forwards them over a Unix
socket and follows the change; everything else it answers itself."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from flask import request
from werkzeug.test import Client

from app import create_app
from app.writer import CLIENT_ADDR, WritesForwarded, is_station_write, writes_server
from tests.app.conftest import CENTRE, PASSWORD, PLANNER, add_account, copy_db

NEW = {"name": "写入进程测试站", "kind": "outdoor_rest_point",
       "lon": CENTRE[0], "lat": CENTRE[1], "services": ["drinking_water"], "hours": "24/7"}


@pytest.fixture
def apps(demo, tmp_path):
    """A worker's app and the writer's, on one registry, each recording what it answered
    (method, path, client address, scheme)."""
    url = copy_db(demo, tmp_path)
    made = {}
    for name in ("worker", "writer"):
        # a worker that would notice a change by itself only after a minute: what it shows
        # sooner, it followed because the writer made it (follow_soon)
        made[name] = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url,
                                 "REGISTRY_CHECK_INTERVAL": 60.0, "RATELIMIT_ENABLED": False,
                                 "SECRET_KEY": "one key for both, as a server's processes"})
        seen = made[name].extensions["seen"] = []
        made[name].before_request(lambda seen=seen: seen.append(
            (request.method, request.path, request.remote_addr, request.scheme)))
    add_account(made["worker"])
    return made["worker"], made["writer"]


@pytest.fixture
def writer_at(apps, tmp_path):
    """The writer's app listening on a Unix socket (in a thread here): its path."""
    path = str(tmp_path / "writes.sock")
    server = writes_server(apps[1], path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path
    server.shutdown()
    thread.join(10)


def signed_in(app, socket_path: str) -> Client:
    """A planner's client of a worker (``app`` forwarding to ``socket_path``), from 10.1.2.3."""
    client = Client(WritesForwarded(app, socket_path))
    answer = client.post("/api/login", json={"user": PLANNER, "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert answer.status_code == 200, answer.get_json()
    return client


def shown_by(app, sid: str, *, within_s: float = 5.0):
    """The station ``sid`` as ``app``'s snapshot has it, waiting up to ``within_s`` for it to
    follow (None when it is not there by then)."""
    state = app.extensions["yizhan"]
    deadline = time.monotonic() + within_s
    while True:
        found = state.current().by_id.get(sid)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def made(app) -> list[str]:
    """The ids of the stations named as :data:`NEW` in ``app``'s snapshot."""
    return [s.id for s in app.extensions["yizhan"].current().stations if s.name == NEW["name"]]


def test_a_worker_forwards_station_writes_and_follows_them(apps, writer_at):
    worker, writer = apps
    planner = signed_in(worker, writer_at)
    addr = {"REMOTE_ADDR": "10.1.2.3"}
    created = planner.post("/api/stations", json=NEW, environ_base=addr,
                           headers={CLIENT_ADDR: "6.6.6.6"})  # not the client's to say
    assert created.status_code == 201, created.get_json()
    assert created.headers["ETag"] == '"1"'
    assert "Werkzeug" not in created.headers.get("Server", "")
    sid = created.get_json()["id"]
    # the worker follows at once, not at its next check a minute later
    assert shown_by(worker, sid).name == NEW["name"]
    moved = planner.patch(f"/api/stations/{sid}", json={"lon": CENTRE[0] + 0.001},
                          headers={"If-Match": '"1"'}, environ_base=addr)
    assert moved.status_code == 200 and moved.headers["ETag"] == '"2"'
    deadline = time.monotonic() + 5
    while shown_by(worker, sid).lon != CENTRE[0] + 0.001:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    stale = planner.patch(f"/api/stations/{sid}", json={"name": "x"},
                          headers={"If-Match": '"1"'}, environ_base=addr)
    assert stale.status_code == 409 and stale.get_json()["parameter"] == "version"
    closed = planner.delete(f"/api/stations/{sid}", headers={"If-Match": '"2"'},
                            environ_base=addr)
    assert closed.status_code == 200 and closed.get_json() == {"deleted": sid}
    deadline = time.monotonic() + 5
    while sid in worker.extensions["yizhan"].current().by_id:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # reads and sign-in answered by the worker, each write by the writer, as the client
    assert planner.get("/api/stations", environ_base=addr).status_code == 200
    assert [(m, p) for m, p, *_ in worker.extensions["seen"]] == [
        ("POST", "/api/login"), ("GET", "/api/stations")]
    station = f"/api/stations/{sid}"
    assert writer.extensions["seen"] == [
        ("POST", "/api/stations", "10.1.2.3", "http"), ("PATCH", station, "10.1.2.3", "http"),
        ("PATCH", station, "10.1.2.3", "http"), ("DELETE", station, "10.1.2.3", "http")]
    history = worker.extensions["yizhan"].registry.history(sid)
    assert [h["action"] for h in history] == ["create", "update", "delete"]
    assert {h["actor"] for h in history} == {PLANNER}


def test_a_write_refused_by_the_writer_is_answered_as_it_said(apps, writer_at):
    worker, writer = apps
    anonymous = Client(WritesForwarded(worker, writer_at))
    refused = anonymous.post("/api/stations", json=NEW)
    assert refused.status_code == 401 and refused.get_json()["error"]
    planner = signed_in(worker, writer_at)
    bad = planner.post("/api/stations", json={**NEW, "kind": "bakery"})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "kind"
    assert len(writer.extensions["seen"]) == 2 and worker.extensions["seen"] == [
        ("POST", "/api/login", "10.1.2.3", "http")]
    assert not made(worker)


def test_without_a_writer_the_worker_makes_the_write_itself(apps, tmp_path, caplog):
    worker, writer = apps
    planner = signed_in(worker, str(tmp_path / "nobody-listens.sock"))
    created = planner.post("/api/stations", json=NEW)
    assert created.status_code == 201, created.get_json()
    assert made(worker) == [created.get_json()["id"]]
    assert [m for m, *_ in worker.extensions["seen"]] == ["POST", "POST"]
    assert writer.extensions["seen"] == []
    assert "cannot be reached" in caplog.text


def test_a_write_whose_answer_is_lost_is_a_503_that_says_so(apps, tmp_path):
    """A writer that takes the request and closes without answering: the write may have been
    made, so it is not made again here; the planner is told to reload."""
    worker, _ = apps
    path = str(tmp_path / "mute.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)

    def mute():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.close()

    threading.Thread(target=mute, daemon=True).start()
    planner = signed_in(worker, path)
    answer = planner.post("/api/stations", json=NEW)
    listener.close()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert "刷新" in answer.get_json()["error"] and "reload" in answer.get_json()["error"]
    assert [m for m, *_ in worker.extensions["seen"]] == ["POST"]  # the sign-in only
    assert not made(worker)


@pytest.mark.parametrize("method, path, forwarded", [
    ("POST", "/api/stations", True),
    ("PATCH", "/api/stations/st-1", True),
    ("PUT", "/api/stations/st-1", True),
    ("DELETE", "/api/stations/st-1", True),
    ("GET", "/api/stations", False),
    ("GET", "/api/stations/st-1", False),
    ("HEAD", "/api/stations/st-1", False),
    ("OPTIONS", "/api/stations/st-1", False),
    ("POST", "/api/stations-export", False),
    ("POST", "/api/login", False),
    ("POST", "/api/plan", False),
])
def test_which_requests_the_writer_takes(method, path, forwarded):
    assert is_station_write({"REQUEST_METHOD": method, "PATH_INFO": path}) is forwarded


@pytest.mark.parametrize("extra", [
    {"HTTP_TRANSFER_ENCODING": "chunked"},  # no length to forward by
    {"CONTENT_LENGTH": str(2 << 20)},  # over the app's limit: its own answer
    {"CONTENT_LENGTH": "many"},
])
def test_a_write_without_a_usable_length_is_answered_by_the_worker(extra, tmp_path):
    answered = []

    def app(environ, start_response):
        answered.append(environ["PATH_INFO"])
        start_response("413 Request Entity Too Large", [])
        return [b""]

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/stations", "wsgi.input": None,
               **extra}
    WritesForwarded(app, str(tmp_path / "nobody.sock"))(environ, lambda *a: None)
    assert answered == ["/api/stations"]
