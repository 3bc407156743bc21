"""An administrator adds the office's own station kind (爱心托管班) in the planner view, in
Chinese, in Chromium: the finder's filters show it, and an import takes a list of that kind."""

from __future__ import annotations

import sqlite3
import time

import pytest
from click.testing import CliRunner

from tests.browser.conftest import SHOTS, page_opener, serving

ADMIN, ADMIN_PASSWORD = "zhang.admin", "admin-password-1"
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "is_mobile": False, "has_touch": False}


@pytest.fixture(scope="module")
def admin_server(demo, tmp_path_factory, chromium):
    """The app on its own copy of the demo registry, with one administrator."""
    from app import create_app
    from geo.catalogue import reset_catalogue

    target = tmp_path_factory.mktemp("catalogue") / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url,
                      "SECRET_KEY": "browser-tests", "REGISTRY_CHECK_INTERVAL": 0.2})
    app.extensions["accounts"].add(ADMIN, ADMIN_PASSWORD, role="admin", display_name="张")
    with serving(app) as base:
        yield {"base": base, "db_url": url, "tmp": target.parent}
    app.extensions["yizhan"].registry.engine.dispose()
    reset_catalogue()


@pytest.fixture
def open_admin(chromium, admin_server):
    with page_opener(chromium, admin_server["base"]) as opener:
        yield opener


def test_an_admin_adds_a_kind_the_finder_shows_and_an_import_takes(open_admin, admin_server):
    page, watcher = open_admin("/plan?lang=zh", **DESKTOP)
    page.wait_for_selector("body[data-ready='1']")
    page.locator("#tab-stations").click()
    page.fill("#user", ADMIN)
    page.fill("#password", ADMIN_PASSWORD)
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_selector("#catalogue-admin:not([hidden])")
    assert page.locator("#cat-title").inner_text() == "站点类型与服务词（管理员）"
    page.fill("#cat-id", "summer_class")
    page.fill("#cat-zh", "爱心托管班")
    page.fill("#cat-en", "summer class for workers' children")
    page.fill("#cat-short-zh", "托管班")
    page.fill("#cat-short-en", "Summer class")
    page.locator("#cat-colour").fill("#db2777")
    page.select_option("#cat-icon", "child")
    page.check("#cat-service-rest")
    page.check("#cat-service-meals")
    page.check("#cat-groups input[value=sanitation_worker]")
    page.select_option("#cat-from", "7")
    page.select_option("#cat-to", "8")
    page.fill("#cat-words", "暑期托管班、暑托班")
    page.locator("#cat-save").click()
    page.wait_for_selector(".cat-kind[data-kind=summer_class]")
    assert "已保存：爱心托管班" in page.locator("#cat-saved").inner_text()
    row = page.locator(".cat-kind[data-kind=summer_class]").inner_text()
    assert "爱心托管班" in row and "7–8 月开放" in row and "管理员添加" in row
    # a bad one says what is wrong, in the form, in the page's language
    page.fill("#cat-id", "driver_home")
    page.locator("#cat-save").click()
    page.wait_for_selector("#cat-kind-error:not([hidden])")
    said = page.locator("#cat-kind-error").inner_text()
    assert "driver_home 是内置站点类型" in said and "built-in" not in said
    page.screenshot(path=str(SHOTS / "catalogue-admin.png"), full_page=True)

    # the finder's filters show the new kind, in its colour
    finder, _ = open_admin("/?lang=zh", **DESKTOP)
    chip = finder.locator("#kind-chips [data-kind=summer_class]")
    chip.wait_for()
    assert chip.get_attribute("aria-label") == "爱心托管班"
    assert finder.evaluate("() => getComputedStyle(document.querySelector("
                           "'[data-kind=summer_class] .kind-swatch')).backgroundColor") \
        == "rgb(219, 39, 119)"
    assert finder.locator("[data-kind=summer_class] .kind-swatch svg path").count() > 0

    # an import (yizhan import) takes a list of that kind, by its Chinese name and a word
    from app.cli import main

    listing = admin_server["tmp"] / "托管班.csv"
    listing.write_text("名称,类型,经度,纬度,开放时间,服务\n"
                       "环卫子女爱心托管班,爱心托管班,24.9410,60.1700,8:00-17:00,休息、餐食\n"
                       "快递员子女暑托班,暑期托管班,24.9460,60.1710,8:00-17:00,休息\n",
                       encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(listing), "--db", admin_server["db_url"],
                                       "--bounds", "any"])
    assert result.exit_code == 0, result.output
    names, deadline = [], time.monotonic() + 10  # the server follows within its interval
    while not names and time.monotonic() < deadline:
        names = finder.evaluate("() => fetch('/api/stations?kind=爱心托管班').then(r => r.json())"
                                ".then(b => b.features.map(f => f.properties.name).sort())")
        time.sleep(0.1)
    assert names == ["快递员子女暑托班", "环卫子女爱心托管班"]
    finder.reload()
    finder.locator("#kind-chips [data-kind=summer_class]").wait_for()
    finder.screenshot(path=str(SHOTS / "catalogue-finder.png"))
    assert [e for e in watcher.errors if "400" not in e] == [], watcher.errors
