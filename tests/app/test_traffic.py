"""Reads under way and work that gives way to them (app.traffic)."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from app import traffic
from app.traffic import Traffic


def test_giving_way_waits_for_the_reads_under_way_and_no_longer():
    reads = Traffic()
    started = time.monotonic()
    reads.give_way(started + 5)  # none under way: at once
    assert time.monotonic() - started < 0.5
    reads.enter()
    threading.Timer(0.05, reads.leave).start()
    started = time.monotonic()
    reads.give_way(started + 5)
    waited = time.monotonic() - started
    assert 0.04 <= waited < 2 and reads.under_way == 0


def test_giving_way_ends_at_its_deadline_however_busy():
    reads = Traffic()
    reads.enter()
    started = time.monotonic()
    reads.give_way(started + 0.05)
    assert 0.04 <= time.monotonic() - started < 2
    assert reads.under_way == 1


def test_the_app_counts_its_reads_while_they_are_answered(client, monkeypatch):
    """A GET is under way while its view runs and not after its answer, also when the view
    fails; a write is not counted."""
    from flask import jsonify

    app = client.application
    before = traffic.TRAFFIC.under_way
    seen = []

    def view(**_):
        seen.append(traffic.TRAFFIC.under_way - before)
        if len(seen) == 2:
            raise RuntimeError("a view that fails")
        return jsonify({})

    monkeypatch.setattr(app, "testing", False)  # the failure answered as a 500, not raised
    monkeypatch.setitem(app.view_functions, "api.stations", view)
    monkeypatch.setitem(app.view_functions, "auth.login", view)
    assert client.get("/api/stations").status_code == 200
    assert client.get("/api/stations").status_code == 500
    client.post("/api/login", json={})
    assert seen == [1, 1, 0]
    assert traffic.TRAFFIC.under_way == before


def test_a_save_follows_up_in_the_gaps_between_reads(demo, tmp_path, demo_stations,
                                                     monkeypatch):
    """While a read is under way, the refresh after a save waits for it (at most GIVE_WAY_S in
    all), then makes the snapshot."""
    from dataclasses import replace

    from app.state import AppState
    from tests.app.conftest import copy_db

    monkeypatch.setattr("app.state.GIVE_WAY_S", 0.2)
    app_state = AppState(copy_db(demo, tmp_path), {"walk": demo.data_dir / "network-walk.npz"},
                         check_interval=0.0, basemap=tmp_path / "none.geojson")
    registry = app_state.registry
    station = demo_stations[0]
    registry.update(replace(station, lat=station.lat + 0.0003),
                    version=registry.get_versioned(station.id).version, source="test")
    traffic.TRAFFIC.enter()
    threading.Timer(0.08, traffic.TRAFFIC.leave).start()
    started = time.monotonic()
    snap = app_state.refresh()
    waited = time.monotonic() - started
    assert waited >= 0.07 and snap.by_id[station.id].lat == station.lat + 0.0003
    traffic.TRAFFIC.enter()  # a read that never ends: the refresh waits 0.2 s, no more
    try:
        registry.update(replace(station, lat=station.lat + 0.0006),
                        version=registry.get_versioned(station.id).version, source="test")
        started = time.monotonic()
        snap = app_state.refresh()
        assert 0.15 <= time.monotonic() - started < 5
        assert snap.by_id[station.id].lat == station.lat + 0.0006
    finally:
        traffic.TRAFFIC.leave()
        app_state.registry.engine.dispose()


def test_a_read_that_follows_the_registry_itself_does_not_wait_for_reads(demo, tmp_path,
                                                                         demo_stations,
                                                                         monkeypatch):
    """With a check interval of 0 the request that reads makes the snapshot itself: it is one
    of the reads under way, so it does not give way (to itself or the others)."""
    from dataclasses import replace

    from app.state import AppState
    from tests.app.conftest import copy_db

    monkeypatch.setattr("app.state.GIVE_WAY_S", 2.0)
    app_state = AppState(copy_db(demo, tmp_path), {"walk": demo.data_dir / "network-walk.npz"},
                         check_interval=0.0, basemap=tmp_path / "none.geojson")
    try:
        station = demo_stations[1]
        app_state.registry.update(replace(station, lat=station.lat + 0.0003), source="test",
                                  version=app_state.registry.get_versioned(station.id).version)
        traffic.TRAFFIC.enter()  # this read
        try:
            started = time.monotonic()
            snap = app_state.current()
            assert time.monotonic() - started < 1.5
        finally:
            traffic.TRAFFIC.leave()
        assert snap.by_id[station.id].lat == station.lat + 0.0003
    finally:
        app_state.registry.engine.dispose()


def test_quick_turns_while_any_thread_is_inside_and_the_interval_back_after():
    before = sys.getswitchinterval()
    inside, leave = threading.Event(), threading.Event()

    def other():
        with traffic.quick_turns():
            inside.set()
            leave.wait(5)

    worker = threading.Thread(target=other)
    worker.start()
    assert inside.wait(5)
    assert sys.getswitchinterval() == pytest.approx(traffic.QUICK_SWITCH_S)
    with traffic.quick_turns():
        assert sys.getswitchinterval() == pytest.approx(traffic.QUICK_SWITCH_S)
    assert sys.getswitchinterval() == pytest.approx(traffic.QUICK_SWITCH_S)  # other is inside
    leave.set()
    worker.join(5)
    assert sys.getswitchinterval() == before


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread priority is Linux's")
def test_work_behind_the_lookups_runs_at_a_lower_priority_than_the_rest():
    seen = {}

    def work():
        me = threading.get_native_id()
        seen["before"] = os.getpriority(os.PRIO_PROCESS, me)
        traffic.behind_the_lookups()
        seen["after"] = os.getpriority(os.PRIO_PROCESS, me)

    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    assert seen["after"] == min(seen["before"] + traffic.BEHIND_NICE, 19) > seen["before"]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # this one not
