"""Accessibility in Chromium: axe-core (tests/browser/vendor, from its npm package, used by the
tests only) finds no serious or critical violation on the finder, a station card and the planner
view, in both languages and in 适老化 mode; the mode's toggle makes the text about 1.5 times larger
and is remembered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import SHOTS, wait_for_results

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
RUN_AXE = """() => axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})))"""



def origin_at_centre(page) -> None:
    """The worker's position at the middle of the map (as a tap there sets it), and the list."""
    page.evaluate("""() => { const c = yizhan.map.getCenter();
                             yizhan.setOrigin(c.lng, c.lat, false); }""")
    wait_for_results(page)

def serious(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def assert_accessible(page) -> None:
    found = serious(page)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)


def large_on(page) -> None:
    page.locator("#large-toggle").click()
    page.wait_for_function("() => document.body.classList.contains('large')")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("large", [False, True], ids=["standard", "large"])
def test_finder_and_a_station_card(open_page, lang, large):
    # bypass_csp: the page's policy would refuse the injected axe script (the app's own never)
    page, watcher = open_page(f"/?lang={lang}", bypass_csp=True)
    if large:
        large_on(page)
    assert_accessible(page)
    origin_at_centre(page)
    assert_accessible(page)
    page.locator("#results .result-main").first.click()
    page.wait_for_selector("#card-view:not([hidden]) .card-qr img")
    page.wait_for_function("() => document.querySelector('.card-qr img').complete")
    assert_accessible(page)
    mode = "large" if large else "standard"
    page.screenshot(path=str(SHOTS / f"card-{mode}-{lang}.png"))
    assert watcher.errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_planner_view(open_page, lang):
    page, watcher = open_page(f"/plan?lang={lang}", bypass_csp=True)
    page.wait_for_selector("#budget option", state="attached")
    page.wait_for_selector(".st .st-dot")
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / f"plan-{lang}.png"))
    assert watcher.errors == []


def test_the_planner_view_s_rough_edges(open_page):
    """The budget's chosen text fits its select; the legend shows each kind in its colour; the
    station dots have a dark ring that the coverage colours do not have; a repeated site name
    does not read as a rank."""
    page, _ = open_page("/plan")
    page.wait_for_selector(".leaflet-marker-pane .st .st-dot")  # on the map, not the legend
    shown = page.evaluate("""() => { const s = document.getElementById('budget');
      const c = document.createElement('canvas').getContext('2d');
      c.font = getComputedStyle(s).font;
      return [c.measureText(s.options[s.selectedIndex].text).width, s.clientWidth]; }""")
    assert shown[0] + 30 <= shown[1], shown  # the text and the arrow fit
    kinds = page.evaluate("() => Object.keys(JSON.parse(document.getElementById('config')"
                          ".textContent).kinds)")
    colours = page.evaluate("""() => Array.from(document.querySelectorAll(
      '.legend-row[data-kind] .legend-st:not(.is-closed) .st-dot'))
      .map(d => getComputedStyle(d).backgroundColor)""")
    assert len(colours) == len(kinds) >= 3 and len(set(colours)) == len(kinds)
    ring = page.evaluate("() => getComputedStyle(document.querySelector("
                         "'.leaflet-marker-pane .st .st-dot')).boxShadow")
    assert "rgb(16, 24, 40) 0px 0px 0px 1.5px" in ring
    names = page.evaluate("""() => import('/static/js/plan/siting.js').then(m => [
      m.siteName({name: '双林巷附近（2）', rank: 3}), m.siteName({name: '双林巷附近', rank: 1}),
      m.siteName({name: '（104.07512, 30.66123）附近', rank: 2}),
      m.siteName({name: '', rank: 4})])""")
    assert names[0] == "双林巷附近 · 同名第2处"
    assert names[1] == "双林巷附近" and names[2] == "（104.07512, 30.66123）附近"
    assert "4" in names[3]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_large_mode_makes_text_bigger_and_lists_the_nearest_open_first(open_page, lang):
    page, _ = open_page(f"/?lang={lang}")
    origin_at_centre(page)
    size = "() => parseFloat(getComputedStyle(document.querySelector('.result-name')).fontSize)"
    body = "() => parseFloat(getComputedStyle(document.body).fontSize)"
    before, before_body = page.evaluate(size), page.evaluate(body)
    large_on(page)
    assert page.evaluate(size) >= 1.4 * before
    assert page.evaluate(body) >= 18 and page.evaluate(body) >= 1.4 * before_body
    assert page.locator("#large-toggle").get_attribute("aria-pressed") == "true"
    # the nearest open station first, with its time and one big navigation button
    pick = page.locator("#easy-pick")
    assert pick.is_visible()
    first_open = page.evaluate("() => yizhan.state.results.find(r => r.open !== false).name")
    assert pick.locator(".easy-name").inner_text() == first_open
    assert pick.locator(".easy-go").get_attribute("href").startswith("https://")
    go = pick.locator(".easy-go").bounding_box()
    assert go["height"] >= 56 and go["width"] >= 300
    page.screenshot(path=str(SHOTS / f"large-list-{lang}.png"))
    # remembered on the phone: a new visit opens large
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("() => document.body.classList.contains('large')")
    large_on_again = page.locator("#large-toggle")
    large_on_again.click()
    assert not page.evaluate("() => document.body.classList.contains('large')")
