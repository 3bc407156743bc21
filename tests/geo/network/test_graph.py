"""The Network arrays' lookups (geo.network.graph): the nearest node, and its deprecated name."""

import numpy as np
import pytest

from geo.errors import InputError
from geo.network import Network
from geo.synthetic import city_network


@pytest.fixture(scope="module")
def net():
    return city_network(400, mode="drive", seed=7)


def test_nearest_node_of_a_node_is_itself(net):
    picks = np.array([0, 17, 250])
    index, distance = net.nearest_node(net.lon[picks], net.lat[picks])
    assert index.tolist() == picks.tolist()
    assert np.allclose(distance, 0.0, atol=1e-3)
    index, distance = net.nearest_node(float(net.lon[17]), float(net.lat[17]))
    assert index.shape == () and int(index) == 17


def test_nearest_node_of_the_main_component(net):
    main = set(net.main_component().tolist())
    index, _ = net.nearest_node(net.lon, net.lat, main_component=True)
    assert set(index.tolist()) <= main


def test_nearest_node_rejects_points_that_are_not_finite(net):
    with pytest.raises(InputError, match="`lon`/`lat` must be finite"):
        net.nearest_node([114.3, np.nan], [30.5, 30.5])


def test_snap_is_a_deprecated_name_of_nearest_node(net):
    lon, lat = net.lon[:5] + 0.0001, net.lat[:5]
    with pytest.warns(DeprecationWarning, match="Network.nearest_node"):
        old = net.snap(lon, lat, main_component=True)
    new = net.nearest_node(lon, lat, main_component=True)
    assert old[0].tolist() == new[0].tolist() and np.allclose(old[1], new[1])


def test_an_empty_network_has_no_nearest_node():
    empty = Network(mode="walk", node_ids=[], lon=[], lat=[], x=[], y=[], crs="EPSG:32650",
                    indptr=[0], indices=[], length=[], time=[], source="nothing")
    with pytest.raises(Exception, match="has no nodes"):
        empty.nearest_node(114.3, 30.5)
