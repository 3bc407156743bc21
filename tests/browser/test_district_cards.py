"""The planner's group cards list the coverage by district of the uploaded district boundaries,
worst first (Chromium, in Chinese)."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from shapely.geometry import box

from tests.browser.conftest import PASSWORD, PLANNER, HttpPlanner, page_opener, serving, sign_in

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "is_mobile": False, "has_touch": False}


@pytest.fixture(scope="module")
def office(demo, tmp_path_factory, chromium):
    """An app of its own with district boundaries uploaded: the demo's box cut in three."""
    from app import create_app

    target = tmp_path_factory.mktemp("districts") / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": f"sqlite:///{target}",
                      "DEMAND": str(demo.demand_path), "SECRET_KEY": "browser-tests",
                      "REGISTRY_CHECK_INTERVAL": 0.2})
    app.extensions["accounts"].add(PLANNER, PASSWORD, display_name="李明")
    w, s, e, n = demo.manifest()["bounds"]
    step = (e - w) / 3
    features = [{"type": "Feature", "properties": {"name": name},
                 "geometry": box(w + i * step, s, w + (i + 1) * step, n).__geo_interface__}
                for i, name in enumerate(["西区", "中区", "东区"])]
    content = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    with serving(app) as base:
        HttpPlanner(base).call("POST", "/api/inputs/districts", {
            "filename": "辖区.geojson",
            "content": base64.b64encode(content.encode("utf-8")).decode("ascii")})
        yield {"base": base, "app": app}
    app.extensions["yizhan"].registry.engine.dispose()


def test_each_group_card_lists_its_districts_worst_first(chromium, office):
    with page_opener(chromium, office["base"]) as opener:
        page, watcher = opener("/plan?lang=zh", **DESKTOP)
        page.wait_for_selector("body[data-ready='1']")
        if page.locator("#signin-form").is_visible():
            sign_in(page)
        page.wait_for_selector(".gcard .gcard-districts")
        client = office["app"].test_client()
        client.post("/api/login", json={"user": PLANNER, "password": PASSWORD})
        groups = client.get("/api/coverage").get_json()["groups"]
        for group, entry in groups.items():
            by = {k: v for k, v in entry["by_district"].items() if v["total"] > 0}
            line = page.locator(f".gcard[data-group={group}] .gcard-districts")
            assert line.inner_text().startswith("各辖区（从低到高）：")
            shown = line.locator(".gcard-district").evaluate_all(
                "nodes => nodes.map((n) => n.dataset.district)")
            shares = [by[d]["share"] for d in shown]
            assert sorted(shown) == sorted(by) and shares == sorted(shares), (group, shown, by)
        assert not watcher.errors, watcher.errors
