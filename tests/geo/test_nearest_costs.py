"""Costs within a budget (geo.nearest._costs): the search graph with one node per station."""

import numpy as np
import pytest

from geo import settings
from geo.nearest import StationFinder
from geo.nearest._access import StationAccess
from geo.nearest._costs import BudgetCosts
from geo.synthetic import city_network, random_points, random_stations
from tests.reference import networkx_costs


@pytest.fixture(scope="module")
def city():
    net = city_network(400, mode="drive", seed=8)
    stations = random_stations(net, 12, seed=9)
    return net, stations, StationAccess.build(net, stations, max_snap_m=settings.max_snap_m)


@pytest.mark.parametrize("weight", ["length", "time"])
def test_station_graph_is_built_once_per_weight(city, weight):
    net, stations, access = city
    costs = BudgetCosts(access)
    graph = costs.station_graph(weight)
    assert graph.shape == (net.n_nodes + len(stations),) * 2
    assert costs.station_graph(weight) is graph
    # the station nodes lead into the network only
    assert graph[:, net.n_nodes:].nnz == 0


def test_costs_equal_networkx(city):
    net, stations, access = city
    lon, lat = random_points(net, 8, seed=2, jitter_deg=0.0002)
    matrix = BudgetCosts(access).costs(lon, lat, max_cost=800.0, weight="length",
                                       max_snap_m=settings.max_snap_m)
    expected = networkx_costs(StationFinder(net, stations), lon, lat, weight="length")
    for p, row in enumerate(expected):
        got = {int(i): float(v) for i, v in zip(matrix[[p]].indices, matrix[[p]].data,
                                               strict=True)}
        assert all(v <= 800.0 for v in got.values())
        assert {i for i, d in row.items() if d < 799.99} <= got.keys()
        assert [got[i] for i in got] == pytest.approx([row[i] for i in got], abs=1e-6)


def test_points_off_the_network_have_no_costs(city):
    net, _, access = city
    lon = np.array([float(net.lon.max()) + 0.05])
    lat = np.array([float(net.lat.mean())])
    matrix = BudgetCosts(access).costs(lon, lat, max_cost=60.0, weight="time",
                                       max_snap_m=settings.max_snap_m)
    assert matrix.nnz == 0
