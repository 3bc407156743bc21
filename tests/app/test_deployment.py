"""Several regions in one server (app.deployment): central Chengdu and central Harbin on one
registry answer as a server of each region alone would, and a point outside both is told so."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest

from app import create_app
from app.deployment import read_deployment
from geo.demo import build_demo_deployment
from geo.errors import InputError
from tests.app.conftest import add_account, assert_error, page_config, sign_in
from tests.conftest import shared_demo

#: Tiananmen Square, Beijing: in neither region.
BEIJING = (116.3975, 39.9087)
REGIONS = ("chengdu", "harbin")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The demo deployment: each region's own demo (its registry holds its stations only) and
    the deployment file serving both on one registry."""
    root = tmp_path_factory.mktemp("deployment")
    for region_id in REGIONS:  # built once for the run; the deployment adds its registry
        shared_demo(tmp_path_factory, region_id, root / region_id)
    return root, build_demo_deployment(root, regions=REGIONS)


@pytest.fixture(scope="module")
def deployed(built):
    root, path = built
    return create_app({"TESTING": True, "DATA_DIR": root, "DEPLOYMENT": str(path)})


@pytest.fixture(scope="module")
def alone(built):
    """Per region, a server of that region alone (its own data dir and registry)."""
    root, _ = built
    return {r: create_app({"TESTING": True, "DATA_DIR": root / r}) for r in REGIONS}


def _points(app, n: int, seed: int) -> list[tuple[float, float]]:
    """``n`` points near walk-network nodes of ``app``, off the nodes by up to ~40 m."""
    net = app.extensions["yizhan"].networks["walk"]
    rng = np.random.default_rng(seed)
    nodes = rng.choice(net.main_component(), n, replace=False)
    return [(round(float(net.lon[i]) + rng.uniform(-4e-4, 4e-4), 6),
             round(float(net.lat[i]) + rng.uniform(-3e-4, 3e-4), 6)) for i in nodes]


@pytest.mark.parametrize("region", REGIONS)
def test_nearest_in_each_region_equals_a_server_of_that_region_alone(deployed, alone, region):
    one, two = alone[region].test_client(), deployed.test_client()
    asked = 0
    for lon, lat in _points(alone[region], 12, seed=len(region)):
        for query in (f"lon={lon}&lat={lat}&k=3&route=1", f"lon={lon}&lat={lat}&mode=drive&k=5",
                      f"lon={lon}&lat={lat}&kind=sanitation_station&open_now=1"):
            expected = one.get(f"/api/nearest?{query}")
            got = two.get(f"/api/nearest?{query}")
            assert got.status_code == expected.status_code, (region, query, got.get_json())
            assert got.get_json() == expected.get_json(), (region, query)
            asked += expected.status_code == 200
    assert asked >= 30  # most points are on the network: the answers compared hold stations


def test_an_explicit_region_answers_as_that_region(deployed, alone):
    lon, lat = _points(alone["harbin"], 1, seed=7)[0]
    got = deployed.test_client().get(f"/api/nearest?lon={lon}&lat={lat}&region=harbin")
    assert got.get_json() == alone["harbin"].test_client().get(
        f"/api/nearest?lon={lon}&lat={lat}").get_json()


@pytest.mark.parametrize(("lang", "words"), [
    ("zh", ["你不在服务区域内", "成都中心城区", "哈尔滨中心城区"]),
    ("en", ["outside the areas", "central Chengdu", "central Harbin"])])
def test_a_point_outside_every_region_is_told_which_regions_are_served(deployed, lang, words):
    lon, lat = BEIJING
    response = deployed.test_client().get(f"/api/nearest?lon={lon}&lat={lat}",
                                          headers={"Accept-Language": lang})
    body = assert_error(response, 422, "lat")
    for word in words:
        assert word in body["error"]
    assert [r["id"] for r in body["regions"]] == list(REGIONS)
    assert [r["label"] for r in body["regions"]] == words[1:]
    assert body["distance_m"] > 1_000_000


def test_a_point_outside_a_server_of_one_region_is_off_its_network_as_before(alone):
    lon, lat = BEIJING
    body = assert_error(alone["chengdu"].test_client().get(f"/api/nearest?lon={lon}&lat={lat}"),
                        422, "lat")
    assert "regions" not in body


@pytest.mark.parametrize("url", ["/api/stations?region=beijing", "/api/basemap?region=beijing",
                                 "/api/nearest?lon=104.07&lat=30.66&region=beijing",
                                 "/api/networks/walk/lines?region=Chengdu",
                                 "/api/networks?region=x"])
def test_an_unknown_region_is_a_400_naming_region(deployed, url):
    body = assert_error(deployed.test_client().get(url), 400, "region")
    if url.endswith("beijing"):
        assert "chengdu" in body["error"] and "harbin" in body["error"]


def test_a_server_of_one_region_refuses_a_region(alone):
    assert_error(alone["chengdu"].test_client().get("/api/stations?region=chengdu"), 400,
                 "region")


@pytest.mark.parametrize("region", REGIONS)
def test_stations_basemap_and_networks_per_region(deployed, alone, region):
    one, two = alone[region].test_client(), deployed.test_client()
    for path in ("/api/stations", "/api/basemap", "/api/networks", "/api/networks/walk/lines",
                 "/api/stations?kind=sanitation_station&open_at=2025-01-06T10:00"):
        joined = "&" if "?" in path else "?"
        got = two.get(f"{path}{joined}region={region}")
        assert got.status_code == 200, (path, got.get_json())
        assert got.get_json() == one.get(path).get_json(), path
    stations = two.get(f"/api/stations?region={region}").get_json()["features"]
    assert len(stations) == len(one.get("/api/stations").get_json()["features"]) > 50


def test_stations_of_a_box_come_from_the_region_holding_it(deployed, alone):
    box = "126.60,45.73,126.66,45.77"  # central Harbin
    got = deployed.test_client().get(f"/api/stations?bbox={box}").get_json()
    assert got == alone["harbin"].test_client().get(f"/api/stations?bbox={box}").get_json()
    assert got["features"]
    default = deployed.test_client().get("/api/stations").get_json()  # the first region's
    assert default == alone["chengdu"].test_client().get("/api/stations").get_json()


def test_the_finder_page_offers_the_regions_and_shows_the_one_asked_for(deployed, alone):
    client = deployed.test_client()
    first = page_config(client.get("/?lang=zh").get_data(as_text=True))
    assert first["region"] == "chengdu"
    assert first["regions"] == [{"id": "chengdu", "label": "成都中心城区"},
                                {"id": "harbin", "label": "哈尔滨中心城区"}]
    html = client.get("/?region=harbin&lang=en").get_data(as_text=True)
    harbin = page_config(html)
    alone_harbin = page_config(alone["harbin"].test_client().get("/?lang=en")
                               .get_data(as_text=True))
    assert harbin["region"] == "harbin"
    assert [r["label"] for r in harbin["regions"]] == ["central Chengdu", "central Harbin"]
    for key in ("bounds", "quickServices", "modes", "basemapLayers", "demo"):
        assert harbin[key] == alone_harbin[key], key
    assert harbin["quickServices"][0] == "heating"  # Harbin's winters, as on its own server
    assert 'href="?region=harbin&amp;lang=en" aria-current="page"' in html
    unknown = page_config(client.get("/?region=atlantis").get_data(as_text=True))
    assert unknown["region"] == "chengdu"
    assert "regions" not in page_config(alone["harbin"].test_client().get("/")
                                        .get_data(as_text=True))


def test_a_station_page_is_found_in_its_region(deployed, alone):
    station = alone["harbin"].extensions["yizhan"].current().stations[0]
    response = deployed.test_client().get(f"/s/{station.id}")
    assert response.status_code == 200
    assert station.name in response.get_data(as_text=True)


def test_search_reads_the_region_asked_for(deployed, alone):
    station = alone["harbin"].extensions["yizhan"].current().stations[3]
    query = f"/api/search?q={station.name[:4]}"
    got = deployed.test_client().get(query + "&region=harbin").get_json()
    assert got == alone["harbin"].test_client().get(query).get_json()


@pytest.fixture
def writable(built, tmp_path):
    """The deployment on a copy of its registry, with a planner account."""
    root, path = built
    with sqlite3.connect(root / "yizhan.sqlite") as src, \
            sqlite3.connect(tmp_path / "copy.sqlite") as dst:
        src.backup(dst)
    app = create_app({"TESTING": True, "DATA_DIR": root, "DEPLOYMENT": str(path),
                      "DB_URL": f"sqlite:///{tmp_path / 'copy.sqlite'}", "SECRET_KEY": "t",
                      "REGISTRY_CHECK_INTERVAL": 60.0})
    add_account(app)
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


def test_a_station_added_in_one_region_shows_there_at_once_and_only_there(writable):
    client = sign_in(writable)
    created = client.post("/api/stations", json={
        "name": "测试驿站", "kind": "outdoor_rest_point", "lon": 126.6300, "lat": 45.7560})
    assert created.status_code == 201, created.get_json()
    sid = created.get_json()["properties"]["id"]
    harbin = client.get("/api/stations?region=harbin").get_json()["features"]
    chengdu = client.get("/api/stations?region=chengdu").get_json()["features"]
    assert sid in {f["properties"]["id"] for f in harbin}
    assert sid not in {f["properties"]["id"] for f in chengdu}
    nearest = client.get("/api/nearest?lon=126.6301&lat=45.7561&k=1").get_json()
    assert nearest["results"][0]["id"] == sid


def test_coverage_and_plan_jobs_run_for_the_region_asked_for(writable):
    client = sign_in(writable)
    assert_error(client.get("/api/coverage?region=nowhere"), 400, "region")
    answer = client.post("/api/plan", json={"kind": "outdoor_rest_point", "add": 1,
                                            "group": "delivery_rider", "region": "harbin"})
    assert answer.status_code == 200, answer.get_json()
    site = answer.get_json()["sites"][0]
    assert 126.4 < site["lon"] < 126.9 and 45.6 < site["lat"] < 45.9
    assert "region=harbin" in answer.get_json()["downloads"]["csv"]


def _upload(client, region: str, rows: list[tuple[float, float, float]]):
    import base64

    text = "lon,lat,weight,group\n" + "".join(f"{x},{y},{w},delivery_rider\n"
                                               for x, y, w in rows)
    return client.post("/api/inputs/demand", json={
        "filename": f"{region}.csv", "region": region,
        "content": base64.b64encode(text.encode()).decode()})


def test_each_region_uses_its_own_uploaded_worker_counts(writable):
    client = sign_in(writable)
    harbin = [(126.6300, 45.7560, 40.0), (126.6400, 45.7600, 60.0)]
    kept = _upload(client, "harbin", harbin)
    assert kept.status_code == 201, kept.get_json()
    listed = {r: client.get(f"/api/inputs?region={r}").get_json() for r in REGIONS}
    assert listed["harbin"]["region"] == "harbin"
    assert listed["harbin"]["demand"]["current"]["id"] == kept.get_json()["id"]
    assert listed["chengdu"]["demand"]["current"] is None  # Chengdu keeps its own file
    assert listed["chengdu"]["demand"]["uploads"] == []
    covered = {r: client.get(f"/api/coverage?region={r}&group=delivery_rider").get_json()
               for r in REGIONS}
    assert covered["harbin"]["groups"]["delivery_rider"]["total"] == pytest.approx(100.0)
    chengdu_file = writable.extensions["yizhan-deployment"].regions["chengdu"].state.demand_path
    import pandas as pd

    own = pd.read_csv(chengdu_file)
    riders = own[own.iloc[:, 3] == "delivery_rider"].iloc[:, 2].sum()
    assert covered["chengdu"]["groups"]["delivery_rider"]["total"] == \
        pytest.approx(float(riders), abs=0.05)
    # an upload of one region cannot be restored into another
    assert_error(client.post(f"/api/inputs/demand/{kept.get_json()['id']}/restore",
                             json={"region": "chengdu"}), 404)
    restored = client.post(f"/api/inputs/demand/{kept.get_json()['id']}/restore",
                           json={"region": "harbin"})
    assert restored.status_code == 200, restored.get_json()


def test_figures_of_each_regions_organisation_equal_a_server_of_that_region_alone(
        writable, built, tmp_path):
    """/api/figures on the two-region server: an organisation in Harbin has the figures a
    server of Harbin alone gives it (its stations, workers, coverage and gap areas from
    Harbin's own networks and demand), and one in Chengdu those of Chengdu."""
    from shapely.geometry import box

    root, _ = built
    areas = {"chengdu": ("锦江测试总工会", box(104.05, 30.62, 104.10, 30.68)),
             "harbin": ("道里测试总工会", box(126.58, 45.74, 126.64, 45.78))}
    for name, area in areas.values():
        writable.extensions["orgs"].add(name, level="district", area=area)
    both = {r["org"]: r for r in sign_in(writable).get("/api/figures").get_json()["rows"]}
    keys = ("stations", "by_kind", "always_open", "workers", "coverage", "gaps",
            "stations_last_month", "coverage_last_month")
    for region, (name, area) in areas.items():
        copy = tmp_path / f"{region}.sqlite"
        with sqlite3.connect(root / region / "yizhan.sqlite") as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        single = create_app({"TESTING": True, "DATA_DIR": root / region, "SECRET_KEY": "t",
                             "DB_URL": f"sqlite:///{copy}"})
        single.extensions["orgs"].add(name, level="district", area=area)
        add_account(single)
        alone_row = sign_in(single).get("/api/figures").get_json()["rows"][0]
        assert alone_row["org"] == name and alone_row["stations"] > 0, alone_row
        assert alone_row["workers"] > 0
        assert {k: both[name][k] for k in keys} == {k: alone_row[k] for k in keys}, region
        single.extensions["yizhan"].registry.engine.dispose()


#: Operations with a region left out of the walk below: the analyses (each a minute of a whole
#: city; their regions are checked above).
HEAVY = ("/api/coverage", "/api/plan", "/api/jobs")


def _regional(spec: dict) -> set[str]:
    """``METHOD path`` of every operation taking ``region`` (in its query or its JSON body)."""
    schemas = spec["components"]["schemas"]
    found = set()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            names = {p["name"] for p in op.get("parameters", [])}
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            if ref:
                names |= set(schemas[ref.rsplit("/", 1)[-1]].get("properties", {}))
            if "region" in names and not path.startswith(HEAVY):
                found.add(f"{method.upper()} {path}")
    return found


def test_every_operation_with_a_region_keeps_the_contract_on_a_deployment(writable):
    """schemathesis on the two-region server, signed in: valid and invalid requests to each
    operation that takes a region get documented answers (never a 500)."""
    from tests.app.test_contract import planner_cookie, run_operations

    spec = writable.test_client().get("/api/openapi.json").get_json()
    regional = _regional(spec)
    assert {"GET /api/stations", "GET /api/nearest", "GET /api/search", "GET /api/inputs",
            "POST /api/inputs/{kind}"} <= regional
    operations, statuses, failures = run_operations(
        writable, planner_cookie(writable), examples=8,
        only=lambda op: f"{op.method.upper()} {op.path}" in regional)
    assert not failures, "\n\n".join(failures)
    assert set(operations) == regional
    assert statuses[500] == 0 and statuses[200] > 10


def test_the_deployment_file_names_every_problem(tmp_path, built):
    root, path = built
    text = path.read_text("utf-8").replace('db = "yizhan.sqlite"', "db = 3")
    text += '\n[[region]]\nname = "extra"\nregion = "chengdu"\nstations = "stations.csv"\n'
    (tmp_path / "stations.csv").write_text("lon,lat\n", "utf-8")
    for region in REGIONS:
        shutil.copytree(root / region, tmp_path / region,
                        ignore=shutil.ignore_patterns("*.sqlite"))
    bad = tmp_path / "deployment.toml"
    bad.write_text(text, "utf-8")
    with pytest.raises(InputError, match=r"2 problem\(s\)") as caught:
        read_deployment(bad)
    assert "`db` was 3" in str(caught.value) and "yizhan import" in str(caught.value)
    bad.write_text(text.replace("db = 3", 'db = "x.sqlite"\nport = 1'), "utf-8")
    with pytest.raises(InputError, match=r"unknown top-level key\(s\) \['port'\]"):
        read_deployment(bad)
    assert read_deployment(path).db == f"sqlite:///{root / 'yizhan.sqlite'}"
