"""A district's planner in Chromium (Chinese): an edit, an import row and a report read outside
the district are refused with the organisation named; the figures dashboard on a desktop and a
390 px phone shows what /api/figures holds."""

from __future__ import annotations

import sqlite3

import pytest
from shapely.geometry import box

from tests.browser.conftest import SHOTS, page_opener, serving

USER, PASSWORD = "daoli.planner", "district-password"
ORG = "卡利奥区总工会"
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "is_mobile": False, "has_touch": False}
HALF = 0.002


@pytest.fixture(scope="module")
def district(demo, tmp_path_factory, chromium):
    """An app of its own with a city, a district around the first station, and the district's
    planner; the first station inside, the farthest outside."""
    from app import create_app

    folder = tmp_path_factory.mktemp("orgs")
    target = folder / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": f"sqlite:///{target}",
                      "SECRET_KEY": "browser-tests", "REGISTRY_CHECK_INTERVAL": 0.2,
                      "IMPORT_DIR": str(folder / "imports")})
    stations = app.extensions["yizhan"].registry.stations()
    inside = stations[0]
    outside = max(stations, key=lambda s: abs(s.lon - inside.lon) + abs(s.lat - inside.lat))
    orgs = app.extensions["orgs"]
    orgs.add("全市总工会", level="city", area=box(20, 55, 30, 65))
    orgs.add(ORG, level="district", parent="全市总工会",
             area=box(inside.lon - HALF, inside.lat - HALF, inside.lon + HALF, inside.lat + HALF))
    user = app.extensions["accounts"].add(USER, PASSWORD, display_name="区规划员")
    orgs.set_member(user.id, ORG)
    for station in (inside, outside):
        app.extensions["yizhan"].reports.add(station.id, "closed", "关门了")
    with serving(app) as base:
        yield {"base": base, "app": app, "inside": inside, "outside": outside,
               "folder": folder}
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def open_district(chromium, district):
    with page_opener(chromium, district["base"]) as opener:
        yield opener


def signed_in(open_district, path: str = "/plan?tab=stations&lang=zh", **options):
    page, watcher = open_district(path, **{**DESKTOP, **options})
    page.set_default_timeout(60_000)
    page.fill("#user", USER)
    page.fill("#password", PASSWORD)
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_selector("#editor:not([hidden])")
    return page, watcher


def test_an_edit_outside_the_district_is_refused_in_chinese(open_district, district):
    outside = district["outside"]
    page, watcher = signed_in(open_district)
    page.fill("#station-search", outside.name)
    page.locator(f"#station-list button[data-id='{outside.id}']").click()
    page.wait_for_function("() => document.body.dataset.version !== undefined")
    page.fill("#f-name", "区外改名")
    page.locator("#save").click()
    page.wait_for_selector("#form-error:not([hidden])")
    said = page.locator("#form-error").inner_text()
    assert f"不在{ORG}的管辖范围内" in said, said
    page.screenshot(path=str(SHOTS / "orgs-edit-outside.png"))
    assert district["app"].extensions["yizhan"].registry.get(outside.id).name == outside.name
    assert all("403" in e for e in watcher.errors), watcher.errors


def test_an_import_row_outside_the_district_is_a_problem_in_its_cell(open_district, district):
    inside, outside = district["inside"], district["outside"]
    path = district["folder"] / "区内名单.csv"
    path.write_text("名称,类型,经度,纬度\n"
                    f"区内新站,outdoor_rest_point,{inside.lon + 0.0005},{inside.lat}\n"
                    f"区外新站,outdoor_rest_point,{outside.lon + 0.0005},{outside.lat}\n",
                    encoding="utf-8-sig")
    page, _ = signed_in(open_district)
    page.set_input_files("#io-file", str(path))
    page.wait_for_selector("#io-table td.bad", timeout=120_000)
    bad = page.locator("#io-table td.bad")
    assert bad.count() == 1 and f"不在{ORG}的管辖范围内" in bad.first.inner_text()
    assert page.locator("#io-apply").is_disabled()
    page.locator("#io-table").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "orgs-import-outside.png"))


def test_a_report_read_outside_the_district_is_refused_in_chinese(open_district, district):
    inside, outside = district["inside"], district["outside"]
    page, _ = signed_in(open_district)
    answer = page.evaluate("""(id) => fetch('/api/reports?station_id=' + id)
        .then(r => r.json().then(b => [r.status, b.error]))""", outside.id)
    assert answer[0] == 403 and f"不在{ORG}的管辖范围内" in answer[1], answer
    listed = page.evaluate("""() => fetch('/api/reports').then(r => r.json())
        .then(b => b.reports.map(r => r.station_id))""")
    assert listed == [inside.id]


@pytest.mark.parametrize("size", ["desktop", "390"])
def test_the_figures_dashboard_shows_what_the_api_holds(open_district, district, size):
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    page, watcher = signed_in(open_district, **(phone if size == "390" else {}))
    page.goto(district["base"] + "/figures?lang=zh")
    page.wait_for_selector("#fig-orgs tbody tr")
    doc = page.evaluate("() => fetch('/api/figures').then(r => r.json())")
    rows = page.locator("#fig-orgs tbody tr")
    assert rows.count() == len(doc["rows"]) == 1  # the district's own figures only
    cells = rows.first.locator("th, td").all_inner_texts()
    row = doc["rows"][0]
    assert cells[1] == ORG and cells[2] == "区县"
    headers = page.locator("#fig-orgs thead th").all_inner_texts()
    assert cells[headers.index("站点合计")] == str(row["stations"])
    assert cells[headers.index("待处理报告")] == str(row["reports_open"]) == "1"
    assert "下载 Excel 报表" in page.locator("#fig-download").inner_text()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width  # the tables scroll, not the page
    title = page.locator("#fig-head h1").bounding_box()
    bar = page.locator(".topbar").bounding_box()
    assert title["y"] >= bar["y"] + bar["height"]  # not under the top bar
    page.screenshot(path=str(SHOTS / f"orgs-figures-{size}.png"), full_page=True)
    assert not watcher.errors and not watcher.outside, (watcher.errors, watcher.outside)


def test_an_admin_uploads_an_organisation_area_in_the_browser(open_district, district):
    import json

    app = district["app"]
    if "city.admin" not in {u.name for u in app.extensions["accounts"].users()}:
        user = app.extensions["accounts"].add("city.admin", PASSWORD, role="admin")
        app.extensions["orgs"].set_member(user.id, "全市总工会")
    inside = district["inside"]
    wider = box(inside.lon - 0.01, inside.lat - 0.01, inside.lon + 0.01, inside.lat + 0.01)
    path = district["folder"] / "新范围.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": wider.__geo_interface__}]}))
    page, watcher = open_district("/plan?tab=stations&lang=zh", **DESKTOP)
    page.fill("#user", "city.admin")
    page.fill("#password", PASSWORD)
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_selector("#editor:not([hidden])")
    page.goto(district["base"] + "/figures?lang=zh")
    page.wait_for_selector("#fig-areas-card:not([hidden])")
    page.set_input_files(f"#fig-areas input[data-org='{ORG}']", str(path))
    page.wait_for_selector(".fig-area-said.ok")
    assert "已更新范围" in page.locator(".fig-area-said.ok").inner_text()
    page.screenshot(path=str(SHOTS / "orgs-area-upload.png"), full_page=True)
    orgs = app.extensions["orgs"]
    assert orgs.area(orgs.get(ORG).id).equals(wider)
    assert not watcher.errors, watcher.errors
    orgs.set_area(ORG, box(inside.lon - HALF, inside.lat - HALF, inside.lon + HALF,
                           inside.lat + HALF))  # as the other tests know it
