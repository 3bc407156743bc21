"""Faults that cost nothing: a damaged network file, a read-only or locked database, a port in
use each give one clear message (503 with a message in the client's language from the API, one
line and a non-zero exit from the command line), never a traceback or a 500. (A missing demand
file: tests/app/test_plan_api.py.)"""

import shutil
import socket
import sqlite3
import subprocess
import sys

import pytest

from app import create_app
from app.cli import main
from geo import settings
from tests.app.conftest import add_account, copy_db, sign_in
from tests.geo.test_registry_import import read_only

#: Ports of these tests (a socket is bound on one to take it).
TAKEN_PORT = 8635

CLI = [sys.executable, "-c", "from app.cli import main; main()"]


def damaged_data_dir(demo, tmp_path, cut: int = 1000):
    """The demo data with its walking network file cut short after ``cut`` bytes."""
    data = tmp_path / "data"
    shutil.copytree(demo.data_dir, data)
    walk = data / "network-walk.npz"
    walk.write_bytes(walk.read_bytes()[:cut])
    return data, walk


@pytest.mark.parametrize("cut", [0, 1000, -200])
def test_a_damaged_network_file_stops_the_server_with_how_to_rebuild(demo, tmp_path, runner,
                                                                       cut):
    data, walk = damaged_data_dir(demo, tmp_path, cut)
    result = runner.invoke(main, ["serve", "--data-dir", str(data), "--port", "8636"])
    assert result.exit_code == 1, result.output
    assert str(walk) in result.stderr
    assert "yizhan network build" in result.stderr and "yizhan demo --rebuild" in result.stderr
    assert "--mode walk" in result.stderr
    assert "Traceback" not in result.output


def test_a_damaged_network_file_in_a_command(demo, tmp_path, runner):
    _, walk = damaged_data_dir(demo, tmp_path)
    result = runner.invoke(main, ["nearest", "--network", str(walk), "--lon", "24.94",
                                  "--lat", "60.17"])
    assert result.exit_code == 1
    assert str(walk) in result.stderr and "yizhan demo --rebuild" in result.stderr


@pytest.fixture
def taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", TAKEN_PORT))
        sock.listen()
        yield TAKEN_PORT


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_in_use_is_one_line_and_a_non_zero_exit(demo, taken_port, command):
    done = subprocess.run([*CLI, command, "--data-dir", str(demo.data_dir), "--port",
                           str(taken_port)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == (f"Error: port {taken_port} on 127.0.0.1 is already in use (another "
                         f"server listens there): pick another with --port, e.g. --port "
                         f"{taken_port + 1}"), done.stderr
    assert "Traceback" not in done.stderr


def assert_unavailable(response, lang: str):
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    error = response.get_json()["error"]
    assert ("稍后再试" in error) if lang == "zh" else ("try again" in error)
    assert "sqlite" not in error.lower()  # where the database lives stays in the server log


def test_a_read_only_database_answers_503_and_still_serves_reads(demo, tmp_path,
                                                                  demo_stations):
    url = copy_db(demo, tmp_path)
    app = create_app({"TESTING": False, "DATA_DIR": demo.data_dir, "DB_URL": read_only(url),
                      "SECRET_KEY": "t"})
    client = app.test_client()
    report = {"station_id": demo_stations[0].id, "kind": "closed"}
    assert_unavailable(client.post("/api/reports", json=report), "zh")
    assert_unavailable(client.post("/api/reports", json=report,
                                   headers={"Accept-Language": "en-US,en;q=0.9"}), "en")
    assert_unavailable(client.post("/api/reports?lang=en", json=report), "en")
    stations = client.get("/api/stations")
    assert stations.status_code == 200 and len(stations.get_json()["features"]) == len(
        demo_stations)


def test_a_held_write_lock_answers_503_then_work_goes_on(demo, tmp_path, demo_stations,
                                                         monkeypatch):
    monkeypatch.setattr(settings, "db_busy_timeout_s", 0.3)
    url = copy_db(demo, tmp_path)
    app = create_app({"TESTING": False, "DATA_DIR": demo.data_dir, "DB_URL": url,
                      "SECRET_KEY": "t", "REGISTRY_CHECK_INTERVAL": 0.0})
    add_account(app)
    planner = sign_in(app)
    station = demo_stations[0]
    report = {"station_id": station.id, "kind": "full"}
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program writing, for as long as it likes
        assert_unavailable(planner.post("/api/reports", json=report), "zh")
        version = planner.get(f"/api/stations/{station.id}").get_json()["properties"]
        edit = planner.patch(f"/api/stations/{station.id}", json={"name": "锁住了"},
                             headers={"If-Match": f'"{version.get("version", 1)}"'})
        assert_unavailable(edit, "zh")
        assert planner.get("/api/stations").status_code == 200
        assert planner.get(f"/api/nearest?lon={station.lon}&lat={station.lat}").status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert planner.post("/api/reports", json=report).status_code == 201


def test_reports_and_station_reads_keep_answering_during_a_large_import(demo, tmp_path, runner,
                                                                       demo_stations,
                                                                       monkeypatch):
    """`yizhan import` of 12,000 stations (six batches) while another thread posts workers'
    reports and reads stations through the API: every answer a 201 or 200, none a 503 or 500,
    even with a busy timeout of 3 s."""
    import csv
    import threading

    monkeypatch.setattr(settings, "db_busy_timeout_s", 3.0)
    url = copy_db(demo, tmp_path)
    rows = [["id", "name", "kind", "lon", "lat"]]
    rows += [[f"b{i}", f"驿站{i}", "工会驿站", f"{24.90 + (i % 120) / 2000:.5f}",
              f"{60.15 + (i // 120) / 2500:.5f}"] for i in range(12_000)]
    source = tmp_path / "big.csv"
    with open(source, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    app = create_app({"TESTING": False, "DATA_DIR": demo.data_dir, "DB_URL": url,
                      "SECRET_KEY": "t", "REGISTRY_CHECK_INTERVAL": 0.5})
    statuses, done = [], threading.Event()

    def worker():
        client = app.test_client()
        while not done.is_set():
            statuses.append(client.post("/api/reports", json={
                "station_id": demo_stations[0].id, "kind": "full"}).status_code)
            statuses.append(client.get("/api/stations?kind=sanitation_station").status_code)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        result = runner.invoke(main, ["import", str(source), "--db", url, "--bounds", "any"])
    finally:
        done.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "12000 new" in result.output
    assert statuses and set(statuses) <= {200, 201, 429}, sorted(set(statuses))
    assert statuses.count(201) + statuses.count(429) >= 3
