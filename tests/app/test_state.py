"""The app's state (app.state): the station snapshot and its refresh, prepared answers and their
ETags, the caches, and the basemap and demand files it serves."""

from __future__ import annotations

import pytest

from app.state import LRU, AppState, key_etag
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
