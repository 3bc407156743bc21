"""A server of two regions (central Chengdu and central Harbin, ``yizhan demo --deployment``): the
finder offers both, switches between them, and tells a worker outside both which it serves."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.browser.conftest import SHOTS, page_opener, serving, wait_for_results
from tests.conftest import shared_demo

CHENGDU_BOX = (104.0, 30.6, 104.2, 30.8)
HARBIN_BOX = (126.4, 45.6, 126.9, 45.9)

REQUESTS_JS = """() => performance.getEntriesByType("resource")
  .map(e => e.name.replace(location.origin, "")).filter(u => u.startsWith("/api/"))"""
CENTRE_JS = "() => { const c = yizhan.map.getCenter(); return [c.lng, c.lat]; }"


@pytest.fixture(scope="module")
def two_regions(tmp_path_factory, chromium):
    from app import create_app
    from geo.demo import build_demo_deployment

    root = tmp_path_factory.mktemp("deployment")
    for region_id in ("chengdu", "harbin"):  # built once for the run
        shared_demo(tmp_path_factory, region_id, root / region_id)
    path = build_demo_deployment(root, regions=("chengdu", "harbin"))
    app = create_app({"TESTING": True, "DATA_DIR": root, "DEPLOYMENT": str(path),
                      "SECRET_KEY": "browser-tests"})
    with serving(app) as base, page_opener(chromium, base) as opener:
        yield {"base": base, "open": opener}
    app.extensions["yizhan"].registry.engine.dispose()


def api(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path) as response:
        return json.load(response)


def inside(point, box) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def test_the_finder_offers_both_regions_and_switches(two_regions):
    base = two_regions["base"]
    page, watcher = two_regions["open"]("/")
    links = page.locator(".region-picker a")
    assert links.all_inner_texts() == ["成都中心城区", "哈尔滨中心城区"]
    assert links.nth(0).get_attribute("aria-current") == "page"
    assert links.nth(1).get_attribute("aria-current") is None
    assert inside(page.evaluate(CENTRE_JS), CHENGDU_BOX)
    assert "/api/basemap?region=chengdu" in page.evaluate(REQUESTS_JS)

    links.nth(1).click()  # to Harbin
    page.wait_for_url("**/?region=harbin*")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("() => document.body.dataset.overview !== undefined")  # city: counts
    assert page.locator(".region-picker a[aria-current='page']").inner_text() == "哈尔滨中心城区"
    assert inside(page.evaluate(CENTRE_JS), HARBIN_BOX)
    page.wait_for_function(  # an entry is listed once its answer has come: Harbin's is large
        "() => performance.getEntriesByType('resource')"
        ".some(e => e.name.endsWith('/api/basemap?region=harbin'))", timeout=30_000)
    asked = page.evaluate(REQUESTS_JS)
    assert not any(u.startswith("/api/basemap?region=chengdu") for u in asked)
    assert any(u.startswith("/api/clusters?bbox=") for u in asked)
    harbin = {f["id"] for f in api(base, "/api/stations?region=harbin")["features"]}
    assert page.evaluate("() => document.body.dataset.overview") == str(len(harbin))
    shown = page.evaluate("() => JSON.parse(document.getElementById('config').textContent)")
    assert shown["region"] == "harbin" and shown["quickServices"][0] == "heating"

    station = api(base, "/api/stations?region=harbin")["features"][5]
    lon, lat = station["geometry"]["coordinates"]
    page.evaluate(f"() => yizhan.setOrigin({lon}, {lat}, false)")
    wait_for_results(page)
    assert station["properties"]["name"] in page.locator("#results").inner_text()
    page.screenshot(path=str(SHOTS / "deployment-harbin.png"))

    page.locator(".region-picker a").nth(0).click()  # and back to Chengdu
    page.wait_for_url("**/?region=chengdu*")
    page.wait_for_selector("body[data-ready='1']")
    assert inside(page.evaluate(CENTRE_JS), CHENGDU_BOX)
    assert watcher.errors == [] and watcher.outside == []


def test_a_worker_outside_both_regions_hears_which_are_served(two_regions):
    page, watcher = two_regions["open"]("/", geolocation={"latitude": 39.9042,
                                                          "longitude": 116.4074},
                                        permissions=["geolocation"])
    page.locator("#locate").click()
    page.wait_for_function("() => document.body.dataset.searching === '0'")
    text = page.locator("#sheet").inner_text()
    assert "你不在服务区域内" in text
    assert "成都中心城区" in text and "哈尔滨中心城区" in text
    assert all("422" in e for e in watcher.errors)
