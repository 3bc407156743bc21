import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.demand import parse_group, read_demand, spread_polygons, to_h3
from geo.errors import DataFileError, InputError
from geo.synthetic import city_network


def test_read_demand_with_chinese_headers_gbk_and_gcj02(tmp_path):
    path = tmp_path / "workers.csv"
    path.write_text("经度,纬度,人数,群体\n116.4356,39.9082,12,环卫工人\n116.4551,39.9367,30,外卖骑手\n",
                    encoding="gbk")
    demand = read_demand(path, crs="gcj02")
    assert demand.group.tolist() == ["sanitation_worker", "delivery_rider"]
    assert demand.weight.tolist() == [12.0, 30.0]
    assert abs(demand.lon[0] - 116.4356) > 1e-4  # GCJ-02 converted to WGS-84


def test_read_demand_reports_every_bad_row(tmp_path):
    path = tmp_path / "bad.xlsx"
    pd.DataFrame({"lon": ["116.4", "x", "116.4"], "lat": ["39.9", "39.9", "95"],
                  "weight": ["1", "2", "-3"], "group": ["环卫工人", "骑手", "astronaut"]}
                 ).to_excel(path, index=False)
    with pytest.raises(DataFileError) as err:
        read_demand(path)
    text = str(err.value)
    for where in ("row 3, column 'lon'", "row 4, column 'lat'", "row 4, column 'weight'",
                  "row 4, column 'group'"):
        assert where in text


def test_group_column_or_default(tmp_path):
    path = tmp_path / "riders.csv"
    path.write_text("lon,lat,weight\n114.3,30.59,3\n")
    assert read_demand(path, group="delivery_rider").group.tolist() == ["delivery_rider"]
    with pytest.raises(DataFileError, match="missing column"):
        read_demand(path)


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
