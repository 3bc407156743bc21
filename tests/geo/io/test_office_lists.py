"""Lists as offices keep them import the first time: a default kind, kinds from names, coordinate
columns named by system, service words and hours kept, every warning said."""

import csv
import io

import numpy as np
import pytest

from geo import coords
from geo.errors import InputError, Message
from geo.io.stations import read_stations, write_stations
from geo.io.tables import coordinate_header
from geo.stations import Station
from tests.geo.io.office_lists import (
    CITY_HEADER,
    CITY_HOURS,
    CITY_KEPT,
    COUNTY_KINDS,
    city_rows,
    county_rows,
    write_city,
    write_county,
)


def write_rows(path, rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def warning(result, key):
    found = [w for w in result.warnings if w.key == key]
    assert len(found) == 1, result.warnings
    return found[0]


# --- the two lists -------------------------------------------------------------------------------

def test_the_county_list_from_amap_imports_with_a_default_kind(tmp_path):
    path = write_county(tmp_path / "舒城县驿站.csv")
    result = read_stations(path, kind="工会驿站")
    assert result.ok, result.problems
    assert len(result.stations) == 24 and result.rows == 24
    # the position is the WGS-84 pair, exactly; the GCJ-02 pair is not used, and said so
    rows = county_rows()
    assert [(s.lon, s.lat) for s in result.stations] == [
        (float(r[10]), float(r[11])) for r in rows]
    used = warning(result, "coordinates_used")
    assert used.detail == {"lon": "wgs84_lon", "lat": "wgs84_lat", "crs": "wgs84",
                           "unused": ["gcj02_lon", "gcj02_lat"]}
    assert result.crs == "wgs84"
    # kinds: what each name says, else the default
    expected = [k or "outdoor_rest_point" for k in COUNTY_KINDS]
    assert [s.kind for s in result.stations] == expected
    inferred = warning(result, "kind_inferred")
    assert inferred.rows == tuple(range(2, 14))
    assert inferred.detail["kinds"]["driver_home"] == [12, 13]
    assert warning(result, "kind_default").rows == tuple(range(14, 26))
    # the POI export's own columns are named as not recognised; the coordinate pair is not
    assert result.ignored_columns == ["type", "typecode", "location", "pname", "cityname",
                                      "adname"]
    assert result.columns["lon"] == "wgs84_lon" and result.columns["phone"] == "tel"


def test_the_county_list_without_a_default_kind_says_the_kind_column_is_missing(tmp_path):
    result = read_stations(write_county(tmp_path / "county.csv"))
    assert not result.ok and result.stations == []
    (problem,) = result.problems
    assert problem.message.key == "missing_columns" and problem.message.params["columns"] == \
        "kind"
    assert problem.row == 1 and problem.field == "kind"


def test_the_city_list_imports_with_a_default_kind(tmp_path):
    path = write_city(tmp_path / "合肥市驿站名单.csv")
    result = read_stations(path, kind="outdoor_rest_point")
    assert result.ok, result.problems
    assert len(result.stations) == 82
    # GCJ-02, as the headers say: converted to WGS-84
    assert result.crs == "gcj02"
    first = result.stations[0]
    written = [float(c) for c in city_rows()[0][4:6]]
    assert (first.lon, first.lat) == pytest.approx(
        [float(c) for c in coords.to_wgs84(*written, "gcj02")], abs=1e-9)
    used = warning(result, "coordinates_used")
    assert (used.detail["lon"], used.detail["lat"], used.detail["crs"]) == ("高德经度", "高德纬度",
                                                                          "gcj02")
    # the title row above the header is passed over; rows are numbered as Excel shows them
    assert warning(result, "kind_default").rows[0] == 6  # the 4th station: title, header
    # service words outside the vocabulary are kept, with how many rows use each
    kept = warning(result, "services_kept")
    assert set(kept.detail["words"]) == CITY_KEPT
    assert len(kept.detail["words"]["母婴室"]) == 10  # every 8th of 82 rows from the 3rd
    assert kept.column == "服务内容" and kept.field == "services"
    assert "'母婴室' (10 rows)" in kept.message
    assert "“母婴室”（10 行）" in kept.message.params["words_zh"]
    # known words in their many forms: the "七个一" kit, the slogans, "有…", enumerations
    kit = result.stations[0]
    assert kit.services == {"food_heating", "drinking_water", "first_aid", "rest",
                            "phone_charging", "toilet"}
    assert kit.other_services == ("一台冰箱",)
    assert result.stations[1].services == {"heating", "cooling", "drinking_water", "rest",
                                           "first_aid", "food_heating", "toilet"}
    assert result.stations[5].other_services == ("老花镜",)
    # hours in words are read; those no reader takes are kept in the notes, the hours unknown
    for station in result.stations[:8]:
        written, read = CITY_HOURS[result.stations.index(station) % len(CITY_HOURS)]
        assert station.hours == read
        if not read:
            assert station.notes == f"开放时间：{written}"
    hours = warning(result, "hours_kept")
    assert hours.rows[:2] == (7, 9) and len(hours.rows) == 20
    assert hours.detail["hours"][7] == "夏季6:00-22:00，冬季7:00-21:00"
    assert "序号" in result.ignored_columns and "所属区县" in result.ignored_columns


def test_the_city_list_with_plain_headers_reads_in_the_crs_asked_for(tmp_path):
    header = [h.replace("高德", "") for h in CITY_HEADER]
    path = write_city(tmp_path / "plain.csv", header=header)
    result = read_stations(path, kind="outdoor_rest_point", crs="gcj02")
    named = read_stations(write_city(tmp_path / "named.csv"), kind="outdoor_rest_point")
    assert result.ok and [(s.lon, s.lat) for s in result.stations] == [
        (s.lon, s.lat) for s in named.stations]
    assert not [w for w in result.warnings if w.key == "coordinates_used"]


def test_kept_words_and_hours_round_trip_through_registry_export_and_reimport(tmp_path,
                                                                               registry):
    result = read_stations(write_city(tmp_path / "city.csv"), kind="outdoor_rest_point")
    registry.upsert(result.stations, source="test")
    stored = registry.stations()
    assert sorted(stored, key=lambda s: s.id) == sorted(result.stations, key=lambda s: s.id)
    exported = sorted((s.replace(lon=round(s.lon, 7), lat=round(s.lat, 7)) for s in stored),
                      key=lambda s: s.id)  # an export writes 7 decimals
    assert any(s.other_services for s in exported) and any(
        s.notes.startswith("开放时间：") for s in exported)
    for suffix, lang in [(".csv", "en"), (".csv", "zh"), (".xlsx", "zh"), (".geojson", "en")]:
        path = write_stations(stored, tmp_path / f"out-{lang}{suffix}", lang=lang)
        again = read_stations(path)
        assert again.ok, (suffix, lang, again.problems)
        assert sorted(again.stations, key=lambda s: s.id) == exported
        assert not [w for w in again.warnings if w.key == "hours_kept"]
    registry.upsert(exported, source="rounded")
    summary = registry.upsert(again.stations, source="again")
    assert len(summary.unchanged) == 82


def test_a_service_filter_matches_known_ids_only(tmp_path):
    result = read_stations(write_city(tmp_path / "city.csv"), kind="outdoor_rest_point")
    with_toilet = [s for s in result.stations if {"toilet"} <= s.services]
    assert with_toilet and all("toilet" in s.services for s in with_toilet)
    assert not any("母婴室" in s.services for s in result.stations)


# --- coordinate columns --------------------------------------------------------------------------

@pytest.mark.parametrize("header, expected", [
    ("gcj02_lon", ("lon", "gcj02")), ("wgs84_lat", ("lat", "wgs84")),
    ("高德经度", ("lon", "gcj02")), ("百度纬度", ("lat", "bd09")), ("bd09_lng", ("lon", "bd09")),
    ("经度（WGS84）", ("lon", "wgs84")), ("GCJ-02 Longitude", ("lon", "gcj02")),
    ("腾讯坐标纬度", ("lat", "gcj02")), ("GPS经度", ("lon", "wgs84")),
    ("lat_bd09", ("lat", "bd09")),
    ("经度", None), ("lon", None), ("名称", None), ("wgs84", None),
])
def test_coordinate_headers_name_their_system(header, expected):
    assert coordinate_header(header) == expected


def pairs_file(tmp_path, header, lon=116.4, lat=39.9):
    row = ["某工会驿站"]
    for h in header[1:]:
        axis, system = coordinate_header(h) or (("lon", "wgs84") if "经" in h else ("lat", "wgs84"))
        x, y = coords.from_wgs84(lon, lat, system)
        row.append(f"{x if axis == 'lon' else y:.7f}")
    return write_rows(tmp_path / "pairs.csv", [header, row])


@pytest.mark.parametrize("header, crs, used, read", [
    (["名称", "bd09_lon", "bd09_lat", "gcj02_lon", "gcj02_lat"], None, "gcj02_lon", "gcj02"),
    (["名称", "百度经度", "百度纬度"], None, "百度经度", "bd09"),
    (["名称", "gcj02_lon", "gcj02_lat", "wgs84_lon", "wgs84_lat"], None, "wgs84_lon", "wgs84"),
    (["名称", "gcj02_lon", "gcj02_lat", "wgs84_lon", "wgs84_lat"], "gcj02", "gcj02_lon",
     "gcj02"),
])
def test_the_pair_and_its_system(tmp_path, header, crs, used, read):
    result = read_stations(pairs_file(tmp_path, header), crs=crs, kind="工会驿站")
    assert result.ok, result.problems
    assert result.columns["lon"] == used and result.crs == read
    station = result.stations[0]
    assert station.lon == pytest.approx(116.4, abs=2e-5)
    assert station.lat == pytest.approx(39.9, abs=2e-5)


def test_a_crs_asked_for_overrides_the_headers_and_says_so(tmp_path):
    path = pairs_file(tmp_path, ["名称", "高德经度", "高德纬度"])
    result = read_stations(path, crs="bd09", kind="工会驿站")
    assert result.crs == "bd09"
    override = warning(result, "crs_override")
    assert override.detail == {"named": "gcj02", "crs": "bd09"}
    assert "read as BD-09" in override.message
    # read as asked: BD-09 → WGS-84 of a GCJ-02 position is some 1 km off
    assert coords.haversine_m(result.stations[0].lon, result.stations[0].lat, 116.4, 39.9) > 500


# --- columns given by the caller -----------------------------------------------------------------

def test_columns_map_headers_over_recognition(tmp_path):
    path = write_rows(tmp_path / "m.csv", [
        ["站名", "位置X", "位置Y", "经度", "类别", "提供的东西"],
        ["甲", "116.40", "39.90", "999", "司机之家", "休息、母婴室"],
    ])
    result = read_stations(path, columns={"位置X": "lon", "位置Y": "lat", "提供的东西": "services",
                                          "类别": None}, kind="工会驿站")
    assert result.ok, result.problems
    station = result.stations[0]
    assert (station.lon, station.lat) == (116.40, 39.90)
    assert station.services == {"rest"} and station.other_services == ("母婴室",)
    assert station.kind == "outdoor_rest_point"  # 类别 passed over: the default
    assert result.columns == {"name": "站名", "lon": "位置X", "lat": "位置Y",
                              "services": "提供的东西"}
    assert "类别" not in result.ignored_columns
    # a recognised header for a field the caller gave another header is not used
    assert warning(result, "coordinates_used").detail["unused"] == ["经度"]


def test_columns_without_a_kind_column_use_the_default(tmp_path):
    path = write_rows(tmp_path / "m.csv", [["站名", "x", "y", "类别"],
                                           ["甲", "116.4", "39.9", "司机之家"]])
    result = read_stations(path, columns={"类别": None}, kind="sanitation_station")
    assert result.stations[0].kind == "sanitation_station"


@pytest.mark.parametrize("columns, fragment", [
    ({"nope": "lon"}, "does not have"),
    ({"x": "longitude_wgs"}, "the columns are"),
    ({"x": "lon", "y": "lon"}, "two headers for 'lon'"),
])
def test_bad_columns_are_named(tmp_path, columns, fragment):
    path = write_rows(tmp_path / "m.csv", [["名称", "x", "y"], ["某工会驿站", "116.4", "39.9"]])
    with pytest.raises(InputError, match=fragment) as caught:
        read_stations(path, columns=columns)
    assert caught.value.parameter == "columns"


# --- kinds ---------------------------------------------------------------------------------------

def test_names_that_say_their_kind_need_no_kind_column(tmp_path):
    path = write_rows(tmp_path / "k.csv", [
        ["名称", "经度", "纬度"], ["城南工会驿站", "116.40", "39.90"],
        ["东区环卫工人爱心驿站", "116.41", "39.91"], ["京港澳高速司机之家", "116.42", "39.92"]])
    result = read_stations(path)
    assert result.ok, result.problems
    assert [s.kind for s in result.stations] == ["outdoor_rest_point", "sanitation_station",
                                                 "driver_home"]
    assert warning(result, "kind_inferred").rows == (2, 3, 4)


def test_a_kind_cell_wins_over_the_name_and_an_empty_one_takes_the_name(tmp_path):
    path = write_rows(tmp_path / "k.csv", [
        ["名称", "类型", "经度", "纬度"], ["城南工会驿站", "司机之家", "116.40", "39.90"],
        ["东区环卫驿站", "", "116.41", "39.91"], ["工会环卫驿站", "", "116.42", "39.92"],
        ["某服务点", "", "116.43", "39.93"]])
    result = read_stations(path)
    assert [s.kind for s in result.stations] == ["driver_home", "sanitation_station"]
    # a name saying two kinds says none; with no default both are problems of their row
    assert {(p.row, p.column, p.message.key) for p in result.problems} == {
        (4, "类型", "empty_kind"), (5, "类型", "empty_kind")}
    given = read_stations(path, kind="driver_home")
    assert [s.kind for s in given.stations] == ["driver_home", "sanitation_station",
                                                "driver_home", "driver_home"]
    assert warning(given, "kind_default").rows == (4, 5)


def test_an_unknown_default_kind_is_an_input_error(tmp_path):
    path = write_rows(tmp_path / "k.csv", [["名称", "经度", "纬度"], ["甲", "116.4", "39.9"]])
    with pytest.raises(InputError, match="unknown station kind") as caught:
        read_stations(path, kind="加油站")
    assert caught.value.parameter == "kind"


# --- services and hours --------------------------------------------------------------------------

def test_unknown_service_words_never_refuse_a_row(tmp_path):
    path = write_rows(tmp_path / "s.csv", [
        ["名称", "类型", "经度", "纬度", "服务"],
        ["甲", "司机之家", "116.40", "39.90", "休息、飞行、teleport"],
        ["乙", "司机之家", "116.41", "39.91", "飞行"]])
    result = read_stations(path)
    assert result.ok
    assert result.stations[0].other_services == ("飞行", "teleport")
    kept = warning(result, "services_kept")
    assert kept.detail["words"] == {"飞行": [2, 3], "teleport": [2]}
    assert kept.message == ("2 service word(s) name no known service and are kept as written: "
                            "'飞行' (2 rows), 'teleport' (1 row)")


def test_hours_that_cannot_be_read_go_to_the_notes(tmp_path):
    path = write_rows(tmp_path / "h.csv", [
        ["名称", "类型", "经度", "纬度", "服务时间", "备注"],
        ["甲", "司机之家", "116.40", "39.90", "看情况", "门口有牌子"],
        ["乙", "司机之家", "116.41", "39.91", "看情况", ""],
        ["丙", "司机之家", "116.42", "39.92", "看情况", "n" * 1995]])
    result = read_stations(path)
    first, second = result.stations
    assert (first.hours, first.notes) == ("", "门口有牌子\n服务时间：看情况")
    assert (second.hours, second.notes) == ("", "服务时间：看情况")
    assert first.is_open() is None
    # a note grown too long is a problem of the hours cell
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.field) == (4, "服务时间", "hours")
    assert warning(result, "hours_kept").rows == (2, 3)


# --- problems and the report ---------------------------------------------------------------------

def test_problems_name_the_field_and_the_message_key(tmp_path):
    path = write_rows(tmp_path / "p.csv", [
        ["名称", "类型", "高德经度", "高德纬度"], ["甲", "司机之家", "abc", "39.9"]])
    result = read_stations(path)
    (problem,) = result.problems
    record = problem.as_dict()
    assert (record["row"], record["column"], record["field"]) == (2, "高德经度", "lon")
    assert record["key"] == "not_a_number" and record["params"] == {"value": "abc"}
    report = result.as_dict()
    assert report["problems"] == [record] and report["crs"] == "gcj02"
    assert report["warnings"][0]["key"] == "coordinates_used"
    assert all(isinstance(w["message"], str) for w in report["warnings"])


def test_the_missing_column_message_names_the_columns_in_chinese(tmp_path):
    path = write_rows(tmp_path / "m.csv", [["名称", "地址"], ["甲", "某路"]])
    (problem,) = read_stations(path).problems
    assert isinstance(problem.message, Message)
    assert problem.message.params["columns_zh"] == "站点类型、经度、纬度"
    assert problem.message.params["accepted_zh"].startswith("站点类型：kind、类型、站点类型")


def test_warnings_refuse_nothing_and_stations_are_valid(tmp_path):
    result = read_stations(write_city(tmp_path / "city.csv"), kind="工会驿站")
    for station in result.stations:
        assert Station.from_record(station.to_record()) == station
    assert np.isfinite([s.lon for s in result.stations]).all()
