"""The engine on real OpenStreetMap (Helsinki, central Chengdu) and on hand-built one-way cases,
against networkx with the point and the stations inserted on their edges (≤ 1 mm)."""

import numpy as np
import pytest

from geo.nearest import StationFinder, access_speed_kmh
from geo.network import Network
from geo.stations import Station
from geo.synthetic import random_points, random_stations
from tests.reference import networkx_nearest, networkx_nearest_each, reference_place

FILTERS = [
    dict(k=3),
    dict(k=3, services=["toilet"], open_at="2026-11-28T04:00", open_only=True),
    dict(k=2, kinds=["driver_home"]),
]


@pytest.mark.parametrize("mode", ["walk", "drive"])
@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_helsinki_nearest_equals_networkx(demo, demo_stations, mode, filters):
    finder = StationFinder(demo.network(mode), demo_stations)
    lon, lat = random_points(finder.network, 6, seed=5, jitter_deg=0.0002)
    each = networkx_nearest_each(finder, lon, lat, **filters)
    for x, y, expected in zip(lon.tolist(), lat.tolist(), each, strict=True):
        hits = finder.nearest(x, y, **filters)
        assert [h.distance_m for h in hits] == pytest.approx([d for d, _ in expected], abs=1e-3)
        assert [h.station.id for h in hits] == [i for _, i in expected]


@pytest.mark.parametrize("network", ["chengdu_walk", "chengdu_drive"])
def test_chengdu_nearest_equals_networkx(request, network):
    net = request.getfixturevalue(network)
    stations = random_stations(net, 40, seed=3)
    finder = StationFinder(net, stations)
    lon, lat = random_points(net, 6, seed=9, jitter_deg=0.0004)
    each = networkx_nearest_each(finder, lon, lat, k=4)
    for x, y, expected in zip(lon.tolist(), lat.tolist(), each, strict=True):
        hits = finder.nearest(x, y, k=4)
        assert [h.distance_m for h in hits] == pytest.approx([d for d, _ in expected], abs=1e-3)


def test_chengdu_long_segments_make_node_snapping_wrong(chengdu_walk):
    """Beside a long segment, joining at the nearest node is off by many metres; the foot on
    the edge is what networkx with the point inserted says."""
    net = chengdu_walk
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    long = np.flatnonzero(net.length > 300)
    u, v = rows[long[0]], net.indices[long[0]]
    # a point 6 m beside the middle of the long edge, and a station at its far end's side
    mx, my = (net.x[u] + net.x[v]) / 2, (net.y[u] + net.y[v]) / 2
    dx, dy = net.x[v] - net.x[u], net.y[v] - net.y[u]
    norm = np.hypot(dx, dy)
    from geo.coords import unproject

    plon, plat = unproject(mx - dy / norm * 6, my + dx / norm * 6, net.crs)
    slon, slat = unproject(net.x[v] + dx / norm * 0.5 - dy / norm * 3,
                           net.y[v] + dy / norm * 0.5 + dx / norm * 3, net.crs)
    station = Station(id="s", name="驿站", kind="outdoor_rest_point", lon=float(slon),
                      lat=float(slat))
    finder = StationFinder(net, [station])
    hit = finder.nearest(float(plon), float(plat), k=1)[0]
    expected = networkx_nearest(finder, float(plon), float(plat), k=1)[0][0]
    assert hit.distance_m == pytest.approx(expected, abs=1e-3)
    assert finder.snap(float(plon), float(plat)).distance_m == pytest.approx(6.0, abs=0.01)
    by_node = net.nearest_node(float(plon), float(plat), main_component=True)[1]
    assert by_node > 50  # the nearest node is far along the road


# --- hand-built one-way cases ------------------------------------------------------------------


def line_network(edges: list[tuple[int, int]], xs: list[float], *, mode: str = "drive",
                 ys: list[float] | None = None) -> Network:
    """Nodes at ``xs`` (and ``ys``, default 0) metres east (and north) of a point in UTM 48N near
    Chengdu, the given directed edges with their straight lengths, 10 m/s."""
    from geo.coords import unproject

    crs = "EPSG:32648"
    x0, y0 = 400_000.0, 3_390_000.0
    ys = ys or [0.0] * len(xs)
    x = np.array([x0 + v for v in xs])
    y = np.array([y0 + v for v in ys])
    lon, lat = unproject(x, y, crs)
    order = sorted(edges)
    indptr = np.searchsorted([u for u, _ in order], np.arange(len(xs) + 1))
    indices = np.array([v for _, v in order])
    length = np.array([np.hypot(xs[u] - xs[v], ys[u] - ys[v]) for u, v in order], float)
    return Network(mode=mode, node_ids=np.arange(len(xs)), lon=lon, lat=lat, x=x, y=y, crs=crs,
                   indptr=indptr, indices=indices, length=length, time=length / 10.0,
                   source="hand-built")


def at(net: Network, metres: float, beside: float = 5.0) -> tuple[float, float]:
    from geo.coords import unproject

    lon, lat = unproject(net.x[0] + metres, net.y[0] + beside, net.crs)
    return float(lon), float(lat)


def station_at(net, metres, name="s"):
    lon, lat = at(net, metres, beside=-3.0)
    return Station(id=name, name=name, kind="driver_home", lon=lon, lat=lat)


def test_one_way_edge_is_followed_forward():
    # a one-way street 0 -> 1 -> 2 (east) and a way back 2 -> 3 -> 0 round a 400 m deep block
    net = line_network([(0, 1), (1, 2), (2, 3), (3, 0)], [0.0, 100.0, 300.0, 150.0],
                       ys=[0.0, 0.0, 0.0, 400.0])
    station = station_at(net, 150.0)  # on 1 -> 2, 50 m past node 1
    finder = StationFinder(net, [station])
    # from 40 m (on 0 -> 1): forward 60 m to node 1, 50 m on: 110 m plus the legs 5 + 3
    hit = finder.nearest(*at(net, 40.0), k=1)[0]
    assert hit.distance_m == pytest.approx(110.0 + 5.0 + 3.0, abs=1e-6)
    # from 200 m (on 1 -> 2, past the station): on to node 2, round the block to 0, to 1, to
    # 150, never backwards along the one-way street
    around = 100.0 + 2 * np.hypot(150.0, 400.0) + 100.0 + 50.0
    hit = finder.nearest(*at(net, 200.0), k=1)[0]
    assert hit.distance_m == pytest.approx(around + 8.0, abs=1e-6)
    for metres in (40.0, 200.0, 120.0, 299.0):
        x, y = at(net, metres)
        expected = networkx_nearest(finder, x, y, k=1)
        assert finder.nearest(x, y, k=1)[0].distance_m == pytest.approx(expected[0][0], abs=1e-6)


def test_same_edge_both_ways_when_walking():
    net = line_network([(0, 1), (1, 0)], [0.0, 400.0], mode="walk")
    station = station_at(net, 100.0)
    finder = StationFinder(net, [station])
    hit = finder.nearest(*at(net, 300.0), k=1, route=True)[0]
    assert hit.distance_m == pytest.approx(200.0 + 8.0, abs=1e-6)  # along the edge, back
    assert len(hit.route) == 4  # the point, its foot, the station's foot, the station
    speed = access_speed_kmh("walk") / 3.6
    assert hit.duration_s == pytest.approx(200.0 / 10.0 + 8.0 / speed, abs=1e-6)


def test_foot_beyond_the_end_is_the_node():
    # the point lies north of node 1, beyond both segments' ends, so its foot is node 1 itself,
    # and it leaves through node 1 whichever segment it was placed on
    net = line_network([(0, 1), (1, 2), (2, 3), (3, 0)], [0.0, 100.0, 250.0, 100.0],
                       ys=[0.0, 0.0, 0.0, -300.0])
    finder = StationFinder(net, [station_at(net, 200.0)])
    x, y = at(net, 100.0, beside=30.0)
    place = reference_place(net, [x], [y])[0]
    assert place[2] in (0.0, 1.0)
    hit = finder.nearest(x, y, k=1)[0]
    assert hit.distance_m == pytest.approx(30.0 + 100.0 + 3.0, abs=1e-6)
    assert hit.distance_m == pytest.approx(networkx_nearest(finder, x, y, k=1)[0][0], abs=1e-6)


def test_off_network_stations_are_named():
    net = line_network([(0, 1), (1, 0)], [0.0, 400.0], mode="walk")
    far = Station(id="far", name="远处驿站", kind="driver_home", lon=at(net, 100.0, 900.0)[0],
                  lat=at(net, 100.0, 900.0)[1])
    finder = StationFinder(net, [station_at(net, 50.0), far])
    assert [s.id for s in finder.off_network] == ["far"]
    assert [h.station.id for h in finder.nearest(*at(net, 10.0), k=5)] == ["s"]


def test_sanitation_gap_at_four_in_the_morning(demo, demo_stations):
    """Office-hours hosts are closed at 04:00, when sanitation shifts start."""
    finder = StationFinder(demo.network("walk"), demo_stations)
    day = finder.nearest_table(["sanitation_station", "outdoor_rest_point"])
    night = finder.nearest_table(["sanitation_station", "outdoor_rest_point"],
                                 open_at="2026-11-27T04:00", open_only=True)
    assert (night.distance_m > day.distance_m + 1).sum() > 100
