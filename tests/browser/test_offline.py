"""The finder with no connection, in Chromium with the context set offline: the service worker
keeps the page, the basemap and the last area's stations; a reload shows them under the banner
"离线 · 数据更新于 …", a tap lists the nearest by straight-line distance (said so), and back
online the list comes from the server again. Also: installable (manifest, icons)."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.browser.conftest import SHOTS, wait_for_results

SAVED_JS = """() => caches.match('/api/stations?last-area')
  .then(r => r ? r.headers.get('X-Yizhan-Saved') : null)"""



def origin_at_centre(page) -> None:
    """The worker's position at the middle of the map (as a tap there sets it), and the list."""
    page.evaluate("""() => { const c = yizhan.map.getCenter();
                             yizhan.setOrigin(c.lng, c.lat, false); }""")
    wait_for_results(page)

def controlled(page) -> None:
    """Wait for the service worker to control the page, then load it again through it so that
    the page and the stations of its area are kept."""
    page.evaluate("() => navigator.serviceWorker.ready")
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function(SAVED_JS)


def go_offline(page) -> None:
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#offline-banner:not([hidden])")


@pytest.mark.parametrize("lang, banner, straight", [
    ("zh", r"离线 · 数据更新于 \d{4}-\d\d-\d\d \d\d:\d\d", "直线"),
    ("en", r"Offline · data from \d{4}-\d\d-\d\d \d\d:\d\d", "straight line"),
])
def test_a_reload_offline_shows_the_kept_stations_and_their_age(open_page, lang, banner,
                                                                 straight):
    page, watcher = open_page(f"/?lang={lang}")
    controlled(page)
    online_stations = int(page.evaluate("() => document.body.dataset.stations"))
    go_offline(page)
    assert page.evaluate("() => navigator.onLine") is False
    assert re.fullmatch(banner, page.locator("#offline-banner").inner_text())
    assert page.evaluate("() => document.body.dataset.offline") == "1"
    # the stations of the last area, on the map as before
    assert int(page.evaluate("() => document.body.dataset.stations")) == online_stations > 0
    assert page.evaluate("() => document.documentElement.lang") == ("zh-CN" if lang == "zh"
                                                                     else "en")
    origin_at_centre(page)
    items = page.locator("#results .offline-result")
    assert items.count() >= 1
    assert all(straight in text for text in items.all_inner_texts())
    assert page.locator(".leaflet-pane path.route-line").count() == 0  # no route was asked for
    page.screenshot(path=str(SHOTS / f"offline-{lang}.png"))
    # the nearest in a straight line comes first
    metres = page.evaluate("""() => Array.from(document.querySelectorAll('#results .result'))
      .map(li => { const f = yizhan.state.features[li.dataset.id].geometry.coordinates;
                   const o = yizhan.state.origin;
                   const k = Math.cos(o[1] * Math.PI / 180);
                   return Math.hypot((f[0] - o[0]) * k, f[1] - o[1]); })""")
    assert metres == sorted(metres)
    # a kept station's card opens from the list
    items.first.locator(".result-main").click()
    page.wait_for_selector("#card-view:not([hidden]) .card-name")
    # back online: the banner goes and the list comes from the server, with travel times
    page.context.set_offline(False)
    page.wait_for_function("() => document.body.dataset.offline === '0'")
    assert page.locator("#offline-banner").is_hidden()
    page.locator("#card-view .back").click()
    wait_for_results(page)
    page.wait_for_selector("#results .result:not(.offline-result)")
    assert page.locator("#results .offline-result").count() == 0
    assert watcher.errors == [] and watcher.outside == []


def test_a_shared_station_link_opens_its_card_offline(open_page):
    page, _ = open_page("/")
    controlled(page)
    wanted = page.evaluate("() => Object.keys(yizhan.state.features)[0]")
    name = page.evaluate(f"() => yizhan.state.features[{json.dumps(wanted)}].properties.name")
    page.context.set_offline(True)
    page.goto(page.url.split("?")[0] + "?station=" + wanted)
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#card-view:not([hidden]) .card-name")
    assert page.locator("#card-view .card-name").inner_text() == name


def test_the_finder_is_installable(server):
    with urllib.request.urlopen(server["base"] + "/manifest.webmanifest") as response:
        assert response.headers["Content-Type"].startswith("application/manifest+json")
        manifest = json.load(response)
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        with urllib.request.urlopen(server["base"] + icon["src"]) as response:
            assert response.status == 200 and response.read()
    with urllib.request.urlopen(server["base"] + "/sw.js") as response:
        source = response.read().decode()
        assert response.headers["Cache-Control"] == "no-cache"
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    assert {"/", "/static/js/finder/main.js", "/static/js/finder/offline.js",
            "/static/css/large.css"} <= set(shell)
