"""An organisation's area sent from the browser as a GeoPackage or GeoJSON file
(``PUT /api/orgs/<name>/area/file``): reprojected to EPSG:4326, polygons only, all or nothing,
every problem naming the file and the feature, in Chinese and English; who may send one."""

from __future__ import annotations

import base64
import json
import warnings

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from app import create_app, org_pages

from .conftest import add_account, assert_error, copy_db, sign_in

PASSWORD = "area-password-1"
CITY, DISTRICT = "哈尔滨市总工会", "道里区总工会"
#: 道里区's stand-in, EPSG:4326 degrees.
DAOLI = box(126.58, 45.74, 126.62, 45.78)
BEFORE = box(126.60, 45.75, 126.61, 45.76)


@pytest.fixture
def area_app(demo, tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                      "DB_URL": copy_db(demo, tmp_path), "SECRET_KEY": "test"})
    orgs = app.extensions["orgs"]
    orgs.add(CITY, level="city", area=box(126.4, 45.6, 126.9, 45.9))
    orgs.add(DISTRICT, level="district", parent=CITY, area=BEFORE)
    for name, role, org in (("city.admin", "admin", CITY), ("daoli.admin", "admin", DISTRICT),
                            ("daoli.planner", "planner", DISTRICT), ("all.admin", "admin", None)):
        user = add_account(app, name, role=role, password=PASSWORD)
        if org is not None:
            orgs.set_member(user.id, org)
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


def gpkg(tmp_path, name: str, geometries, crs) -> tuple[str, str]:
    """(file name, base64 content) of a GeoPackage of ``geometries`` in ``crs`` (None: none)."""
    path = tmp_path / name
    with warnings.catch_warnings():  # pyogrio warns that a file without a CRS has none
        warnings.simplefilter("ignore", UserWarning)
        gpd.GeoDataFrame({"名称": [f"第{i}块" for i in range(len(geometries))]},
                         geometry=list(geometries), crs=crs).to_file(path, driver="GPKG")
    return name, base64.b64encode(path.read_bytes()).decode()


def send(client, org: str, filename: str, content: str, lang: str = "zh"):
    return client.put(f"/api/orgs/{org}/area/file?lang={lang}",
                      json={"filename": filename, "content": content})


def area_of(app, name: str):
    orgs = app.extensions["orgs"]
    return orgs.area(orgs.get(name).id)


def test_a_gpkg_in_web_mercator_lands_as_its_polygon_in_4326(area_app, tmp_path):
    mercator = gpd.GeoSeries([DAOLI], crs=4326).to_crs(3857)
    filename, content = gpkg(tmp_path, "道里区.gpkg", mercator, 3857)
    answer = send(sign_in(area_app, "city.admin", PASSWORD), DISTRICT, filename, content)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["name"] == DISTRICT and answer.get_json()["has_area"]
    got = area_of(area_app, DISTRICT)
    assert got.geom_type == "Polygon"
    assert got.symmetric_difference(DAOLI).area < 1e-9 * DAOLI.area
    assert got.bounds == pytest.approx(DAOLI.bounds, abs=1e-9)


def test_a_geojson_file_is_read_too(area_app, tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": DAOLI.__geo_interface__}]}
    content = base64.b64encode(json.dumps(doc).encode()).decode()
    client = sign_in(area_app, "daoli.admin", PASSWORD)  # its own organisation's area
    assert send(client, DISTRICT, "daoli.geojson", content).status_code == 200
    assert area_of(area_app, DISTRICT).equals(DAOLI)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_gpkg_of_points_is_refused_naming_the_file_and_each_feature(area_app, tmp_path,
                                                                       lang):
    filename, content = gpkg(tmp_path, "站点.gpkg", [Point(126.6, 45.75), Point(126.61, 45.76)],
                             4326)
    body = assert_error(send(sign_in(area_app, "city.admin", PASSWORD), DISTRICT, filename,
                             content, lang), 400, "file")
    assert [(p["file"], p["row"], p["column"]) for p in body["problems"]] == [
        ("站点.gpkg", 1, "geometry"), ("站点.gpkg", 2, "geometry")]
    said = body["problems"][0]["text"]
    if lang == "zh":
        assert "文件 站点.gpkg" in said and "第 1 行" in said and "必须是面，而不是 Point" in said
        assert "2 处问题" in body["error"]
    else:
        assert said.startswith("站点.gpkg, row 1") and "must be polygons, not Point" in said
    assert area_of(area_app, DISTRICT).equals(BEFORE)  # nothing changed


def test_one_bad_feature_keeps_the_whole_file_out(area_app, tmp_path):
    filename, content = gpkg(tmp_path, "混合.gpkg", [DAOLI, LineString([(126.6, 45.7),
                                                                        (126.7, 45.8)])], 4326)
    body = assert_error(send(sign_in(area_app, "city.admin", PASSWORD), DISTRICT, filename,
                             content, "en"), 400, "file")
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(2, "geometry")]
    assert "LineString" in body["error"] and "混合.gpkg" in body["problems"][0]["text"]
    assert area_of(area_app, DISTRICT).equals(BEFORE)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_gpkg_without_a_crs_is_refused(area_app, tmp_path, lang):
    filename, content = gpkg(tmp_path, "无坐标系.gpkg", [DAOLI], None)
    body = assert_error(send(sign_in(area_app, "city.admin", PASSWORD), DISTRICT, filename,
                             content, lang), 400, "file")
    assert body["problems"][0]["file"] == "无坐标系.gpkg" and body["problems"][0]["row"] is None
    assert ("坐标系" if lang == "zh" else "no coordinate system") in body["error"], body
    assert "无坐标系.gpkg" in body["problems"][0]["text"]
    assert area_of(area_app, DISTRICT).equals(BEFORE)


def test_bad_files_and_fields_are_named(area_app, tmp_path):
    client = sign_in(area_app, "city.admin", PASSWORD)
    assert_error(send(client, DISTRICT, "daoli.shp", "AAAA"), 400, "filename")
    assert_error(send(client, DISTRICT, "daoli.gpkg", "not base64!"), 400, "content")
    unreadable = assert_error(send(client, DISTRICT, "坏文件.gpkg",
                                   base64.b64encode(b"not a geopackage").decode()), 400, "file")
    assert "坏文件.gpkg" in unreadable["problems"][0]["text"]
    assert "/tmp" not in json.dumps(unreadable, ensure_ascii=False)  # never where it was read
    empty = {"type": "FeatureCollection", "features": []}
    none = assert_error(send(client, DISTRICT, "空.geojson",
                             base64.b64encode(json.dumps(empty).encode()).decode()), 400, "file")
    assert "没有要素" in none["error"]
    assert area_of(area_app, DISTRICT).equals(BEFORE)


def test_a_body_over_the_limit_is_a_413_before_it_is_read(area_app, monkeypatch):
    monkeypatch.setattr(org_pages, "MAX_AREA_BODY", 1000)
    client = sign_in(area_app, "city.admin", PASSWORD)
    answer = send(client, DISTRICT, "big.gpkg", "A" * 2000)
    assert_error(answer, 413, "file")
    assert "MB" in answer.get_json()["error"]


def test_only_administrators_of_it_or_above_send_an_area(area_app, tmp_path):
    filename, content = gpkg(tmp_path, "道里区.gpkg", [DAOLI], 4326)
    assert_error(send(area_app.test_client(), DISTRICT, filename, content), 401)
    assert_error(send(sign_in(area_app, "daoli.planner", PASSWORD), DISTRICT, filename,
                      content), 403)
    # the city is above the district's administrator: not shown to exist
    assert_error(send(sign_in(area_app, "daoli.admin", PASSWORD), CITY, filename, content), 404)
    assert_error(send(sign_in(area_app, "city.admin", PASSWORD), "无此组织", filename,
                      content), 404)
    assert area_of(area_app, DISTRICT).equals(BEFORE)
    assert send(sign_in(area_app, "all.admin", PASSWORD), CITY, filename,
                content).status_code == 200
