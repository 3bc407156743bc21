"""The app's state (app.state): the station snapshot and its refresh, prepared answers and their
ETags, the caches, and the basemap and demand files it serves."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.snapshot import LRU, key_etag
from app.state import AppState
from geo.errors import NotFoundError
from geo.registry import Versioned

from .conftest import copy_db


@pytest.fixture
def app_state(demo, tmp_path):
    state = AppState(copy_db(demo, tmp_path), {"walk": demo.data_dir / "network-walk.npz"},
                     check_interval=0.0, basemap=tmp_path / "none.geojson")
    yield state
    state.registry.engine.dispose()


def test_the_snapshot_holds_every_station_with_a_finder_per_mode(app_state, demo_stations):
    snap = app_state.current()
    assert [st.id for st in snap.stations] == [st.id for st in demo_stations]
    assert list(snap.finders) == ["walk"] and set(snap.features) == set(snap.by_id)
    assert snap is app_state.current()  # unchanged registry: the same snapshot


def test_a_write_makes_a_new_snapshot(app_state, demo_stations):
    before = app_state.current()
    station = demo_stations[0]
    app_state.registry.delete(station.id, source="test")
    after = app_state.refresh()
    assert after is not before and after.version != before.version
    assert station.id not in after.by_id and station.id in before.by_id


def test_a_versioned_feature_carries_open_and_version(app_state, demo_stations):
    snap = app_state.current()
    feature = snap.versioned_feature(Versioned(demo_stations[0], 7))
    assert feature["properties"]["version"] == 7 and "open" in feature["properties"]
    assert feature["properties"]["links"] == snap.links[demo_stations[0].id]


def test_answers_are_kept_under_their_key_with_its_etag(app_state):
    made = []
    key = ("stations", (1, 1), "query")

    def make():
        made.append(1)
        return {"type": "FeatureCollection", "features": []}

    first, again = app_state.answer(key, make), app_state.answer(key, make)
    assert first is again and made == [1]
    assert first.etag == key_etag(key) and first.raw.startswith(b'{"type":"FeatureCollection"')
    assert key_etag(key) != key_etag(("stations", (1, 2), "query"))


def test_the_lru_forgets_the_least_recently_used():
    cache = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and len(cache) == 2
    assert cache.get_or_make("d", lambda: 4) == 4 and cache.get_or_make("d", lambda: 5) == 4


def test_without_a_basemap_file_the_basemap_is_not_found(app_state):
    assert not app_state.has_basemap()
    with pytest.raises(NotFoundError, match="no basemap here"):
        app_state.basemap()


def test_without_a_demand_file_coverage_says_where_to_put_one(app_state):
    with pytest.raises(NotFoundError, match=r"demand\.csv"):
        app_state.demand()


def test_bounds_cover_the_networks(app_state, demo):
    west, south, east, north = app_state.bounds()
    net = demo.network("walk")
    assert (west, south, east, north) == (float(net.lon.min()), float(net.lat.min()),
                                          float(net.lon.max()), float(net.lat.max()))


def test_an_unknown_mode_is_refused(demo, tmp_path):
    with pytest.raises(ValueError, match=r"unknown mode\(s\) \['boat'\]"):
        AppState(copy_db(demo, tmp_path), {"boat": demo.data_dir / "network-walk.npz"})


# --- updating the snapshot with the changed stations only ---------------------------------------


def whole(state: AppState):
    """A snapshot of ``state``'s registry built whole, as a check."""
    return state._build(state.registry.version())


def assert_same_snapshot(a, b, points) -> None:
    assert a.version == b.version
    assert [s.id for s in a.stations] == [s.id for s in b.stations] and a.stations == b.stations
    assert a.by_id == b.by_id and a.features == b.features and a.links == b.links
    assert list(a.finders) == list(b.finders)
    for mode, finder in a.finders.items():
        fresh = b.finders[mode]
        for x, y in points:
            for filters in ({"k": 3}, {"k": 2, "kinds": ["driver_home"]},
                            {"k": 2, "open_at": "2026-11-28T04:00", "open_only": True}):
                hits = finder.nearest(x, y, route=True, **filters)
                expected = fresh.nearest(x, y, route=True, **filters)
                assert [(h.station.id, h.distance_m, h.duration_s, h.route) for h in hits] == \
                    [(h.station.id, h.distance_m, h.duration_s, h.route) for h in expected]


@pytest.fixture
def exact(monkeypatch):
    """Lookups by the bounded search only (a table's answer may differ from a search's in the
    last bit, and take the other of two equal routes)."""
    from geo import settings

    monkeypatch.setattr(settings, "nearest_table_after", None)


@pytest.fixture
def counted(monkeypatch, exact):
    """How many stations are placed on a network, per finder built or updated."""
    from geo.nearest import _access

    placed: list[int] = []
    real = _access.place

    def counting(network, lon, lat):
        placed.append(len(lon))
        return real(network, lon, lat)

    monkeypatch.setattr(_access, "place", counting)
    return placed


def test_a_write_updates_only_the_changed_stations(app_state, demo_stations, counted):
    """A create, a move and a delete through this process: the new snapshot places only the
    changed stations, reads only them, and equals one built whole."""
    from geo.synthetic import random_points

    registry = app_state.registry
    first, second = demo_stations[0], demo_stations[1]
    app_state.current()
    registry.update(replace(first, lon=first.lon + 0.0005, name="移动了"),
                    version=registry.get_versioned(first.id).version, source="test")
    registry.create(replace(second, id="zz-new", lat=second.lat + 0.0004), source="test")
    registry.delete(demo_stations[2].id, source="test")
    read_all = []
    real_stations = registry.stations
    app_state.registry.stations = lambda **kw: read_all.append(1) or real_stations(**kw)
    after = app_state.refresh()
    assert counted == [] and read_all == []  # nothing read whole, the finder not made yet
    after.finders["walk"]  # the first lookup in this mode
    assert counted == [2]  # the moved and the new one placed
    assert after.by_id[first.id].name == "移动了" and "zz-new" in after.by_id
    net = app_state.networks["walk"]
    lon, lat = random_points(net, 8, seed=3, jitter_deg=0.0002)
    points = [*zip(lon.tolist(), lat.tolist(), strict=True), (first.lon, first.lat)]
    del app_state.registry.stations
    assert_same_snapshot(after, whole(app_state), points)


def test_a_change_by_another_process_is_noticed_and_updates_only_it(app_state, demo_stations,
                                                                       counted):
    from geo.registry import Registry

    before = app_state.current()
    other = Registry(app_state.registry.url)  # another process's registry
    station = demo_stations[5]
    other.update(replace(station, lon=station.lon - 0.0006),
                 version=other.get_versioned(station.id).version, source="test")
    other.engine.dispose()
    after = app_state.current()
    assert after is not before and counted == []
    after.finders["walk"]
    assert counted == [1]
    assert after.by_id[station.id].lon == pytest.approx(station.lon - 0.0006)
    assert before.by_id[station.id] == station  # the previous snapshot is left as it was
    assert_same_snapshot(after, whole(app_state), [(station.lon, station.lat)])


def test_many_changes_rebuild_the_snapshot_whole(app_state, demo_stations, counted):
    app_state.current()
    share = len(demo_stations) // 4
    app_state.registry.upsert([replace(s, name=s.name + "·") for s in demo_stations[:share]],
                              source="test")
    after = app_state.refresh()
    after.finders["walk"]
    assert counted == [len(demo_stations)]  # every station placed again
    assert_same_snapshot(after, whole(app_state), [(demo_stations[0].lon, demo_stations[0].lat)])


@pytest.mark.parametrize(("seed", "asked"), [(0, True), (1, True), (2, True), (3, False),
                                            (4, False)])
def test_random_edits_keep_the_snapshot_equal_to_one_built_whole(app_state, exact, seed, asked):
    """Random creates, moves, edits and deletes, each followed by a refresh: every snapshot
    equals one built whole from the registry; also when nobody looks up between the edits (the
    finder is then made once, from the first one's with the changes of all the edits)."""
    import numpy as np

    from geo.synthetic import random_points

    rng = np.random.default_rng(seed)
    registry = app_state.registry
    net = app_state.networks["walk"]
    lon, lat = random_points(net, 5, seed=seed, jitter_deg=0.0002)
    points = list(zip(lon.tolist(), lat.tolist(), strict=True))
    for step in range(6):
        snap = app_state.current()
        station = snap.stations[int(rng.integers(len(snap.stations)))]
        action = ["create", "move", "edit", "delete"][step % 4]
        if action == "delete":
            registry.delete(station.id, source="test")
        elif action == "create":
            registry.create(replace(station, id=f"new-{seed}-{step}",
                                    lon=station.lon + float(rng.normal(0, 0.001))), source="test")
        else:
            changed = (replace(station, lat=station.lat + float(rng.normal(0, 0.001)))
                       if action == "move" else replace(station, kind="driver_home", hours="24/7"))
            registry.update(changed, version=registry.get_versioned(station.id).version,
                            source="test")
        if asked:
            assert_same_snapshot(app_state.refresh(), whole(app_state), points)
        else:
            app_state.refresh()
    assert_same_snapshot(app_state.current(), whole(app_state), points)


def test_a_mode_is_updated_once_by_the_first_of_many_lookups(app_state, demo_stations, counted):
    """Saves with nobody looking up between them, then lookups from many threads at once: the
    finder is made once, with the changes of every save, and every thread gets it."""
    import threading

    registry = app_state.registry
    app_state.current()
    for i, station in enumerate(demo_stations[:3]):
        registry.update(replace(station, lat=station.lat + 0.0003 * (i + 1)),
                        version=registry.get_versioned(station.id).version, source="test")
        app_state.refresh()
    registry.delete(demo_stations[0].id, source="test")
    snap = app_state.refresh()
    assert counted == [] and "not yet updated: ['walk']" in repr(snap.finders)
    got, start = [], threading.Barrier(6)

    def lookup() -> None:
        start.wait()
        got.append(snap.finders["walk"])

    threads = [threading.Thread(target=lookup) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counted == [2] and len({id(f) for f in got}) == 1  # two moved (the third deleted)
    assert demo_stations[0].id not in {s.id for s in got[0].stations}
    assert_same_snapshot(snap, whole(app_state), [(demo_stations[1].lon, demo_stations[1].lat)])


def test_a_save_makes_the_finders_of_the_modes_looked_up_in_before_it_is_served(demo, tmp_path,
                                                                              counted):
    """After a write through this process, the finder of each mode looked up in since the last
    save is made by the refresh (the saving request), so the lookups that follow find it made
    and the ones meanwhile answer from the snapshot before; a mode nobody looked up in is made
    when first asked for."""
    state = AppState(copy_db(demo, tmp_path), {"walk": demo.data_dir / "network-walk.npz",
                                               "drive": demo.data_dir / "network-drive.npz"},
                     check_interval=0.0, basemap=tmp_path / "none.geojson")
    try:
        registry = state.registry
        before = state.current()
        counted.clear()  # the stations placed by the first build
        before.finders["walk"].nearest(before.stations[0].lon, before.stations[0].lat, k=1)
        station = before.stations[4]
        registry.update(replace(station, lat=station.lat + 0.0004),
                        version=registry.get_versioned(station.id).version, source="test")
        after = state.refresh()
        assert counted == [1]  # walk made in the refresh: the moved station placed once
        assert "not yet updated: ['drive']" in repr(after.finders)
        assert after.finders["walk"].stations == after.stations and counted == [1]
        after.finders["drive"]  # the first lookup in this mode makes it
        assert counted == [1, 1]
        assert_same_snapshot(after, whole(state), [(station.lon, station.lat)])
    finally:
        state.registry.engine.dispose()


def test_a_served_process_keeps_new_snapshots_out_of_the_collector(app_state, demo_stations,
                                                                   monkeypatch):
    """With FREEZE_SNAPSHOTS (a served process, app.settle), a refresh makes the snapshot with
    the collector paused and keeps it out of its passes (its 20,000-entry dicts are not visited
    again); the garbage of the requests before is collected first, and every
    FULL_COLLECTION_EVERY snapshots a full pass collects what became garbage meanwhile."""
    import gc
    import weakref

    from app import snapshot as app_state_module

    class Cycle:
        def __init__(self):
            self.me = self

    monkeypatch.setattr(app_state_module, "FREEZE_SNAPSHOTS", True)
    monkeypatch.setattr(app_state_module, "FULL_COLLECTION_EVERY", 3)
    monkeypatch.setattr(app_state_module, "_frozen_since_full", 0)
    registry = app_state.registry
    real_next = app_state._next
    made_meanwhile = []

    def next_with_garbage(*between):
        assert not gc.isenabled()  # paused while the snapshot is made
        made_meanwhile.append(weakref.ref(Cycle()))
        return real_next(*between)

    monkeypatch.setattr(app_state, "_next", next_with_garbage)
    try:
        for step in range(3):
            before = weakref.ref(Cycle())  # garbage of a request before the save
            station = demo_stations[step]
            registry.update(replace(station, lon=station.lon + 0.0003),
                            version=registry.get_versioned(station.id).version, source="test")
            snap = app_state.refresh()
            assert gc.isenabled()
            assert before() is None  # collected before the snapshot was made
            young = {id(o) for o in gc.get_objects()}
            assert id(snap.by_id) not in young and id(snap.features) not in young  # kept out
            if step < 2:
                assert made_meanwhile[-1]() is not None  # kept out with the snapshot
        assert all(ref() is None for ref in made_meanwhile)  # the third: a full pass
        assert app_state_module._frozen_since_full == 0
    finally:
        gc.unfreeze()


def test_with_an_interval_a_change_elsewhere_is_followed_without_holding_up_lookups(
        demo, tmp_path, demo_stations):
    """With a check interval (a server), the check and the update a change by another process
    leads to run in a thread of their own: the lookups meanwhile get the snapshot before at
    once, and the next ones the new snapshot, equal to one built whole."""
    import threading
    import time

    from geo.registry import Registry

    state = AppState(copy_db(demo, tmp_path), {"walk": demo.data_dir / "network-walk.npz"},
                     check_interval=0.05, basemap=tmp_path / "none.geojson")
    try:
        before = state.current()
        other = Registry(state.registry.url)
        station = demo_stations[3]
        other.update(replace(station, lat=station.lat + 0.0005),
                     version=other.get_versioned(station.id).version, source="test")
        other.engine.dispose()
        release, real_next = threading.Event(), state._next
        state._next = lambda *between: release.wait(30) and real_next(*between)
        time.sleep(0.06)
        started = time.monotonic()
        assert state.current() is before  # the check started, not awaited
        assert state.current() is before
        assert time.monotonic() - started < 5
        release.set()
        deadline = time.monotonic() + 30
        while state.current() is before and time.monotonic() < deadline:
            time.sleep(0.01)
        after = state.current()
        assert after is not before and after.by_id[station.id].lat == pytest.approx(
            station.lat + 0.0005)
        assert_same_snapshot(after, whole(state), [(station.lon, station.lat)])
    finally:
        state.registry.engine.dispose()
