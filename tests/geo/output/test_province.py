"""The province summary of a batch, written from hand-made region records (no cluster): the
tables, the chart and the offline overview map."""

from __future__ import annotations

import json
import re
from datetime import date

import openpyxl
import pandas as pd
import pytest

from geo.batch import BatchOptions
from geo.output.province import SUMMARY_HEADERS, province_map, summary_table, write_summary


def ok_record(name: str, west: float, uncovered: float) -> dict:
    """A finished region: two groups, a square outline at ``west`` (EPSG:4326)."""
    groups = {"sanitation_worker": {"share": 1 - uncovered / 100, "covered": 100 - uncovered,
                                    "uncovered": uncovered, "total": 100.0},
              "delivery_rider": {"share": 0.5, "covered": 20.0, "uncovered": 20.0,
                                 "total": 40.0}}
    ring = [[west, 30.0], [west + 0.1, 30.0], [west + 0.1, 30.1], [west, 30.1], [west, 30.0]]
    entry = {"name": name, "status": "ok", "groups": groups, "stations": 7, "gap_areas": 2,
             "plan": {"new_stations": 3}}
    return {"entry": entry, "outline": ring}


FAILED = {"entry": {"name": "坏数据", "status": "failed", "error": "DataFileError: bad.csv, row 2",
                    "groups": {}}, "outline": None}


@pytest.fixture
def records():
    return [ok_record("成都", 104.0, 30.0), ok_record("city <b>", 104.3, 60.0), FAILED]


def test_the_table_has_a_row_per_region_and_group(records):
    table = summary_table(r["entry"] for r in records)
    assert list(table.columns) == list(SUMMARY_HEADERS.values())
    assert len(table) == 2 + 2 + 1
    row = table[(table["地区 region"] == "成都") & (table["群体 group"] == "sanitation_worker")]
    assert row["未覆盖 uncovered"].item() == 30.0 and row["建议新建 new stations"].item() == 3
    assert row["群体名称 group name"].item() == "环卫工人"
    failed = table[table["地区 region"] == "坏数据"]
    assert failed["错误 error"].item().startswith("DataFileError")


def test_write_summary_writes_every_file(records, tmp_path):
    options = BatchOptions(by_hour=True, day=date(2026, 5, 1))
    files = write_summary(records, tmp_path, options)
    assert set(files) == {"json", "xlsx", "csv", "chart", "map"}
    document = json.loads(files["json"].read_text("utf-8"))
    assert (document["by_hour"], document["day"], document["at"]) == (True, "2026-05-01", None)
    assert (document["ok"], document["failed"]) == (2, 1)
    assert [e["name"] for e in document["regions"]] == ["成都", "city <b>", "坏数据"]
    table = pd.read_csv(files["csv"], encoding="utf-8-sig")
    assert len(table) == 5
    assert openpyxl.load_workbook(files["xlsx"]).active.title == "全省汇总 province"
    assert files["chart"].read_bytes()[:4] == b"\x89PNG"


def test_the_summary_without_options_counts_every_station_open(records, tmp_path):
    document = json.loads(write_summary(records, tmp_path)["json"].read_text("utf-8"))
    assert (document["at"], document["by_hour"], document["day"]) == (None, False, None)


def test_summary_table_keeps_formulas_as_text(tmp_path):
    entry = {"name": "=HYPERLINK(\"x\")", "status": "failed", "error": "+boom", "groups": {}}
    files = write_summary([{"entry": entry, "outline": None}], tmp_path)
    assert "'=HYPERLINK" in files["csv"].read_text("utf-8-sig")
    assert len(summary_table([entry])) == 1


def test_the_overview_links_each_region_and_names_the_failed(records, tmp_path):
    page = write_summary(records, tmp_path)["map"].read_text("utf-8")
    assert "https://" not in page and (tmp_path / "leaflet" / "leaflet.js").is_file()
    assert "%E6%88%90%E9%83%BD/coverage/coverage_map.html" in page  # 成都, quoted
    assert "city &lt;b&gt;" in page and "city <b>" not in page  # names are escaped
    assert "坏数据 (DataFileError: bad.csv, row 2)" in page


def test_the_overview_colours_regions_by_uncovered_share(records):
    page = province_map(records, inline=True).get_root().render()
    # 成都: 50 of 140 workers not covered; city <b>: 80 of 140
    assert "35.7%" in page and "57.1%" in page
    outlines = re.findall(r'return \{"color": "#([0-9a-f]{6})", "fillColor"', page)
    assert len(outlines) == 2  # the failed region has no outline
    (r1, g1), (r2, g2) = ((int(c[:2], 16), int(c[2:4], 16)) for c in outlines)
    assert r2 - g2 > r1 - g1  # the less covered region is redder


def test_an_overview_of_failed_regions_only(tmp_path):
    files = write_summary([FAILED], tmp_path)
    assert "坏数据" in files["map"].read_text("utf-8")
    assert files["chart"].read_bytes()[:4] == b"\x89PNG"
