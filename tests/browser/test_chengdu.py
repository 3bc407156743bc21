"""The finder on the Chengdu demo as `yizhan demo` serves it: the basemap the app draws itself
(water, parks, roads, Chinese street names) and the demo-area answers, in a real browser."""

from __future__ import annotations

import re

from tests.browser.conftest import SHOTS

#: Pixels of the streets canvas near ``colour`` (RGB, ±6 per channel), counted in the page.
COUNT_JS = """([r, g, b]) => {
  const canvas = document.querySelector('.leaflet-streets-pane canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r) <= 6 && Math.abs(data[i + 1] - g) <= 6
        && Math.abs(data[i + 2] - b) <= 6) n++;
  }
  return n;
}"""
WATER, WATERWAY, PARK = (0x9E, 0xCB, 0xF4), (0x8D, 0xC0, 0xEF), (0xC6, 0xE7, 0xB4)


def visible_labels(page) -> list[tuple[str, str]]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.map-label'))
      .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.top > 0
                     && r.bottom < innerHeight; })
      .map(e => [e.className, e.textContent])""")


def test_the_basemap_shows_water_parks_and_chinese_street_names(open_chengdu):
    page, watcher = open_chengdu("/")
    page.wait_for_selector(".map-label")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "chengdu-finder-start.png"))
    # at the first zoom: rivers in blue and the names of the main roads, in Chinese
    assert page.evaluate(COUNT_JS, list(WATERWAY)) > 300
    labels = visible_labels(page)
    roads = [text for cls, text in labels if re.search("label-(trunk|primary|motorway)", cls)]
    assert roads and all(re.search(r"[\u4e00-\u9fff]", text) for text in roads)
    # no two labels overlap
    boxes = page.eval_on_selector_all(".map-label", "es => es.map(e => { const r = "
                                      "e.getBoundingClientRect(); "
                                      "return [r.left, r.top, r.right, r.bottom]; })")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
            assert min(overlap) < 4, (a, b)
    # closer in, at 人民公园: the park in green, its lake in blue, the park and street names
    page.evaluate("() => { yizhan.map.setView([30.6590, 104.0575], 16); }")
    page.wait_for_function("() => Array.from(document.querySelectorAll('.map-label'))"
                           ".some(e => e.textContent === '人民公园')")
    assert page.evaluate(COUNT_JS, list(PARK)) > 5000
    assert page.evaluate(COUNT_JS, list(WATER)) > 200
    page.screenshot(path=str(SHOTS / "chengdu-finder-park.png"))
    assert watcher.outside == [] and watcher.errors == []


def test_a_worker_outside_chengdu_is_told_so(open_chengdu):
    page, watcher = open_chengdu("/", geolocation={"latitude": 39.9042, "longitude": 116.4074},
                                 permissions=["geolocation"])
    page.locator("#locate").click()
    page.wait_for_function("() => document.body.dataset.searching === '0'")
    assert "你不在演示区域（成都中心城区）内" in page.locator("#sheet").inner_text()
    assert watcher.outside == []


def test_a_tap_among_dense_pins_at_the_first_zoom_finds_the_nearest(open_chengdu):
    """On the Chengdu demo as it opens: a tap where pins crowd sets "my position" (the labels
    take no tap either); the list puts open stations first, each saying when it closes or
    opens; the card's navigation starts with Amap and Baidu and ends with geo:."""
    page, watcher = open_chengdu("/")
    assert page.evaluate("() => yizhan.map.getZoom()") < 15.5
    boxes = [b for b in (p.bounding_box() for p in page.locator(".leaflet-marker-icon.pin").all())
             if b and 250 < b["y"] < 600]
    dense = max(boxes, key=lambda a: sum(abs(a["x"] - b["x"]) < 30 and abs(a["y"] - b["y"]) < 30
                                         for b in boxes))
    x, y = dense["x"] + dense["width"] / 2, dense["y"] + dense["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_function("() => yizhan.state.origin !== null && "
                           "document.body.dataset.searching === '0'", timeout=30_000)
    tapped = page.evaluate(f"""() => yizhan.map.containerPointToLatLng(
      yizhan.map.mouseEventToContainerPoint({{clientX: {x}, clientY: {y}}}))""")
    lon, lat = page.evaluate("() => yizhan.state.origin")
    assert abs(lon - tapped["lng"]) < 1e-4 and abs(lat - tapped["lat"]) < 1e-4
    results = page.evaluate("() => yizhan.state.results")
    opens = [r["open"] for r in results]
    assert results and opens == sorted(opens, key=lambda o: o is False)
    for r, li in zip(results, page.locator("#results > li").all(), strict=True):
        if r["changes_at"] is not None:
            assert re.search(r"\d\d:\d\d (关门|开门)$", li.locator(".result-change").inner_text())
    page.locator("#results > li").first.locator("button").first.click()
    nav = page.eval_on_selector_all("#card-view .nav-links a", "as => as.map(a => a.href)")
    assert "amap.com" in nav[0] and "baidu.com" in nav[1] and nav[-1].startswith("geo:")
    assert watcher.outside == [] and watcher.errors == []
