"""The searches from one point (geo.nearest._point): compiled, scipy's and from the tables agree,
and threads search in their own scratch arrays."""

import threading

import numpy as np
import pytest

from geo import settings
from geo.nearest import StationFinder
from geo.nearest._access import StationAccess
from geo.nearest._point import PointSearch, _chain
from geo.nearest._tables import LabelTables
from geo.synthetic import city_network, random_points, random_stations


@pytest.fixture(scope="module")
def city():
    net = city_network(900, mode="drive", seed=12)
    stations = random_stations(net, 25, seed=13)
    access = StationAccess.build(net, stations, max_snap_m=settings.max_snap_m)
    return net, stations, access


def test_the_three_searches_agree(city):
    net, stations, access = city
    search = PointSearch(net, stations, access)
    finder = StationFinder(net, stations)
    allowed = np.asarray(access.on_network).copy()
    labels = LabelTables(net, access).labels(np.flatnonzero(allowed), 4, "length")
    lon, lat = random_points(net, 10, seed=4, jitter_deg=0.0002)
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        snap = finder.snap(x, y)
        answers = [search.find(x, y, snap, 4, allowed, labels=None, compiled=True),
                   search.find(x, y, snap, 4, allowed, labels=None, compiled=False),
                   search.find(x, y, snap, 4, allowed, labels=labels, compiled=True)]
        metres = [[m for _, m, _, _ in found] for found, _ in answers]
        assert metres[1] == pytest.approx(metres[0], abs=1e-6)
        assert metres[2] == pytest.approx(metres[0], abs=1e-6)
        for found, route_to in answers:
            for i, _, _, via in found:
                route = route_to(i, via)
                assert route[0] == (x, y) and route[-1] == (stations[i].lon, stations[i].lat)


def test_each_thread_has_its_own_scratch(city):
    net, stations, access = city
    search = PointSearch(net, stations, access)
    mine = search._scratch
    assert search._scratch is mine and len(mine.dist) == net.n_nodes
    seen = {}

    def look():
        seen["dist"] = search._scratch.dist

    t = threading.Thread(target=look)
    t.start()
    t.join()
    assert len(seen["dist"]) == net.n_nodes and seen["dist"] is not mine.dist


def test_chain_follows_predecessors():
    pred = np.array([-1, 0, 1, 1])
    assert _chain({3: pred}, 3) == [0, 1, 3]
    assert _chain({}, -1) == []
