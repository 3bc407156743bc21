import json

import pytest
from shapely.geometry import box

from geo.errors import DataFileError, InputError
from geo.io.districts import read_districts


def _write(path, properties):
    features = [{"type": "Feature", "properties": props,
                 "geometry": box(104.0 + i * 0.01, 30.6, 104.01 + i * 0.01,
                                 30.61).__geo_interface__}
                for i, props in enumerate(properties)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_districts_with_chinese_names(tmp_path):
    path = _write(tmp_path / "d.geojson", [{"name": "锦江区"}, {"name": "青羊区"}])
    districts = read_districts(path)
    assert list(districts["name"]) == ["锦江区", "青羊区"]
    assert districts.crs.to_epsg() == 4326


def test_a_file_without_names_is_refused(tmp_path):
    with pytest.raises(InputError, match="name") as caught:
        read_districts(_write(tmp_path / "d.geojson", [{"区": "锦江区"}]))
    assert caught.value.parameter == "districts"


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        read_districts(tmp_path / "none.geojson")
    assert caught.value.parameter == "districts"


def test_each_bad_feature_is_a_problem_of_its_row(tmp_path):
    path = tmp_path / "d.geojson"
    features = [
        {"type": "Feature", "properties": {"name": "锦江区"},
         "geometry": box(104.0, 30.6, 104.01, 30.61).__geo_interface__},
        {"type": "Feature", "properties": {"name": ""},
         "geometry": box(104.01, 30.6, 104.02, 30.61).__geo_interface__},
        {"type": "Feature", "properties": {"name": "点"},
         "geometry": {"type": "Point", "coordinates": [104.0, 30.6]}},
        {"type": "Feature", "properties": {"name": "空"}, "geometry": None},
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    with pytest.raises(DataFileError) as caught:
        read_districts(path)
    found = [(p.file, p.row, p.column, p.message.key) for p in caught.value.problems]
    assert found == [(str(path), 2, "name", "district_no_name"),
                     (str(path), 3, "geometry", "district_not_polygon"),
                     (str(path), 4, "geometry", "district_no_geometry")]


def test_a_file_without_features_is_a_problem(tmp_path):
    path = tmp_path / "d.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}), "utf-8")
    with pytest.raises(DataFileError, match="no districts"):
        read_districts(path)
