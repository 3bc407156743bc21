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


def garbage_db(tmp_path):
    """An SQLite file that is not a database: 5,000 bytes of noise (a disk that lost it)."""
    path = tmp_path / "broken.sqlite"
    path.write_bytes(bytes(range(256)) * 19 + b"\x00" * 136)
    return path


def malformed_db(tmp_path):
    """An SQLite file with a sound header and schema whose later pages are noise."""
    from geo.registry import Registry
    from geo.stations import Station

    path = tmp_path / "malformed.sqlite"
    registry = Registry(f"sqlite:///{path}")
    registry.upsert([Station(id=f"s{i}", name=f"驿站{i}" * 5, kind="outdoor_rest_point",
                             lon=104 + i / 10_000, lat=30.6) for i in range(1500)], source="t")
    registry.engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 40_000] = bytes(range(200)) * 200
    path.write_bytes(bytes(data))
    return path


def assert_one_line(done, path, lang="en"):
    """The command said one line (stdout and stderr together) naming the file and how to
    recover, and exited 1."""
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(lines) == 1, lines
    assert str(path) in lines[0]
    assert ("备份" if lang == "zh" else "backup") in lines[0]
    assert "yizhan demo --rebuild" in lines[0] and "yizhan import" in lines[0]


@pytest.mark.parametrize("command", ["serve", "import", "export", "nearest", "user list"])
def test_a_garbage_database_file_is_one_line_and_exit_1(demo, tmp_path, command):
    path = garbage_db(tmp_path)
    source = tmp_path / "stations.csv"
    source.write_text("id,name,kind,lon,lat\na1,驿站,工会驿站,104.05,30.65\n", "utf-8")
    args = {"serve": ["serve", "--data-dir", str(demo.data_dir), "--port", "8637"],
            "import": ["import", str(source)],
            "export": ["export", str(tmp_path / "out.csv")],
            "nearest": ["nearest", "--network", str(demo.network_path("walk")),
                        "--lon", "24.94", "--lat", "60.17"],
            "user list": ["user", "list"]}[command]
    done = subprocess.run([*CLI, *args, "--db", f"sqlite:///{path}"], capture_output=True,
                          text=True, timeout=120)
    assert_one_line(done, path)
    assert path.read_bytes()[:16] == bytes(range(16))  # left as it was, for a rescue


def test_a_garbage_demo_registry_is_one_line_before_building(tmp_path):
    data = tmp_path / "demo"
    data.mkdir()
    path = garbage_db(data).rename(data / "yizhan.sqlite")
    done = subprocess.run([*CLI, "--lang", "zh", "demo", "--data-dir", str(data), "--port",
                           "8638"], capture_output=True, text=True, timeout=60)
    assert_one_line(done, path, "zh")
    assert "已损坏" in done.stderr
    assert sorted(p.name for p in data.iterdir()) == ["yizhan.sqlite"]  # nothing built


def test_a_database_damaged_inside_stops_the_server_at_start(demo, tmp_path):
    path = malformed_db(tmp_path)
    done = subprocess.run([*CLI, "serve", "--data-dir", str(demo.data_dir), "--db", str(path),
                           "--port", "8639"], capture_output=True, text=True, timeout=120)
    assert_one_line(done, path)
    assert "malformed" in done.stderr


def test_an_import_waits_while_a_planner_keeps_saving(tmp_path, runner, monkeypatch):
    """`yizhan import` of 6,000 stations (12 batches) while a planner saves one of them every
    0.05 s: the import says it waits, works the planner's changes in, and succeeds."""
    import csv
    import threading

    from geo.registry import Registry
    from geo.stations import Station

    monkeypatch.setattr(settings, "import_batch_rows", 500)
    monkeypatch.setattr(settings, "import_wait_s", 60.0)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    planner = Registry(url)
    first = Station(id="b0", name="驿站0", kind="outdoor_rest_point", lon=104.0, lat=30.6)
    planner.upsert([first], source="before")
    rows = [["id", "name", "kind", "lon", "lat"]]
    rows += [[f"b{i}", f"驿站{i}", "工会驿站", f"{104 + i / 10_000:.5f}", "30.60000"]
             for i in range(6000)]
    source = tmp_path / "big.csv"
    with open(source, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    done, saves = threading.Event(), []

    def keep_saving():
        while not done.is_set():
            planner.upsert([first.replace(name=f"规划员改的{len(saves)}")], source="planner")
            saves.append(1)
            done.wait(0.05)

    thread = threading.Thread(target=keep_saving)
    thread.start()
    try:
        result = runner.invoke(main, ["--lang", "zh", "import", str(source), "--db", url])
    finally:
        done.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "站点正在被编辑，正在等待写入本次导入" in result.output
    assert len(saves) > 5
    after = Registry(url)
    assert len(after.stations()) == 6000
    imported = [h for h in after.history("b0") if h["source"] == "import big.csv"]
    assert [h["after"]["name"] for h in imported] == ["驿站0"]  # over a planner's name
    assert imported[0]["before"]["name"].startswith("规划员改的")
