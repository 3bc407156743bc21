import networkx as nx
import numpy as np

from geo.synthetic import city_network, random_points, random_stations


def test_a_generated_city_is_the_same_for_the_same_seed():
    a, b = city_network(400, seed=3), city_network(400, seed=3)
    assert a.n_nodes == b.n_nodes == 400
    assert np.array_equal(a.indices, b.indices) and np.allclose(a.length, b.length)
    assert not np.array_equal(city_network(400, seed=4).indices, a.indices)


def test_walking_streets_go_both_ways_and_driving_has_one_way_streets():
    def edges(net):
        rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
        return set(zip(rows.tolist(), net.indices.tolist(), strict=True))

    walk = edges(city_network(900, mode="walk", seed=1))
    assert all((v, u) in walk for u, v in walk)
    drive = edges(city_network(900, mode="drive", seed=1, oneway_share=0.3))
    assert any((v, u) not in drive for u, v in drive)


def test_the_city_is_mostly_one_piece():
    net = city_network(900, seed=2)
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    graph = nx.Graph(zip(rows.tolist(), net.indices.tolist(), strict=True))
    assert len(max(nx.connected_components(graph), key=len)) > 0.9 * net.n_nodes


def test_stations_and_points_lie_on_the_city():
    net = city_network(400, seed=0)
    stations = random_stations(net, 12, seed=5)
    assert len({s.id for s in stations}) == 12
    lon, lat = random_points(net, 50, seed=6)
    for x, y in [(s.lon, s.lat) for s in stations] + list(zip(lon, lat, strict=True)):
        assert net.lon.min() - 0.01 <= x <= net.lon.max() + 0.01
        assert net.lat.min() - 0.01 <= y <= net.lat.max() + 0.01
