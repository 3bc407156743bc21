"""The finder for a whole city (central Harbin, `yizhan demo --region harbin`) on a 390 × 844
phone: clusters instead of overlapping pins, the search box, and the rough edges of the finder
at 360 and 390 px in both languages. The region is built once for the module."""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser.conftest import SHOTS, page_opener, serving, wait_for_results
from tests.conftest import shared_demo

#: Every marker icon drawn (pins and clusters) and whether it is a cluster, in page pixels.
ICONS_JS = """() => Array.from(document.querySelectorAll(
  '.leaflet-marker-icon.pin, .leaflet-marker-icon.cluster'))
  .map(e => { const r = e.getBoundingClientRect();
              return {cluster: e.classList.contains('cluster'), x: r.left, y: r.top, w: r.width,
                      h: r.height, n: Number(e.textContent) || 1}; })"""
#: Station pins and clusters: the overlap of every two, as a share of the smaller.
OVERLAPS_JS = "() => { const icons = (" + ICONS_JS + """)(); const out = [];
  icons.forEach((a, i) => icons.slice(i + 1).forEach(b => {
    const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
    const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    if (w > 0 && h > 0) out.push(w * h / Math.min(a.w * a.h, b.w * b.h)); }));
  return out; }"""
LOCAL = (126.6160, 45.7650)  # near 中央大街, lon/lat


@pytest.fixture(scope="module")
def harbin_demo(tmp_path_factory):
    return shared_demo(tmp_path_factory, "harbin")


@pytest.fixture(scope="module")
def harbin_server(harbin_demo, chromium):
    """The app on central Harbin as `yizhan demo --region harbin` builds it (read-only use)."""
    from app import create_app

    app = create_app({"TESTING": True, "DATA_DIR": harbin_demo.data_dir,
                      "SECRET_KEY": "browser-tests"})
    with serving(app) as base:
        yield {"base": base, "stations": harbin_demo.manifest()["stations"]}
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture(scope="module")
def harbin_city(harbin_demo, tmp_path_factory, chromium):
    """Central Harbin with 5,000 stations (generated ones on its streets added to a copy of the
    demo's registry)."""
    from app import create_app
    from geo.registry import Registry
    from geo.synthetic import random_stations

    target = tmp_path_factory.mktemp("harbin-5000") / "yizhan.sqlite"
    with sqlite3.connect(harbin_demo.data_dir / "yizhan.sqlite") as src, \
            sqlite3.connect(target) as dst:
        src.backup(dst)
    registry = Registry(f"sqlite:///{target}")
    missing = 5000 - len(registry.stations())
    registry.upsert(random_stations(harbin_demo.network("walk"), missing, seed=5), source="test")
    registry.engine.dispose()
    app = create_app({"TESTING": True, "DATA_DIR": harbin_demo.data_dir,
                      "DB_URL": f"sqlite:///{target}", "SECRET_KEY": "browser-tests"})
    with serving(app) as base:
        yield {"base": base}
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def open_harbin(chromium, harbin_server):
    with page_opener(chromium, harbin_server["base"]) as opener:
        yield opener


def test_the_first_view_shows_counted_clusters_not_overlapping_pins(open_harbin, harbin_server):
    page, watcher = open_harbin("/")
    page.wait_for_selector(".leaflet-marker-icon.cluster")
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / "city-first-view.png"))
    icons = page.evaluate(ICONS_JS)
    assert 5 <= len(icons) <= 200
    assert sum(i["n"] for i in icons if i["cluster"]) > len(icons)  # counted, many per cluster
    # every station of the city is counted (those outside the view too), none is a pin
    assert page.evaluate("() => document.body.dataset.overview") == str(harbin_server["stations"])
    assert not any(not i["cluster"] for i in icons)
    overlaps = page.evaluate(OVERLAPS_JS)
    assert sum(o > 0.5 for o in overlaps) <= 1, sorted(overlaps)[-5:]
    # closer in the clusters open into pins, still few drawn
    # (in braces: the map itself returned would be serialised, its every layer, for ~20 s)
    page.evaluate(f"() => {{ yizhan.map.setView(yizhan.toLatLng({LOCAL[0]}, {LOCAL[1]}), 17); }}")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-marker-icon.pin').length > 0")
    assert len(page.evaluate(ICONS_JS)) <= 200
    assert watcher.outside == [] and watcher.errors == []


@pytest.mark.parametrize(("query", "name"), [("zydj", "中央大街"), ("中央大", "中央大街"),
                                             ("hongjun", "红军街")])
def test_searching_a_street_moves_the_map_and_sets_the_position(open_harbin, query, name):
    page, watcher = open_harbin("/")
    page.fill("#search-input", query)
    page.wait_for_selector(".search-result")
    first = page.locator(".search-result").first
    assert first.locator(".search-name").inner_text() == name
    assert first.get_attribute("data-type") == "street"
    if query == "zydj":
        page.screenshot(path=str(SHOTS / "city-search.png"))
    first.click()
    wait_for_results(page)
    assert page.locator("#search-panel").is_hidden()
    lon, lat = page.evaluate("() => yizhan.state.origin")
    centre = page.evaluate("() => yizhan.map.getCenter()")
    assert abs(centre["lng"] - lon) < 0.02 and abs(centre["lat"] - lat) < 0.02
    assert page.locator("#results > li").count() > 0
    assert watcher.outside == [] and watcher.errors == []


def test_no_result_says_so(open_harbin):
    page, watcher = open_harbin("/?lang=en")
    page.fill("#search-input", "qqxxzz")
    page.wait_for_function("() => document.body.dataset.searched === '0'")
    assert "Nothing found for “qqxxzz”" in page.locator("#search-status").inner_text()
    assert page.locator(".search-result").count() == 0
    assert watcher.errors == []


#: The parts of the first three characters of the demo banner's text, as page rectangles.
BANNER_START_JS = """() => { const b = document.querySelector('.demo-banner');
  const text = Array.from(b.childNodes).find(n => n.nodeType === 3 && n.textContent.trim());
  const range = document.createRange(); const start = text.textContent.search(/\\S/);
  range.setStart(text, start); range.setEnd(text, start + 4);
  return [range.toString(), Array.from(range.getClientRects()).map(r => [r.left, r.right])]; }"""


@pytest.mark.parametrize("width", [360, 390])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_rough_edges_at_phone_widths(open_harbin, width, lang):
    page, watcher = open_harbin(f"/?lang={lang}", viewport={"width": width, "height": 844},
                                geolocation={"longitude": LOCAL[0], "latitude": LOCAL[1]},
                                permissions=["geolocation"])
    # the demo banner begins with what it is (演示数据 / Demo data), not cut at the left
    start, rects = page.evaluate(BANNER_START_JS)
    assert start in {"演示数据", "Demo"} and rects and min(r[0] for r in rects) >= 0
    assert max(r[1] for r in rects) <= width
    # the kind chips say their kinds in words, and all fit
    chips = page.evaluate("""() => Array.from(document.querySelectorAll('.filterbar button, '
      + '.filterbar .place-search')).map(e => { const r = e.getBoundingClientRect();
      const name = e.querySelector('.kind-name');
      return {right: r.right, h: r.height, w: r.width,
              named: !name || (name.getBoundingClientRect().width > 20
                               && name.scrollWidth <= name.clientWidth + 1)}; })""")
    assert all(c["right"] <= width and c["h"] >= 44 and c["w"] >= 44 and c["named"]
               for c in chips), chips
    page.screenshot(path=str(SHOTS / f"city-{lang}-{width}-start.png"))
    # locate me: the "locating…" note goes when the list comes
    page.locator("#locate").click()
    wait_for_results(page)
    page.wait_for_timeout(300)
    assert page.locator("#toast").is_hidden()
    # results of one name tell themselves apart by where they are
    rows = page.evaluate("""() => Array.from(document.querySelectorAll('#results > li'))
      .map(li => [li.querySelector('.result-name').textContent,
                  li.querySelector('.result-where').textContent])""")
    assert all(where for _, where in rows), rows
    assert len({tuple(r) for r in rows}) == len(rows)
    # service chips are whole words and the +N count shows
    cut = page.evaluate("""() => Array.from(
      document.querySelectorAll('#results .chips.small .chip')).filter(c => {
        const r = c.getBoundingClientRect(), list = c.parentElement.getBoundingClientRect();
        return c.scrollWidth > c.clientWidth + 1 || r.right > list.right + 1; }).length""")
    assert cut == 0
    page.screenshot(path=str(SHOTS / f"city-{lang}-{width}-results.png"))
    # the map's names stay above the pins (a selected pin hides none)
    assert page.evaluate("""() => Number(yizhan.map.getPane('labels').style.zIndex) >
                                  Number(getComputedStyle(yizhan.map.getPane('markerPane')).zIndex)""")
    # the card: the navigation buttons above the fold
    page.locator("#results > li").first.locator("button").first.click()
    nav = page.locator("#card-view .nav-links a").first.bounding_box()
    assert nav["y"] + nav["height"] <= 844
    page.screenshot(path=str(SHOTS / f"city-{lang}-{width}-card.png"))
    assert watcher.outside == [] and watcher.errors == []


def test_a_city_of_5000_stations_first_shows_counts_and_tapping_one_zooms_in(chromium, harbin_city):
    """The first view of 5,000 stations asks the server for counts (a few kB), not for the
    stations; at most 200 markers are drawn, their counts make up the city, and a kind taken off
    takes its stations out of the counts; tapping a count zooms in until the stations show."""
    with page_opener(chromium, harbin_city["base"]) as opener:
        page, watcher = opener("/")
        page.wait_for_selector(".leaflet-marker-icon.cluster")
        asked = page.evaluate("""() => performance.getEntriesByType('resource')
          .filter(e => e.name.includes('/api/')).map(e => [new URL(e.name).pathname,
                                                         e.encodedBodySize])""")
        assert not [p for p, _ in asked if p.startswith("/api/stations")]
        assert sum(n for p, n in asked if p == "/api/clusters") < 20_000
        icons = page.evaluate(ICONS_JS)
        assert 5 <= len(icons) <= 200 and all(i["cluster"] for i in icons)
        assert page.evaluate("() => document.body.dataset.overview") == "5000"
        assert sum(o > 0.5 for o in page.evaluate(OVERLAPS_JS)) == 0
        # a kind off: the counts without its stations
        chip = page.locator(".kind-chip").first
        chip.click()
        page.wait_for_function("() => Number(document.body.dataset.overview) < 5000")
        fewer = int(page.evaluate("() => document.body.dataset.overview"))
        assert 0 < fewer < 5000
        chip.click()
        page.wait_for_function("() => document.body.dataset.overview === '5000'")
        # tapping the largest count zooms in, to the stations themselves in the end
        for _ in range(6):
            zoom = page.evaluate("() => yizhan.map.getZoom()")
            if zoom >= 15:
                break
            page.evaluate("""() => { const c = Array.from(document.querySelectorAll(
              '.leaflet-marker-icon.cluster')).sort((a, b) => Number(b.textContent)
              - Number(a.textContent))[0]; c.click(); }""")
            page.wait_for_function(f"() => yizhan.map.getZoom() > {zoom}")
            # the counts of the new zoom drawn (or the stations themselves)
            page.wait_for_function("""() => document.body.dataset.overview === undefined ||
              document.body.dataset.overviewZoom === String(Math.floor(yizhan.map.getZoom()))""")
        page.wait_for_function("() => document.querySelectorAll('.leaflet-marker-icon.pin')"
                               ".length > 0 && document.body.dataset.overview === undefined")
        assert len(page.evaluate(ICONS_JS)) <= 200
        assert watcher.outside == [] and watcher.errors == []
