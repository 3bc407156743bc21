import json

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import Point, box

from geo.errors import DataFileError, InputError
from geo.io.tables import (
    Check,
    Column,
    Schema,
    cell_text,
    coordinate,
    fold,
    number,
    read,
    read_table,
    whole_number,
)


def _positive(values):
    if values["count"] is not None and values["count"] <= 0:
        yield "count", "the count must be > 0"


SCHEMA = Schema("places", (
    Column("name", ("名称", "站点名称"), required=True, if_empty="the name is empty"),
    Column("lon", ("经度", "longitude"), coordinate, required=True,
           if_empty="the coordinate is empty"),
    Column("lat", ("纬度", "latitude"), coordinate, required=True,
           if_empty="the coordinate is empty"),
    Column("count", ("人数",), number, default=None),
), checks=(Check(("count",), _positive),))

HEADER = ["名称", "经度", "纬度", "人数"]
ROWS = [["江汉路站", "114.2870", "30.5820", "3"], ["汉口站", "114.2590", "30.6180", ""]]


def _csv(rows, sep=","):
    return "\r\n".join(sep.join(row) for row in rows) + "\r\n"


def _values(parsed):
    return [(r.row, r.values) for r in parsed.records]


EXPECTED = [(2, {"name": "江汉路站", "lon": 114.287, "lat": 30.582, "count": 3.0}),
            (3, {"name": "汉口站", "lon": 114.259, "lat": 30.618, "count": None})]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding(tmp_path, encoding):
    path = tmp_path / "places.csv"
    path.write_bytes(_csv([HEADER, *ROWS]).encode(encoding))
    parsed = read(path, SCHEMA)
    assert not parsed.problems and _values(parsed) == EXPECTED
    assert parsed.columns == {"name": "名称", "lon": "经度", "lat": "纬度", "count": "人数"}


def test_gb18030_beyond_gbk(tmp_path):
    # 𠮷 (U+20BB7) is not in GBK; only GB18030 (four bytes) encodes it
    path = tmp_path / "places.csv"
    path.write_bytes(_csv([HEADER, ["𠮷祥驿站", "114.3", "30.6", "1"]]).encode("gb18030"))
    assert read(path, SCHEMA).records[0].values["name"] == "𠮷祥驿站"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_excel_unicode_text_utf16_tab_separated(tmp_path, encoding):
    # Excel's "Unicode text" (Unicode 文本, 制表符分隔): UTF-16LE with a BOM, tabs between cells
    path = tmp_path / "places.tsv"
    path.write_bytes(_csv([HEADER, *ROWS], sep="\t").encode(encoding))
    if encoding == "utf-16":
        assert path.read_bytes()[:2] == b"\xff\xfe"
    parsed = read(path, SCHEMA)
    assert not parsed.problems and _values(parsed) == EXPECTED
    same_as_csv = tmp_path / "places.csv"
    same_as_csv.write_bytes(path.read_bytes())
    assert _values(read(same_as_csv, SCHEMA)) == EXPECTED


def test_semicolon_separated(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(_csv([HEADER, *ROWS], sep=";"), encoding="utf-8")
    assert _values(read(path, SCHEMA)) == EXPECTED


def test_multiline_cells_keep_the_excel_row_number(tmp_path):
    # A quoted cell over three lines is one Excel row; a blank line is an (empty) Excel row.
    path = tmp_path / "notes.csv"
    path.write_text('名称,经度,纬度,备注\n'
                    '一号,114.30,30.59,"第一行\n第二行\n第三行"\n'
                    '二号,abc,30.59,\n'
                    '\n'
                    '三号,114.31,,"a, b"\n', encoding="utf-8")
    parsed = read(path, SCHEMA)
    assert [str(p).split(": ", 1)[1] for p in parsed.problems] == [
        "'abc' is not a number", "the coordinate is empty"]
    assert [(p.row, p.column) for p in parsed.problems] == [(3, "经度"), (5, "纬度")]
    assert parsed.rows == 3 and parsed.ignored == ["备注"]
    assert _values(parsed)[0][0] == 2
    table = read_table(path)
    assert table.rows[0][1][3] == "第一行\n第二行\n第三行"


def test_xlsx_first_sheet_with_numbers_and_row_numbers(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["驿站名单（2025年）"])  # a title row above the header
    sheet.append(HEADER)
    sheet.append(["江汉路站", 114.287, 30.582, 3])
    sheet.append([])
    sheet.append(["汉口站", 114.259, "north", 0])
    book.create_sheet("说明").append(["名称", "经度"])
    path = tmp_path / "places.xlsx"
    book.save(path)
    parsed = read(path, SCHEMA)
    assert parsed.header_row == 2 and parsed.rows == 2
    assert _values(parsed) == [(3, {"name": "江汉路站", "lon": 114.287, "lat": 30.582,
                                    "count": 3})]
    assert {(p.row, p.column, p.message) for p in parsed.problems} == {
        (5, "纬度", "'north' is not a number"), (5, "人数", "the count must be > 0")}


def test_geojson_points_give_lon_lat_and_number_features(tmp_path):
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"站点名称": "江汉路站", "人数": 3},
         "geometry": {"type": "Point", "coordinates": [114.287, 30.582]}},
        {"type": "Feature", "properties": {"站点名称": "", "人数": -1},
         "geometry": None},
    ]}, ensure_ascii=False), encoding="utf-8")
    parsed = read(path, SCHEMA)
    assert _values(parsed) == [(1, {"name": "江汉路站", "lon": 114.287, "lat": 30.582,
                                    "count": 3})]
    assert {(p.row, p.column, p.message) for p in parsed.problems} == {
        (2, "站点名称", "the name is empty"), (2, "geometry", "the coordinate is empty"),
        (2, "人数", "the count must be > 0")}


def test_geopackage_is_reprojected_to_wgs84(tmp_path):
    frame = gpd.GeoDataFrame({"名称": ["江汉路站"]}, geometry=[Point(114.287, 30.582)],
                             crs=4326).to_crs(3857)
    path = tmp_path / "places.gpkg"
    frame.to_file(path)
    (record,) = read(path, SCHEMA).records
    assert record.values["lon"] == pytest.approx(114.287)
    assert record.values["lat"] == pytest.approx(30.582)


def test_other_geometries_than_points_are_all_named(tmp_path):
    frame = gpd.GeoDataFrame({"名称": ["a", "b", "c"]},
                             geometry=[box(0, 0, 1, 1), Point(1, 1), box(2, 2, 3, 3)], crs=4326)
    path = tmp_path / "areas.geojson"
    frame.to_file(path)
    with pytest.raises(DataFileError, match="row 3, column 'geometry': geometry is a Polygon, "
                                            "but places must be points") as err:
        read(path, SCHEMA)
    assert "row 1, column 'geometry'" in str(err.value)
    areas = read(path, Schema("areas", SCHEMA.without("lon", "lat").columns, points=False))
    assert [r.geometry.geom_type for r in areas.records] == ["Polygon", "Point", "Polygon"]


def test_headers_match_after_folding(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("\ufeff 站点_名称 ,ＬＯＮＧＩＴＵＤＥ,Lati-tude,人 数\n甲,114.3,30.6,2\n",
                    encoding="utf-8")
    parsed = read(path, SCHEMA)
    assert parsed.columns == {"name": "站点_名称", "lon": "ＬＯＮＧＩＴＵＤＥ",
                              "lat": "Lati-tude", "count": "人 数"}
    assert fold("\ufeff（Lon_X）") == "lonx"


def test_every_problem_is_collected_with_the_column_named_as_in_the_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("名称,经度,纬度,人数,名称\n"
                    ",x,30.6,-2,\n"
                    "乙,114.3,y,1,\n", encoding="utf-8")
    parsed = read(path, SCHEMA)
    assert [(p.row, p.column, p.message) for p in parsed.problems] == [
        (1, "名称", "a second column for 'name' (the first is '名称')"),
        (2, "名称", "the name is empty"),
        (2, "经度", "'x' is not a number"),
        (2, "人数", "the count must be > 0"),
        (3, "纬度", "'y' is not a number"),
    ]
    assert parsed.records == []
    with pytest.raises(DataFileError, match=r"5 problem\(s\) found:\n.*bad.csv, row 1, column"):
        parsed.raise_problems()


def test_missing_columns_name_the_accepted_headers(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("名称,人数\n甲,1\n", encoding="utf-8")
    parsed = read(path, SCHEMA)
    (problem,) = parsed.problems
    assert problem.row == 1 and problem.column is None
    assert problem.message == ("missing column(s) lon, lat (accepted headers: lon: lon, 经度, "
                               "longitude; lat: lat, 纬度, latitude)")
    with pytest.raises(DataFileError, match=r"missing column\(s\) lon, lat"):
        parsed.raise_problems()


def test_optional_column_absent_takes_its_default_and_empty_rows_are_skipped(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("名称,经度,纬度,其他\n甲,114.3,30.6,\n,,,\n,,,只有备注\n", encoding="utf-8")
    parsed = read(path, SCHEMA)
    assert _values(parsed) == [(2, {"name": "甲", "lon": 114.3, "lat": 30.6, "count": None})]
    assert parsed.rows == 1 and parsed.ignored == ["其他"] and not parsed.problems


@pytest.mark.parametrize("name, content, exc, fragment", [
    ("missing.csv", None, DataFileError, "file not found"),
    ("empty.csv", b"", DataFileError, "the file is empty"),
    ("blank.csv", b"\r\n,,\r\n", DataFileError, "no header row"),
    ("bad.csv", b"\xff\xfe\x00", DataFileError, "cannot read the text"),
    ("broken.xlsx", b"not a zip file", DataFileError, "cannot read it as Excel"),
    ("broken.geojson", b"{not json", DataFileError, "cannot read it as GeoJSON"),
    ("broken.gpkg", b"garbage", DataFileError, "cannot read it as GeoPackage"),
    ("list.txt", b"a", InputError, r"unknown file type '\.txt'.*rename it to \.tsv"),
])
def test_unreadable_files(tmp_path, name, content, exc, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(exc, match=fragment):
        read_table(path)


@pytest.mark.parametrize("value, text", [
    (None, ""), (float("nan"), ""), (12.0, "12"), (116.4551, "116.4551"), (7, "7"),
    ("  a ", "a"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_parsers():
    assert number("１１６．４") == 116.4 and coordinate("116，4551") == 116.4551
    assert whole_number("12.0") == 12
    with pytest.raises(ValueError, match="'inf' is not a number"):
        number("inf")
    with pytest.raises(ValueError, match="whole number"):
        whole_number("2.5")


def test_an_alias_declared_twice_is_refused():
    with pytest.raises(ValueError, match="declared for both 'a' and 'b'"):
        Schema("x", (Column("a", ("名称",)), Column("b", ("名 称",))))
