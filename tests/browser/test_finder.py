"""The worker finder, and a planner's edit seen in it, in Chromium at a mobile viewport."""

from __future__ import annotations

import json
import urllib.request

import pytest

from app.pages import format_hours
from geo.coords import gcj02_to_wgs84, wgs84_to_gcj02
from tests.browser.conftest import (
    PLANNER,
    SHOTS,
    XSS,
    sign_in,
    tap_free_point,
    wait_for_results,
)


def api(server, path: str) -> dict:
    with urllib.request.urlopen(server["base"] + path) as response:
        return json.load(response)


def module_call(page, module: str, function: str, *args):
    """Call an exported function of one of the page's ES modules (static/js/<module>.js)."""
    return page.evaluate(
        f"async args => (await import('/static/js/{module}.js')).{function}(...args)", list(args))


def result_ids(page) -> list[str]:
    return page.eval_on_selector_all("#results > li", "items => items.map(li => li.dataset.id)")


def test_finder_loads_with_nothing_from_other_hosts(open_page, server):
    page, watcher = open_page("/")
    stations = api(server, "/api/stations")["features"]
    assert page.locator(".leaflet-marker-icon.pin").count() == len(stations)
    page.wait_for_selector(".leaflet-pane canvas")  # the streets basemap
    assert page.locator(".demo-banner").inner_text().startswith("演示数据")
    assert page.locator("#modes [role=radio]").count() == 3
    for hours in ["24/7", "Mo-Fr 09:00-17:00; Sa 09:00-12:00", "Mo,We 08:00-12:00; PH off", ""]:
        assert module_call(page, "i18n", "fmtHours", hours) == format_hours(hours, "zh")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "01-finder-start.png"))
    assert watcher.outside == [] and watcher.errors == []


def test_tapping_the_map_lists_the_nearest_and_draws_the_route(open_page, server):
    page, watcher = open_page("/")
    tap_free_point(page)
    lon, lat = page.evaluate("() => yizhan.state.origin")
    answer = api(server, f"/api/nearest?lat={lat:.7f}&lon={lon:.7f}&k=5&route=1")["results"]
    # open stations first, then by distance as the answer gives them
    expected = [r for r in answer if r["open"] is not False] + \
        [r for r in answer if r["open"] is False]
    assert result_ids(page) == [r["id"] for r in expected] and len(expected) == 5
    first = page.locator("#results > li").first
    assert first.locator(".result-name").inner_text() == expected[0]["name"]
    assert "分钟" in first.locator(".result-time").inner_text()
    assert page.locator("path.route-line").count() == 1
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "02-finder-results.png"))
    first.locator("button").click()
    card = page.locator("#card-view")
    assert card.is_visible() and card.locator(".card-name").inner_text() == expected[0]["name"]
    amap = card.locator("a.nav", has_text="高德地图").get_attribute("href")
    baidu = card.locator("a.nav", has_text="百度地图").get_attribute("href")
    assert amap.startswith("https://uri.amap.com/marker?position=")
    assert baidu.startswith("https://api.map.baidu.com/marker?location=")
    # Amap and Baidu first (they open inside WeChat and on iPhones), geo: last on Android
    assert card.locator("a.nav").first.get_attribute("href") == amap
    assert card.locator("a.nav").last.get_attribute("href").startswith("geo:")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "03-station-card.png"))
    card.locator(".back").click()
    assert page.locator("#list-view").is_visible()
    assert watcher.outside == [] and watcher.errors == []


def test_filters_change_the_list(open_page):
    page, watcher = open_page("/")
    tap_free_point(page)
    before = page.eval_on_selector_all("#results > li", "items => items.map(li => li.dataset.kind)")
    # switch off the kind of the nearest station other than driver homes (which the shower
    # filter below needs)
    kind = next(k for k in before if k != "driver_home")
    page.locator(f".kind-chip.kind-{kind}").click()
    wait_for_results(page)
    after = page.eval_on_selector_all("#results > li", "items => items.map(li => li.dataset.kind)")
    assert after and kind not in after
    assert page.locator(f".pin.kind-{kind}").count() == 0  # the layer is off
    page.locator("#services-button").click()
    page.locator("#service-chips [data-service=shower]").click()
    wait_for_results(page)
    page.screenshot(path=str(SHOTS / "04-filters.png"))
    page.locator("#services-done").click()
    assert page.evaluate(
        "() => yizhan.state.results.length > 0 && "
        "yizhan.state.results.every(r => r.services.includes('shower'))")
    page.locator("#open-now").click()
    wait_for_results(page)
    opens = page.eval_on_selector_all("#results > li", "items => items.map(li => li.dataset.open)")
    assert set(opens) <= {"true"}
    page.locator("#modes [data-mode=drive]").click()
    wait_for_results(page)
    assert page.evaluate("() => yizhan.state.mode") == "drive"
    assert watcher.errors == []


def test_locate_me_uses_the_phone_position(open_page, server):
    page, watcher = open_page("/", geolocation={"latitude": 60.1705, "longitude": 24.9440},
                              permissions=["geolocation"])
    page.locator("#locate").click()
    wait_for_results(page)
    assert page.evaluate("() => yizhan.state.origin") == [24.944, 60.1705]
    expected = api(server, "/api/nearest?lat=60.1705&lon=24.944&k=5")["results"]
    open_first = [r for r in expected if r["open"] is not False] + \
        [r for r in expected if r["open"] is False]
    assert result_ids(page) == [r["id"] for r in open_first]
    assert watcher.errors == []


def test_switching_to_english(open_page):
    page, watcher = open_page("/")
    page.locator(".lang-switch").click()
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Locate me" in page.locator("#locate").inner_text()
    tap_free_point(page)
    assert "min" in page.locator("#results > li .result-time").first.inner_text()
    # the same GCJ-02 shift as geo.coords (used with Amap tiles), in and outside China
    for lon, lat in [(116.391, 39.907), (114.27, 30.58), (24.94, 60.17)]:
        shifted = module_call(page, "coords", "wgs2gcj", lon, lat)
        assert shifted == pytest.approx(list(wgs84_to_gcj02(lon, lat)), abs=1e-9)
        back = module_call(page, "coords", "gcj2wgs", *shifted)
        assert back == pytest.approx(list(gcj02_to_wgs84(*shifted)), abs=1e-9)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "05-finder-english.png"))
    assert watcher.errors == []


def test_reporting_a_problem(open_page, server):
    page, watcher = open_page("/")
    tap_free_point(page)
    station_id = result_ids(page)[0]
    page.locator("#results > li button").first.click()
    page.locator("#report-open").click()
    page.locator("#report-send").click()
    assert page.locator("#report-error").is_visible()  # no problem chosen yet
    page.locator("#report-kinds input[value=full]").check()
    page.locator("#report-form textarea").fill("满了 full at noon")
    page.screenshot(path=str(SHOTS / "06-report.png"))
    page.locator("#report-send").click()
    page.wait_for_selector("#toast:not([hidden])")
    assert "谢谢" in page.locator("#toast").inner_text()
    assert "已计入" not in page.locator("#toast").inner_text()
    # a second worker: told it counts on the open report, and that a character was removed
    page.locator("#report-open").click()
    page.locator("#report-kinds input[value=full]").check()
    page.locator("#report-form textarea").fill("还是满的\u202e")
    page.locator("#report-send").click()
    toast = page.locator("#toast", has_text="已计入")
    toast.wait_for()
    assert "无法保存的字符已被删除" in toast.inner_text()
    from app.reports import Reports
    from geo.registry import Registry

    reports = Reports(Registry(server["db_url"])).list(station_id=station_id)
    assert reports[0]["kind"] == "full" and reports[0]["text"] == "满了 full at noon"
    assert reports[0]["lon"] is not None
    assert [e["text"] for e in reports[0]["entries"]] == ["满了 full at noon", "还是满的"]
    assert watcher.errors == []


def test_station_names_show_as_text(open_page, server):
    page, watcher = open_page(f"/?station={server['xss_id']}")
    page.wait_for_selector("#card-view:not([hidden])")
    assert page.locator("#card-view .card-name").inner_text() == XSS
    assert page.locator("img[src=x]").count() == 0
    assert watcher.dialogs == [] and watcher.errors == []


def test_a_planner_edit_shows_in_the_finder(open_page, server):
    station = api(server, "/api/stations")["features"][0]
    page, watcher = open_page("/plan?tab=stations", viewport={"width": 1200, "height": 860},
                              is_mobile=False, has_touch=False)
    page.wait_for_selector("#signin:not([hidden])")
    sign_in(page, "wrong password")
    page.wait_for_selector("#signin-error:not([hidden])")
    assert page.locator("#signin-error").inner_text() == "用户名或密码错误"
    sign_in(page)
    page.wait_for_selector("#editor:not([hidden])")
    assert "李明" in page.locator(".editor-bar").inner_text()
    page.fill("#station-search", station["properties"]["name"])
    page.locator(f"#station-list button[data-id='{station['id']}']").click()
    page.fill("#f-name", "新名字 · 测试驿站")
    page.fill("#f-hours", "全天")
    page.locator("#save").click()
    page.wait_for_selector("#toast:not([hidden])")
    # the history, newest first, in Chinese: what was done, which fields, where it came from
    page.wait_for_function("() => document.querySelectorAll('#history li').length >= 2")
    entries = page.locator("#history li").all_inner_texts()
    assert "修改" in entries[0] and "改了名称、开放时间" in entries[0]
    assert "规划人员网页编辑" in entries[0] and "planner" not in entries[0]
    assert PLANNER in entries[0]  # who
    assert "新增" in entries[-1] and "演示数据生成" in entries[-1] and "demo" not in entries[-1]
    page.screenshot(path=str(SHOTS / "07-planner.png"))
    edited = api(server, f"/api/stations/{station['id']}")["properties"]
    assert edited["name"] == "新名字 · 测试驿站"
    finder, finder_watcher = open_page(f"/?station={station['id']}")
    finder.wait_for_selector("#card-view:not([hidden])")
    assert finder.locator("#card-view .card-name").inner_text() == "新名字 · 测试驿站"
    assert "全天" in finder.locator("#card-view").inner_text()
    lon, lat = station["geometry"]["coordinates"]
    finder.evaluate(f"() => yizhan.setOrigin({lon}, {lat}, false)")
    wait_for_results(finder)
    assert "新名字 · 测试驿站" in finder.locator("#results").inner_text()
    # the one console error is the refused wrong password (besides a 503 "analysis in
    # progress" while the server still computes an earlier test's run: the page asks again)
    errors = [e for e in watcher.errors if "503" not in e]
    assert len(errors) == 1 and "401" in errors[0]
    assert finder_watcher.errors == []


def test_a_worker_outside_the_demo_area_is_told_so(open_page, server):
    """A phone far away (Beijing, while the demo is central Helsinki) hears that it is outside
    the demo area, not a distance of thousands of kilometres to a road."""
    page, watcher = open_page("/", geolocation={"latitude": 39.9042, "longitude": 116.4074},
                              permissions=["geolocation"])
    page.locator("#locate").click()
    page.wait_for_function("() => document.body.dataset.searching === '0'")
    text = page.locator("#sheet").inner_text()
    assert "你不在演示区域（赫尔辛基市中心）内" in text
    assert "公里" not in text.split("你不在演示区域")[1].split("\n")[0]
    assert watcher.errors == [] or all("422" in e for e in watcher.errors)


def test_open_stations_come_first_and_say_when_they_close(open_page, server):
    """Without the open filter, the list puts open stations first; each says when it closes or
    opens, as the API's `changes_at` says."""
    page, watcher = open_page("/")
    tap_free_point(page)
    results = page.evaluate("() => yizhan.state.results")
    opens = [r["open"] for r in results]
    assert opens == sorted(opens, key=lambda o: o is False)  # open (or unknown) before closed
    for r, li in zip(results, page.locator("#results > li").all(), strict=True):
        text = li.locator(".result-change").inner_text()
        if r["changes_at"] is None:
            assert text == ""
        else:
            assert text.endswith("关门" if r["open"] else "开门")
            assert r["changes_at"][11:16] in text
    assert watcher.errors == []


def test_a_tap_on_a_pin_at_the_first_zoom_sets_my_position(open_page, server):
    """Where pins are dense at the first zoom, a tap on one still says "I am here"."""
    page, watcher = open_page("/")
    assert page.evaluate("() => yizhan.map.getZoom()") < 15.5
    pin = page.locator(".leaflet-marker-icon.pin").first
    box = pin.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_function("() => yizhan.state.origin !== null")
    lon, lat = page.evaluate("() => yizhan.state.origin")
    tapped = page.evaluate(f"""() => yizhan.map.containerPointToLatLng(
      yizhan.map.mouseEventToContainerPoint({{clientX: {x}, clientY: {y}}}))""")
    assert abs(lon - tapped["lng"]) < 1e-4 and abs(lat - tapped["lat"]) < 1e-4
    assert watcher.errors == []


def test_the_filter_bar_fits_a_390_px_phone_with_44_px_targets(open_page):
    page, watcher = open_page("/")
    boxes = page.evaluate("""() => Array.from(document.querySelectorAll(
      '.filterbar button')).map(e => { const r = e.getBoundingClientRect();
      return {right: r.right, width: r.width, height: r.height, name: e.getAttribute('aria-label')
              || e.textContent.trim()}; })""")
    assert len(boxes) >= 5
    assert max(b["right"] for b in boxes) <= 390  # nothing hidden off the right edge
    assert all(b["height"] >= 44 and b["width"] >= 44 for b in boxes)
    kinds = page.locator(".kind-chip")
    assert kinds.first.get_attribute("aria-label") in {
        "司机之家", "环卫工人爱心驿站", "户外劳动者服务站点"}
    assert watcher.errors == []
