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
    for a, b in zip(before, after):
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
