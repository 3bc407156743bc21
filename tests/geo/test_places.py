"""Names of places (geo.places): the nearest named street of a real extract (central Chengdu,
shipped), checked against a brute-force nearest over the named streets' whole geometries in a
projected CRS; the bilingual names and their coordinate fallback; gap areas named by it."""

import json
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyrosm import OSM

from geo.coverage import coverage
from geo.places import (
    NOT_STREETS,
    STREET_NAME_M,
    VENUE_NAME_M,
    Place,
    name_places,
    osm_extract,
    place_names,
)
from geo.regions import region
from geo.synthetic import random_points, random_stations


def _label(frame: pd.DataFrame) -> pd.Series:
    """name:zh when there is one, else name (an independent reading of pyrosm's tags)."""
    def zh(tags):
        return (json.loads(tags).get("name:zh") or "").strip() if isinstance(tags, str) else ""

    chinese = frame["tags"].map(zh) if "tags" in frame else pd.Series("", index=frame.index)
    name = frame["name"].fillna("").astype(str).str.strip()
    return chinese.where(chinese != "", name)


@pytest.fixture(scope="module")
def named_streets(chengdu_pbf):
    """The named streets of central Chengdu in their UTM zone (metres)."""
    ways = OSM(str(chengdu_pbf)).get_data_by_custom_criteria(
        custom_filter={"highway": True}, filter_type="keep", keep_nodes=False,
        keep_relations=False)
    ways = ways.assign(label=_label(ways))
    ways = ways[(ways["label"] != "") & ~ways["highway"].isin(NOT_STREETS)]
    return ways.to_crs(ways.estimate_utm_crs())[["label", "geometry"]]


@pytest.fixture(scope="module")
def named_venues(chengdu_pbf):
    venues = OSM(str(chengdu_pbf)).get_pois(custom_filter={
        "amenity": True, "shop": True, "tourism": True, "leisure": True})
    venues = venues.assign(label=_label(venues))
    venues = venues[venues["label"] != ""]
    return venues.to_crs(venues.estimate_utm_crs())[["label", "geometry"]]


def _brute_force(points: gpd.GeoSeries, features: gpd.GeoDataFrame, reach: float):
    """Per point: the nearest distance to any feature and the labels within 1 m of it (equally
    near, up to the two projections' difference); an empty set beyond ``reach``."""
    out = []
    for point in points:
        distance = features.distance(point).to_numpy()
        least = distance.min()
        near = set(features["label"][distance <= least + 1.0])
        out.append((least, near if least <= reach else set()))
    return out


def test_a_place_is_named_after_the_nearest_named_street(chengdu_pbf, chengdu_walk,
                                                           named_streets):
    lon, lat = random_points(chengdu_walk, 150, seed=11, jitter_deg=0.0015)
    places = name_places(lon, lat, chengdu_pbf)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(named_streets.crs)
    checked = named = 0
    for place, (least, expected) in zip(places, _brute_force(points, named_streets,
                                                             STREET_NAME_M), strict=True):
        if abs(least - STREET_NAME_M) < 2.0:  # at the edge of reach: either answer is right
            continue
        checked += 1
        if expected:
            named += 1
            assert place.street in expected, (place, least, expected)
        else:
            assert place.street == ""
    assert checked >= 140 and named >= 100  # a dense city: most points have a street near


def test_a_point_mid_way_along_a_street_is_named_after_it(chengdu_pbf, named_streets):
    """Nearest by the street's line, not by its nodes: the middle of a long segment."""
    lines = named_streets[named_streets.geometry.geom_type == "LineString"]
    longest = max(((g.length / (len(g.coords) - 1), label, g) for label, g in
                   zip(lines["label"], lines.geometry, strict=True)), key=lambda t: t[0])
    _, label, line = longest
    mid = gpd.GeoSeries([line.interpolate(0.5, normalized=True)], crs=named_streets.crs)
    lonlat = mid.to_crs(4326).iloc[0]
    (least, expected), = _brute_force(mid, named_streets, STREET_NAME_M)
    assert least < 1.0 and label in expected
    assert name_places([lonlat.x], [lonlat.y], chengdu_pbf)[0].street in expected


def test_the_venue_named_is_the_nearest_named_one(chengdu_pbf, chengdu_walk, named_venues):
    lon, lat = random_points(chengdu_walk, 80, seed=12, jitter_deg=0.0005)
    places = name_places(lon, lat, chengdu_pbf)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(named_venues.crs)
    for place, (least, expected) in zip(places, _brute_force(points, named_venues,
                                                             VENUE_NAME_M), strict=True):
        if abs(least - VENUE_NAME_M) >= 2.0:
            assert (place.venue in expected) if expected else place.venue == ""
    assert sum(bool(p.venue) for p in places) >= 10


def test_names_in_both_languages_and_coordinates_where_nothing_is_near():
    street = Place(126.641, 45.682, street="双林巷")
    assert (street.zh, street.en) == ("双林巷附近", "near 双林巷")
    both = Place(104.08, 30.66, street="春熙路", venue="中国银行")
    assert (both.zh, both.en) == ("春熙路 · 中国银行附近", "near 春熙路 · 中国银行")
    assert Place(104.08, 30.66, street="春熙路", venue="春熙路").zh == "春熙路附近"
    far = Place(126.64105, 45.68179)
    assert not far.named
    assert (far.zh, far.en) == ("（126.64105, 45.68179）附近", "near (126.64105, 45.68179)")


def test_far_from_everything_or_without_an_extract_a_place_is_named_by_coordinates(
        chengdu_pbf, tmp_path):
    assert name_places([0.0], [0.0], chengdu_pbf) == [Place(0.0, 0.0)]
    assert name_places([104.08], [30.66], None)[0].en == "near (104.08000, 30.66000)"
    assert name_places([104.08], [30.66], tmp_path / "nowhere.osm.pbf")[0].street == ""
    assert name_places([], [], chengdu_pbf) == []
    assert place_names([0.0], [0.0], chengdu_pbf) == [""]


def test_a_saved_network_finds_its_shipped_extract_by_file_name(chengdu_walk):
    harbin = replace(chengdu_walk, source="harbin_center_2024.osm.pbf")
    assert osm_extract(harbin) == region("harbin").extract()
    assert osm_extract(replace(chengdu_walk, source="OpenStreetMap 成都")) is None
    assert osm_extract(None) is None


def test_gap_areas_are_named_after_their_nearest_street(chengdu_pbf, chengdu_walk):
    stations = random_stations(chengdu_walk, 6, seed=3)
    lon, lat = random_points(chengdu_walk, 300, seed=4, jitter_deg=0.0003)
    demand = pd.DataFrame({"lon": lon, "lat": lat, "weight": 1.0, "group": "sanitation_worker"})
    result = coverage({"walk": chengdu_walk}, stations, demand, minutes=5)
    gaps = result.summary["gaps"]
    assert len(gaps) >= 3
    places = name_places([g["lon"] for g in gaps], [g["lat"] for g in gaps], chengdu_pbf)
    assert [g["name"] for g in gaps] == [p.zh for p in places]
    assert [g["name_en"] for g in gaps] == [p.en for p in places]
    assert sum(p.street != "" for p in places) >= 0.8 * len(places)
    assert list(result.gaps["name"]) == [g["name"] for g in gaps]
    # no extract at hand (a network from a download): coordinates
    unknown = replace(chengdu_walk, source="OpenStreetMap 成都")
    plain = coverage({"walk": unknown}, stations, demand, minutes=5).gaps
    assert list(plain["name_en"]) == [Place(x, y).en for x, y in zip(plain["lon"], plain["lat"],
                                                                       strict=True)]
    assert plain["name"].str.endswith("）附近").all()
    # the extract given names them, whatever the network's source says
    given = coverage({"walk": unknown}, stations, demand, minutes=5, extract=chengdu_pbf)
    assert [g["name"] for g in given.summary["gaps"]] == [g["name"] for g in gaps]
    assert np.isfinite([g["lon"] for g in gaps]).all()


def test_the_name_index_is_read_from_the_extract_once_then_from_its_file(
        chengdu_pbf, tmp_path, monkeypatch):
    from geo import places

    monkeypatch.setenv(places.CACHE_ENV_VAR, str(tmp_path / "cache"))
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(104.04, 104.10, 60), rng.uniform(30.64, 30.69, 60)
    places._name_index.cache_clear()
    read = name_places(lon, lat, chengdu_pbf)  # from the extract, and kept
    saved = places.write_name_index(chengdu_pbf)
    assert saved is not None and saved.parent == tmp_path / "cache" / "names"
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]

    def no_extract(path):
        raise AssertionError("the extract was read again")

    monkeypatch.setattr(places, "_read_name_index", no_extract)
    places._name_index.cache_clear()  # a new process
    assert name_places(lon, lat, chengdu_pbf) == read
    assert sum(p.named for p in read) > 20
    places._name_index.cache_clear()


def test_a_changed_or_damaged_name_index_is_read_from_the_extract_again(
        chengdu_pbf, tmp_path, monkeypatch):
    import os
    import shutil

    from geo import places

    monkeypatch.setenv(places.CACHE_ENV_VAR, str(tmp_path / "cache"))
    extract = tmp_path / "city.osm.pbf"
    shutil.copyfile(chengdu_pbf, extract)
    first = places.write_name_index(extract)
    assert first is not None
    os.utime(extract, ns=(1, 1))  # the extract replaced: another file
    second = places.write_name_index(extract)
    assert second is not None and second != first
    second.write_bytes(b"not an index")
    places._name_index.cache_clear()
    assert name_places([104.0712], [30.6605], extract) == name_places(
        [104.0712], [30.6605], chengdu_pbf)
    assert places._index_file(str(extract)).stat().st_size > 1000  # written again
    places._name_index.cache_clear()
    assert places.write_name_index(tmp_path / "nowhere.osm.pbf") is None
