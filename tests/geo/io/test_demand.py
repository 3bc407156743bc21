import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

import geo.demand
from geo import coords
from geo.errors import DataFileError, InputError
from geo.io.demand import read_demand
from geo.synthetic import city_network


def test_read_demand_is_still_importable_from_geo_demand():
    assert geo.demand.read_demand is read_demand


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


def test_empty_group_cells_take_the_default_group(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("经度,纬度,人数,群体\n114.3,30.59,3,\n114.3,30.59,4,货车司机\n",
                    encoding="utf-8")
    demand = read_demand(path, group="骑手")
    assert demand.group.tolist() == ["delivery_rider", "truck_driver"]
    with pytest.raises(DataFileError, match="row 2, column '群体': the group is empty"):
        read_demand(path)
    with pytest.raises(InputError, match="unknown worker group"):
        read_demand(path, group="pilot")


def test_polygons_in_gcj02_are_converted_and_bad_rows_listed(tmp_path):
    net = city_network(900, seed=1)
    w, s, e, n = net.lon.min(), net.lat.min(), net.lon.max(), net.lat.max()
    gx, gy = coords.from_wgs84(w, s, "gcj02")
    shift_x, shift_y = float(gx - w), float(gy - s)
    # the same area written in GCJ-02, as Amap would draw it
    area = gpd.GeoDataFrame({"人数": [50.0], "群体": ["环卫工人"]},
                            geometry=[box(w + shift_x, s + shift_y, e + shift_x, n + shift_y)],
                            crs=4326)
    path = tmp_path / "area.geojson"
    area.to_file(path)
    demand = read_demand(path, network=net, crs="gcj02")
    assert demand.weight.sum() == pytest.approx(50.0)
    # converted back, the area covers (nearly) every node; read as WGS-84 it misses a strip
    assert len(demand) >= 0.97 * net.n_nodes
    assert len(read_demand(path, network=net)) < 0.9 * net.n_nodes
    bad = area.assign(人数=["many"], 群体=["宇航员"])
    bad_path = tmp_path / "bad.gpkg"
    bad.to_file(bad_path)
    with pytest.raises(DataFileError, match="row 1, column '人数'") as err:
        read_demand(bad_path, network=net)
    assert "row 1, column '群体'" in str(err.value)


def test_a_negative_count_says_what_it_is_in_chinese_too(tmp_path):
    from app.lang import say_message

    path = tmp_path / "workers.csv"
    path.write_text("经度,纬度,人数,群体\n116.4356,39.9082,-3,环卫工人\n", encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        read_demand(path)
    (problem,) = caught.value.problems
    assert problem.message == "the number of workers must be ≥ 0, not -3"
    assert problem.message.key == "too_small"
    assert say_message(problem.message, "zh") == "劳动者人数必须大于等于 0，现在是 -3"
