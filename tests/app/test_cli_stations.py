import json

import pytest

from app.cli import main
from geo.registry import Registry
from tests.geo.io.test_stations import CHINESE_HEADERS, CHINESE_ROWS, write_csv, write_xlsx


@pytest.fixture
def union_csv(tmp_path):
    return write_csv(tmp_path / "工会驿站名单.csv", [CHINESE_HEADERS, *CHINESE_ROWS])


def test_import_gbk_csv_then_reimport_updates_by_id(runner, db_url, union_csv):
    result = runner.invoke(main, ["import", str(union_csv), "--crs", "gcj02", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output
    again = runner.invoke(main, ["import", str(union_csv), "--crs", "gcj02", "--db", db_url,
                                 "--json"])
    report = json.loads(again.output)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 3)
    assert len(Registry(db_url).stations()) == 3


def test_bad_file_imports_nothing_and_exits_1(runner, db_url, tmp_path):
    rows = [list(CHINESE_HEADERS), *[list(r) for r in CHINESE_ROWS]]
    rows[2][3] = "abc"
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    result = runner.invoke(main, ["import", str(path), "--crs", "gcj02", "--db", db_url])
    assert result.exit_code == 1
    assert f"{path}, row 3, column '经度': 'abc' is not a number" in result.stderr
    assert "Nothing was imported" in result.stderr
    assert Registry(db_url).stations() == []


def test_skip_invalid_imports_the_good_rows(runner, db_url, tmp_path):
    rows = [list(CHINESE_HEADERS), *[list(r) for r in CHINESE_ROWS]]
    rows[2][2] = "加油站"
    path = write_csv(tmp_path / "bad.csv", rows)
    result = runner.invoke(main, ["import", str(path), "--crs", "gcj02", "--db", db_url,
                                  "--skip-invalid", "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["created"] == 2 and report["invalid_rows"] == 1
    assert report["problems"][0]["row"] == 3 and report["problems"][0]["column"] == "站点类型"
    assert sorted(s.name for s in Registry(db_url).stations()) == sorted(
        [CHINESE_ROWS[0][1], CHINESE_ROWS[2][1]])


def test_dry_run_writes_nothing(runner, db_url, union_csv):
    result = runner.invoke(main, ["import", str(union_csv), "--crs", "gcj02", "--db", db_url,
                                  "--dry-run"])
    assert result.exit_code == 0 and "nothing written" in result.output
    assert Registry(db_url).stations() == []


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".geojson", ".gpkg"])
def test_export_then_import_reproduces_the_registry(runner, db_url, union_csv, tmp_path, suffix):
    runner.invoke(main, ["import", str(union_csv), "--crs", "gcj02", "--db", db_url])
    before = Registry(db_url).stations()
    out = tmp_path / f"export{suffix}"
    result = runner.invoke(main, ["export", str(out), "--db", db_url])
    assert result.exit_code == 0 and "3 stations" in result.output
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert runner.invoke(main, ["import", str(out), "--db", other]).exit_code == 0
    after = Registry(other).stations()
    assert [s.id for s in after] == [s.id for s in before]
    for a, b in zip(before, after, strict=True):
        assert abs(a.lon - b.lon) < 1e-6 and abs(a.lat - b.lat) < 1e-6
        assert a.replace(lon=b.lon, lat=b.lat) == b


def test_export_filters_by_kind(runner, db_url, union_csv, tmp_path):
    runner.invoke(main, ["import", str(union_csv), "--crs", "gcj02", "--db", db_url])
    out = tmp_path / "drivers.geojson"
    runner.invoke(main, ["export", str(out), "--db", db_url, "--kind", "driver_home"])
    features = json.loads(out.read_text("utf-8"))["features"]
    assert [f["properties"]["name"] for f in features] == ["京藏高速司机之家"]


def test_bad_usage_exits_2(runner, db_url, union_csv, tmp_path):
    assert runner.invoke(main, ["import", str(union_csv), "--crs", "mars"]).exit_code == 2
    result = runner.invoke(main, ["import", str(tmp_path / "list.txt"), "--db", db_url])
    assert result.exit_code == 2 and "unknown file type" in result.stderr
    missing = runner.invoke(main, ["import", str(tmp_path / "nope.csv"), "--db", db_url])
    assert missing.exit_code == 1 and "file not found" in missing.stderr


@pytest.fixture
def two_cities(tmp_path, monkeypatch):
    """A list with a station in Helsinki (row 2) and one in Chengdu (row 3); neither
    $YIZHAN_BOUNDS nor its former name $YIZHAN_REGION set."""
    monkeypatch.delenv("YIZHAN_BOUNDS", raising=False)
    monkeypatch.delenv("YIZHAN_REGION", raising=False)
    rows = [["id", "name", "kind", "lon", "lat"],
            ["h1", "Rautatientori", "工会驿站", "24.94", "60.17"],
            ["c1", "天府广场驿站", "工会驿站", "104.066", "30.657"]]
    return write_csv(tmp_path / "list.csv", rows, encoding="utf-8")


def test_the_bounds_flag_rows_outside_them(runner, db_url, two_cities, monkeypatch):
    refused = runner.invoke(main, ["import", str(two_cities), "--db", db_url])
    assert refused.exit_code == 1
    assert "row 2, column 'lon'" in refused.stderr and "outside China" in refused.stderr
    assert runner.invoke(main, ["import", str(two_cities), "--db", db_url,
                                "--bounds", "any"]).exit_code == 0
    box = runner.invoke(main, ["import", str(two_cities), "--db", db_url, "--dry-run",
                               "--bounds", "20,55,30,65"])
    assert box.exit_code == 1 and "row 3, column 'lon'" in box.stderr
    monkeypatch.setenv("YIZHAN_BOUNDS", "mars")
    bad = runner.invoke(main, ["import", str(two_cities), "--db", db_url])
    assert bad.exit_code == 2 and "region" in bad.stderr
    monkeypatch.setenv("YIZHAN_BOUNDS", "any")
    assert runner.invoke(main, ["import", str(two_cities), "--db", db_url]).exit_code == 0


@pytest.mark.parametrize("value", ["mars", "30,20,10,0"])
def test_bad_bounds_are_a_usage_error_naming_the_option(runner, db_url, two_cities, value):
    result = runner.invoke(main, ["import", str(two_cities), "--db", db_url, "--bounds", value])
    assert result.exit_code == 2
    assert "Invalid value for --bounds" in result.stderr and "`region`" not in result.stderr


def test_the_former_region_option_still_works_with_a_note(runner, db_url, two_cities):
    shown = runner.invoke(main, ["import", "--help"]).stdout
    assert "--bounds" in shown and "--region" not in shown and "YIZHAN_REGION" not in shown
    result = runner.invoke(main, ["import", str(two_cities), "--db", db_url, "--region", "any"])
    assert result.exit_code == 0, result.output
    assert "Note: --region is deprecated; use --bounds." in result.stderr
    both = runner.invoke(main, ["import", str(two_cities), "--db", db_url, "--dry-run",
                                "--region", "any", "--bounds", "china"])
    assert both.exit_code == 1  # --bounds wins
    zh = runner.invoke(main, ["--lang", "zh", "import", str(two_cities), "--db", db_url,
                              "--region", "any"])
    assert zh.exit_code == 0 and "注意：--region 已弃用，请改用 --bounds。" in zh.stderr


def test_the_former_environment_variable_is_still_read(runner, db_url, two_cities, monkeypatch):
    """$YIZHAN_REGION counts when $YIZHAN_BOUNDS is not set, with a note; $YIZHAN_BOUNDS wins."""
    monkeypatch.setenv("YIZHAN_REGION", "any")
    result = runner.invoke(main, ["import", str(two_cities), "--db", db_url, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Note: $YIZHAN_REGION is deprecated; use $YIZHAN_BOUNDS." in result.stderr
    monkeypatch.setenv("YIZHAN_BOUNDS", "china")
    newer = runner.invoke(main, ["import", str(two_cities), "--db", db_url, "--dry-run"])
    assert newer.exit_code == 1 and "deprecated" not in newer.stderr
    given = runner.invoke(main, ["import", str(two_cities), "--db", db_url, "--dry-run",
                                 "--bounds", "any"])
    assert given.exit_code == 0 and "deprecated" not in given.stderr


# --- exports in Chinese, kinds in Chinese ---------------------------------------------------------

@pytest.mark.parametrize("name, options", [
    ("驿站.csv", []), ("驿站-gbk.csv", ["--encoding", "gbk"]), ("驿站.xlsx", []),
])
def test_export_in_chinese_reimports_to_the_same_stations(runner, db_url, tmp_path, name,
                                                          options):
    from tests.geo.io.test_stations import union_stations

    stations = union_stations()  # every demo kind, services and hours; formula-like names
    Registry(db_url).upsert(stations, source="test")
    before = Registry(db_url).stations()
    out = tmp_path / name
    result = runner.invoke(main, ["export", str(out), "--db", db_url, "--lang", "zh",
                                  "--crs", "gcj02", *options])
    assert result.exit_code == 0, result.output
    assert f"Wrote {len(stations)} stations" in result.output
    if out.suffix == ".csv":
        text = out.read_bytes().decode("gbk" if options else "utf-8-sig")
        assert text.startswith("编号,站点名称,站点类型,经度,纬度,地址,服务项目,开放时间,容量")
        assert "周一至周五 9:00-17:00" in text and "每天 8:00-22:00" in text and "全天" in text
        assert "司机之家" in text and "休息、" in text and "'=HYPERLINK" in text
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    again = runner.invoke(main, ["import", str(out), "--crs", "gcj02", "--db", other])
    assert again.exit_code == 0, again.output
    after = Registry(other).stations()
    assert [s.id for s in after] == [s.id for s in before]
    for a, b in zip(before, after, strict=True):
        assert abs(a.lon - b.lon) < 1e-6 and abs(a.lat - b.lat) < 1e-6
        assert a.replace(lon=b.lon, lat=b.lat) == b


@pytest.mark.parametrize("kind, names", [
    ("司机之家", ["京藏高速司机之家"]),
    ("环卫驿站", ["建国门环卫驿站"]),
    ("户外劳动者驿站", ["朝阳区三里屯工会驿站"]),
    ("driver_home", ["京藏高速司机之家"]),
])
def test_export_kind_in_chinese(runner, db_url, union_csv, tmp_path, kind, names):
    runner.invoke(main, ["import", str(union_csv), "--crs", "gcj02", "--db", db_url])
    out = tmp_path / "some.geojson"
    result = runner.invoke(main, ["export", str(out), "--db", db_url, "--kind", kind])
    assert result.exit_code == 0, result.output
    features = json.loads(out.read_text("utf-8"))["features"]
    assert [f["properties"]["name"] for f in features] == names


def test_export_bad_lang_and_encoding(runner, db_url, tmp_path):
    bad = runner.invoke(main, ["export", str(tmp_path / "x.csv"), "--db", db_url,
                               "--lang", "fr"])
    assert bad.exit_code == 2 and "--lang" in bad.stderr
    xlsx = runner.invoke(main, ["export", str(tmp_path / "x.xlsx"), "--db", db_url,
                                "--encoding", "gbk"])
    assert xlsx.exit_code == 2 and "--encoding" in xlsx.stderr and ".csv" in xlsx.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_export_gbk_names_the_character_it_cannot_write(runner, db_url, tmp_path):
    from geo.stations import Station

    Registry(db_url).upsert([Station(id="x", name="𠀀驿站", kind="driver_home", lon=104.0,
                                     lat=30.6)], source="test")
    result = runner.invoke(main, ["export", str(tmp_path / "x.csv"), "--db", db_url,
                                  "--lang", "zh", "--encoding", "gbk"])
    assert result.exit_code == 2 and "gb18030" in result.stderr and "𠀀" in result.stderr


def test_every_limit_says_itself_in_chinese(tmp_path):
    """Each problem of the import limits is a keyed message: the English template gives the
    library's English, the Chinese one another text."""
    from app.lang import say_message
    from app.pages import catalogue
    from geo.errors import Message
    from geo.io.stations import read_stations
    from tests.geo.io.test_station_limits import BAD, cells, good_row
    from tests.geo.io.test_station_limits import write_csv as write_rows

    rows = [cells(good_row(i) | {column: value}) for i, (column, value, _) in enumerate(BAD)]
    rows.append(cells(good_row(99) | {"lon": "24.94", "lat": "60.17"}))
    rows.append(cells(good_row(98) | {"lon": "43.8", "lat": "87.6"}))
    problems = read_stations(write_rows(tmp_path / "bad.csv", rows), region="china").problems
    keyed = [p.message for p in problems if isinstance(p.message, Message)]
    assert {m.key for m in keyed} >= {"id_too_long", "id_chars", "id_dot", "text_too_long",
                                      "text_controls", "capacity_range", "outside_region",
                                      "outside_region_swapped"}
    for message in keyed:
        assert catalogue("en")["errors"][message.key].format(**message.params) == message
        assert say_message(message, "zh") != message


# --- text that cannot be written ------------------------------------------------------------------

@pytest.mark.parametrize("language, said", [
    ("en", "GBK cannot write '𠮷' (U+20BB7), '😀' (U+1F600): the first in row 3, column "
           "'管理单位' ('𠮷野家'); use gb18030 or utf-8"),
    ("zh", "GBK 编码无法写入 '𠮷' (U+20BB7), '😀' (U+1F600)：第一处在第 3 行“管理单位”列"
           "（'𠮷野家'）；请改用 gb18030 或 utf-8 编码"),
], ids=["en", "zh"])
def test_export_gbk_names_the_characters_in_both_languages(runner, db_url, tmp_path, language,
                                                           said):
    """A station without a capacity (an empty number) beside one GBK cannot write ended in an
    AttributeError traceback instead of this message."""
    from geo.stations import Station

    Registry(db_url).upsert([
        Station(id="a1", name="春熙路驿站", kind="driver_home", lon=104.06, lat=30.66, capacity=5),
        Station(id="a2", name="天府驿站", kind="driver_home", lon=104.07, lat=30.66,
                operator="𠮷野家"),
        Station(id="a3", name="😀", kind="driver_home", lon=104.08, lat=30.66)], source="test")
    out = tmp_path / "x.csv"
    result = runner.invoke(main, ["--lang", language, "export", str(out), "--db", db_url,
                                  "--lang", "zh", "--encoding", "gbk"])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert said in result.stderr and not out.exists()
    again = runner.invoke(main, ["export", str(out), "--db", db_url, "--lang", "zh",
                                 "--encoding", "gb18030"])
    assert again.exit_code == 0 and "𠮷野家" in out.read_bytes().decode("gb18030")


def put_text_straight_in(db_url: str, station_id: str, **fields) -> None:
    """Text written into the stations table by hand, as a database made before the text policy
    may hold it."""
    import sqlite3

    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as db:
        for field, value in fields.items():
            db.execute(f"UPDATE stations SET {field} = ? WHERE id = ?", (value, station_id))


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".geojson"])
@pytest.mark.parametrize("language, lines", [
    ("en", ["station 'B02', name: the name holds U+FFFF, which no stored text may hold",
            "station 'B03', notes: the notes holds U+0000, U+202E, which no stored text",
            "Nothing was written to"]),
    ("zh", ["站点 'B02'，站点名称：name 含有无法保存的字符 U+FFFF",
            "站点 'B03'，备注：notes 含有无法保存的字符 U+0000, U+202E", "未写入"]),
], ids=["en", "zh"])
def test_export_of_an_older_registry_names_each_station_and_field(runner, db_url, union_csv,
                                                                  tmp_path, suffix, language,
                                                                  lines):
    """A registry holding U+FFFF wrote an XLSX that neither Excel nor openpyxl opens: now
    nothing is written, each station and field is named, and once corrected it exports and
    reads back."""
    runner.invoke(main, ["import", str(union_csv), "--crs", "gcj02", "--db", db_url])
    put_text_straight_in(db_url, "B02", name="建国门\uffff环卫驿站")
    put_text_straight_in(db_url, "B03", notes="货车\x00停车位\u202e")
    out = tmp_path / f"x{suffix}"
    result = runner.invoke(main, ["--lang", language, "export", str(out), "--db", db_url])
    assert result.exit_code == 1, result.output
    for line in lines:
        assert line in result.stderr
    assert not out.exists()
    put_text_straight_in(db_url, "B02", name="建国门环卫驿站")
    put_text_straight_in(db_url, "B03", notes="货车停车位")
    assert runner.invoke(main, ["export", str(out), "--db", db_url]).exit_code == 0
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert runner.invoke(main, ["import", str(out), "--db", other]).exit_code == 0
    assert [s.name for s in Registry(other).stations()] == [
        s.name for s in Registry(db_url).stations()]


def test_every_new_message_says_itself_in_both_languages(tmp_path):
    """The English template of each keyed message gives the library's English; the Chinese
    one another text."""
    import pandas as pd

    from app.lang import catalogue, say_message
    from geo.errors import InputError, message_of
    from geo.io.sheets import csv_bytes, xlsx_bytes
    from geo.io.stations import write_stations
    from geo.stations import Station

    frame = pd.DataFrame({"名称": ["𠮷"]})
    raised = []
    for call in (lambda: csv_bytes(frame, encoding="gbk"),
                 lambda: xlsx_bytes(pd.DataFrame({"名称": ["\uffff"]}), sheet="s"),
                 lambda: write_stations([Station(id="B02", name="x\u202e", kind="driver_home",
                                                 lon=104.0, lat=30.6)], tmp_path / "out.csv")):
        with pytest.raises(InputError) as caught:
            call()
        raised.append(message_of(caught.value))
    assert [m.key for m in raised] == ["csv_unencodable", "xlsx_unwritable", "export_unreadable"]
    for message in raised:
        assert catalogue("en")["errors"][message.key].format(**message.params) == message
        assert say_message(message, "zh") != message


@pytest.mark.parametrize("language, said", [
    ("en", "row 2, column 'name': the name holds U+D800, which no stored text may hold"),
    ("zh", "第 2 行，列“name”：name 含有无法保存的字符 U+D800"),
], ids=["en", "zh"])
def test_import_of_a_lone_surrogate_is_a_problem_of_its_row(runner, db_url, tmp_path, language,
                                                            said):
    """JSON can carry "\\ud800", which GDAL read as U+FFFD: the station was imported changed."""
    path = tmp_path / "list.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.06 + i / 100, 30.66]},
         "properties": {"name": name, "kind": "司机之家"}}
        for i, name in enumerate(["春熙路驿站", "天府\ud800驿站"])]}), encoding="ascii")
    result = runner.invoke(main, ["--lang", language, "import", str(path), "--db", db_url])
    assert result.exit_code == 1, result.output
    assert said in result.stderr
    assert Registry(db_url).stations() == []


# --- lists as offices keep them ------------------------------------------------------------------

def test_import_the_county_list_from_amap_with_a_default_kind(runner, db_url, tmp_path):
    from tests.geo.io.office_lists import write_county

    path = write_county(tmp_path / "舒城县驿站.csv")
    result = runner.invoke(main, ["import", str(path), "--kind", "工会驿站", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "24 new" in result.output
    assert "Note: the position is read from 'wgs84_lon' and 'wgs84_lat' as WGS-84" in \
        result.output
    assert "Note: the kind of 12 row(s) was read from the station's name" in result.output
    kinds = [s.kind for s in Registry(db_url).stations()]
    assert kinds.count("outdoor_rest_point") == 18 and kinds.count("driver_home") == 2


def test_import_the_city_list_reports_its_warnings_in_chinese(runner, db_url, tmp_path):
    from tests.geo.io.office_lists import write_city

    path = write_city(tmp_path / "合肥市驿站名单.csv")
    result = runner.invoke(main, ["--lang", "zh", "import", str(path), "--kind",
                                  "outdoor_rest_point", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "新增 82 个" in result.output
    assert "提示：有 6 个服务词不在服务词表中，已按原文保留：“一台冰箱”（11 行）" in result.output
    assert "提示：有 20 行的开放时间无法识别，已原样记入备注" in result.output
    assert "位置取自“高德经度”和“高德纬度”两列，按 GCJ-02（高德、腾讯） 坐标读取" in result.output
    report = json.loads(runner.invoke(main, ["import", str(path), "--kind", "工会驿站",
                                             "--db", db_url, "--json"]).output)
    assert report["unchanged"] == 82 and report["crs"] == "gcj02"
    assert {w["key"] for w in report["warnings"]} == {
        "coordinates_used", "services_kept", "hours_kept", "kind_inferred", "kind_default"}
    stored = Registry(db_url).stations()
    assert sum("母婴室" in s.other_services for s in stored) == 10


def test_kept_words_survive_export_and_reimport(runner, db_url, tmp_path):
    from tests.geo.io.office_lists import write_city

    runner.invoke(main, ["import", str(write_city(tmp_path / "city.csv")), "--kind",
                         "工会驿站", "--db", db_url])
    before = {s.id: s for s in Registry(db_url).stations()}
    for n in range(2):  # the first round writes positions to 7 decimals; the second changes none
        out = tmp_path / f"out{n}.xlsx"
        assert runner.invoke(main, ["export", str(out), "--lang", "zh", "--db",
                                    db_url]).exit_code == 0
        report = json.loads(runner.invoke(main, ["import", str(out), "--db", db_url,
                                                 "--json"]).output)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 82)
    after = {s.id: s for s in Registry(db_url).stations()}
    assert {i: (s.services, s.other_services, s.hours, s.notes) for i, s in after.items()} == {
        i: (s.services, s.other_services, s.hours, s.notes) for i, s in before.items()}
    assert not [w for w in report["warnings"] if w["key"] in ("hours_kept", "kind_default")]


def test_rows_without_a_kind_say_how_to_give_one(runner, db_url, tmp_path):
    from tests.geo.io.office_lists import write_county

    path = write_county(tmp_path / "county.csv")
    result = runner.invoke(main, ["import", str(path), "--db", db_url])
    assert result.exit_code == 1
    assert "missing column(s) kind" in result.stderr and "--kind" in result.stderr
    zh = runner.invoke(main, ["--lang", "zh", "import", str(path), "--db", db_url])
    assert "缺少列：站点类型（可用的标题：站点类型：kind、类型" in zh.stderr
    assert "用 --kind 指定" in zh.stderr


def test_the_missing_column_message_in_chinese_names_the_columns_as_offices_do(runner, db_url,
                                                                             tmp_path):
    path = write_csv(tmp_path / "m.csv", [["名称", "地址"], ["甲", "某路"]])
    result = runner.invoke(main, ["--lang", "zh", "import", str(path), "--db", db_url])
    assert result.exit_code == 1
    assert "缺少列：站点类型、经度、纬度" in result.stderr
    assert "kind, lon, lat" not in result.stderr


def test_an_unknown_default_kind_is_a_usage_error(runner, db_url, union_csv):
    result = runner.invoke(main, ["import", str(union_csv), "--kind", "加油站", "--db", db_url])
    assert result.exit_code == 2 and "--kind" in result.output
