import csv
import json
import re

import openpyxl
import pytest

from geo import coords
from geo.demo import _HOSTS
from geo.errors import DataFileError, InputError
from geo.io.sheets import escape_text, unescape_text
from geo.io.stations import ZH_HEADERS, load_stations, read_stations, stations_frame, write_stations
from geo.stations import (
    KINDS,
    SERVICES,
    Station,
    format_hours_zh,
    normalize_hours,
    station_id_pattern,
)

CHINESE_HEADERS = ["编号", "站点名称", "站点类型", "经度", "纬度", "地址", "服务项目", "开放时间",
                   "容量", "联系电话", "管理单位", "备注"]
# Positions in GCJ-02, as Amap shows them.
CHINESE_ROWS = [
    ["", "朝阳区三里屯工会驿站", "户外劳动者驿站", "116.4551", "39.9367", "三里屯路19号",
     "休息、饮水、热饭、充电", "周一至周五 8:30-18:00", "10", "010-12345678", "朝阳区总工会", ""],
    ["B02", "建国门环卫驿站", "环卫驿站", "116.4356", "39.9082", "建国门内大街",
     "休息、厕所、热水、微波炉", "全天", "6", "", "东城区环卫中心", ""],
    ["B03", "京藏高速司机之家", "司机之家", "116.3101", "40.0555", "",
     "停车、淋浴、洗衣、热水", "24小时", "30", "", "", "货车停车位30个"],
]


def write_csv(path, rows, encoding="gbk"):
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_chinese_csv_in_every_encoding(tmp_path, encoding):
    path = write_csv(tmp_path / "list.csv", [CHINESE_HEADERS, *CHINESE_ROWS], encoding)
    result = read_stations(path, crs="gcj02")
    assert result.ok, result.problems
    assert [s.name for s in result.stations] == [r[1] for r in CHINESE_ROWS]
    first, second, third = result.stations
    assert first.kind == "outdoor_rest_point" and first.hours == "Mo-Fr 08:30-18:00"
    assert first.services == {"rest", "drinking_water", "food_heating", "phone_charging"}
    assert first.id.startswith("st-") and second.id == "B02"
    assert second.hours == "24/7" and third.capacity == 30 and third.notes == "货车停车位30个"
    # GCJ-02 in the file, WGS-84 inside: the shift in Beijing is a few hundred metres.
    lon, lat = coords.gcj02_to_wgs84(116.4356, 39.9082)
    assert coords.haversine_m(second.lon, second.lat, lon, lat) < 0.01
    assert 100 < coords.haversine_m(second.lon, second.lat, 116.4356, 39.9082) < 1000


def test_xlsx_with_chinese_headers_and_bd09(tmp_path):
    bd = [coords.gcj02_to_bd09(float(r[3]), float(r[4])) for r in CHINESE_ROWS]
    rows = [[*r[:3], f"{lon:.7f}", f"{lat:.7f}", *r[5:]]
            for r, (lon, lat) in zip(CHINESE_ROWS, bd, strict=True)]
    rows[1][8] = 6  # Excel stores numbers as numbers
    path = write_xlsx(tmp_path / "list.xlsx", [CHINESE_HEADERS, *rows])
    stations = load_stations(path, crs="bd09")
    from_gcj = load_stations(write_csv(tmp_path / "g.csv", [CHINESE_HEADERS, *CHINESE_ROWS]),
                             crs="gcj02")
    for a, b in zip(stations, from_gcj, strict=True):
        assert coords.haversine_m(a.lon, a.lat, b.lon, b.lat) < 0.05
    assert stations[1].capacity == 6


def test_english_headers_and_unused_columns(tmp_path):
    path = write_csv(tmp_path / "en.csv", [
        ["id", "name", "kind", "lon", "lat", "services", "hours", "district"],
        ["a", "Rest point", "outdoor_rest_point", "24.94", "60.17", "rest;toilet", "24/7", "x"],
    ], "utf-8")
    result = read_stations(path)
    assert result.ok and result.ignored_columns == ["district"]
    assert result.stations[0].services == {"rest", "toilet"}


BAD_CASES = [
    # (description, change to make to the good rows, expected (row, column as the file names it,
    # message fragment))
    ("non-numeric lon", lambda rows: rows[1].__setitem__(3, "abc"), (2, "经度", "not a number")),
    ("missing lat", lambda rows: rows[2].__setitem__(4, ""), (3, "纬度", "empty")),
    ("out of range", lambda rows: rows[3].__setitem__(3, "216.3"), (4, "经度", "out of range")),
    ("swapped",
     lambda rows: (rows[3].__setitem__(3, "40.0555"), rows[3].__setitem__(4, "116.3101")),
     (4, "经度", "swapped")),
    ("unknown kind", lambda rows: rows[1].__setitem__(2, "加油站"),
     (2, "站点类型", "unknown station kind")),
    ("service word too long", lambda rows: rows[2].__setitem__(6, "休息、" + "飞" * 41),
     (3, "服务项目", "at most 40")),
    ("hours too long", lambda rows: rows[2].__setitem__(7, "8:30-18:00" * 60),
     (3, "开放时间", "at most 500")),
    ("bad capacity", lambda rows: rows[2].__setitem__(8, "-3"), (3, "容量", "whole number")),
    ("duplicate id", lambda rows: rows[3].__setitem__(0, "B02"), (4, "编号", "duplicate id")),
    ("same name within 50 m", lambda rows: (rows[3].__setitem__(1, rows[2][1]),
                                            rows[3].__setitem__(3, "116.4358"),
                                            rows[3].__setitem__(4, "39.9083"),
                                            rows[3].__setitem__(0, "B09")),
     (4, "站点名称", "same name")),
    ("empty name", lambda rows: rows[1].__setitem__(1, ""), (2, "站点名称", "empty")),
]


@pytest.mark.parametrize("description, change, expected", BAD_CASES, ids=[c[0] for c in BAD_CASES])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_files_name_file_row_and_column(tmp_path, description, change, expected, fmt):
    rows = [list(CHINESE_HEADERS), *[list(r) for r in CHINESE_ROWS]]
    change(rows)
    path = (write_csv(tmp_path / "bad.csv", rows) if fmt == "csv"
            else write_xlsx(tmp_path / "bad.xlsx", rows))
    result = read_stations(path, crs="gcj02")
    row, column, fragment = expected
    assert any(p.row == row and p.column == column and fragment in p.message
               for p in result.problems), result.problems
    assert all(p.file == str(path) for p in result.problems)
    with pytest.raises(DataFileError, match=f"row {row}, column '{column}'"):
        load_stations(path, crs="gcj02")


def test_every_problem_is_reported_at_once(tmp_path):
    rows = [list(CHINESE_HEADERS), *[list(r) for r in CHINESE_ROWS]]
    rows[1][3] = "x"
    rows[2][2] = "加油站"
    rows[3][8] = "-3"
    result = read_stations(write_csv(tmp_path / "bad.csv", rows), crs="gcj02")
    assert {(p.row, p.column) for p in result.problems} == {(2, "经度"), (3, "站点类型"),
                                                            (4, "容量")}
    assert result.stations == []


def test_missing_columns(tmp_path):
    path = write_csv(tmp_path / "m.csv", [["名称", "经度"], ["a", "116"]])
    result = read_stations(path)
    assert "missing column(s) kind, lat" in result.problems[0].message


@pytest.mark.parametrize("name, content, fragment", [
    ("missing.csv", None, "file not found"),
    ("empty.csv", b"", "empty"),
    ("broken.xlsx", b"not a zip file", "cannot read it as Excel"),
    ("broken.geojson", b"{not json", "cannot read it as GeoJSON"),
    ("broken.gpkg", b"garbage", "cannot read it as GeoPackage"),
])
def test_unreadable_files(tmp_path, name, content, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataFileError, match=fragment):
        read_stations(path)


def test_unknown_extension_and_crs(tmp_path):
    with pytest.raises(InputError, match="unknown file type"):
        read_stations(tmp_path / "list.txt")
    with pytest.raises(InputError, match="crs"):
        read_stations(tmp_path / "list.csv", crs="mars")


def test_geojson_polygons_are_rejected(tmp_path):
    path = tmp_path / "poly.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "a", "kind": "driver_home"},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}))
    with pytest.raises(DataFileError, match="must be points"):
        read_stations(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".geojson", ".gpkg"])
@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_round_trip(tmp_path, suffix, crs):
    source = write_csv(tmp_path / "in.csv", [CHINESE_HEADERS, *CHINESE_ROWS])
    stations = load_stations(source, crs="gcj02")
    out = write_stations(stations, tmp_path / f"out{suffix}", crs=crs)
    back = load_stations(out, crs=crs)
    assert len(back) == len(stations)
    for a, b in zip(sorted(stations, key=lambda s: s.id), sorted(back, key=lambda s: s.id),
                    strict=True):
        assert coords.haversine_m(a.lon, a.lat, b.lon, b.lat) < 0.05
        assert a.replace(lon=b.lon, lat=b.lat) == b


def test_csv_export_opens_in_excel_with_chinese(tmp_path):
    stations = load_stations(write_csv(tmp_path / "in.csv", [CHINESE_HEADERS, *CHINESE_ROWS]),
                             crs="gcj02")
    out = write_stations(stations, tmp_path / "out.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM makes Excel read UTF-8
    assert raw.decode("utf-8-sig").splitlines()[0] == (
        "id,name,kind,lon,lat,address,services,hours,capacity,access,phone,operator,notes")


def test_geojson_export_is_rfc7946(tmp_path):
    stations = load_stations(write_csv(tmp_path / "in.csv", [CHINESE_HEADERS, *CHINESE_ROWS]),
                             crs="gcj02")
    data = json.loads(write_stations(stations, tmp_path / "o.geojson").read_text("utf-8"))
    assert data["type"] == "FeatureCollection" and "crs" not in data
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert 116 < lon < 117 and 39 < lat < 41


# --- exports in Chinese, and cells a spreadsheet would run ---------------------------------------

DEMO_HOURS = sorted({hours for _, _, hours, _ in _HOSTS.values()})
# (a leading tab or CR is escaped too, but every reader strips the spaces around a cell)
FORMULAS = ['=HYPERLINK("x")', "+1+1", "@SUM(1)", "-3", "=1+1", "'=already quoted", "''-two",
            "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("hours, zh", [
    ("24/7", "全天"),
    ("Mo-Fr 09:00-17:00", "周一至周五 9:00-17:00"),
    ("Mo-Su 08:00-22:00", "每天 8:00-22:00"),
    ("Mo-Fr 08:30-18:00; Sa 09:00-17:00", "周一至周五 8:30-18:00；周六 9:00-17:00"),
    ("Sa,Su 09:00-17:00", "周末 9:00-17:00"),
    ("Mo,We-Fr 09:00-17:00", "周一、周三至周五 9:00-17:00"),
    ("Mo-Fr 08:00-12:00,14:00-18:00; Su off", "周一至周五 8:00-12:00、14:00-18:00；周日 休息"),
    ("Mo-Fr 08:00-18:00; PH off", "周一至周五 8:00-18:00；节假日 休息"),
    ("06:00-21:00", "6:00-21:00"),
    ("Mo-Sa 10:00-02:00", "周一至周六 10:00-2:00"),
    # what Chinese cannot say plainly stays OSM syntax
    ("Jan-Mar Mo-Fr 08:00-18:00", "Jan-Mar Mo-Fr 08:00-18:00"),
    ("sunrise-sunset", "sunrise-sunset"),
    ("Mo-Fr 08:00-18:00 \"by appointment\"", "Mo-Fr 08:00-18:00 \"by appointment\""),
    ("", ""),
])
def test_hours_in_chinese_read_back(hours, zh):
    assert format_hours_zh(hours) == zh
    assert normalize_hours(zh) == hours


@pytest.mark.parametrize("hours", DEMO_HOURS)
def test_every_demo_hours_pattern_is_written_in_chinese(hours):
    zh = format_hours_zh(hours)
    assert not any(day in zh for day in ("Mo", "Fr", "Su", "24/7")), zh
    assert normalize_hours(zh) == hours


@pytest.mark.parametrize("text", [*FORMULAS, "\tTAB", "\rCR", "'\tTAB", "plain", "", "'plain",
                                  "1-2", "a=b"])
def test_escape_is_undone_exactly(text):
    written = escape_text(text)
    assert unescape_text(written) == text
    assert not str(written).startswith(("=", "+", "-", "@", "\t", "\r"))


def union_stations() -> list[Station]:
    """Every demo kind, service set and hours pattern, and names a spreadsheet would run."""
    stations = []
    for i, (kind, services, hours, capacity) in enumerate(_HOSTS.values()):
        stations.append(Station(
            id=f"s{i}", name=f"测试驿站{i}", kind=kind, lon=round(104.06 + i / 1000, 7),
            lat=round(30.66 + i / 1000, 7), address=f"成都市人民南路{i}号",
            services=frozenset(services), hours=hours, capacity=capacity,
            operator="成都市总工会", phone="028-8765432"))
    for j, text in enumerate(FORMULAS):
        stations.append(Station(
            id=text if j % 2 and re.fullmatch(station_id_pattern(), text) else f"f{j}",
            name=text, kind="outdoor_rest_point",
            lon=round(104.1 + j / 1000, 7), lat=30.7, address=text, services=frozenset({"rest"}),
            hours="", capacity=None, access="workers_only", phone="+86 28 1234",
            operator="@工会", notes=text.strip()))
    return stations


@pytest.mark.parametrize("name, options", [
    ("zh.csv", {}), ("zh-gbk.csv", {"encoding": "gbk"}),
    ("zh-gb18030.csv", {"encoding": "gb18030"}),
    ("zh.xlsx", {}), ("zh.geojson", {}), ("zh.gpkg", {}),
])
@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_chinese_export_reads_back_to_the_same_stations(tmp_path, name, options, crs):
    stations = union_stations()
    path = write_stations(stations, tmp_path / name, lang="zh", crs=crs, **options)
    result = read_stations(path, crs=crs)
    assert result.ok, result.problems
    assert len(result.stations) == len(stations)
    for before, after in zip(stations, result.stations, strict=True):
        assert coords.haversine_m(before.lon, before.lat, after.lon, after.lat) < 0.05
        assert after.replace(lon=before.lon, lat=before.lat) == before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_english_export_keeps_formulas_as_text_and_reads_back(tmp_path, suffix):
    stations = union_stations()
    result = read_stations(write_stations(stations, tmp_path / f"en{suffix}"))
    assert result.ok, result.problems
    assert result.stations == stations


def test_chinese_csv_is_what_a_union_office_writes(tmp_path):
    stations = union_stations()
    path = write_stations(stations, tmp_path / "站点.csv", lang="zh", encoding="gbk")
    with open(path, encoding="gbk", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [ZH_HEADERS[c] for c in ZH_HEADERS]
    assert rows[0][:5] == ["编号", "站点名称", "站点类型", "经度", "纬度"]
    by_name = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    first = by_name["测试驿站0"]
    assert first["站点类型"] == KINDS[stations[0].kind][0] == "司机之家"
    assert first["服务项目"] == "、".join(zh for k, (zh, _) in SERVICES.items()
                                      if k in stations[0].services)
    assert first["开放时间"] == "全天" and first["开放对象"] == "对外开放"
    hours = {r["开放时间"] for r in by_name.values()}
    assert {"周一至周五 9:00-17:00", "每天 8:00-22:00",
            "周一至周五 8:30-18:00；周六 9:00-17:00"} <= hours
    # formula-like text is written as text, numbers as numbers
    cells = [cell for r in rows[1:] for cell in r]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert "'=HYPERLINK(\"x\")" in cells and "'+1+1" in cells and "'@SUM(1)" in cells
    assert "'-3" in cells and "''=already quoted" in cells
    assert by_name["测试驿站0"]["经度"] == "104.06" and "'" not in first["联系电话"]


def test_xlsx_cells_are_strings_not_formulas(tmp_path):
    import zipfile

    path = write_stations(union_stations(), tmp_path / "站点.xlsx", lang="zh")
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet
    book = openpyxl.load_workbook(path)
    cells = {c.value: c for row in book.active.iter_rows() for c in row}
    formula = cells['=HYPERLINK("x")']
    assert formula.data_type == "s" and formula.quotePrefix
    assert cells["-3"].data_type == "s" and cells["测试驿站0"].data_type == "s"
    assert not cells["测试驿站0"].quotePrefix
    assert book.active.title == "驿站"


def test_gbk_names_what_it_cannot_write(tmp_path):
    station = Station(id="x", name="𠀀驿站", kind="driver_home", lon=104.0, lat=30.6)
    with pytest.raises(InputError,
                       match=r"GBK cannot write '𠀀'.*row 2, column '站点名称'.*gb18030"):
        write_stations([station], tmp_path / "x.csv", lang="zh", encoding="gbk")
    path = write_stations([station], tmp_path / "x.csv", lang="zh", encoding="gb18030")
    assert load_stations(path) == [station]


def test_bad_lang_and_encoding(tmp_path):
    station = union_stations()[0]
    with pytest.raises(InputError, match="`lang` was 'fr'"):
        stations_frame([station], lang="fr")
    with pytest.raises(InputError, match="`encoding` was 'latin-1'"):
        write_stations([station], tmp_path / "x.csv", encoding="latin-1")
