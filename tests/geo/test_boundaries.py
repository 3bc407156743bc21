"""Administrative areas from an extract: central Harbin's streets that close, grouped into their
districts by division code; hand-built streets for the ones without a code; an area file."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box

from geo.boundaries import AdminArea, admin_tree, closed_streets, read_area
from geo.errors import InputError
from geo.regions import region


@pytest.fixture(scope="module")
def harbin_streets():
    return closed_streets(region("harbin").extract())


def test_central_harbin_has_its_streets_under_five_districts(harbin_streets):
    assert len(harbin_streets) == 79
    assert sum(bool(a.code) for a in harbin_streets) == 77
    tree = admin_tree(harbin_streets)
    city, districts = tree[0], [a for a in tree if a.level == "district"]
    assert (city.name, city.level, city.parent) == ("哈尔滨市", "city", None)
    assert [d.name for d in districts] == ["道里区", "南岗区", "道外区", "松北区", "香坊区"]
    assert all(d.parent == "哈尔滨市" for d in districts)
    streets = [a for a in tree if a.level == "street"]
    assert len(streets) == 79 and {s.parent for s in streets} == {d.name for d in districts}
    # a district's area is the union of its streets, inside the city's
    for d in districts:
        assert city.geometry.buffer(1e-9).contains(d.geometry)
    xianfeng = next(s for s in streets if s.name == "先锋路街道")
    assert xianfeng.parent == "南岗区" and xianfeng.code.startswith("230103")
    # the two without a code: 松安街道 north of the river in 松北区, 抚顺街道 in 道里区
    parents = {s.name: s.parent for s in streets}
    assert parents["松安街道"] == "松北区" and parents["抚顺街道"] == "道里区"
    songbei = next(d for d in districts if d.name == "松北区")
    river_north = 45.785  # the Songhua at central Harbin runs at about 45.77–45.78° N
    assert songbei.geometry.representative_point().y > river_north


def test_a_street_without_a_code_joins_the_district_it_borders_most():
    a = AdminArea("甲街道", "street", None, box(0, 0, 1, 1), "230102001000")
    b = AdminArea("乙街道", "street", None, box(2, 0, 3, 1), "230103001000")
    c = AdminArea("丙街道", "street", None, box(1, 0, 2, 0.4), "")
    tree = admin_tree([a, b, c])
    assert {x.name: x.parent for x in tree if x.level == "street"}["丙街道"] == "道里区"


def test_an_area_file_is_its_polygons_union(tmp_path):
    path = tmp_path / "a.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": box(0, 0, 1, 1).__geo_interface__},
        {"type": "Feature", "properties": {}, "geometry": box(1, 0, 2, 1).__geo_interface__}]}))
    assert read_area(path).equals(box(0, 0, 2, 1))
    points = tmp_path / "p.geojson"
    points.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [1, 1]}}]}))
    with pytest.raises(InputError, match="holds no polygons"):
        read_area(points)
