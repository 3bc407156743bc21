"""Label tables repaired after a few stations changed (geo.network.label_repair) equal the tables
searched afresh from every station of the new list, and an updated finder answers from them as
a finder built afresh does."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from geo import settings
from geo.nearest import StationFinder
from geo.synthetic import city_network, random_points, random_stations
from tests.geo.test_nearest_changes import named, random_step, same_answers

#: The station sets tables are made for: all, and a kind (stations change kind, so they join
#: and leave it).
SETS = [(None, frozenset()), (frozenset({"driver_home"}), frozenset()),
        (None, frozenset({"toilet"}))]


@pytest.fixture(scope="module", params=["walk", "drive"])
def net(request):
    return city_network(1600, mode=request.param, seed=11)


def chosen(finder: StationFinder, kinds, services) -> np.ndarray:
    return finder._filter.chosen(kinds, services, None, False)


def assert_same_labels(repaired, searched) -> None:
    """The same stations per node in the same order, at the same costs (to rounding: a path
    of the same length may be summed in another order) and through the same next nodes."""
    key_r, value_r, label_r, next_r = repaired
    key_s, value_s, label_s, next_s = searched
    np.testing.assert_array_equal(label_r, label_s)
    np.testing.assert_allclose(key_r, key_s, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(value_r, value_s, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(next_r, next_s)


@pytest.mark.parametrize("weight", ["length", "time"])
@pytest.mark.parametrize("seed", range(4))
def test_a_repaired_table_equals_one_searched_afresh(net, seed, weight):
    """Creates, moves, kind and service edits and deletes, one step after another; each table
    of the finder before (k 1, 3 and 5; three station sets) repaired for the finder after."""
    rng = np.random.default_rng(seed)
    finder = StationFinder(net, named(random_stations(net, 120, seed=seed)))
    repaired_any = 0
    for serial in range(6):
        for kinds, services in SETS:
            for k in (1, 3, 5):
                finder._tables.labels(chosen(finder, kinds, services), k, weight)
        updated = finder.with_changes(*random_step(net, finder.stations, rng, serial))
        for kinds, services in SETS:
            now = chosen(updated, kinds, services)
            for k in (1, 3, 5):
                repaired = updated._tables._repaired(now, k, weight)
                assert repaired is not None, (kinds, services, k)
                assert_same_labels(repaired, updated._tables._searched(now, k, weight))
                repaired_any += 1
        finder = updated
    assert repaired_any == 6 * len(SETS) * 3


def test_tables_repair_across_two_changes_with_no_table_between(net):
    """A finder updated twice before any table was asked for repairs from the first one's."""
    rng = np.random.default_rng(9)
    finder = StationFinder(net, named(random_stations(net, 100, seed=9)))
    table = finder._tables.labels(chosen(finder, None, frozenset()), 3, "length")
    assert table is not None
    once = finder.with_changes(*random_step(net, finder.stations, rng, 0))
    twice = once.with_changes(*random_step(net, once.stations, rng, 1))
    # the second repairs from the first finder's tables, which reach no further back
    assert twice._tables._previous.tables is finder._tables
    assert finder._tables._previous is None
    now = chosen(twice, None, frozenset())
    repaired = twice._tables._repaired(now, 3, "length")
    assert repaired is not None
    assert_same_labels(repaired, twice._tables._searched(now, 3, "length"))


def test_no_table_of_the_same_stations_is_searched_afresh(net):
    """A table whose unchanged stations differ (another set) is not repaired from."""
    finder = StationFinder(net, named(random_stations(net, 80, seed=2)))
    finder._tables.labels(chosen(finder, frozenset({"driver_home"}), frozenset()), 3, "length")
    moved = dataclasses.replace(finder.stations[5], lon=finder.stations[5].lon + 2e-4)
    updated = finder.with_changes([moved])
    assert updated._tables._repaired(chosen(updated, None, frozenset()), 3, "length") is None
    assert updated._tables._repaired(chosen(updated, None, frozenset()), 1, "length") is None


def test_an_updated_finder_answers_from_repaired_tables_as_a_fresh_one(net, monkeypatch):
    """Tables read from the first lookup: each update's answers come from a repaired table,
    equal (stations, metres, seconds) to those of a finder built afresh without tables."""
    monkeypatch.setattr(settings, "nearest_table_after", 1)
    rng = np.random.default_rng(4)
    finder = StationFinder(net, named(random_stations(net, 150, seed=4)))
    lon, lat = random_points(net, 10, seed=6, jitter_deg=0.0003)
    finder.nearest(float(lon[0]), float(lat[0]), k=3)  # the first table
    for serial in range(5):
        finder = finder.with_changes(*random_step(net, finder.stations, rng, serial))
        monkeypatch.setattr(settings, "nearest_table_after", None)
        fresh = StationFinder(net, finder.stations)
        monkeypatch.setattr(settings, "nearest_table_after", 1)
        same_answers(finder, fresh, lon, lat, dict(k=3), exact=False)
        repaired_in_background(finder)
        assert len(finder._tables) == 1 and not finder._tables._unrepairable  # repaired
        same_answers(finder, fresh, lon, lat, dict(k=3), exact=False)  # now from the table


def repaired_in_background(finder: StationFinder) -> None:
    """Wait for the repairs an updated finder's lookups started (a few ms each)."""
    import time

    deadline = time.monotonic() + 30
    while finder._tables._building and time.monotonic() < deadline:
        time.sleep(0.005)
    assert not finder._tables._building


def test_a_lookup_never_waits_for_a_repair(net, monkeypatch):
    """An updated finder repairs a table in a background thread: the lookup that asked for it,
    and the ones while it is repaired, answer by the bounded search at once (no table); then
    the table is there, equal to one searched afresh."""
    import threading
    import time

    from geo.network import label_repair

    monkeypatch.setattr(settings, "nearest_table_after", 1)
    finder = StationFinder(net, named(random_stations(net, 60, seed=8)))
    lon, lat = random_points(net, 3, seed=9, jitter_deg=0.0003)
    finder.nearest(float(lon[0]), float(lat[0]), k=3)  # the first table
    moved = dataclasses.replace(finder.stations[3], lat=finder.stations[3].lat + 3e-4)
    updated = finder.with_changes([moved])
    release = threading.Event()
    real = label_repair.repair_labels
    monkeypatch.setattr(label_repair, "repair_labels",
                        lambda *a: release.wait(30) and real(*a))
    allowed = np.asarray(updated._access.on_network).copy()
    k = settings.default_k
    started = time.monotonic()
    assert updated._tables.for_lookups(allowed, k) is None  # the repair started, not awaited
    assert updated._tables.for_lookups(allowed, k) is None  # nor by the next lookup
    assert time.monotonic() - started < 5 and updated._tables._building
    release.set()
    repaired_in_background(updated)
    table = updated._tables.for_lookups(allowed, k)
    assert table is not None
    assert_same_labels(table, updated._tables._searched(np.flatnonzero(allowed), k, "length"))


@pytest.mark.parametrize("change", ["move", "create in the middle", "delete the first"])
def test_each_kind_of_change_is_repaired(net, change):
    """A move keeps every other station's index (only the moved one is looked for); a station
    created or deleted in the middle of the id order shifts the ones after it."""
    finder = StationFinder(net, named(random_stations(net, 90, seed=12)))
    all_on = chosen(finder, None, frozenset())
    finder._tables.labels(all_on, 3, "time")
    stations = finder.stations
    if change == "move":
        updated = finder.with_changes([dataclasses.replace(stations[40], lon=stations[40].lon
                                                           + 4e-4, lat=stations[40].lat - 3e-4)])
    elif change == "create in the middle":
        updated = finder.with_changes([dataclasses.replace(stations[7], id="s0007a",
                                                           lon=stations[7].lon + 5e-4)])
    else:
        updated = finder.with_changes([], [stations[0].id])
    assert updated._tables._previous.shifted == (change != "move")
    now = chosen(updated, None, frozenset())
    assert_same_labels(updated._tables._repaired(now, 3, "time"),
                       updated._tables._searched(now, 3, "time"))
