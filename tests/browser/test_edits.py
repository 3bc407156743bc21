"""Two planners on one station in a real browser: the one who saves second is told who changed it
and when, and chooses to see their change or to overwrite it."""

from __future__ import annotations

import re

from tests.browser.conftest import OTHER_PASSWORD, OTHER_PLANNER, SHOTS, HttpPlanner, sign_in

DESKTOP = {"viewport": {"width": 1280, "height": 860}, "is_mobile": False, "has_touch": False}


class Planner(HttpPlanner):
    """The other planner."""

    def __init__(self, base: str):
        super().__init__(base, OTHER_PLANNER, OTHER_PASSWORD)

    def rename(self, sid: str, name: str) -> int:
        _, headers = self.call("GET", f"/api/stations/{sid}")
        feature, _ = self.call("PATCH", f"/api/stations/{sid}", {"name": name},
                               {"If-Match": headers["ETag"]})
        return feature["properties"]["version"]


def open_editor(open_page, sid: str, name: str):
    page, watcher = open_page("/plan?tab=stations", **DESKTOP)
    sign_in(page)
    page.wait_for_selector("#editor:not([hidden])")
    page.fill("#station-search", name)
    page.locator(f"#station-list button[data-id='{sid}']").click()
    page.wait_for_function("() => document.body.dataset.version !== undefined")
    return page, watcher


def test_the_second_save_is_told_and_can_see_theirs_or_overwrite(open_page, server):
    other = Planner(server["base"])
    station = other.call("GET", "/api/stations")[0]["features"][3]
    sid = station["id"]
    page, watcher = open_editor(open_page, sid, station["properties"]["name"])
    opened = int(page.evaluate("() => document.body.dataset.version"))

    # someone else renames it while this planner has it open
    assert other.rename(sid, "别人改的名字") == opened + 1
    page.fill("#f-name", "我改的名字")
    page.locator("#save").click()
    page.wait_for_selector("#conflict:not([hidden])")
    text = page.locator("#conflict-text").inner_text()
    assert re.fullmatch(r".+ 在你打开之后修改了此站点（20\d\d-\d\d-\d\d \d\d:\d\d）", text), text
    assert text.startswith(OTHER_PLANNER + " ")  # who: the other planner's user name
    page.screenshot(path=str(SHOTS / "20-edit-conflict.png"))
    current, _ = other.call("GET", f"/api/stations/{sid}")
    assert current["properties"]["name"] == "别人改的名字"  # nothing was overwritten

    # see theirs: the form shows their name, at their version
    page.locator("#conflict-reload").click()
    page.wait_for_function(f"() => document.body.dataset.version === '{opened + 1}'")
    assert page.input_value("#f-name") == "别人改的名字"
    assert page.locator("#conflict").is_hidden()

    # changed again behind its back: this time overwrite knowingly
    assert other.rename(sid, "又一次别人的修改") == opened + 2
    page.fill("#f-name", "我坚持的名字")
    page.locator("#save").click()
    page.wait_for_selector("#conflict:not([hidden])")
    page.locator("#conflict-overwrite").click()
    page.wait_for_selector("#toast:not([hidden])")
    page.wait_for_function(f"() => document.body.dataset.version === '{opened + 3}'")
    current, headers = other.call("GET", f"/api/stations/{sid}")
    assert current["properties"]["name"] == "我坚持的名字"
    assert headers["ETag"] == f'"{opened + 3}"'
    history, _ = other.call("GET", f"/api/stations/{sid}/history")
    names = [h["after"]["name"] for h in history["history"] if h["action"] == "update"]
    assert names[-3:] == ["别人改的名字", "又一次别人的修改", "我坚持的名字"]
    assert watcher.errors and all("409" in e for e in watcher.errors)  # the refused saves only
