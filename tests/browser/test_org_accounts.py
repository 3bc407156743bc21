"""A city's administrator in Chromium (Chinese), on a desktop and a 390 px phone: uploads a
district's area as a GeoPackage on the figures page, and adds a planner in that district on the
accounts page, who is listed with it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect
from shapely.geometry import box

from tests.browser.conftest import page_opener, serving

SHOTS = Path("/tmp/helper-orgs")
ADMIN, PASSWORD = "city.admin", "city-password-1"
CITY, DISTRICT = "哈尔滨市总工会", "道里区总工会"
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "is_mobile": False, "has_touch": False}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def city(demo, tmp_path_factory, chromium):
    """An app of its own: a city, a district under it, and the city's administrator."""
    from app import create_app

    folder = tmp_path_factory.mktemp("org-accounts")
    target = folder / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": f"sqlite:///{target}",
                      "SECRET_KEY": "browser-tests", "REGISTRY_CHECK_INTERVAL": 0.2})
    orgs = app.extensions["orgs"]
    orgs.add(CITY, level="city", area=box(20, 55, 30, 65))
    orgs.add(DISTRICT, level="district", parent=CITY)
    user = app.extensions["accounts"].add(ADMIN, PASSWORD, role="admin", display_name="市管理员")
    orgs.set_member(user.id, CITY)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(app) as base:
        yield {"base": base, "app": app, "folder": folder}
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.mark.parametrize("size", ["desktop", "390"])
def test_an_admin_uploads_a_gpkg_area_and_adds_a_planner_below(chromium, city, size):
    import geopandas as gpd

    app, folder = city["app"], city["folder"]
    lon0, lat0 = (24.93, 60.16) if size == "desktop" else (24.95, 60.17)
    daoli = box(lon0, lat0, lon0 + 0.02, lat0 + 0.01)
    gpkg = folder / f"道里区-{size}.gpkg"
    gpd.GeoSeries([daoli], crs=4326).to_crs(3857).to_frame("geometry").to_file(gpkg,
                                                                               driver="GPKG")
    with page_opener(chromium, city["base"]) as opener:
        page, watcher = opener("/accounts?lang=zh", **(DESKTOP if size == "desktop" else PHONE))
        page.set_default_timeout(60_000)
        page.fill("#acc-user", ADMIN)
        page.fill("#acc-password", PASSWORD)
        page.click("#acc-signin-form button[type=submit]")
        page.wait_for_selector("#acc-admin:not([hidden])")

        # the area, as a GeoPackage in Web Mercator, on the figures page
        page.goto(city["base"] + "/figures?lang=zh")
        page.wait_for_selector("#fig-areas-card:not([hidden])")
        row = page.locator(f"#fig-areas li[data-org='{DISTRICT}']")
        assert "GPKG" in row.locator("label").inner_text()
        # points first: refused, the file and each feature named in Chinese, nothing changed
        points = folder / f"站点-{size}.gpkg"
        gpd.GeoSeries(gpd.points_from_xy([lon0, lon0 + 0.01], [lat0, lat0]), crs=4326
                      ).to_frame("geometry").to_file(points, driver="GPKG")
        page.set_input_files(f"#fig-areas input[data-org='{DISTRICT}']", str(points))
        row.locator(".fig-area-problems li").nth(1).wait_for()
        said = row.locator(".fig-area-problems").inner_text()
        assert f"文件 {points.name}" in said and "第 2 行" in said and "不是 Point" in said, said
        assert points.name in row.locator(".fig-area-said.form-error").inner_text()
        page.screenshot(path=str(SHOTS / f"figures-area-points-{size}-zh.png"), full_page=True)
        page.set_input_files(f"#fig-areas input[data-org='{DISTRICT}']", str(gpkg))
        done = page.locator(f"#fig-areas li[data-org='{DISTRICT}'] .fig-area-said.ok")
        done.wait_for()
        assert "已更新范围" in done.inner_text() and gpkg.name in done.inner_text()
        orgs = app.extensions["orgs"]
        got = orgs.area(orgs.get(DISTRICT).id)
        assert got.bounds == pytest.approx(daoli.bounds, abs=1e-9)
        page.locator("#fig-areas-card").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"figures-area-gpkg-{size}-zh.png"), full_page=True)

        # a planner of the district, added by the city's administrator
        name = f"daoli.{size}"
        page.goto(city["base"] + "/accounts?lang=zh")
        page.wait_for_selector(f"#acc-list li[data-name='{ADMIN}']")
        offered = page.locator("#acc-new-org option").all_inner_texts()
        assert [o.strip() for o in offered] == [f"{CITY}（市）", f"{DISTRICT}（区县）"], offered
        assert page.input_value("#acc-new-org") == CITY  # its own by default
        page.fill("#acc-new-name", name)
        page.fill("#acc-new-display", "道里规划员")
        page.select_option("#acc-new-org", DISTRICT)
        page.click("#acc-create")
        page.wait_for_selector("#acc-otp:not([hidden])")
        row = page.locator(f"#acc-list li[data-name='{name}']")
        row.wait_for()
        assert row.get_attribute("data-org") == DISTRICT
        assert row.locator("select").nth(1).input_value() == DISTRICT
        assert "组织" in row.inner_text()
        user = app.extensions["accounts"].get(name)
        assert orgs.org_of(user.id).name == DISTRICT
        # the log reloads after the account list: wait for the new entry at its top
        expect(page.locator("#acc-log li").first).to_contain_text(name)
        assert DISTRICT in page.locator("#acc-log li").first.inner_text()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], width
        page.screenshot(path=str(SHOTS / f"accounts-org-{size}-zh.png"), full_page=True)
        assert not watcher.outside, watcher.outside
        assert all("400" in e for e in watcher.errors), watcher.errors  # the points' refusal
