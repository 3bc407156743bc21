"""Where stations join the network (geo.nearest._access): legs, entries, stations on a segment."""

import numpy as np
import pytest

from geo import settings
from geo.nearest import access_speed_kmh
from geo.nearest._access import StationAccess
from geo.network.placement import along
from geo.stations import Station
from geo.synthetic import city_network, random_stations


@pytest.fixture(scope="module")
def built():
    net = city_network(400, mode="drive", seed=2)
    stations = random_stations(net, 15, seed=3)
    far = Station(id="far", name="far", kind="driver_home", lon=float(net.lon.max()) + 0.05,
                  lat=float(net.lat.mean()))
    stations = [*stations, far]
    return net, stations, StationAccess.build(net, stations, max_snap_m=settings.max_snap_m)


def test_legs_in_metres_and_seconds(built):
    net, stations, access = built
    speed = access_speed_kmh(net.mode) / 3.6
    assert np.allclose(access.leg_s[access.on_network], access.leg_m[access.on_network] / speed)
    assert access.on_network.tolist() == [True] * (len(stations) - 1) + [False]


def test_arrays_are_read_only(built):
    _, _, access = built
    for array in (access.leg_m, access.leg_s, access.on_network, *access.entries):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
    with pytest.raises(AttributeError):
        access.leg_m = np.zeros(3)


def test_entries_are_a_csr_over_nodes_of_on_network_stations(built):
    net, stations, access = built
    ptr, station, metres, seconds, node = access.entries
    assert len(ptr) == net.n_nodes + 1 and ptr[0] == 0 and ptr[-1] == len(node)
    assert np.all(np.diff(node) >= 0)
    for u in np.unique(node).tolist():
        assert np.all(node[ptr[u]:ptr[u + 1]] == u)
    assert len(stations) - 1 not in station.tolist()  # the far station has no way in
    # each entry costs the station's part of its edge plus its leg
    assert np.all(metres >= access.leg_m[station] - 1e-9)
    assert np.all(seconds >= access.leg_s[station] - 1e-9)


def test_direct_reaches_stations_on_the_same_segment(built):
    net, stations, access = built
    segment, ids = next(iter(access.by_segment.items()))
    i = ids[0]
    t = float(access.placement.t[i])
    found, metres, seconds = access.direct(segment, t, None)
    assert i in found.tolist()
    j = found.tolist().index(i)
    assert metres[j] == pytest.approx(access.leg_m[i])  # from its own foot: the leg only
    assert seconds[j] == pytest.approx(access.leg_s[i])
    blocked = np.ones(len(stations), bool)
    blocked[i] = False
    assert i not in access.direct(segment, t, blocked)[0].tolist()
    other = 0.0 if t > 0.5 else 1.0
    m, _ = along(net, segment, other, t)
    ids_from_end, metres_from_end, _ = access.direct(segment, other, None)
    if np.isfinite(m):
        k = ids_from_end.tolist().index(i)
        assert metres_from_end[k] == pytest.approx(m + access.leg_m[i])
    else:  # the one-way street forbids it
        assert i not in ids_from_end.tolist()


def test_a_segment_without_stations_has_none(built):
    _, _, access = built
    empty = max(access.by_segment) + 1
    ids, metres, seconds = access.direct(empty, 0.5, None)
    assert len(ids) == len(metres) == len(seconds) == 0
