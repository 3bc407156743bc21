import json

import numpy as np
import pytest

from geo.errors import DataFileError
from geo.io.candidates import CANDIDATE_COLUMNS, read_candidates


def test_read_candidates(tmp_path):
    good = tmp_path / "hosts.csv"
    good.write_text("编号,名称,经度,纬度,成本,容量\nA,建设银行,116.40,39.90,2,8\n,加油站,116.41,39.91,,\n",
                    encoding="gbk")
    frame = read_candidates(good, crs="gcj02")
    assert list(frame.id) == ["A", "cand-3"] and frame.cost.tolist() == [2.0, 1.0]
    assert frame.lon[0] != 116.40  # converted from GCJ-02
    bad = tmp_path / "bad.csv"
    bad.write_text("lon,lat,cost\n116.4,abc,1\n116.4,39.9,-2\n")
    with pytest.raises(DataFileError, match="row 2, column 'lat'") as err:
        read_candidates(bad)
    assert "row 3, column 'cost'" in str(err.value)



def test_candidates_from_geojson_points(tmp_path):
    path = tmp_path / "hosts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": "工商银行", "造价": 3},
         "geometry": {"type": "Point", "coordinates": [114.30, 30.59]}},
        {"type": "Feature", "properties": {"名称": "便利店", "造价": None},
         "geometry": {"type": "Point", "coordinates": [114.31, 30.60]}},
    ]}, ensure_ascii=False), encoding="utf-8")
    frame = read_candidates(path)
    assert list(frame.columns) == CANDIDATE_COLUMNS
    assert frame.id.tolist() == ["cand-1", "cand-2"]
    assert frame.name.tolist() == ["工商银行", "便利店"]
    assert frame.cost.tolist() == [3.0, 1.0] and np.isnan(frame.capacity).all()
    assert frame.lon.tolist() == [114.30, 114.31] and (frame.source == "file").all()


def test_repeated_ids_are_reported_with_their_rows(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("编号,经度,纬度\nA,114.30,30.59\nB,114.31,30.59\nA,114.32,30.59\n",
                    encoding="utf-8")
    with pytest.raises(DataFileError, match=r"row 4, column '编号': duplicate id 'A' \(first used "
                                            r"in row 2\)"):
        read_candidates(path)


def test_missing_coordinates_name_the_accepted_headers(tmp_path):
    path = tmp_path / "nolat.csv"
    path.write_text("名称,经度\n银行,114.3\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"row 1: missing column\(s\) lat \(accepted headers: "
                                            r"lat: lat, 纬度, latitude"):
        read_candidates(path)
