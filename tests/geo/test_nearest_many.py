"""Many points at once (geo.nearest._many): merging the stations on a point's own edge, and the
one table of answers."""

import numpy as np
import pytest

from geo.nearest._many import hits_frame, merge_direct
from geo.stations import Station


def test_merge_direct_keeps_the_cheaper_and_the_order():
    keys = np.array([10.0, 20.0, np.inf])
    carried = np.array([1.0, 2.0, np.inf])
    station = np.array([4, 7, -1])
    merge_direct(keys, carried, station, np.array([7, 9]), np.array([5.0, 15.0]),
                 np.array([0.5, 1.5]))
    assert station.tolist() == [7, 4, 9]
    assert keys.tolist() == [5.0, 10.0, 15.0]
    assert carried.tolist() == [0.5, 1.0, 1.5]


def test_merge_direct_never_makes_a_row_longer():
    keys, carried, station = np.array([10.0]), np.array([1.0]), np.array([4])
    merge_direct(keys, carried, station, np.array([9]), np.array([30.0]), np.array([3.0]))
    assert station.tolist() == [4] and keys.tolist() == [10.0]


def test_hits_frame_statuses_and_legs():
    stations = [Station(id=f"s{i}", name=f"n{i}", kind="driver_home", lon=114.3, lat=30.5)
                for i in range(3)]
    station = np.array([[2, 0], [-1, -1], [1, 0]])
    metres = np.array([[100.0, 200.0], [np.inf, np.inf], [50.0, 60.0]])
    seconds = metres / 2
    legs = np.array([10.0, 5.0, 1000.0])  # the third point is off the network
    frame = hits_frame(stations, ["a", "b", "c"], station, metres, seconds, legs, speed=1.0,
                       when=None, max_snap_m=300.0)
    assert frame.point_id.tolist() == ["a", "a", "b", "c"]
    assert frame.status.tolist() == ["ok", "ok", "no_station", "off_network"]
    assert frame.station_id.tolist()[:2] == ["s2", "s0"]
    assert frame.distance_m.tolist()[:2] == [110.0, 210.0]
    assert frame.duration_s.tolist()[:2] == [60.0, 110.0]  # seconds plus the leg at 1 m/s
    assert frame["rank"].tolist()[:2] == [1, 2] and frame["rank"].isna().tolist()[2:] == [True] * 2
    assert frame.distance_m.isna().tolist()[2:] == [True, True]


@pytest.mark.parametrize("n", [0, 1])
def test_hits_frame_of_found_only_has_whole_ranks(n):
    stations = [Station(id="s", name="n", kind="driver_home", lon=114.3, lat=30.5)]
    frame = hits_frame(stations, list(range(n)), np.zeros((n, 1), int), np.ones((n, 1)),
                       np.ones((n, 1)), np.zeros(n), speed=1.0, when=None, max_snap_m=300.0)
    assert len(frame) == n and frame["rank"].dtype.kind == "i"
