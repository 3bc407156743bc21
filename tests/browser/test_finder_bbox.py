"""The finder loads the stations around the view (``/api/stations?bbox=…``), not the whole list."""

from __future__ import annotations

import json
import urllib.request

from tests.browser.conftest import SHOTS, wait_for_results

STATION_REQUESTS_JS = """() => performance.getEntriesByType("resource")
  .map(e => e.name.replace(location.origin, "")).filter(u => u.startsWith("/api/stations"))"""

#: Ids of the pins on the map (the markers in a kind layer that is on the map).
PINS_JS = """() => Object.keys(yizhan.state.markers).filter(id => yizhan.map.hasLayer(
  yizhan.state.markers[id]))"""


def api(server, path: str) -> dict:
    with urllib.request.urlopen(server["base"] + path) as response:
        return json.load(response)


def station_requests(page) -> list[str]:
    return page.evaluate(STATION_REQUESTS_JS)


def loaded_box(page) -> str:
    return page.evaluate("() => document.body.dataset.bbox")


def move_and_wait(page, script: str) -> str:
    """Move the map with ``script`` and wait for the stations of the new view; the new box."""
    before = loaded_box(page)
    page.evaluate(script)
    page.wait_for_function(f"() => document.body.dataset.bbox !== {json.dumps(before)}")
    return loaded_box(page)


def in_box(feature: dict, box: list[float]) -> bool:
    lon, lat = feature["geometry"]["coordinates"]
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def test_first_load_asks_for_the_view(open_page, server):
    page, watcher = open_page("/")
    asked = station_requests(page)
    assert asked and all(u.startswith("/api/stations?bbox=") for u in asked)
    box = [float(v) for v in loaded_box(page).split(",")]
    view = page.evaluate("() => { const b = yizhan.map.getBounds(); "
                         "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }")
    assert box[0] < view[0] and box[1] < view[1] and box[2] > view[2] and box[3] > view[3]
    expected = api(server, "/api/stations?bbox=" + loaded_box(page))["features"]
    assert sorted(page.evaluate(PINS_JS)) == sorted(f["id"] for f in expected)
    assert watcher.outside == [] and watcher.errors == []


def test_panning_loads_the_new_view_and_merges_it(open_page, server):
    stations = api(server, "/api/stations")["features"]

    def corner(feature):
        return feature["geometry"]["coordinates"][0] + feature["geometry"]["coordinates"][1]

    west, east = min(stations, key=corner), max(stations, key=corner)
    # a small phone opened on a shared link to a station in one corner of the region (zoom 16)
    page, watcher = open_page(f"/?station={west['id']}", viewport={"width": 240, "height": 360})
    page.wait_for_selector("#card-view:not([hidden])")
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    first = loaded_box(page)
    box = [float(v) for v in first.split(",")]
    assert in_box(west, box) and not in_box(east, box)
    shown = set(page.evaluate(PINS_JS))
    assert west["id"] in shown and east["id"] not in shown
    assert shown == {f["id"] for f in stations if in_box(f, box)}
    page.screenshot(path=str(SHOTS / "20-finder-bbox-start.png"))
    page.locator("#card-view .back").click()

    lon, lat = east["geometry"]["coordinates"]
    second = move_and_wait(page, f"""() => {{
      const map = yizhan.map, target = map.latLngToContainerPoint(yizhan.toLatLng({lon}, {lat}));
      const size = map.getSize();
      map.panBy([target.x - size.x / 2, target.y - size.y / 2], {{animate: false}});
    }}""")
    box = [float(v) for v in second.split(",")]
    assert in_box(east, box)
    shown = set(page.evaluate(PINS_JS))
    assert east["id"] in shown and shown == {f["id"] for f in stations if in_box(f, box)}
    known = page.evaluate("() => Object.keys(yizhan.state.features)")
    assert west["id"] in known  # merged: what was loaded before is kept, off the map
    asked = station_requests(page)
    assert f"/api/stations?bbox={first}" in asked and f"/api/stations?bbox={second}" in asked
    assert "/api/stations" not in asked
    page.screenshot(path=str(SHOTS / "21-finder-bbox-panned.png"))

    # a small move inside the loaded box asks for nothing
    count = len(station_requests(page))
    page.evaluate("() => { yizhan.map.panBy([20, 20], {animate: false}); }")
    page.wait_for_timeout(600)
    assert len(station_requests(page)) == count

    # the nearest stations still come from /api/nearest
    lon, lat = east["geometry"]["coordinates"][0] + 0.0003, east["geometry"]["coordinates"][1]
    page.evaluate(f"() => yizhan.setOrigin({lon}, {lat}, false)")
    wait_for_results(page)
    expected = api(server, f"/api/nearest?lat={lat:.7f}&lon={lon:.7f}&k=5&route=1")["results"]
    ids = page.eval_on_selector_all("#results > li", "items => items.map(li => li.dataset.id)")
    assert ids == [r["id"] for r in expected]
    assert watcher.outside == [] and watcher.errors == []


def test_a_shared_station_link_loads_its_surroundings_only(open_page, server):
    stations = api(server, "/api/stations")["features"]
    station = stations[len(stations) // 2]
    page, watcher = open_page(f"/?station={station['id']}")
    page.wait_for_selector("#card-view:not([hidden])")
    assert page.locator("#card-view .card-name").inner_text() == station["properties"]["name"]
    asked = station_requests(page)
    assert asked[0] == f"/api/stations/{station['id']}"
    assert all(u.startswith("/api/stations?bbox=") for u in asked[1:]) and len(asked) >= 2
    assert abs(page.evaluate("() => yizhan.map.getZoom()") - 16) < 0.01
    assert station["id"] in page.evaluate(PINS_JS)
    assert watcher.outside == [] and watcher.errors == []


def test_kind_filter_applies_to_the_loaded_pins(open_page):
    page, watcher = open_page("/")
    page.locator(".kind-chip.kind-driver_home").click()
    kinds = page.evaluate("""() => Object.keys(yizhan.state.markers)
      .filter(id => yizhan.map.hasLayer(yizhan.state.markers[id]))
      .map(id => yizhan.state.features[id].properties.kind)""")
    assert kinds and "driver_home" not in kinds
    assert watcher.errors == []
