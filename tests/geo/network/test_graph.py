"""The Network arrays' lookups (geo.network.graph): the nearest node, and its deprecated name."""

import mmap

import numpy as np
import pytest

from geo.errors import InputError, NetworkError
from geo.network import Network, load_network
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


# --- saved network files: mapped from the file, shared between processes ---

_ARRAYS = ("node_ids", "lon", "lat", "x", "y", "indptr", "indices", "length", "time")


def _in_memory(path, monkeypatch):
    monkeypatch.setenv("YIZHAN_NETWORK_MMAP", "0")
    loaded = load_network(path)
    monkeypatch.delenv("YIZHAN_NETWORK_MMAP")
    return loaded


def test_a_saved_network_loads_mapped_equal_and_read_only(net, tmp_path, monkeypatch):
    path = net.save(tmp_path / "drive.npz")
    mapped = load_network(path, mode="drive")
    plain = _in_memory(path, monkeypatch)
    for name in _ARRAYS:
        array = getattr(mapped, name)
        assert np.array_equal(array, getattr(plain, name))
        assert array.dtype == getattr(net, name).dtype
        assert isinstance(_root(array), mmap.mmap), name  # a view of the file, not a copy
        assert isinstance(_root(getattr(plain, name)), np.ndarray), name
        assert array.flags.aligned and not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = array[1]
    assert (mapped.mode, mapped.crs, mapped.source) == (net.mode, net.crs, net.source)
    assert mapped.main_component().tolist() == net.main_component().tolist()
    with np.load(path) as npz:  # still a plain .npz for numpy
        assert np.array_equal(npz["indices"], net.indices)


def _root(array):
    while isinstance(array, np.ndarray) and array.base is not None:
        array = array.base
    return array.obj if isinstance(array, memoryview) else array


def test_an_old_compressed_or_unaligned_network_file_still_loads(net, tmp_path):
    arrays = {name: getattr(net, name) for name in _ARRAYS}
    strings = {"mode": np.array(net.mode), "crs": np.array(net.crs),
               "source": np.array(net.source)}
    for saver in (np.savez_compressed, np.savez):
        path = tmp_path / f"{saver.__name__}.npz"
        saver(path, format_version=np.array(1), **strings, **arrays)
        loaded = load_network(path, mode="drive")
        for name in _ARRAYS:
            assert np.array_equal(getattr(loaded, name), getattr(net, name)), name
            assert getattr(loaded, name).flags.aligned


def test_a_damaged_mapped_file_is_one_clear_error(net, tmp_path):
    path = net.save(tmp_path / "drive.npz")
    path.write_bytes(path.read_bytes()[:-4000])  # cut short
    with pytest.raises(NetworkError, match="could not read the saved network file"):
        load_network(path)
