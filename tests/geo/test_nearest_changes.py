"""A finder updated with changed stations (StationFinder.with_changes, geo.nearest._changes):
equal to a finder built afresh from the same stations, after any sequence of creates, moves,
edits and deletes."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from geo import settings
from geo.nearest import StationFinder, _finder
from geo.nearest._access import StationAccess
from geo.nearest._changes import apply_changes
from geo.network.placement import Placement
from geo.stations import Station
from geo.synthetic import city_network, random_points, random_stations
from tests.reference import networkx_nearest

FRIDAY_10 = "2026-11-27T10:00"
SATURDAY_04 = "2026-11-28T04:00"
FILTERS = [
    dict(k=1),
    dict(k=3),
    dict(k=2, kinds=["driver_home"]),
    dict(k=3, services=["toilet"]),
    dict(k=3, open_at=SATURDAY_04, open_only=True),
    dict(k=2, kinds=["sanitation_station", "outdoor_rest_point"], open_at=FRIDAY_10,
         open_only=True),
]


@pytest.fixture(scope="module", params=["walk", "drive"])
def net(request):
    return city_network(1600, mode=request.param, seed=11)


def named(stations: list[Station]) -> list[Station]:
    """The stations with ids that sort as the registry lists them."""
    return [dataclasses.replace(s, id=f"s{i:04d}") for i, s in enumerate(stations)]


def random_step(net, stations: list[Station], rng: np.random.Generator, serial: int
                ) -> tuple[list[Station], list[str]]:
    """A few creates, moves, edits and deletes: (changed, removed)."""
    changed, removed = [], []
    for _ in range(int(rng.integers(1, 4))):
        action = rng.choice(["create", "move", "edit", "delete"])
        if action == "create" or not stations:
            fresh = random_stations(net, 1, seed=int(rng.integers(1 << 30)))[0]
            changed.append(dataclasses.replace(fresh, id=f"s{rng.integers(10_000):04d}n{serial}"))
        elif action == "move":
            old = stations[int(rng.integers(len(stations)))]
            node = int(rng.integers(net.n_nodes))
            changed.append(dataclasses.replace(
                old, lon=float(net.lon[node] + rng.normal(0, 0.0003)),
                lat=float(net.lat[node] + rng.normal(0, 0.0003))))
        elif action == "edit":
            old = stations[int(rng.integers(len(stations)))]
            kinds = ["driver_home", "sanitation_station", "outdoor_rest_point"]
            changed.append(dataclasses.replace(old, kind=str(rng.choice(kinds)),
                                               hours=str(rng.choice(["24/7", "Mo-Fr 09:00-17:00"])),
                                               services=frozenset({"toilet"}) if rng.random() < 0.5
                                               else frozenset()))
        else:
            removed.append(stations[int(rng.integers(len(stations)))].id)
    return changed, removed


def assert_same_finder(a: StationFinder, b: StationFinder) -> None:
    """Two finders built from the same stations hold the same placements and entries."""
    assert [s.id for s in a.stations] == [s.id for s in b.stations]
    assert a.stations == b.stations
    for name in (f.name for f in dataclasses.fields(Placement)):
        x, y = getattr(a.placement, name), getattr(b.placement, name)
        np.testing.assert_array_equal(x, y)
        assert x.dtype == y.dtype, name
    for x, y in ((a.on_network, b.on_network), (a.station_leg_m, b.station_leg_m),
                 (a.station_leg_s, b.station_leg_s), *zip(a._access.entries, b._access.entries,
                                                          strict=True),
                 (a._access.segments, b._access.segments),
                 (a._access.on_segment, b._access.on_segment)):
        np.testing.assert_array_equal(x, y)
        assert x.dtype == y.dtype and not x.flags.writeable
    np.testing.assert_array_equal(a._filter._kind_code, b._filter._kind_code)
    for (kinds, services), mask in a._filter._masks.items():  # carried over, or made afresh
        np.testing.assert_array_equal(mask, b._filter.static_mask(kinds, services))
    assert a._access.by_segment == b._access.by_segment
    assert [s.id for s in a.off_network] == [s.id for s in b.off_network]


def same_answers(a: StationFinder, b: StationFinder, lon, lat, filters, *,
                 exact: bool = True) -> None:
    """Equal answers; to the last bit and route with ``exact``, else (a table's answer against
    a search's) the same stations at the same metres and seconds to 1e-6."""
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        hits_a = a.nearest(x, y, route=True, **filters)
        hits_b = b.nearest(x, y, route=True, **filters)
        if not exact:
            assert [h.station.id for h in hits_a] == [h.station.id for h in hits_b]
            assert [v for h in hits_a for v in (h.distance_m, h.duration_s)] == pytest.approx(
                [v for h in hits_b for v in (h.distance_m, h.duration_s)], abs=1e-6)
            continue
        assert [(h.station.id, h.distance_m, h.duration_s, h.route, h.open) for h in hits_a] == \
            [(h.station.id, h.distance_m, h.duration_s, h.route, h.open) for h in hits_b]


# --- the new list of stations ---------------------------------------------------------------------


def test_changes_keep_the_order_and_say_which_stations_are_the_same():
    a, b, c, d = named(random_stations(city_network(100), 4, seed=1))
    moved = dataclasses.replace(b, lon=b.lon + 0.001)
    new = dataclasses.replace(a, id="s0001a")
    stations, kept, ids = apply_changes([a, b, c, d], [moved, new, dataclasses.replace(c)],
                                        ["s0003"])
    assert [s.id for s in stations] == ["s0000", "s0001", "s0001a", "s0002"] == ids.tolist()
    assert stations[1] is moved and kept.tolist() == [0, -1, -1, 2]
    longer = dataclasses.replace(a, id="s0001a-with-a-longer-id")
    stations, kept, ids = apply_changes(stations, [longer], ["s0000"], ids=ids)
    assert ids.tolist() == [s.id for s in stations] == [
        "s0001", "s0001a", "s0001a-with-a-longer-id", "s0002"]
    assert kept.tolist() == [1, 2, -1, 3]


def test_a_station_changed_and_removed_is_removed_and_unknown_ids_are_ignored():
    a, b = named(random_stations(city_network(100), 2, seed=1))
    stations, kept, _ = apply_changes([a, b], [dataclasses.replace(b, name="x")],
                                      ["s0001", "zz"])
    assert stations == [a] and kept.tolist() == [0]


def test_new_stations_go_last_when_the_list_is_not_in_id_order():
    a, b = named(random_stations(city_network(100), 2, seed=1))
    new = dataclasses.replace(a, id="s0000b")
    stations, kept, _ = apply_changes([b, a], [new], [])
    assert [s.id for s in stations] == ["s0001", "s0000", "s0000b"] and kept.tolist() == [0, 1, -1]


# --- the finder -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_updates_equal_a_finder_built_afresh(net, seed, monkeypatch):
    """A random sequence of creates, moves, edits and deletes, each applied to the last finder:
    the same placements, and the same answers (stations, metres, seconds, routes, open) for
    random points under every filter, as a finder built from the stations afresh."""
    monkeypatch.setattr(settings, "nearest_table_after", None)
    rng = np.random.default_rng(seed)
    finder = StationFinder(net, named(random_stations(net, 80, seed=seed)))
    lon, lat = random_points(net, 6, seed=seed + 100, jitter_deg=0.0003)
    for filters in FILTERS:  # fills the filter's masks and opening states, carried over next
        finder.nearest(float(lon[0]), float(lat[0]), **filters)
    for serial in range(8):
        changed, removed = random_step(net, finder.stations, rng, serial)
        updated = finder.with_changes(changed, removed)
        fresh = StationFinder(net, updated.stations)
        assert_same_finder(updated, fresh)
        for filters in FILTERS:
            same_answers(updated, fresh, lon, lat, filters)
        finder = updated
    frame_a = finder.nearest_many(lon, lat, k=3)
    frame_b = StationFinder(net, finder.stations).nearest_many(lon, lat, k=3)
    assert frame_a.equals(frame_b)


def test_updates_equal_networkx_with_the_point_on_its_edge(net):
    rng = np.random.default_rng(7)
    finder = StationFinder(net, named(random_stations(net, 40, seed=7)))
    for serial in range(5):
        finder = finder.with_changes(*random_step(net, finder.stations, rng, serial))
    lon, lat = random_points(net, 5, seed=8, jitter_deg=0.0002)
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        for filters in (dict(k=3), dict(k=2, open_at=FRIDAY_10, open_only=True)):
            hits = finder.nearest(x, y, **filters)
            expected = networkx_nearest(finder, x, y, **filters)
            assert [h.distance_m for h in hits] == pytest.approx([d for d, _ in expected],
                                                                  abs=1e-6)


def test_the_finder_updated_from_is_unchanged(net):
    stations = named(random_stations(net, 30, seed=2))
    finder = StationFinder(net, stations)
    x, y = float(net.lon[50]), float(net.lat[50])
    before = [(h.station.id, h.distance_m) for h in finder.nearest(x, y, k=3)]
    moved = dataclasses.replace(finder.nearest(x, y, k=1)[0].station, lon=float(net.lon[900]),
                                lat=float(net.lat[900]))
    updated = finder.with_changes([moved], [stations[5].id])
    assert finder.stations == stations and len(updated.stations) == 29
    assert [(h.station.id, h.distance_m) for h in finder.nearest(x, y, k=3)] == before
    assert updated.nearest(x, y, k=1)[0].station.id != moved.id


def test_many_changes_build_the_finder_afresh(net, monkeypatch):
    stations = named(random_stations(net, 40, seed=3))
    finder = StationFinder(net, stations)
    moved = [dataclasses.replace(s, lon=s.lon + 0.0004) for s in stations[:10]]
    updates = []
    real = StationAccess.with_changes

    def counting(self, stations, kept, **options):
        updates.append(int((kept < 0).sum()))
        return real(self, stations, kept, **options)

    monkeypatch.setattr(StationAccess, "with_changes", counting)
    updated = finder.with_changes(moved)  # a quarter changed: more than REBUILD_SHARE
    assert updates == []
    assert_same_finder(updated, StationFinder(net, updated.stations))
    monkeypatch.setattr(_finder, "REBUILD_SHARE", 0.5)
    assert_same_finder(finder.with_changes(moved), updated)
    assert updates == [10]


def test_tables_of_an_updated_finder_are_built_in_the_background(net, monkeypatch):
    """An updated finder answers by the bounded search while a table asked for often is being
    built, then from the table: the same answers throughout."""
    monkeypatch.setattr(settings, "nearest_table_after", 2)
    stations = named(random_stations(net, 60, seed=4))
    finder = StationFinder(net, stations)
    updated = finder.with_changes([dataclasses.replace(stations[3], lon=stations[3].lon + 3e-4)])
    fresh = StationFinder(net, updated.stations)
    lon, lat = random_points(net, 12, seed=5, jitter_deg=0.0003)
    same_answers(updated, fresh, lon, lat, dict(k=3), exact=False)
    deadline = time.monotonic() + 30
    while len(updated._tables) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(updated._tables) == 1  # built meanwhile, now read
    same_answers(updated, fresh, lon, lat, dict(k=3), exact=False)
    monkeypatch.setattr(settings, "nearest_table_after", None)
    same_answers(updated, StationFinder(net, updated.stations), lon, lat, dict(k=3))


def test_an_update_with_repair_holds_the_tables_the_lookups_read_before(net, monkeypatch):
    """Made with ``repair`` (as a server's follower makes it before the swap), an updated finder
    holds at once the tables of the station sets its lookups read before the change: every
    station on the network, a new one among them, and those with a toilet, a moved one among
    them; its answers equal those of a finder built afresh."""
    monkeypatch.setattr(settings, "nearest_table_after", 1)
    stations = named(random_stations(net, 60, seed=6))
    finder = StationFinder(net, stations)
    lon, lat = random_points(net, 10, seed=7, jitter_deg=0.0003)
    asked = [(None, frozenset()), (None, frozenset({"toilet"}))]
    for _, services in asked:
        finder.nearest(float(lon[0]), float(lat[0]), k=3, services=sorted(services))
    assert len(finder._tables) == 2
    with_toilet = next(s for s in stations if "toilet" in s.services)
    moved = dataclasses.replace(with_toilet, lon=with_toilet.lon + 3e-4)
    new = dataclasses.replace(random_stations(net, 1, seed=8)[0], id="s0100",
                              services=frozenset({"rest"}))
    updated = finder.with_changes([moved, new], repair=True)
    assert new in updated.stations and len(updated._tables) == 2
    k_table = max(3, settings.default_k)
    for kinds, services in asked:  # read at once: no bounded search, no repair to come
        allowed = updated._filter.allowed(kinds, services, None, False)
        assert updated._tables.for_lookups(allowed, 3) is not None, sorted(services)
        assert not updated._tables._building
    fresh = StationFinder(net, updated.stations)
    for _, services in asked:
        same_answers(updated, fresh, lon, lat, dict(k=3, services=sorted(services)),
                     exact=False)
    assert len(updated._tables) == 2 and k_table >= 3
    # without repair, the tables are the lookups' to ask for
    assert len(finder.with_changes([moved, new])._tables) == 0
