"""The basemap layers built from the Chengdu extract: roads by class, water, green, street names."""

from __future__ import annotations

import json
import re

import pytest

from geo.basemap import ROAD_CLASSES, display_name, read_basemap
from geo.errors import NetworkError

HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def chengdu_basemap(chengdu_demo):
    return json.loads(chengdu_demo.basemap_path.read_text("utf-8"))


def by(collection, layer):
    return [f for f in collection["features"] if f["properties"]["layer"] == layer]


def test_roads_come_in_classes_from_motorway_to_footway(chengdu_basemap):
    roads = {f["properties"]["class"]: f for f in by(chengdu_basemap, "road")}
    assert set(roads) == set(ROAD_CLASSES)  # central Chengdu has every class
    for feature in roads.values():
        assert feature["geometry"]["type"] in ("LineString", "MultiLineString")
    west, south, east, north = chengdu_basemap["bbox"]
    lines = roads["primary"]["geometry"]["coordinates"]
    for lon, lat in (point for line in lines for point in line):
        assert west <= lon <= east and south <= lat <= north
        assert lon == round(lon, 5) and lat == round(lat, 5)  # compact: 5 decimals


def test_water_and_green_are_there(chengdu_basemap):
    water = {f["properties"]["class"]: f["geometry"]["type"] for f in by(chengdu_basemap, "water")}
    assert water["area"] in ("Polygon", "MultiPolygon")  # lakes, the rivers' banks
    assert water["river"] in ("LineString", "MultiLineString")
    green = {f["properties"]["class"]: f["geometry"]["type"] for f in by(chengdu_basemap, "green")}
    assert green["park"] == "MultiPolygon" and "grass" in green


def test_main_streets_rivers_and_parks_are_named_in_chinese(chengdu_basemap):
    labels = by(chengdu_basemap, "label")
    names = {(f["properties"]["class"], f["properties"]["name"]) for f in labels}
    assert ("trunk", "二环高架路") in names and ("primary", "人民北路") in names
    assert ("secondary", "人民中路一段") in names
    assert not {n for _, n in names} & {"入口", "出口"}  # ramps are not labelled
    assert ("water", "锦江") in names  # "锦江- Jin Jiang" in OSM: the Latin part is cut
    assert ("park", "人民公园") in names
    assert all(HAN.search(f["properties"]["name"]) for f in labels)
    assert all(-90 <= f["properties"]["angle"] <= 90 for f in labels)
    # one label per street part and spacing, not one per OSM way
    assert sum(1 for c, n in names if n == "二环高架路") == 1
    assert len([f for f in labels if f["properties"]["name"] == "二环高架路"]) < 40


@pytest.mark.parametrize("name, zh, shown", [
    ("锦江- Jin Jiang", None, "锦江"), ("沙河- Sha He", None, "沙河"),
    ("锦江（府河）", None, "锦江（府河）"),
    ("Shuanglin Road", "双林路", "双林路"), ("Mannerheimintie", None, "Mannerheimintie"),
    (None, None, ""), (float("nan"), None, "")])
def test_display_name_prefers_chinese(name, zh, shown):
    assert display_name(name, zh) == shown


def test_a_basemap_needs_a_pbf(tmp_path):
    with pytest.raises(NetworkError, match=r"from an \.osm\.pbf file"):
        read_basemap(tmp_path / "city.osm")
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"not a pbf")
    with pytest.raises(NetworkError, match="cannot read the basemap"):
        read_basemap(broken)


def test_folium_maps_draw_the_basemap_offline(chengdu_basemap, tmp_path):
    from geo.output.maps import add_basemap, offline_map, save_map

    m = offline_map(tuple(chengdu_basemap["bbox"]), title="底图 basemap")
    add_basemap(m, chengdu_basemap)
    text = save_map(m, tmp_path / "map.html").read_text("utf-8")
    for name in ("人民公园", "二环高架路", "锦江"):  # park, street and river names (JS-escaped)
        assert name in text or json.dumps(name)[1:-1] in text
    assert "#9ecbf4" in text and "#c6e7b4" in text  # water and parks
    assert "© OpenStreetMap 贡献者" in text
    assert not re.search(r"(src|href)=\"https?://", text)


def test_progress_names_each_step(chengdu_pbf):
    steps: list[str] = []
    read_basemap(chengdu_pbf, progress=steps.append)
    assert steps == ["底图 basemap: roads", "底图 basemap: water and green",
                     "底图 basemap: streets and their names"]
