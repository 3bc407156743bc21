"""Names from OpenStreetMap or an import that hold markup show as text in Chromium: the siting
map's tooltip and list, the station popup and list of the planner view, the finder's card.

The candidate sites of a siting run are named after the nearest named street of the OSM extract
(:mod:`geo.places`); here every street the extract names is called :data:`MARKUP`, and one
station of the registry too. No ``<a>`` or ``<img>`` may come of it, nowhere.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3

import pytest

from tests.browser.conftest import (
    PASSWORD,
    PLANNER,
    SHOTS,
    HttpPlanner,
    page_opener,
    serving,
    sign_in,
)

#: A name as someone could type it into OpenStreetMap or a station list.
MARKUP = '<a href="https://x.example">点我</a><img src=x onerror=alert(1)>'
DESKTOP = {"viewport": {"width": 1366, "height": 850}, "is_mobile": False, "has_touch": False}
#: What the markup would make, were it read as HTML.
MADE = "a[href='https://x.example'], img[src=x], img[onerror]"


def _streets_called_markup(patch: pytest.MonkeyPatch) -> None:
    """Every street and venue the OSM extract names is called :data:`MARKUP`, where the gap
    sites and gap areas are named."""
    import geo.coverage
    import geo.siting.planning as planning

    if not hasattr(planning, "name_places"):  # names as plain strings
        patch.setattr(planning, "place_names",
                      lambda lon, lat, extract: [MARKUP] * len(list(lon)))
        return
    named = planning.name_places

    def name_places(lon, lat, extract):
        return [dataclasses.replace(p, street=MARKUP, venue="") for p in named(lon, lat, extract)]

    patch.setattr(planning, "name_places", name_places)
    if hasattr(geo.coverage, "name_places"):
        patch.setattr(geo.coverage, "name_places", name_places)


@pytest.fixture(scope="module")
def markup_server(demo, tmp_path_factory, chromium):
    """The app on a private copy of the demo registry, one station named :data:`MARKUP`, and
    OSM streets named so too."""
    from app import create_app
    from geo.registry import Registry

    target = tmp_path_factory.mktemp("markup") / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    registry = Registry(url)
    station = registry.stations()[0]
    registry.upsert([station.replace(name=MARKUP)], source="test")
    with pytest.MonkeyPatch.context() as patch:
        _streets_called_markup(patch)
        app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url,
                          "SECRET_KEY": "browser-tests", "REGISTRY_CHECK_INTERVAL": 0.2})
        app.extensions["accounts"].add(PLANNER, PASSWORD, display_name="李明")
        with serving(app) as base:
            yield {"base": base, "station": station.id}
    registry.engine.dispose()
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def open_markup(chromium, markup_server):
    with page_opener(chromium, markup_server["base"]) as opener:
        yield opener


def assert_nothing_made(page, watcher) -> None:
    assert page.locator(MADE).count() == 0
    assert watcher.dialogs == [] and watcher.outside == [] and watcher.errors == []


def test_siting_names_from_osm_show_as_text(open_markup, markup_server):
    page, watcher = open_markup("/plan?group=sanitation_worker&tab=siting", **DESKTOP)
    page.wait_for_selector("body[data-ready='1']")
    if page.locator("#signin-form").is_visible():
        sign_in(page)
        page.wait_for_selector("body[data-planner='1']")
    page.wait_for_function("() => document.body.dataset.busy === '0' && "
                           "document.querySelector('.gcard') !== null", timeout=60_000)
    page.fill("#s-add", "3")
    page.fill("#s-minutes", "3.5")  # a run of its own (answers are kept per parameters)
    page.locator("#s-run").click()
    page.wait_for_selector("body[data-plan=done], body[data-plan=error]", timeout=60_000)
    assert page.locator("#s-error").is_hidden(), page.locator("#s-error").inner_text()
    answer = HttpPlanner(markup_server["base"]).call("POST", "/api/plan", {
        "kind": "sanitation_station", "add": 3, "minutes": 3.5,
        "group": ["sanitation_worker"], "curve": 10})[0]
    names = [site["name"] for site in answer["sites"]]
    assert len(names) == 3 and all(MARKUP in name for name in names), names
    # the list shows a repeated name as "… · 同名第2处" (not "…（2）", read as a rank)
    shown = [re.sub(r"（(\d+)）$", r" · 同名第\1处", name) for name in names]
    listed = page.locator(".site-list .site-body strong")
    assert listed.all_inner_texts() == shown  # the list: the names as text
    for k, name in enumerate(shown):
        page.locator(".site-list .site-item").nth(k).click()  # opens the site's tooltip
        tip = page.locator(".leaflet-tooltip.yz-tip").last
        tip.wait_for()
        assert tip.inner_text().startswith(name + " · ")
        assert tip.locator("a, img").count() == 0
        assert tip.evaluate("t => t.textContent").startswith(name)
    gaps = page.locator("#gap-list")
    assert gaps.locator("a, img").count() == 0
    page.screenshot(path=str(SHOTS / "40-markup-siting.png"))
    assert_nothing_made(page, watcher)


def test_a_station_named_with_markup_shows_as_text_to_planners(open_markup, markup_server):
    page, watcher = open_markup("/plan?tab=stations", **DESKTOP)
    page.wait_for_selector("body[data-ready='1']")
    if page.locator("#signin-form").is_visible():
        sign_in(page)
        page.wait_for_selector("body[data-planner='1']")
    page.fill("#station-search", "x.example")
    item = page.locator("#station-list .station-name")
    assert item.all_inner_texts() == [MARKUP]
    opened = page.evaluate("""(name) => { let found = false;
      yizhanPlan.map.eachLayer(l => {
        if (l.options && l.options.title === name && l.openPopup) { l.openPopup(); found = true; }
      });
      return found; }""", MARKUP)
    assert opened
    popup = page.locator(".leaflet-popup .st-popup-name")
    popup.wait_for()
    assert popup.inner_text() == MARKUP
    content = page.locator(".leaflet-popup-content")
    assert content.locator("img").count() == 0 and popup.locator("*").count() == 0
    links = content.locator("a")  # only the app's own: the poster of this station
    assert all(href.startswith("/posters.pdf?station=")
               for href in links.evaluate_all("els => els.map(a => a.getAttribute('href'))"))
    assert_nothing_made(page, watcher)


def test_a_station_named_with_markup_shows_as_text_to_workers(open_markup, markup_server):
    page, watcher = open_markup(f"/?station={markup_server['station']}")
    page.wait_for_selector("#card-view:not([hidden])")
    assert page.locator("#card-view .card-name").inner_text() == MARKUP
    assert_nothing_made(page, watcher)
