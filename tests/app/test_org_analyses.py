"""A planner of an organisation runs coverage and siting for its area: the workers inside the
area count (checked against the demand file filtered with shapely and a coverage run of the
library on those rows), new sites lie inside it, and an account of no organisation still
analyses everywhere."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from shapely.geometry import Point, box

from app import create_app
from geo.coverage import coverage
from geo.demand import read_demand
from geo.registry import Registry

from .conftest import add_account, copy_db, sign_in

PASSWORD = "org-password-1"


@pytest.fixture(scope="module")
def scoped(demo, tmp_path_factory):
    """The Helsinki demo app with 西区总工会, the western half of the demand's extent, a
    planner in it, a planner of no organisation, and a planner of an organisation with no
    area yet."""
    url = copy_db(demo, tmp_path_factory.mktemp("org-analyses"))
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url,
                      "SECRET_KEY": "test", "REGISTRY_CHECK_INTERVAL": 0.0})
    demand = pd.read_csv(demo.data_dir / "demand.csv")
    west, east = demand["lon"].min(), demand["lon"].max()
    area = box(west - 0.01, demand["lat"].min() - 0.01, (west + east) / 2,
               demand["lat"].max() + 0.01)
    orgs = app.extensions["orgs"]
    orgs.add("全市总工会", level="city")
    orgs.add("西区总工会", level="district", parent="全市总工会", area=area)
    orgs.add("新区总工会", level="district", parent="全市总工会")
    for name, org in (("west", "西区总工会"), ("none", None), ("empty", "新区总工会")):
        user = add_account(app, name, password=PASSWORD)
        if org is not None:
            orgs.set_member(user.id, org)
    yield app, area
    app.extensions["yizhan"].registry.engine.dispose()


def _inside(frame: pd.DataFrame, area) -> pd.DataFrame:
    keep = [area.intersects(Point(x, y)) for x, y in zip(frame["lon"], frame["lat"], strict=True)]
    return frame[keep].reset_index(drop=True)


def test_coverage_counts_the_workers_inside_the_area(scoped, demo):
    app, area = scoped
    state = app.extensions["yizhan"]
    west = sign_in(app, "west", PASSWORD).get("/api/coverage?minutes=5")
    everywhere = sign_in(app, "none", PASSWORD).get("/api/coverage?minutes=5")
    assert west.status_code == 200 and everywhere.status_code == 200
    west, everywhere = west.get_json(), everywhere.get_json()
    assert west["area"] == "西区总工会" and "area" not in everywhere

    networks = {mode: demo.network(mode) for mode in ("walk", "ebike", "drive")}
    demand = read_demand(demo.demand_path, network=networks["walk"])
    inside = _inside(demand, area)
    assert 0 < len(inside) < len(demand)
    reference = coverage(networks, Registry(f"sqlite:///{demo.data_dir / 'yizhan.sqlite'}")
                         .stations(), inside, minutes=5, with_gaps=False).summary["groups"]
    for group, entry in west["groups"].items():
        total = float(inside.loc[inside["group"] == group, "weight"].sum())
        assert entry["total"] == pytest.approx(total, abs=0.05)
        assert entry["share"] == pytest.approx(reference[group]["share"], abs=1e-6)
        everything = float(demand.loc[demand["group"] == group, "weight"].sum())
        assert everywhere["groups"][group]["total"] == pytest.approx(everything, abs=0.05)
    assert sum(e["total"] for e in west["groups"].values()) < \
        sum(e["total"] for e in everywhere["groups"].values())
    # every station serves, also those outside the area (workers cross district lines)
    assert west["stations"] == everywhere["stations"] == len(state.registry.stations())


def test_plan_sites_lie_inside_the_area(scoped):
    app, area = scoped
    client = sign_in(app, "west", PASSWORD)
    body = {"kind": "outdoor_rest_point", "add": 3, "minutes": 3}
    answer = client.post("/api/plan", json=body).get_json()
    assert answer["area"] == "西区总工会", answer
    assert answer["sites"]
    for site in answer["sites"]:
        assert area.intersects(Point(site["lon"], site["lat"])), site
    unscoped = sign_in(app, "none", PASSWORD).post("/api/plan", json=body).get_json()
    assert "area" not in unscoped
    assert sum(unscoped["totals"].values()) > sum(answer["totals"].values())
    # the proposal downloads the same sites (the scope is part of the run's key)
    proposal = client.get(answer["downloads"]["geojson"])
    assert proposal.status_code == 200
    assert [f["geometry"]["coordinates"] for f in proposal.get_json()["features"]] == \
        [[s["lon"], s["lat"]] for s in answer["sites"]]


def test_a_plan_job_keeps_the_area_of_who_asked(scoped):
    app, area = scoped
    client = sign_in(app, "west", PASSWORD)
    started = client.post("/api/jobs/plan", json={"kind": "outdoor_rest_point", "add": 2,
                                                  "minutes": 3})
    assert started.status_code == 202
    job_id = started.get_json()["id"]
    deadline = time.monotonic() + 120
    while True:
        view = client.get(f"/api/jobs/{job_id}").get_json()
        if view["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert view["state"] == "done", view
    assert view["result"]["area"] == "西区总工会"
    assert all(area.intersects(Point(s["lon"], s["lat"])) for s in view["result"]["sites"])


def test_an_organisation_without_an_area_is_told_to_set_one(scoped):
    app, _ = scoped
    client = sign_in(app, "empty", PASSWORD)
    answer = client.get("/api/coverage?minutes=5", headers={"Accept-Language": "zh-CN"})
    assert answer.status_code == 403
    body = answer.get_json()
    assert body["parameter"] == "area" and "新区总工会还没有管辖范围" in body["error"]
    assert body["org"] == "新区总工会"
    job = client.post("/api/jobs/plan", json={"kind": "outdoor_rest_point", "add": 1})
    assert job.status_code == 403 and job.get_json()["parameter"] == "area"
