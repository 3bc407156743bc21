"""The planner view /plan in a real browser (Chromium), on a desktop and a tablet."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import SHOTS, XSS, HttpPlanner, sign_in

DESKTOP = {"viewport": {"width": 1366, "height": 850}, "is_mobile": False, "has_touch": False}
TABLET = {"viewport": {"width": 820, "height": 1180}, "is_mobile": True, "has_touch": True}


_PLANNERS: dict[str, HttpPlanner] = {}


def api(server, path: str, body: dict | None = None) -> dict:
    """What the server answers the planner (signed in over HTTP)."""
    planner = _PLANNERS.get(server["base"]) or _PLANNERS.setdefault(
        server["base"], HttpPlanner(server["base"]))
    return planner.call("GET" if body is None else "POST", path, body)[0]


@pytest.fixture
def plan_page(open_page):
    """``plan_page(query="", **context)`` -> (page, watcher) signed in, once the coverage is
    drawn."""

    def opener(query: str = "", **options):
        page, watcher = open_page("/plan" + query, **{**DESKTOP, **options})
        page.wait_for_selector("body[data-ready='1']")
        if page.locator("#signin-form").is_visible():  # the analyses are for planners
            sign_in(page)
            page.wait_for_selector("body[data-planner='1']")
        page.wait_for_function("() => document.body.dataset.busy === '0' && "
                               "document.querySelector('.gcard') !== null")
        return page, watcher

    return opener


def share_text(share: float) -> str:
    return f"{share * 100:.1f}%"


def figure(page, group: str) -> str:
    return page.locator(f".gcard[data-group={group}] [data-figure=share]").inner_text()


def test_plan_loads_offline_and_draws_the_cells(plan_page, server):
    page, watcher = plan_page()
    coverage = api(server, "/api/coverage?minutes=4")
    groups = coverage["groups"]
    worst = min(groups, key=lambda g: groups[g]["share"])
    assert page.evaluate("() => document.body.dataset.group") == worst == "sanitation_worker"
    cells = [f for f in coverage["cells"]["features"] if f["properties"]["group"] == worst]
    assert page.locator("path.hex-cell").count() == len(cells) > 10
    stations = api(server, "/api/stations")["features"]
    assert page.locator(".leaflet-marker-icon.st").count() == len(stations)
    page.wait_for_selector(".leaflet-pane canvas")  # the streets basemap, from the app
    for gid, entry in groups.items():
        assert figure(page, gid) == share_text(entry["share"])
    assert page.locator("#count-gaps").inner_text() == str(
        sum(1 for g in coverage["gaps"] if g["by_group"].get(worst, 0) > 0))
    assert page.locator("img[src=x]").count() == 0  # the station named like an attack is text
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "10-plan-desktop.png"))
    assert watcher.outside == [] and watcher.errors == []


def test_the_hour_slider_shows_the_04_00_sanitation_gap(plan_page, server):
    page, watcher = plan_page("?group=sanitation_worker")
    entry = api(server, "/api/coverage?minutes=4")["groups"]["sanitation_worker"]
    before = figure(page, "sanitation_worker")
    assert before == share_text(entry["share"])
    lowest = page.locator(".gcard[data-group=sanitation_worker] .gcard-line.warn")
    assert "04:30" in lowest.inner_text()
    page.locator("#hour").fill("4")
    page.wait_for_function("() => document.body.dataset.busy === '0'")
    after = figure(page, "sanitation_worker")
    assert after == share_text(entry["by_hour"][4]) and after != before
    assert "04:30" in page.locator("#hour-value").inner_text()
    page.wait_for_selector(".leaflet-marker-icon.st.is-closed")  # office-hours hosts are shut
    assert "hour=4" in page.url
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "11-plan-hour-04.png"))
    page.locator("#any-time").click()
    assert figure(page, "sanitation_worker") == before
    assert page.locator(".leaflet-marker-icon.st.is-closed").count() == 0
    assert watcher.errors == []


def test_a_gap_in_the_list_zooms_the_map(plan_page):
    page, watcher = plan_page("?group=sanitation_worker&tab=gaps")
    items = page.locator(".gap-item")
    assert items.count() >= 1
    # each gap area is named after its nearest street or venue, as the API names it
    names = page.locator(".gap-item .gap-name").all_inner_texts()
    assert names and all(n.endswith("附近") for n in names)
    # start a few levels out (again until it holds: the first fit may still be animating), so
    # that the gap must be zoomed into
    zoom = page.evaluate("() => yizhanPlan.map.getZoom()") - 3
    page.wait_for_function(f"""() => {{ const map = yizhanPlan.map;
      if (map.getZoom() !== {zoom}) map.setView(map.getCenter(), {zoom}, {{animate: false}});
      return map.getZoom() === {zoom}; }}""")
    items.last.click()
    page.wait_for_function(f"() => yizhanPlan.map.getZoom() > {zoom}")
    assert items.last.get_attribute("aria-current") == "true"
    inside = page.evaluate("""() => {
      const map = yizhanPlan.map, view = map.getBounds();
      let shape = null;
      map.eachLayer(l => { if (l.options && l.options.weight === 3 && l.getBounds) shape = l; });
      return shape !== null && view.contains(shape.getBounds());
    }""")
    assert inside
    assert watcher.errors == []


def test_a_siting_run_shows_the_proposal(plan_page, server):
    page, watcher = plan_page("?group=sanitation_worker&tab=siting")
    assert page.locator("#s-kind").input_value() == "sanitation_station"
    page.fill("#s-add", "2")
    page.locator("#s-run").click()
    page.wait_for_selector("body[data-plan=done]")
    assert page.locator(".leaflet-marker-icon.prop").count() == 2
    expected = api(server, "/api/plan", {"kind": "sanitation_station", "add": 2, "minutes": 4,
                                         "group": ["sanitation_worker"], "curve": 10})
    row = page.locator(".ba-row[data-group=sanitation_worker]")
    before, after = (expected[k]["sanitation_worker"] for k in ("before", "after"))
    assert row.locator("[data-figure=before]").inner_text() == share_text(before)
    assert row.locator("[data-figure=after]").inner_text() == share_text(after)
    assert expected["after"]["sanitation_worker"] > expected["before"]["sanitation_worker"]
    shown = page.evaluate("""() => { const out = [];
      yizhanPlan.map.eachLayer(l => {
        if (l.options && l.options.icon && l.options.icon.options.className === 'prop') {
          const p = l.getLatLng(); out.push([p.lng, p.lat]); } });
      return out; }""")
    assert sorted(shown) == sorted([s["lon"], s["lat"]] for s in expected["sites"])
    assert page.locator(".plan-head .badge").inner_text() == "已证明最优"
    assert page.locator("svg.curve circle").count() == 11
    link = page.locator(".downloads a[data-format=csv]").get_attribute("href")
    download = page.request.get(server["base"] + link)  # with the planner's session
    assert download.ok and download.body().decode("utf-8-sig").startswith("rank,id,name,lon,lat")
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / "12-plan-siting.png"))
    assert watcher.outside == [] and watcher.errors == []


def test_on_a_tablet_in_english(plan_page, server):
    page, watcher = plan_page("?lang=en&tab=siting", locale="en-GB", **TABLET)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#tab-gaps").inner_text().startswith("Gaps")
    map_box = page.locator("#plan-map").bounding_box()
    panel = page.locator("#panel").bounding_box()
    assert map_box["y"] + map_box["height"] <= panel["y"] + 1  # the map above the panel
    page.locator("#s-run").click()
    page.wait_for_selector("body[data-plan=done]")
    badge = page.locator(".plan-head .badge").inner_text()
    assert badge == "Proven optimal" or badge.startswith("Approximate")
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / "13-plan-tablet-en.png"))
    assert watcher.outside == [] and watcher.errors == []


def test_a_planner_reads_reports_and_moves_a_station(plan_page, server):
    stations = api(server, "/api/stations")["features"]
    station = next(f for f in stations if f["properties"]["name"] != XSS)
    api(server, "/api/reports", {"station_id": station["id"], "kind": "closed",
                                 "text": "凌晨四点没开门 closed at 4"})
    page, watcher = plan_page("?tab=reports")
    item = page.locator(".report-item", has_text="凌晨四点没开门")
    item.first.wait_for()
    assert station["properties"]["name"] in item.first.inner_text()
    assert item.first.get_attribute("data-status") == "open"
    item.first.locator(".report-handle").click()  # a planner has dealt with it
    page.wait_for_selector(".report-item[data-status=handled]", state="attached")
    handled = page.locator(".report-item[data-status=handled]", has_text="凌晨四点没开门")
    assert "已处理" in handled.first.inner_text()
    assert handled.first.locator(".report-handle").count() == 0
    page.locator("#tab-stations").click()
    page.fill("#station-search", station["properties"]["name"])
    page.locator(f"#station-list button[data-id='{station['id']}']").click()
    page.wait_for_selector(f"body[data-editing='{station['id']}']")
    marker = page.locator(".leaflet-marker-icon.st.is-selected")
    box = marker.bounding_box()
    for _ in range(30):  # the map may still be flying to the station: wait until it rests
        page.wait_for_timeout(100)
        again = marker.bounding_box()
        if again == box:
            break
        box = again
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 20, steps=6)
    page.mouse.up()
    lon = float(page.input_value("#f-lon"))
    assert lon > station["geometry"]["coordinates"][0]
    page.wait_for_selector("#history li")
    page.screenshot(path=str(SHOTS / "14-plan-editing.png"))
    version = api(server, "/api/coverage?minutes=4")["version"]
    with page.expect_response(lambda r: r.request.method == "PATCH") as saved:
        page.locator("#save").click()
    assert saved.value.status == 200
    page.wait_for_selector("#toast:not([hidden])")
    page.wait_for_function("() => document.body.dataset.busy === '0'")
    moved = api(server, f"/api/stations/{station['id']}")["geometry"]["coordinates"]
    assert moved[0] == pytest.approx(lon, abs=1e-7)
    assert api(server, "/api/coverage?minutes=4")["version"] != version
    assert watcher.errors == []


def test_repeated_failed_sign_ins_are_told_to_wait(open_page):
    """Each failure says so; after five for one name, the form says how long to wait (the
    server's Retry-After), in Chinese. A name no one has, so the planner's own sign-ins from
    this address stay free."""
    page, watcher = open_page("/plan?tab=stations", **DESKTOP)
    page.wait_for_selector("#signin:not([hidden])")
    error = page.locator("#signin-error")
    texts = []
    for attempt in range(8):  # the sixth waits 1 s, the seventh (should the sixth be late) 2 s
        page.evaluate("() => { document.getElementById('signin-error').hidden = true; }")
        page.fill("#user", "nobody.here")
        page.fill("#password", f"guess number {attempt}")
        page.locator("#signin-form button[type=submit]").click()
        page.wait_for_selector("#signin-error:not([hidden])")
        texts.append(error.inner_text())
        if texts[-1].startswith("登录失败次数过多"):
            break
    assert texts[:5] == ["用户名或密码错误"] * 5 and len(texts) in (6, 7)
    assert texts[-1].startswith("登录失败次数过多，请 ") and texts[-1].endswith("秒后再试。")
    assert "429" in watcher.errors[-1] and len(watcher.errors) == len(texts)


def test_the_analyses_ask_for_sign_in_and_say_when_the_server_is_busy(open_page, server):
    page, watcher = open_page("/plan", **DESKTOP)
    page.wait_for_selector("body[data-ready='1']")
    assert "只对规划人员开放" in page.locator("#map-status").inner_text()
    assert page.locator("#pane-coverage #signin-form").is_visible()
    assert watcher.errors == []  # the page asks who is there before it asks for coverage
    sign_in(page)
    page.wait_for_function("() => document.body.dataset.busy === '0' && "
                           "document.querySelector('.gcard') !== null")
    busy = {"error": "分析正在进行，请稍后再试 (another coverage or siting run is computing)",
            "parameter": None}
    page.route(re.compile(r".*/api/(jobs/)?plan$"), lambda route: route.fulfill(
        status=503, headers={"Retry-After": "5"}, content_type="application/json",
        body=json.dumps(busy, ensure_ascii=False)))
    page.locator("#tab-siting").click()
    page.locator("#s-run").click()
    page.wait_for_selector("#s-error:not([hidden])")
    assert page.locator("#s-error").inner_text() == busy["error"]
    assert page.locator("#s-run").is_enabled()  # the planner may ask again
