"""The basemap lines: every street once, merged through degree-two nodes."""

import numpy as np
import pytest
import shapely

from geo.coords import project
from geo.network import network_lines
from geo.synthetic import city_network


def street_length_m(net) -> float:
    """Total length of the undirected street segments, straight between nodes, metres."""
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    pairs = np.unique(np.sort(np.column_stack([rows, net.indices]), axis=1), axis=0)
    a, b = pairs[:, 0], pairs[:, 1]
    return float(np.hypot(net.x[a] - net.x[b], net.y[a] - net.y[b]).sum())


@pytest.mark.parametrize("source", ["helsinki", "generated"])
def test_lines_cover_every_street_once(source, walk_net):
    net = walk_net if source == "helsinki" else city_network(800, mode="walk", seed=2)
    feature = network_lines(net, tolerance_m=1e-9)
    lines = feature["geometry"]["coordinates"]
    assert feature["geometry"]["type"] == "MultiLineString"
    assert feature["properties"]["mode"] == "walk"
    projected = []
    for line in lines:
        x, y = project(np.array([p[0] for p in line]), np.array([p[1] for p in line]), net.crs)
        projected.append(shapely.linestrings(np.column_stack([x, y])))
    total = float(shapely.length(np.array(projected)).sum())
    assert total == pytest.approx(street_length_m(net), rel=1e-4)
    # merged through degree-two nodes (OSM ways have many; the generated grid has few), and
    # every node with a street lies on a line
    segments = net.n_edges / 2
    assert len(lines) < (0.6 * segments if source == "helsinki" else segments)
    union = shapely.multilinestrings(projected)
    used = np.flatnonzero(np.diff(net.indptr) > 0)[:200]
    points = shapely.points(net.x[used], net.y[used])
    assert shapely.distance(points, union).max() < 0.2  # 6-decimal rounding is about 0.1 m


def test_simplified_lines_are_smaller_but_close(walk_net):
    exact = network_lines(walk_net, tolerance_m=1e-9)["geometry"]["coordinates"]
    simple = network_lines(walk_net)["geometry"]["coordinates"]
    assert sum(map(len, simple)) < sum(map(len, exact))
