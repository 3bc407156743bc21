import json

import numpy as np
import pandas as pd
import pytest

from geo import coords
from geo.errors import DataFileError
from geo.io.points import read_points


def test_ids_and_positions_from_csv(tmp_path):
    path = tmp_path / "riders.csv"
    pd.DataFrame({"id": ["a", "b", "far"], "lon": [24.9440, 24.9480, 24.94],
                  "lat": [60.1705, 60.1690, 60.30]}).to_csv(path, index=False)
    ids, lon, lat = read_points(path, "wgs84")
    assert ids == ["a", "b", "far"]
    assert isinstance(lon, np.ndarray) and lon.tolist() == [24.9440, 24.9480, 24.94]
    assert lat.tolist() == [60.1705, 60.1690, 60.30]


def test_chinese_headers_gcj02_and_names_for_ids(tmp_path):
    path = tmp_path / "点位.csv"
    path.write_text("名称,经度,纬度\n江汉路,114.2870,30.5820\n\n汉口站,114.2590,30.6180\n",
                    encoding="gbk")
    ids, lon, lat = read_points(path, "gcj02")
    assert ids == ["江汉路", "汉口站"]  # the empty line is skipped
    expected = coords.gcj02_to_wgs84(114.2870, 30.5820)
    assert (lon[0], lat[0]) == pytest.approx(expected)


def test_id_column_wins_over_names_and_numbers_when_neither(tmp_path):
    both = tmp_path / "both.csv"
    both.write_text("name,point_id,x,y\n甲,7,114.3,30.59\n", encoding="utf-8")
    assert read_points(both, "wgs84")[0] == ["7"]
    neither = tmp_path / "neither.xlsx"
    pd.DataFrame({"经度": [114.3, 114.31], "纬度": [30.59, 30.6]}).to_excel(neither, index=False)
    assert read_points(neither, "wgs84")[0] == [1, 2]


def test_points_from_geojson(tmp_path):
    path = tmp_path / "p.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "p1"},
         "geometry": {"type": "Point", "coordinates": [114.3, 30.59]}}]}), encoding="utf-8")
    ids, lon, lat = read_points(path, "wgs84")
    assert ids == ["p1"] and lon.tolist() == [114.3] and lat.tolist() == [30.59]


def test_bad_rows_name_row_and_column_as_in_the_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("经度,纬度\n24.94,60.17\nabc,60.17\n24.94,\n124.94,95\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="row 3, column '经度': 'abc' is not a number") as err:
        read_points(path, "wgs84")
    text = str(err.value)
    assert "row 4, column '纬度': the coordinate is empty" in text
    assert "row 5, column '纬度': latitude 95.0 is out of range" in text


def test_missing_columns(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,lon\na,24.9\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"missing column\(s\) lat"):
        read_points(path, "wgs84")
