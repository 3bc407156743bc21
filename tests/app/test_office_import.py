"""Station lists in and out of the planner view: upload, preview with problems in their cells,
column mappings remembered per header set, default kind, coordinate systems, the monthly sync,
apply all or nothing with the file and the planner in the history, and the export."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from geo import coords, settings
from geo.io.stations import read_stations
from geo.registry import Registry
from geo.stations import Station
from tests.app.conftest import add_account, own_app, sign_in

OCTET = {"Content-Type": "application/octet-stream"}


@pytest.fixture
def office(demo, tmp_path):
    app = own_app(demo, tmp_path, IMPORT_DIR=tmp_path / "imports")
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def planner(office):
    client = sign_in(office)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    return client


def csv_bytes(rows: list[list], *, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def upload(client, data: bytes, name: str = "驿站.csv", **headers):
    return client.post(f"/api/imports?name={name}", data=data, headers={**OCTET, **headers})


def existing(app) -> list[Station]:
    return app.extensions["yizhan"].registry.stations()


def near(app, k: int = 0) -> tuple[float, float]:
    """A point beside demo station ``k`` (inside the deployment's bounds)."""
    s = existing(app)[k]
    return s.lon + 0.0003, s.lat + 0.0002


# --- upload -------------------------------------------------------------------------------------

def test_an_upload_is_previewed_with_its_rows_and_changes(office, planner):
    lon, lat = near(office)
    data = csv_bytes([["站点名称", "站点类型", "经度", "纬度"],
                      ["新驿站", "环卫驿站", lon, lat], ["另一站", "司机之家", lon + 0.001, lat]])
    answer = upload(planner, data)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["rows"] == 2 and body["valid"] == 2 and body["problem_count"] == 0
    assert body["changes"]["added"] == 2 and body["changes"]["closed"] == 0
    assert [r["cells"][0] for r in body["page_rows"]] == ["新驿站", "另一站"]
    assert body["points"][0] == pytest.approx([lon, lat])
    assert [h["field"] for h in body["headers"]] == ["name", "kind", "lon", "lat"]
    assert existing(office) and all(s.name != "新驿站" for s in existing(office))  # not yet


def test_every_problem_is_in_its_cell_in_the_planners_language(office, planner):
    lon, lat = near(office)
    data = csv_bytes([["站点名称", "站点类型", "经度", "纬度"],
                      ["好站", "环卫驿站", lon, lat], ["", "环卫驿站", lon, lat + 0.001],
                      ["坏坐标", "环卫驿站", "东经", lat]])
    body = upload(planner, data).get_json()
    assert body["problem_count"] == 2 and body["changes"] is None
    rows = {r["row"]: r["problems"] for r in body["page_rows"]}
    assert rows[2] == {} and set(rows[3]) == {"0"} and set(rows[4]) == {"2"}
    assert "东经" in rows[4]["2"] and "不是数字" in rows[4]["2"]
    english = upload(sign_in(office), data, **{"Accept-Language": "en"}).get_json()
    assert "is not a number" in english["problems"][1]["message"]
    only = planner.post(f"/api/imports/{body['upload_id']}/preview",
                        json={"only_problems": True}).get_json()
    assert [r["row"] for r in only["page_rows"]] == [3, 4]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "utf-16"])
def test_any_encoding_the_reader_takes(office, planner, encoding):
    lon, lat = near(office)
    data = csv_bytes([["站点名称", "站点类型", "经度", "纬度"], ["编码驿站", "环卫驿站", lon, lat]],
                     encoding=encoding)
    body = upload(planner, data).get_json()
    assert body["page_rows"][0]["cells"][0] == "编码驿站" and body["valid"] == 1


def test_a_file_in_no_encoding_is_a_clear_400_and_kept_nowhere(office, planner, tmp_path):
    answer = upload(planner, b"\xff\xfe\x00\xd8" * 3 + bytes(range(128, 256)) * 5)
    body = answer.get_json()
    assert answer.status_code == 400 and body["parameter"] == "file" and body["problems"]
    assert not any((tmp_path / "imports").iterdir())


@pytest.mark.parametrize("data, name, said", [
    (b"", "a.csv", "空"), (b"not a zip", "a.xlsx", "无法"), (b"{", "a.geojson", "无法"),
    (b"x" * 10, "a.gpkg", "无法"), (b"\n\n\n", "a.csv", "表")])
def test_broken_files_get_clear_answers(office, planner, data, name, said):
    answer = upload(planner, data, name)
    assert answer.status_code == 400 and said in answer.get_json()["error"]


def test_a_file_over_the_limit_is_a_413_in_both_languages(demo, tmp_path):
    app = own_app(demo, tmp_path, IMPORT_MAX_BYTES=1024, IMPORT_DIR=tmp_path / "i")
    client = sign_in(app)
    zh = upload(client, b"x" * 2048, **{"Accept-Language": "zh-CN"})
    en = upload(client, b"x" * 2048, **{"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 413
    assert "文件太大" in zh.get_json()["error"] and "too large" in en.get_json()["error"]
    assert not (tmp_path / "i").exists() or not any((tmp_path / "i").iterdir())


def test_a_50_mb_upload_is_refused_before_it_is_read(office, planner, tmp_path):
    answer = upload(planner, b"0" * (50 * 1024 * 1024))
    assert answer.status_code == 413 and "20 MB" in answer.get_json()["error"]


def test_uploads_are_for_planners_and_only_as_a_file_body(office, planner):
    anonymous = office.test_client()
    assert upload(anonymous, b"a,b\n1,2\n").status_code == 401
    form = planner.post("/api/imports?name=a.csv", data={"file": (io.BytesIO(b"a"), "a.csv")})
    assert form.status_code == 400 and form.get_json()["parameter"] == "body"
    plain = planner.post("/api/imports?name=a.csv", data=b"a,b", content_type="text/plain")
    assert plain.status_code == 400
    assert upload(planner, b"a,b\n", "a.exe").status_code == 400


def test_another_planners_upload_is_not_found(office, planner):
    lon, lat = near(office)
    body = upload(planner, csv_bytes([["名称", "类型", "经度", "纬度"],
                                      ["甲", "环卫驿站", lon, lat]])).get_json()
    add_account(office, "wang", password="other-password")
    other = sign_in(office, "wang", "other-password", address="10.1.1.1")
    for step in ("preview", "apply"):
        assert other.post(f"/api/imports/{body['upload_id']}/{step}", json={}).status_code == 404


# --- mapping, default kind ---------------------------------------------------------------------

def test_unknown_headers_are_mapped_and_remembered_for_the_same_header_set(office, planner):
    lon, lat = near(office)
    data = csv_bytes([["驿站叫啥", "X坐标", "Y坐标", "类型"], ["映射站", lon, lat, "环卫驿站"]])
    first = upload(planner, data).get_json()
    assert set(first["missing"]) == {"name", "lon", "lat"} and first["changes"] is None
    assert not any(h["known"] for h in first["headers"][:3])
    mapping = {"驿站叫啥": "name", "X坐标": "lon", "Y坐标": "lat"}
    mapped = planner.post(f"/api/imports/{first['upload_id']}/preview",
                          json={"columns": mapping}).get_json()
    assert mapped["missing"] == [] and mapped["valid"] == 1, mapped["problems"]
    applied = planner.post(f"/api/imports/{first['upload_id']}/apply",
                           json={"columns": mapping})
    assert applied.status_code == 200 and applied.get_json()["added"] == 1
    # the same headers in another order and case: the mapping comes with the upload
    again = csv_bytes([["类型", "x坐标", "驿站叫啥", "Y坐标"], ["环卫驿站", lon, "映射站", lat]])
    second = upload(planner, again).get_json()
    assert second["remembered"] is True and second["missing"] == []
    assert second["changes"]["unchanged"] == 1


def test_a_default_kind_fills_rows_without_one(office, planner):
    lon, lat = near(office)
    data = csv_bytes([["站点名称", "经度", "纬度", "类型"], ["无类型站", lon, lat, ""],
                      ["有类型站", lon + 0.001, lat, "司机之家"]])
    bad = upload(planner, data).get_json()
    assert bad["problem_count"] >= 1
    good = planner.post(f"/api/imports/{bad['upload_id']}/preview",
                        json={"kind": "sanitation_station"}).get_json()
    assert good["problem_count"] == 0, good["problems"]
    planner.post(f"/api/imports/{bad['upload_id']}/apply", json={"kind": "sanitation_station"})
    kinds = {s.name: s.kind for s in existing(office)}
    assert kinds["无类型站"] == "sanitation_station" and kinds["有类型站"] == "driver_home"


# --- apply --------------------------------------------------------------------------------------

def test_apply_writes_all_and_records_the_file_and_the_planner(office, planner):
    lon, lat = near(office)
    body = upload(planner, csv_bytes([["站点名称", "站点类型", "经度", "纬度"],
                                      ["史站", "环卫驿站", lon, lat]]), "三月名单.csv").get_json()
    answer = planner.post(f"/api/imports/{body['upload_id']}/apply", json={})
    assert answer.status_code == 200
    result = answer.get_json()
    assert result["added"] == 1 and result["actor"] == "li.ming"
    assert result["source"] == "import 三月名单.csv"
    new = next(s for s in existing(office) if s.name == "史站")
    entry = office.extensions["yizhan"].registry.history(new.id)[-1]
    assert entry["source"] == "import 三月名单.csv" and entry["actor"] == "li.ming"
    again = planner.post(f"/api/imports/{body['upload_id']}/apply", json={})
    assert again.status_code == 404  # an applied upload is gone


def test_a_file_with_any_problem_writes_nothing(office, planner):
    lon, lat = near(office)
    before = Registry(office.config["DB_URL"]).version()
    body = upload(planner, csv_bytes([["站点名称", "站点类型", "经度", "纬度"],
                                      ["好站", "环卫驿站", lon, lat],
                                      ["没坐标", "环卫驿站", "", ""]])).get_json()
    answer = planner.post(f"/api/imports/{body['upload_id']}/apply", json={})
    assert answer.status_code == 409
    problems = answer.get_json()["problems"]
    assert problems[0]["row"] == 3 and problems[0]["column"] in ("经度", "纬度")
    assert Registry(office.config["DB_URL"]).version() == before


def test_a_list_without_coordinate_columns_cannot_be_applied(office, planner):
    body = upload(planner, csv_bytes([["站点名称", "站点类型", "地址"],
                                      ["甲", "环卫驿站", "某路"]])).get_json()
    assert set(body["missing"]) == {"lon", "lat"}
    answer = planner.post(f"/api/imports/{body['upload_id']}/apply", json={})
    assert answer.status_code == 409 and "经度" in answer.get_json()["error"]


def test_the_monthly_sync_lists_and_closes_the_operators_missing_stations(office, planner):
    registry = office.extensions["yizhan"].registry
    stations = existing(office)[:3]
    ours = [s.replace(operator="某区总工会") for s in stations]
    registry.upsert(ours, source="test")
    keep = ours[0]
    rows = [["编号", "站点名称", "站点类型", "经度", "纬度", "管理单位"],
            [keep.id, keep.name, "环卫驿站", keep.lon, keep.lat, "某区总工会"]]
    body = upload(planner, csv_bytes(rows)).get_json()
    plain = body["changes"]
    assert plain["closed"] == 0
    synced = planner.post(f"/api/imports/{body['upload_id']}/preview",
                          json={"sync": True}).get_json()["changes"]
    assert synced["closed"] == 2
    assert {c["id"] for c in synced["closing"]} == {ours[1].id, ours[2].id}
    result = planner.post(f"/api/imports/{body['upload_id']}/apply",
                          json={"sync": True}).get_json()
    assert result["closed"] == 2
    open_ids = {s.id for s in existing(office)}
    assert keep.id in open_ids and ours[1].id not in open_ids and ours[2].id not in open_ids
    closes = [h for h in registry.history(ours[1].id) if h["action"] == "delete"]
    assert closes and closes[-1]["actor"] == "li.ming"


def test_closing_in_a_staged_import_is_all_or_nothing(tmp_path, monkeypatch):
    registry = Registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    stations = [Station(id=f"s{i}", name=f"站{i}", kind="driver_home", lon=104.0 + i / 1000,
                        lat=30.6, operator="工会") for i in range(12)]
    registry.upsert(stations, source="test")
    monkeypatch.setattr(settings, "import_batch_rows", 3)
    summary = registry.upsert(stations[:8], source="import b.csv", close=["s9", "s10", "nope"])
    assert sorted(summary.closed) == ["s10", "s9"] and len(summary.unchanged) == 8
    assert {s.id for s in registry.stations()} == {f"s{i}" for i in (*range(9), 11)}


# --- coordinate systems -------------------------------------------------------------------------

def test_a_gcj02_list_read_as_wgs84_is_pointed_out(chengdu_demo, tmp_path):
    app = own_app(chengdu_demo, tmp_path, IMPORT_DIR=tmp_path / "imports")
    client = sign_in(app)
    stations = existing(app)[:8]
    rows = [["编号", "站点名称", "站点类型", "经度", "纬度"]]
    for s in stations:
        lon, lat = coords.from_wgs84(s.lon, s.lat, "gcj02")
        rows.append([s.id, s.name, "环卫驿站", round(lon, 7), round(lat, 7)])
    body = upload(client, csv_bytes(rows), **{"Accept-Language": "zh-CN"}).get_json()
    hint = body["crs_hint"]
    assert hint is not None and hint["crs"] == "gcj02" and 200 < hint["metres"] < 800
    assert "高德" in hint["message"]
    fixed = client.post(f"/api/imports/{body['upload_id']}/preview", json={"crs": "gcj02"},
                        headers={"Accept-Language": "zh-CN"}).get_json()
    assert fixed["crs_hint"] is None and fixed["crs"] == "gcj02"
    assert fixed["points"][0] == pytest.approx([stations[0].lon, stations[0].lat], abs=2e-5)
    app.extensions["yizhan"].registry.engine.dispose()


# --- big files ----------------------------------------------------------------------------------

def test_a_list_of_100000_rows_is_previewed_a_page_at_a_time(office, planner):
    lon, lat = near(office)
    rows = [["站点名称", "站点类型", "经度", "纬度"]]
    rows += [[f"大表{i}", "环卫驿站", round(lon + (i % 300) * 1e-4, 6),
              round(lat + (i // 300) * 1e-4, 6)] for i in range(100_000)]
    answer = upload(planner, csv_bytes(rows))
    body = answer.get_json()
    assert answer.status_code == 201, body.get("error")
    assert body["rows"] == 100_000 and body["pages"] == 2000 and len(body["page_rows"]) == 50
    assert len(body["points"]) == 5000
    assert body["problem_count"] > 0 or body["changes"]["added"] == 100_000


# --- export -------------------------------------------------------------------------------------

def test_the_export_is_chinese_and_imports_back_to_the_same_stations(office, planner, tmp_path):
    registry = office.extensions["yizhan"].registry
    first = existing(office)[0]
    registry.upsert([first.replace(name="=HYPERLINK(\"http://x\")")], source="test")
    for fmt, query in (("xlsx", "crs=gcj02"), ("csv", "encoding=gb18030&crs=bd09"),
                       ("csv", "crs=wgs84")):
        answer = planner.get(f"/api/export/stations.{fmt}?{query}")
        assert answer.status_code == 200, answer.get_json()
        assert "filename*=UTF-8''%E9%A9%BF%E7%AB%99" in answer.headers["Content-Disposition"]
        path = tmp_path / f"back.{fmt}"
        path.write_bytes(answer.data)
        crs = dict(p.split("=") for p in query.split("&"))["crs"]
        back = read_stations(path, crs=crs)
        assert not back.problems
        assert {s.id for s in back.stations} == {s.id for s in existing(office)}
        got = next(s for s in back.stations if s.id == first.id)
        assert got.name.startswith("=HYPERLINK") and abs(got.lon - first.lon) < 1e-5
    book = openpyxl.load_workbook(io.BytesIO(planner.get("/api/export/stations.xlsx").data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:5] == ["编号", "站点名称", "站点类型", "经度", "纬度"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value and str(c.value)[:1] == "="]
    assert cells and all(c.data_type == "s" for c in cells)  # text, never a formula
    text = planner.get("/api/export/stations.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_the_export_keeps_what_the_filters_show(office, planner):
    name = existing(office)[1].name
    answer = planner.get(f"/api/export/stations.csv?q={name}")
    lines = answer.data.decode("utf-8-sig").strip().splitlines()
    assert len(lines) >= 2 and all(name in line for line in lines[1:])
    kind = existing(office)[0].kind
    rows = list(csv.reader(io.StringIO(planner.get(
        f"/api/export/stations.csv?kind={kind}&lang=en").data.decode("utf-8-sig"))))
    assert rows[0][0] == "id" and {r[2] for r in rows[1:]} == {kind}


def test_export_refusals_are_named(office, planner):
    assert office.test_client().get("/api/export/stations.csv").status_code == 401
    assert planner.get("/api/export/stations.xlsx?encoding=gbk").status_code == 400
    assert planner.get("/api/export/stations.pdf").status_code == 404
    registry = office.extensions["yizhan"].registry
    registry.upsert([existing(office)[0].replace(name="𠮷野家")], source="test")
    gbk = planner.get("/api/export/stations.csv?encoding=gbk",
                      headers={"Accept-Language": "zh-CN"})
    assert gbk.status_code == 400 and "GB18030" in gbk.get_json()["error"].upper()


def test_the_new_endpoints_are_in_the_contract(office):
    spec = json.loads(office.test_client().get("/api/openapi.json").data)
    paths = spec["paths"]
    assert paths["/api/imports"]["post"]["requestBody"]["content"][
        "application/octet-stream"]["schema"]["format"] == "binary"
    assert "413" in paths["/api/imports"]["post"]["responses"]
    assert "429" in paths["/api/imports/{upload_id}/apply"]["post"]["responses"]
    assert set(paths["/api/export/stations.{fmt}"]["get"]["responses"]["200"]["content"]) == {
        "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
