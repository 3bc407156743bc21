"""A siting proposal as files for a union office: Chinese headers (`lang=zh`), GCJ-02/BD-09
coordinates (`yizhan plan --output-crs`), and cells a spreadsheet would run written as text."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from app import create_app
from app.cli import main
from geo import coords
from geo.errors import InputError
from geo.output.plan import PROPOSAL_ZH, proposal_file, proposal_table
from tests.app.conftest import add_account, assert_error, copy_db, sign_in

QUERY = {"kind": "sanitation_station", "add": "2", "minutes": "4"}
ZH_START = ["排名", "编号", "名称", "经度", "纬度", "来源", "成本", "新覆盖人数"]


@pytest.fixture(scope="module")
def app(demo, tmp_path_factory):
    """The web app on the demo region (a copy of its registry, with a planner account:
    proposals are for planners)."""
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                      "DB_URL": copy_db(demo, tmp_path_factory.mktemp("proposals"))})
    add_account(app)
    return app


@pytest.fixture(scope="module")
def client(app):
    return sign_in(app)


@pytest.fixture(scope="module")
def english(client):
    response = client.get("/api/plan/proposal.csv", query_string=QUERY)
    assert response.status_code == 200, response.get_data(as_text=True)
    return pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig")


def test_csv_in_chinese(client, english):
    response = client.get("/api/plan/proposal.csv", query_string={**QUERY, "lang": "zh"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.data.startswith("\ufeff".encode("utf-8"))
    assert 'yizhan-plan-sanitation_station-2-zh.csv' in response.headers["Content-Disposition"]
    table = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig")
    assert list(table.columns[:8]) == ZH_START
    assert "新覆盖·环卫工人" in table.columns
    assert table["编号"].tolist() == english["id"].tolist()
    assert table["经度"].tolist() == english["lon"].tolist()
    assert table["新覆盖人数"].tolist() == english["newly_covered"].tolist()
    assert set(table["来源"]) == {"覆盖缺口"}


def test_xlsx_and_geojson_in_chinese(client, english):
    data = client.get("/api/plan/proposal.xlsx", query_string={**QUERY, "lang": "zh"}).data
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["选址方案"]
    rows = list(book["选址方案"].iter_rows(values_only=True))
    assert list(rows[0][:8]) == ZH_START and len(rows) == len(english) + 1
    assert [r[1] for r in rows[1:]] == english["id"].tolist()
    collection = json.loads(client.get("/api/plan/proposal.geojson",
                                       query_string={**QUERY, "lang": "zh"}).data)
    first = collection["features"][0]
    assert first["properties"]["编号"] == english["id"][0]
    assert first["geometry"]["coordinates"] == [english["lon"][0], english["lat"][0]]


def test_english_stays_the_default(client, english):
    assert list(english.columns[:5]) == ["rank", "id", "name", "lon", "lat"]
    for lang in ("en", ""):  # an empty parameter is an absent one, as everywhere in the API
        response = client.get("/api/plan/proposal.csv", query_string={**QUERY, "lang": lang})
        assert response.data.decode("utf-8-sig").startswith("rank,id,name,lon,lat")


@pytest.mark.parametrize("lang", ["fr", "ZH", "chinese"])
def test_bad_lang_is_400(client, lang):
    assert_error(client.get("/api/plan/proposal.csv", query_string={**QUERY, "lang": lang}),
                 400, "lang")


def test_openapi_documents_lang(client):
    spec = client.get("/api/openapi.json").get_json()
    parameters = spec["paths"]["/api/plan/proposal.{fmt}"]["get"]["parameters"]
    lang = next(p for p in parameters if p["name"] == "lang")
    assert lang["in"] == "query" and not lang.get("required")
    assert lang["schema"]["enum"] == ["en", "zh", ""]  # empty: the default
    assert lang["schema"]["default"] == "en"


# --- the files themselves, on a hand-made proposal in Chengdu ------------------------------------

def chengdu_plan(**names):
    sites = pd.DataFrame({
        "rank": [1, 2, 3], "id": ["g1", "-2", "osm-3"],
        "name": [names.get("name", "春熙路"), "+1+1", "@SUM(1)"],
        "lon": [104.0817, 104.0665, 104.0501], "lat": [30.6571, 30.5728, 30.6601],
        "source": ["gap", "file", "osm:bank"], "cost": [1.0, float("nan"), 2.0],
        "newly_covered": [12.5, 3.0, 0.0], "new_delivery_rider": [12.5, 1.0, 0.0],
        "new_sanitation_worker": [0.0, 2.0, 0.0],
    })
    return SimpleNamespace(sites=sites)


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_coordinates_for_amap_and_baidu(crs):
    p = chengdu_plan()
    table = proposal_table(p, crs=crs)
    assert list(table.columns[:6]) == ["rank", "id", "name", "lon", "lat", "crs"]
    assert set(table["crs"]) == {{"gcj02": "GCJ-02", "bd09": "BD-09"}[crs]}
    lon, lat = coords.from_wgs84(p.sites["lon"].to_numpy(), p.sites["lat"].to_numpy(), crs)
    assert table["lon"].tolist() == pytest.approx(lon, abs=1e-7)
    assert table["lat"].tolist() == pytest.approx(lat, abs=1e-7)
    back = coords.to_wgs84(table["lon"].to_numpy(), table["lat"].to_numpy(), crs)
    for a, b, x, y in zip(*back, p.sites["lon"], p.sites["lat"], strict=True):
        assert coords.haversine_m(a, b, x, y) < 0.05
    # Amap's shift in Chengdu is a few hundred metres
    assert coords.haversine_m(table["lon"][0], table["lat"][0], 104.0817, 30.6571) > 100
    zh = proposal_table(p, crs=crs, lang="zh")
    assert list(zh.columns[:6]) == ["排名", "编号", "名称", "经度", "纬度", "坐标系"]
    assert p.sites["lon"][0] == 104.0817  # the plan itself is untouched


def test_chinese_headers_and_sources():
    zh = proposal_table(chengdu_plan(), lang="zh")
    assert list(zh.columns) == [*ZH_START, "新覆盖·外卖骑手/快递员", "新覆盖·环卫工人"]
    assert zh["来源"].tolist() == ["覆盖缺口", "候选点文件", "OpenStreetMap 场所（bank）"]
    assert set(PROPOSAL_ZH.values()) >= set(ZH_START)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_formula_like_cells_are_text(lang):
    p = chengdu_plan(name='=HYPERLINK("http://x","y")')
    text = proposal_file(p, "csv", lang=lang).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for r in rows[1:] for c in r]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells and "'+1+1" in cells
    assert "'@SUM(1)" in cells and "'-2" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]
    assert rows[1][3] == "104.0817"  # numbers stay numbers
    book = openpyxl.load_workbook(io.BytesIO(proposal_file(p, "xlsx", lang=lang)))
    cells = {c.value: c for row in book.active.iter_rows() for c in row}
    assert cells['=HYPERLINK("http://x","y")'].data_type == "s"
    assert cells['=HYPERLINK("http://x","y")'].quotePrefix
    assert cells[104.0817].data_type == "n"


def test_bad_arguments():
    p = chengdu_plan()
    with pytest.raises(InputError, match="GeoJSON is always WGS-84"):
        proposal_file(p, "geojson", crs="gcj02")
    with pytest.raises(InputError, match="`lang` was 'fr'"):
        proposal_file(p, "csv", lang="fr")
    with pytest.raises(InputError, match="`crs` was 'mars'"):
        proposal_file(p, "csv", crs="mars")
    with pytest.raises(InputError, match="`fmt` was 'pdf'"):
        proposal_file(p, "pdf")


# --- yizhan plan -o DIR --output-crs gcj02 -------------------------------------------------------

def test_plan_writes_the_proposal_in_gcj02(runner, demo, tmp_path):
    nets = [a for mode in ("walk", "ebike", "drive")
            for a in ("--network", str(demo.network_path(mode)))]
    out = tmp_path / "plan"
    result = runner.invoke(main, ["plan", *nets, "--db", demo.db_url, "--demand",
                                  str(demo.demand_path), "--minutes", "3", "--kind", "环卫驿站",
                                  "--add", "2", "--output-crs", "gcj02", "-o", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("proposal-gcj02.csv", "proposal-gcj02.xlsx", "proposal.geojson"):
        assert (out / name).exists(), name
    assert not (out / "proposal.csv").exists()
    table = pd.read_csv(out / "proposal-gcj02.csv", encoding="utf-8-sig")
    assert set(table["crs"]) == {"GCJ-02"} and len(table) == 2
    features = json.loads((out / "proposal.geojson").read_text("utf-8"))["features"]
    wgs = [f["geometry"]["coordinates"] for f in features]
    expected = [coords.from_wgs84(x, y, "gcj02") for x, y in wgs]
    assert table["lon"].tolist() == pytest.approx([float(x) for x, _ in expected], abs=1e-7)
    assert table["lat"].tolist() == pytest.approx([float(y) for _, y in expected], abs=1e-7)
    sheet = pd.read_excel(out / "proposal-gcj02.xlsx")
    assert sheet["id"].tolist() == table["id"].tolist()
