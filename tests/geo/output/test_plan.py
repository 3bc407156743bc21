import io
import json

import openpyxl
import pandas as pd
import pytest

from geo.errors import InputError
from geo.output.plan import proposal_file, proposal_table, write_plan


def test_the_proposal_lists_the_chosen_sites(planned):
    plan = planned.plan
    table = proposal_table(plan)
    assert len(table) == len(plan.sites) >= 1
    zh = proposal_table(plan, lang="zh")
    assert len(zh.columns) == len(table.columns) and list(zh.columns) != list(table.columns)


@pytest.mark.parametrize("fmt", ["geojson", "csv", "xlsx"])
def test_every_format_holds_the_same_sites(planned, fmt):
    plan = planned.plan
    data = proposal_file(plan, fmt, lang="zh")
    if fmt == "geojson":
        rows = json.loads(data)["features"]
    elif fmt == "csv":
        rows = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig").to_dict("records")
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(plan.sites)


def test_gcj02_moves_the_sites_by_the_offset_and_geojson_stays_wgs84(planned):
    plan = planned.plan
    wgs = pd.read_csv(io.BytesIO(proposal_file(plan, "csv")), encoding="utf-8-sig")
    gcj = pd.read_csv(io.BytesIO(proposal_file(plan, "csv", crs="gcj02")), encoding="utf-8-sig")
    shift = (gcj["lon"] - wgs["lon"]).abs() + (gcj["lat"] - wgs["lat"]).abs()
    assert ((shift > 0.001) & (shift < 0.02)).all()  # 100-800 m in China
    with pytest.raises(InputError, match="GeoJSON is always WGS-84") as caught:
        proposal_file(plan, "geojson", crs="gcj02")
    assert caught.value.parameter == "crs"


def test_the_folder_holds_the_files_and_a_map(planned, city, tmp_path):
    nets, _, _ = city
    files = write_plan(planned.plan, tmp_path, network=nets["walk"])
    assert {"geojson", "csv", "xlsx", "map"} <= set(files)
    assert all(p.is_file() and p.stat().st_size > 0 for p in files.values())
