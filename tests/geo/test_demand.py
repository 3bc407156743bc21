import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.demand import parse_group, read_demand, spread_polygons, to_h3
from geo.errors import InputError
from geo.synthetic import city_network


def test_parse_group():
    assert parse_group("网约车司机") == "ride_hailing_driver"
    assert parse_group("truck driver") == "truck_driver"
    with pytest.raises(InputError, match="unknown worker group"):
        parse_group("pilot")


def test_polygons_spread_by_street_length(tmp_path):
    net = city_network(900, seed=1)
    w, s, e, n = net.lon.min(), net.lat.min(), net.lon.max(), net.lat.max()
    mid = (w + e) / 2
    polygons = gpd.GeoDataFrame({"人数": [100.0, 40.0], "群体": ["环卫工人", "环卫工人"]},
                                geometry=[box(w, s, mid, n), box(mid + 1, s, mid + 2, n)],
                                crs=4326)
    path = tmp_path / "districts.gpkg"
    polygons.to_file(path)
    demand = read_demand(path, network=net)
    assert demand.weight.sum() == pytest.approx(140.0)
    inside = demand[demand.lon <= mid]
    assert inside.weight.sum() == pytest.approx(100.0) and len(inside) > 50
    # by street length: a node's share is proportional to the street length it touches
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    street = np.bincount(rows, net.length / 2, net.n_nodes) + np.bincount(
        net.indices, net.length / 2, net.n_nodes)
    node = int(np.argmax(np.where(net.lon <= mid, street, 0)))
    got = inside[(inside.lon == net.lon[node]) & (inside.lat == net.lat[node])].weight.iloc[0]
    assert got == pytest.approx(100.0 * street[node] / street[net.lon <= mid].sum())
    # the polygon with no street inside keeps its count at its centre
    assert demand[demand.lon > mid].weight.sum() == pytest.approx(40.0)
    with pytest.raises(InputError, match="network"):
        read_demand(path)
    assert spread_polygons(polygons.iloc[0:0].assign(weight=[], group=[]), net).empty


def test_to_h3_keeps_totals():
    demand = pd.DataFrame({"lon": [24.94, 24.9401, 24.96], "lat": [60.17, 60.1701, 60.17],
                           "weight": [1.0, 3.0, 2.0], "group": ["a", "a", "a"]})
    cells = to_h3(demand, 9)
    assert cells.weight.sum() == 6.0 and len(cells) == 2
    first = cells.sort_values("weight").iloc[-1]
    assert first.lon == pytest.approx((24.94 * 1 + 24.9401 * 3) / 4)
    with pytest.raises(InputError, match="h3_res"):
        to_h3(demand, 16)
