"""The per-node label tables (geo.nearest._tables): when they are built, how they are kept."""

import numpy as np
import pytest

from geo import settings
from geo.nearest import StationFinder, _tables
from geo.nearest._access import StationAccess
from geo.nearest._tables import LabelTables, label_radius
from geo.synthetic import city_network, random_stations
from tests.reference import networkx_table


@pytest.fixture(scope="module")
def city():
    net = city_network(400, seed=5)
    stations = random_stations(net, 20, seed=6)
    return net, stations, StationAccess.build(net, stations, max_snap_m=settings.max_snap_m)


def test_a_table_is_read_after_enough_lookups(city, monkeypatch):
    net, _, access = city
    monkeypatch.setattr(settings, "nearest_table_after", 3)
    tables = LabelTables(net, access)
    allowed = np.asarray(access.on_network).copy()
    assert tables.for_lookups(allowed, 2) is None
    assert tables.for_lookups(allowed, 2) is None
    labels = tables.for_lookups(allowed, 2)
    assert labels is not None and len(tables) == 1
    assert labels[0].shape == (net.n_nodes, settings.default_k)  # at least default_k per node
    assert tables.for_lookups(allowed, 2) is labels


def test_no_tables_when_turned_off(city, monkeypatch):
    net, _, access = city
    monkeypatch.setattr(settings, "nearest_table_after", None)
    tables = LabelTables(net, access)
    allowed = np.asarray(access.on_network).copy()
    assert all(tables.for_lookups(allowed, 1) is None for _ in range(20))
    assert len(tables) == 0


def test_labels_are_cached_by_station_set_weight_and_k(city, monkeypatch):
    net, _, access = city
    monkeypatch.setattr(_tables, "TABLE_CACHE", 2)
    tables = LabelTables(net, access)
    chosen = np.flatnonzero(access.on_network)
    first = tables.labels(chosen, 1, "length")
    assert tables.labels(chosen, 1, "length") is first
    tables.labels(chosen, 1, "time")
    tables.labels(chosen[:5], 1, "length")
    assert len(tables) == 2
    assert tables.labels(chosen, 1, "length") is not first  # the oldest went first


def test_labels_equal_networkx(city):
    net, stations, access = city
    finder = StationFinder(net, stations)
    key, _, label, _ = LabelTables(net, access).labels(np.flatnonzero(access.on_network), 1,
                                                       "length")
    expected = networkx_table(finder)
    main = net.main_component()
    assert np.allclose(key[main, 0], expected[main], atol=1e-6)
    assert np.all(label[np.isfinite(key[:, 0]), 0] >= 0)


def test_label_radius(city):
    net, _, access = city
    entries = access.entries
    assert label_radius(net, entries.node, entries.station, len(access.by_segment) + 50) == np.inf
    radius = label_radius(net, entries.node, entries.station, 1)
    assert 0 < radius < np.inf
    assert label_radius(net, entries.node, entries.station, 3) >= radius
