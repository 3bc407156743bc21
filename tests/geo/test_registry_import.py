"""Large writes to the registry: staged in batches, moved in at once, all or nothing, even when
the importing process is killed."""

import csv
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from app.reports import Reports
from geo import settings
from geo.errors import DatabaseUnavailable
from geo.registry import Registry
from geo.stations import Station


def station(i, **kw):
    return Station(**{"id": f"s{i}", "name": f"驿站{i}", "kind": "outdoor_rest_point",
                      "lon": 104.0 + i / 10_000, "lat": 30.6, "capacity": 4, **kw})


def tables(url: str) -> tuple[list, list]:
    """Every row of ``stations`` and ``station_history``, as stored."""
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return (conn.execute("SELECT * FROM stations ORDER BY id").fetchall(),
                conn.execute("SELECT * FROM station_history ORDER BY seq").fetchall())


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    registry = Registry(url)
    registry.upsert([station(i) for i in range(3)], source="before")
    registry.engine.dispose()
    return url


def test_a_staged_write_is_the_same_as_one_transaction(url, tmp_path, monkeypatch):
    new = [station(i, name=f"改{i}") if i % 3 == 0 else station(i) for i in range(250)]
    one = f"sqlite:///{tmp_path / 'one.sqlite'}"
    Registry(one).upsert([station(i) for i in range(3)], source="before")
    expected = Registry(one).upsert(new, source="import")
    monkeypatch.setattr(settings, "import_batch_rows", 40)
    summary = Registry(url).upsert(new, source="import")
    assert summary.as_dict() == expected.as_dict() == {"created": 247, "updated": 1,
                                                       "unchanged": 2}
    registry = Registry(url)
    assert registry.stations() == Registry(one).stations()
    assert [(h["station_id"], h["action"]) for h in registry.history()] == [
        (h["station_id"], h["action"]) for h in Registry(one).history()]
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:  # nothing left staged
        assert conn.execute("SELECT count(*) FROM staged_stations").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM staged_history").fetchone() == (0,)


def test_a_failure_while_staging_leaves_the_registry_as_it_was(url, monkeypatch):
    before = tables(url)
    registry = Registry(url)
    monkeypatch.setattr(settings, "import_batch_rows", 40)

    def fail(import_id, version, ids):
        raise RuntimeError("disk full")

    monkeypatch.setattr(registry, "_move_in", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        registry.upsert([station(i, name="新") for i in range(200)], source="import")
    assert tables(url) == before


def test_a_write_made_meanwhile_is_kept_and_the_import_worked_out_again(url, monkeypatch):
    registry = Registry(url)
    monkeypatch.setattr(settings, "import_batch_rows", 40)
    changes, done = registry._changes, []

    def meanwhile(conn, stations, source, actor):
        answer = changes(conn, stations, source, actor)
        if not done:  # a planner edits s1 while the import stages its rows
            done.append(1)
            Registry(url).upsert([station(1, name="规划员改的")], source="planner")
        return answer

    monkeypatch.setattr(registry, "_changes", meanwhile)
    summary = registry.upsert([station(i) for i in range(100)], source="import")
    assert summary.as_dict() == {"created": 97, "updated": 1, "unchanged": 2}
    assert registry.get("s1").name == "驿站1"
    assert [h["source"] for h in registry.history("s1")] == ["before", "planner", "import"]


def planner_saving(registry, url, monkeypatch, station_id="s1"):
    """Make a planner save ``station_id`` each time the import works out its changes; the
    seconds waited that the import reports."""
    changes, waits = registry._changes, []

    def meanwhile(conn, stations, source, actor):
        answer = changes(conn, stations, source, actor)
        Registry(url).upsert([station(int(station_id[1:]), name=f"改{len(waits)}")],
                             source="planner")
        return answer

    monkeypatch.setattr(registry, "_changes", meanwhile)
    return waits


def test_an_import_works_in_a_planner_saving_until_the_deadline(url, monkeypatch):
    """Each attempt of the import finds s1 saved again: it says it waits each time, and after
    import_wait_s gives up with a clear message, having written nothing."""
    registry = Registry(url)
    monkeypatch.setattr(settings, "import_batch_rows", 40)
    # long enough for three attempts on a loaded machine (each saves a station meanwhile)
    monkeypatch.setattr(settings, "import_wait_s", 2.0)
    monkeypatch.setattr(settings, "import_retry_pause_s", 0.05)
    waits = planner_saving(registry, url, monkeypatch)
    with pytest.raises(DatabaseUnavailable, match=r"kept changing the stations of this import "
                                                  r"for \d+ s .*import_wait_s.*nothing was "
                                                  r"imported"):
        registry.upsert([station(i, name="新") for i in range(200)], source="import",
                        on_wait=waits.append)
    assert len(waits) >= 3 and waits == sorted(waits) and waits[-1] <= 2.0
    stations, history = tables(url)
    assert [row[0] for row in stations] == ["s0", "s1", "s2"]  # nothing of the import
    assert {row[4] for row in history} == {"before", "planner"}
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:  # nothing left staged
        assert conn.execute("SELECT count(*) FROM staged_stations").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM staged_history").fetchone() == (0,)


def test_a_save_outside_the_import_does_not_hold_it_up(url, monkeypatch):
    registry = Registry(url)
    monkeypatch.setattr(settings, "import_batch_rows", 40)
    waits = planner_saving(registry, url, monkeypatch, station_id="s2")
    summary = registry.upsert([station(i, name="新") for i in range(3, 200)], source="import",
                              on_wait=waits.append)
    assert waits == [] and summary.as_dict() == {"created": 197, "updated": 0, "unchanged": 0}
    assert registry.get("s2").name == "改0" and len(registry.stations()) == 200


def test_reports_and_reads_keep_working_during_a_large_import(url, monkeypatch):
    """Another thread adds reports and reads stations all through a 12,000-station import
    (six batches): none of them waits past the busy timeout, none fails."""
    monkeypatch.setattr(settings, "db_busy_timeout_s", 3.0)
    stations = [station(i) for i in range(12_000)]
    errors, done, counts = [], threading.Event(), {"reports": 0, "reads": 0}
    reports = Reports(Registry(url))
    reader = Registry(url)

    def other_work():
        while not done.is_set():
            try:
                reports.add("s1", "full", "人太多")
                counts["reports"] += 1
                assert len(reader.stations()) >= 3
                counts["reads"] += 1
            except Exception as exc:
                errors.append(exc)
            time.sleep(0.01)

    thread = threading.Thread(target=other_work)
    thread.start()
    try:
        started = time.monotonic()
        Registry(url).upsert(stations, source="import")
        took = time.monotonic() - started
    finally:
        done.set()
        thread.join()
    assert not errors, errors[:3]
    assert counts["reports"] > 5 and counts["reads"] > 5, (counts, took)
    assert len(reader.stations()) == 12_000


def read_only(url: str) -> str:
    """The URL of the same SQLite file opened read-only (``mode=ro``: the tests run as root,
    whom file permissions do not stop), in rollback-journal mode as a copy on a read-only disk
    would be."""
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def test_a_read_only_database_is_unavailable_not_a_crash(url):
    registry = Registry(read_only(url))
    assert len(registry.stations()) == 3
    with pytest.raises(DatabaseUnavailable, match=r"cannot be written now.*readonly"):
        registry.upsert([station(9)])
    with pytest.raises(DatabaseUnavailable):
        Reports(registry).add("s1", "closed")


def test_killing_an_import_leaves_the_registry_exactly_as_it_was(url, tmp_path):
    """SIGKILL while the import stages its batches: not one station, not one history entry."""
    rows = [["id", "name", "kind", "lon", "lat"]]
    rows += [[f"k{i}", f"驿站{i}", "工会驿站", f"{103.9 + (i % 300) / 1000:.4f}",
              f"{30.5 + (i // 300) / 1000:.4f}"] for i in range(60_000)]
    source = tmp_path / "big.csv"
    with open(source, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    before = tables(url)
    path = url.removeprefix("sqlite:///")
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "import", str(source),
         "--db", url, "--bounds", "china"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        staged = 0
        while time.monotonic() < deadline and process.poll() is None:
            with sqlite3.connect(path, timeout=30) as conn:
                have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
                if "staged_stations" in have:
                    staged = conn.execute("SELECT count(*) FROM staged_stations").fetchone()[0]
            if staged:
                break
            time.sleep(0.05)
        assert staged, process.stderr.read().decode() if process.poll() is not None else "slow"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        process.stderr.close()
    assert tables(url) == before
    # the next import runs through, whatever the dead one left staged
    summary = Registry(url).upsert([station(i) for i in range(5)], source="after")
    assert summary.as_dict() == {"created": 2, "updated": 0, "unchanged": 3}
