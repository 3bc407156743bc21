"""Snapping (geo.network.placement): one point's foot on the nearest edge is a Snap, as the array
version places it; PointPlacement is its deprecated name."""

import pytest

import geo.network.placement as placement
from geo.network.placement import Snap, place, place_point
from geo.synthetic import city_network


@pytest.fixture(scope="module")
def net():
    return city_network(400, mode="drive", seed=7)


def test_one_point_is_placed_as_the_arrays_place_it(net):
    x, y = float(net.lon[123]) + 0.00021, float(net.lat[123]) - 0.00005
    snap = place_point(net, x, y)
    assert isinstance(snap, Snap)
    arrays = place(net, [x], [y])
    assert snap.segment == int(arrays.segment[0])
    assert snap.t == pytest.approx(float(arrays.t[0]))
    assert snap.distance_m == pytest.approx(float(arrays.distance_m[0]))
    assert (snap.lon, snap.lat) == pytest.approx((float(arrays.lon[0]), float(arrays.lat[0])))
    assert list(snap.out_node) == arrays.out_node[0].tolist()
    assert list(snap.out_m) == pytest.approx(arrays.out_m[0].tolist())


def test_a_far_point_is_snapped_with_its_whole_distance(net):
    snap = place_point(net, float(net.lon[0]) + 90.0, 0.0)
    assert snap.distance_m > 1_000_000  # callers compare it with their snap limit


def test_point_placement_is_a_deprecated_name_of_snap():
    with pytest.warns(DeprecationWarning, match="Snap"):
        from geo.network.placement import PointPlacement
    assert PointPlacement is Snap
    with pytest.raises(AttributeError, match="no attribute 'Nowhere'"):
        placement.Nowhere  # noqa: B018 - the attribute access is the test
