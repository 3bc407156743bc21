"""Organisations and their areas: the authorisation matrix (every endpoint of the app's url_map ×
role × inside / outside the organisation's area / no organisation, on SQLite and PostgreSQL),
imports outside the area, account management down the tree, the command line, and the figures
(the XLSX holds what the dashboard's JSON holds)."""

from __future__ import annotations

import io
import json

import pytest
from shapely.geometry import box

from app import create_app
from app.orgs import Orgs
from geo.registry import Registry
from tests.conftest import empty_postgres

from .conftest import add_account, assert_error, copy_db, sign_in

PASSWORD = "org-password-1"
ROLES = ("viewer", "planner", "admin")
#: The district's box around the inside station, degrees.
HALF = 0.002

# --- the app --------------------------------------------------------------------------------------


def _stations(app):
    stations = app.extensions["yizhan"].registry.stations()
    inside = stations[0]
    outside = max(stations, key=lambda s: abs(s.lon - inside.lon) + abs(s.lat - inside.lat))
    return inside, outside


def _org_app(demo, db_url: str):
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": db_url,
                      "SECRET_KEY": "test", "REGISTRY_CHECK_INTERVAL": 0.0})
    registry = app.extensions["yizhan"].registry
    if not registry.stations():
        registry.upsert(Registry(f"sqlite:///{demo.data_dir / 'yizhan.sqlite'}").stations())
    inside, outside = _stations(app)
    orgs: Orgs = app.extensions["orgs"]
    orgs.add("全市总工会", level="city", area=box(20, 55, 30, 65))
    orgs.add("卡利奥区总工会", level="district", parent="全市总工会",
             area=box(inside.lon - HALF, inside.lat - HALF, inside.lon + HALF, inside.lat + HALF))
    for role in ROLES:
        for where in ("district", "none"):
            user = add_account(app, f"{role}.{where}", role=role, password=PASSWORD)
            if where == "district":
                orgs.set_member(user.id, "卡利奥区总工会")
    # targets of account management: one in the district, one of the whole deployment
    orgs.set_member(add_account(app, "t.district", password=PASSWORD).id, "卡利奥区总工会")
    add_account(app, "t.none", password=PASSWORD)
    reports = app.extensions["yizhan"].reports
    for station in (inside, outside):
        reports.add(station.id, "closed", "关门了")
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def org_app(request, demo, tmp_path):
    url = copy_db(demo, tmp_path) if request.param == "sqlite" else empty_postgres()
    app = _org_app(demo, url)
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


# --- the matrix -----------------------------------------------------------------------------------

#: Endpoint -> (who may: public | signed | read | plan | inputs | admin, the status a place or
#: account outside the organisation gets, or None when the endpoint acts at no place).
EXPECTED: dict[str, tuple[str, int | None]] = {
    "account_pages.account_log": ("admin", None),
    "account_pages.accounts_page": ("public", None),
    "account_pages.change_account": ("admin", 404),
    "account_pages.change_password": ("signed", None),
    "account_pages.create_account": ("admin", 403),
    "account_pages.list_accounts": ("admin", None),
    "account_pages.reset_password": ("admin", 404),
    "api.add_report": ("public", None),
    "api.basemap": ("public", None),
    "api.cancel_job": ("plan", None),
    "api.coverage_job": ("plan", None),
    "api.coverage_view": ("read", None),
    "api.create_station": ("plan", 403),
    "api.delete_station": ("plan", 403),
    "api.edit_report": ("plan", 403),
    "api.edit_station": ("plan", 403),
    "api.job": ("read", None),
    "api.list_reports": ("read", 403),
    "api.nearest": ("public", None),
    "api.network_lines": ("public", None),
    "api.networks": ("public", None),
    "api.openapi": ("public", None),
    "api.plan_job": ("plan", None),
    "api.plan_view": ("plan", None),
    "api.proposal": ("read", None),
    "api.station": ("public", None),
    "api.station_history": ("read", 403),
    "api.stations": ("public", None),
    "auth.list_users": ("admin", None),
    "auth.login": ("public", None),
    "auth.logout": ("public", None),
    "auth.session_state": ("public", None),
    "catalogue.catalogue": ("public", None),
    "clusters.clusters": ("public", None),
    "catalogue.put_kind": ("admin", None),
    "catalogue.put_service": ("admin", None),
    "office_io.apply": ("plan", None),
    "office_io.export": ("read", None),
    "office_io.preview": ("plan", None),
    "office_io.upload": ("plan", None),
    "offline.manifest": ("public", None),
    "offline.service_worker": ("public", None),
    "org_pages.figures_download": ("read", None),
    "org_pages.figures_json": ("read", None),
    "org_pages.figures_page": ("public", None),
    "org_pages.list_orgs": ("read", None),
    "org_pages.get_area": ("read", 404),
    "org_pages.put_area": ("admin", 404),
    "org_pages.put_area_file": ("admin", 404),
    "pages.finder": ("public", None),
    "pages.healthz": ("public", None),
    "pages.leaflet": ("public", None),
    "pages.plan": ("public", None),
    "pages.planner": ("public", None),
    "pages.station_page": ("public", None),
    "pages.theme_css": ("public", None),
    "posters.posters": ("read", None),
    "posters.station_qr": ("public", None),
    "search.find": ("public", None),
    "static": ("public", None),
    "uploads.list_inputs": ("inputs", None),
    "uploads.restore": ("inputs", None),
    "uploads.upload": ("inputs", None),
}

#: Who may, by the first field of :data:`EXPECTED`.
ALLOWED = {"signed": set(ROLES), "read": set(ROLES), "plan": {"planner", "admin"},
           "inputs": {"planner", "admin"}, "admin": {"admin"}}


def _request(endpoint: str, place: str, inside, outside) -> tuple[str, str, dict | None]:
    """(method, path, JSON body) of a request to ``endpoint`` at ``place`` (inside / outside),
    chosen so that nothing is changed when it is let through (a body the view refuses 400,
    no If-Match: 428, an unknown id: 404, a name taken: 409). An account is added in the
    district (inside) or in the city above it (outside)."""
    s = inside if place == "inside" else outside
    target = "t.district" if place == "inside" else "t.none"
    org = "卡利奥区总工会" if place == "inside" else "全市总工会"
    table = {
        "account_pages.account_log": ("GET", "/api/account-log", None),
        "account_pages.accounts_page": ("GET", "/accounts", None),
        "account_pages.change_account": ("PATCH", f"/api/accounts/{target}",
                                          {"display_name": "改名"}),
        "account_pages.change_password": ("POST", "/api/password", {}),
        "account_pages.create_account": ("POST", "/api/accounts", {"name": "t.district",
                                                                    "org": org}),
        "account_pages.list_accounts": ("GET", "/api/accounts", None),
        "account_pages.reset_password": ("POST", f"/api/accounts/{target}/reset", {}),
        "api.add_report": ("POST", "/api/reports", {}),
        "api.basemap": ("GET", "/api/basemap", None),
        "api.cancel_job": ("DELETE", "/api/jobs/0000000000000000", None),
        "api.coverage_job": ("POST", "/api/jobs/coverage", {"bogus": 1}),
        "api.coverage_view": ("GET", "/api/coverage?minutes=-5", None),
        "api.create_station": ("POST", "/api/stations", {"lon": s.lon, "lat": s.lat,
                                                         "name": "x", "kind": "nope"}),
        "api.delete_station": ("DELETE", f"/api/stations/{s.id}", None),
        "api.edit_report": ("PATCH", f"/api/reports/{1 if place == 'inside' else 2}",
                            {"status": "bogus"}),
        "api.edit_station": ("PATCH", f"/api/stations/{s.id}", {"name": "改名"}),
        "api.job": ("GET", "/api/jobs/0000000000000000", None),
        "api.list_reports": ("GET", f"/api/reports?station_id={s.id}", None),
        "api.nearest": ("GET", f"/api/nearest?lon={s.lon}&lat={s.lat}", None),
        "api.network_lines": ("GET", "/api/networks/walk/lines", None),
        "api.networks": ("GET", "/api/networks", None),
        "api.openapi": ("GET", "/api/openapi.json", None),
        "api.plan_job": ("POST", "/api/jobs/plan", {"bogus": 1}),
        "api.plan_view": ("POST", "/api/plan", {"bogus": 1}),
        "api.proposal": ("GET", "/api/plan/proposal.csv", None),
        "api.station": ("GET", f"/api/stations/{s.id}", None),
        "api.station_history": ("GET", f"/api/stations/{s.id}/history", None),
        "api.stations": ("GET", "/api/stations", None),
        "auth.list_users": ("GET", "/api/users", None),
        "auth.login": ("POST", "/api/login", {}),
        "auth.logout": ("POST", "/api/logout", {"bogus": 1}),
        "auth.session_state": ("GET", "/api/session", None),
        "catalogue.catalogue": ("GET", "/api/catalogue", None),
        "clusters.clusters": ("GET", "/api/clusters?bbox=24.9,60.1,25,60.2&zoom=13", None),
        "catalogue.put_kind": ("PUT", "/api/catalogue/kinds/x", {"bogus": 1}),
        "catalogue.put_service": ("PUT", "/api/catalogue/services/x", {"bogus": 1}),
        "office_io.apply": ("POST", "/api/imports/0000000000000000/apply", {"bogus": 1}),
        "office_io.export": ("GET", "/api/export/stations.csv", None),
        "office_io.preview": ("POST", "/api/imports/0000000000000000/preview", {"bogus": 1}),
        "office_io.upload": ("POST", "/api/imports", None),
        "offline.manifest": ("GET", "/manifest.webmanifest", None),
        "offline.service_worker": ("GET", "/sw.js", None),
        "org_pages.figures_download": ("GET", "/api/figures.xlsx", None),
        "org_pages.figures_json": ("GET", "/api/figures", None),
        "org_pages.figures_page": ("GET", "/figures", None),
        "org_pages.list_orgs": ("GET", "/api/orgs", None),
        "org_pages.get_area": ("GET", f"/api/orgs/{org}/area", None),
        "org_pages.put_area": ("PUT", f"/api/orgs/{org}/area", {"area": {}}),
        "org_pages.put_area_file": ("PUT", f"/api/orgs/{org}/area/file",
                                    {"filename": "a.gpkg", "content": "not base64!"}),
        "pages.finder": ("GET", "/", None),
        "pages.healthz": ("GET", "/healthz", None),
        "pages.leaflet": ("GET", "/static/vendor/leaflet/leaflet.js", None),
        "pages.plan": ("GET", "/plan", None),
        "pages.planner": ("GET", "/planner", None),
        "pages.station_page": ("GET", f"/s/{s.id}", None),
        "pages.theme_css": ("GET", "/theme.css", None),
        "posters.posters": ("GET", f"/posters.pdf?station={s.id}", None),
        "posters.station_qr": ("GET", f"/qr/{s.id}.svg", None),
        "search.find": ("GET", "/api/search?q=x", None),
        "static": ("GET", "/static/css/app.css", None),
        "uploads.list_inputs": ("GET", "/api/inputs", None),
        "uploads.restore": ("POST", "/api/inputs/demand/999/restore", {}),
        "uploads.upload": ("POST", "/api/inputs/demand", {}),
    }
    return table[endpoint]


def _expected(endpoint: str, role: str, where: str) -> int | None:
    """The status the matrix expects (None: let through, any answer but 401, 403 and 5xx)."""
    who, outside_status = EXPECTED[endpoint]
    if who == "public":
        return None
    if role == "anonymous":
        return 401
    if role not in ALLOWED[who]:
        return 403
    if outside_status is not None and where == "outside":
        return outside_status
    return None


def test_every_endpoint_has_a_decision(org_app):
    endpoints = {rule.endpoint for rule in org_app.url_map.iter_rules()}
    assert endpoints - set(EXPECTED) == set(), "endpoints without a row in EXPECTED"
    assert set(EXPECTED) - endpoints == set(), "rows of EXPECTED for no endpoint"


def test_the_authorisation_matrix(org_app):
    """Every endpoint × {anonymous, viewer, planner, admin} × {inside, outside the district,
    no organisation (at the place outside)}."""
    inside, outside = _stations(org_app)
    failures = []
    clients: dict[tuple[str, str], object] = {}
    endpoints = sorted({rule.endpoint for rule in org_app.url_map.iter_rules()})
    for role in ("anonymous", *ROLES):
        for where in ("inside", "outside", "none"):
            for endpoint in endpoints:
                place = "inside" if where == "inside" else "outside"
                method, path, body = _request(endpoint, place, inside, outside)
                account = f"{role}.{'none' if where == 'none' else 'district'}"
                key = (role, account)
                if role == "anonymous":
                    client = org_app.test_client()
                elif endpoint == "auth.logout" or key not in clients:
                    client = sign_in(org_app, account, PASSWORD)
                    if endpoint != "auth.logout":
                        clients[key] = client
                else:
                    client = clients[key]
                response = client.open(path, method=method, json=body)
                want = _expected(endpoint, role, where)
                got = response.status_code
                response.close()  # a file answer (static) holds its file open until closed
                ok = got == want if want is not None else got not in (401, 403) and got < 500
                if not ok:
                    failures.append(f"{method} {path} as {role}/{where}: {got}, expected "
                                    f"{want or 'let through'}")
    assert not failures, "\n".join(failures)


def test_a_refusal_names_the_organisation_in_chinese(org_app):
    inside, outside = _stations(org_app)
    planner = sign_in(org_app, "planner.district", PASSWORD)
    body = assert_error(planner.patch(f"/api/stations/{outside.id}?lang=zh",
                                      json={"name": "改名", "version": 1},
                                      headers={"Accept-Language": "zh-CN"}), 403, "lon")
    assert "不在卡利奥区总工会的管辖范围内" in body["error"] and body["org"] == "卡利奥区总工会"
    # moving a station of the district out of it is refused too
    assert_error(planner.patch(f"/api/stations/{inside.id}", json={
        "lon": outside.lon, "lat": outside.lat, "version": 1}), 403, "lon")
    # inside, the edit goes through
    assert planner.patch(f"/api/stations/{inside.id}",
                         json={"name": "区内改名", "version": 1}).status_code == 200
    # reports: only the district's
    listed = planner.get("/api/reports").get_json()["reports"]
    assert {r["station_id"] for r in listed} == {inside.id}
    everyone = sign_in(org_app, "planner.none", PASSWORD).get("/api/reports").get_json()
    assert {r["station_id"] for r in everyone["reports"]} == {inside.id, outside.id}


def test_a_district_admin_manages_its_accounts_only(org_app):
    admin = sign_in(org_app, "admin.district", PASSWORD)
    names = {a["name"] for a in admin.get("/api/accounts").get_json()["accounts"]}
    assert "t.district" in names and "t.none" not in names and "admin.none" not in names
    made = admin.post("/api/accounts", json={"name": "new.district", "role": "admin"})
    assert made.status_code == 201
    user = org_app.extensions["accounts"].get("new.district")
    assert org_app.extensions["orgs"].org_of(user.id).name == "卡利奥区总工会"
    city = sign_in(org_app, "admin.none", PASSWORD)
    assert "new.district" in {a["name"] for a in city.get("/api/accounts").get_json()["accounts"]}


#: Where a district's administrator (``admin.district``) and one without an organisation
#: (``admin.none``) may put an account: the district, a street below it, the city above it, a
#: district beside it, no organisation (null), and a name that is no organisation's.
PLACEMENTS = {"卡利奥区总工会": (True, True), "卡利奥街道": (True, True),
              "全市总工会": (False, True), "邻区总工会": (False, True), None: (False, True),
              "无此组织": (False, 400)}


def _placing(org_app):
    orgs = org_app.extensions["orgs"]
    orgs.add("卡利奥街道", level="street", parent="卡利奥区总工会")
    orgs.add("邻区总工会", level="district", parent="全市总工会", area=box(0, 0, 1, 1))
    return orgs


@pytest.mark.parametrize("admin", ["admin.district", "admin.none"])
def test_an_admin_puts_accounts_in_its_organisation_or_below_only(org_app, admin):
    """The `org` field of POST and PATCH /api/accounts: inside the administrator's subtree,
    outside it (above, beside), no organisation, unknown; the refusal names the organisation
    in Chinese and English, and nothing changes."""
    orgs, accounts = _placing(org_app), org_app.extensions["accounts"]
    client = sign_in(org_app, admin, PASSWORD)
    column = 0 if admin == "admin.district" else 1
    for i, (org, allowed) in enumerate(PLACEMENTS.items()):
        allowed = allowed[column]
        name = f"p{i}.{admin}"
        made = client.post("/api/accounts?lang=zh", json={"name": name, "org": org})
        moved = client.patch("/api/accounts/t.district?lang=en", json={"org": org})
        if allowed is True:
            assert made.status_code == 201, (org, made.get_json())
            assert made.get_json()["account"]["org"] == org
            assert moved.status_code == 200 and moved.get_json()["org"] == org
            member = orgs.org_of(accounts.get(name).id)
            assert (member.name if member else None) == org
            assert client.patch("/api/accounts/t.district", json={
                "org": "卡利奥区总工会"}).status_code == 200  # back, so that it stays managed
        elif allowed == 400:
            assert_error(made, 400, "org")
            assert_error(moved, 400, "org")
        else:
            zh, en = assert_error(made, 403, "org"), assert_error(moved, 403, "org")
            assert zh["org"] == en["org"] == org
            assert "卡利奥区总工会及其下级组织" in zh["error"], zh
            assert "卡利奥区总工会 and the organisations below it" in en["error"], en
            assert (org or "") in zh["error"] and (org or "") in en["error"]
            assert name not in {u.name for u in accounts.users()}
            assert orgs.org_of(accounts.get("t.district").id).name == "卡利奥区总工会"
    if admin == "admin.district":  # an unknown name says no more than one outside
        unknown = assert_error(client.post("/api/accounts", json={
            "name": "p.unknown", "org": "无此组织"}), 403, "org")
        assert "无此组织" in unknown["error"]


def test_the_accounts_show_and_log_their_organisation(org_app):
    orgs = _placing(org_app)
    admin = sign_in(org_app, "admin.district", PASSWORD)
    listed = {a["name"]: a["org"] for a in admin.get("/api/accounts").get_json()["accounts"]}
    assert listed["t.district"] == "卡利奥区总工会" and listed["admin.district"] == "卡利奥区总工会"
    assert admin.post("/api/accounts", json={"name": "jie.planner", "org": "卡利奥街道"}
                      ).status_code == 201
    assert admin.post("/api/accounts", json={"name": "own.planner"}).get_json()[
        "account"]["org"] == "卡利奥区总工会"  # left out: the administrator's own
    assert admin.patch("/api/accounts/t.district", json={"org": "卡利奥街道"}).status_code == 200
    assert orgs.org_of(org_app.extensions["accounts"].get("t.district").id).name == "卡利奥街道"
    entries = admin.get("/api/account-log").get_json()["entries"]
    said = [(e["actor"], e["action"], e["target"], e["detail"]) for e in entries[:3]]
    assert said == [
        ("admin.district", "org", "t.district", {"from": "卡利奥区总工会", "to": "卡利奥街道"}),
        ("admin.district", "create", "own.planner", {"role": "planner", "org": "卡利奥区总工会"}),
        ("admin.district", "create", "jie.planner", {"role": "planner", "org": "卡利奥街道"})]
    # the street's account is still the district admin's; its own organisation it cannot leave
    assert "jie.planner" in {a["name"] for a in admin.get("/api/accounts").get_json()["accounts"]}
    assert_error(admin.patch("/api/accounts/admin.district", json={"org": "卡利奥街道"}), 400,
                 "org")
    # an administrator without an organisation moves an account to none, which the log says
    everyone = sign_in(org_app, "admin.none", PASSWORD)
    assert everyone.patch("/api/accounts/t.district", json={"org": None}).get_json()["org"] is None
    last = everyone.get("/api/account-log").get_json()["entries"][0]
    assert last["action"] == "org" and last["detail"] == {"from": "卡利奥街道", "to": ""}
    assert "t.district" not in {a["name"] for a in
                                admin.get("/api/accounts").get_json()["accounts"]}


def test_the_openapi_document_describes_org(org_app):
    doc = org_app.test_client().get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for model in ("AccountCreate", "AccountPatch"):
        field = schemas[model]["properties"]["org"]
        assert "GET /api/orgs" in field["description"], field
    assert "org" in schemas["Account"]["properties"]


def test_an_import_row_outside_the_area_is_a_problem_of_its_row(org_app):
    inside, outside = _stations(org_app)
    csv = ("名称,类型,经度,纬度\n"
           f"区内新站,outdoor_rest_point,{inside.lon + 0.0005},{inside.lat}\n"
           f"区外新站,outdoor_rest_point,{outside.lon + 0.0005},{outside.lat}\n").encode()
    planner = sign_in(org_app, "planner.district", PASSWORD)
    up = planner.post("/api/imports?name=s.csv&lang=zh", data=csv,
                      headers={"Content-Type": "application/octet-stream"})
    assert up.status_code == 201, up.get_data(as_text=True)
    first = up.get_json()
    upload_id = first["upload_id"]
    assert [p["row"] for p in first["problems"]] == [3]
    preview = planner.post(f"/api/imports/{upload_id}/preview?lang=zh", json={}).get_json()
    rows = {p["row"]: p["message"] for p in preview["problems"]}
    assert list(rows) == [3] and "不在卡利奥区总工会的管辖范围内" in rows[3]
    applied = planner.post(f"/api/imports/{upload_id}/apply?lang=zh", json={})
    assert applied.status_code == 409
    assert org_app.extensions["yizhan"].registry.stations()[0].name != "区外新站"


# --- the figures ----------------------------------------------------------------------------------


def test_the_xlsx_holds_the_figures_the_dashboard_shows(org_app):
    import openpyxl

    from geo.output.figures import cell_value, figure_columns

    viewer = sign_in(org_app, "viewer.none", PASSWORD)
    doc = viewer.get("/api/figures").get_json()
    assert [r["org"] for r in doc["rows"]] == ["全市总工会", "卡利奥区总工会"]
    district = doc["rows"][1]
    assert district["stations"] >= 1 and district["reports_open"] == 1
    assert doc["rows"][0]["reports_open"] == 2 and doc["rows"][0]["stations"] > 1
    answer = viewer.get("/api/figures.xlsx")
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames == ["汇总表", "分级汇总"]
    sheet = book["汇总表"]
    columns = figure_columns(doc)
    assert [c.value for c in sheet[3]] == [h for h, _ in columns]
    for i, row in enumerate(doc["rows"]):
        cells = [c.value for c in sheet[4 + i]]
        assert cells == [cell_value(row, path) for _, path in columns]
    levels = book["分级汇总"]
    for i, level in enumerate(doc["levels"]):
        assert levels.cell(4 + i, 2).value == level["level_label"]
        assert levels.cell(4 + i, 4 + len(doc["kinds"])).value == level["stations"]
    # a district's viewer sees its own figures only
    mine = sign_in(org_app, "viewer.district", PASSWORD).get("/api/figures").get_json()
    assert [r["org"] for r in mine["rows"]] == ["卡利奥区总工会"]


# --- the command line -----------------------------------------------------------------------------


def test_org_and_user_commands(tmp_path, runner):
    from app.cli import main

    db = f"sqlite:///{tmp_path / 'o.sqlite'}"
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": box(126.6, 45.7, 126.7, 45.8)
         .__geo_interface__}]}), encoding="utf-8")
    out = runner.invoke(main, ["org", "add", "哈尔滨市总工会", "--area", str(area),
                               "--level", "city", "--db", db])
    assert out.exit_code == 0, out.output
    out = runner.invoke(main, ["org", "add", "道里区总工会", "--area", str(area),
                               "--parent", "哈尔滨市总工会", "--db", db])
    assert out.exit_code == 0 and "区县" in out.output, out.output
    out = runner.invoke(main, ["user", "add", "li", "--org", "道里区总工会", "--role", "viewer",
                               "--db", db], env={"YIZHAN_PASSWORD": PASSWORD})
    assert out.exit_code == 0, out.output
    from app.accounts import Accounts

    made = Accounts(Registry(db)).log(targets={"li"})[0]
    assert made.action == "create" and made.detail == {"role": "viewer", "org": "道里区总工会"}
    out = runner.invoke(main, ["user", "add", "wu", "--org", "无此组织", "--db", db],
                        env={"YIZHAN_PASSWORD": PASSWORD})
    assert out.exit_code == 1 and "no organisation named '无此组织'" in out.output
    listed = runner.invoke(main, ["org", "list", "--json", "--db", db])
    assert [o["level"] for o in json.loads(listed.output)] == ["city", "district"]


def test_the_demo_seeds_harbin_and_one_account_per_level(tmp_path):
    from app.accounts import Accounts
    from app.cli.org import seed_demo_orgs
    from geo.regions import region

    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    made = seed_demo_orgs(db, region("harbin").extract())
    assert [(m["user"], m["role"], m["org"]) for m in made] == [
        ("demo.city", "admin", "哈尔滨市"), ("demo.district", "planner", "南岗区"),
        ("demo.street", "viewer", made[2]["org"])]
    registry = Registry(db)
    orgs, accounts = Orgs(registry), Accounts(registry)
    assert len(orgs.all()) == 1 + 5 + 79  # the city, its five districts, their streets
    street = orgs.get(made[2]["org"])
    assert street.level == "street"
    assert orgs.org_of(accounts.get("demo.street").id) == street
    assert accounts.get("demo.city").must_change  # a one-time password, printed once
    again = seed_demo_orgs(db, region("harbin").extract())  # made once, new passwords
    assert [m["user"] for m in again] == [m["user"] for m in made]
    assert again[0]["password"] != made[0]["password"] and len(orgs.all()) == 85
    registry.engine.dispose()


def test_yizhan_import_org_refuses_the_rows_outside_its_area(tmp_path, runner):
    from app.cli import main

    db = f"sqlite:///{tmp_path / 'i.sqlite'}"
    Orgs(Registry(db)).add("道里区总工会", level="district", area=box(126.55, 45.74, 126.62, 45.78))
    path = tmp_path / "list.csv"
    path.write_text("名称,类型,经度,纬度\n甲站,outdoor_rest_point,126.60,45.76\n"
                    "乙站,outdoor_rest_point,126.70,45.76\n丙站,outdoor_rest_point,126.58,45.75\n",
                    encoding="utf-8")
    out = runner.invoke(main, ["import", str(path), "--org", "道里区总工会", "--db", db,
                               "--json"])
    assert out.exit_code == 1, out.output
    report, _ = json.JSONDecoder().raw_decode(out.output[out.output.index("{"):])
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(3, "经度")]
    assert "道里区总工会" in report["problems"][0]["message"] and not report["written"]
    assert Registry(db).stations() == []
    out = runner.invoke(main, ["import", str(path), "--org", "道里区总工会", "--db", db,
                               "--skip-invalid"])
    assert sorted(s.name for s in Registry(db).stations()) == ["丙站", "甲站"]


def test_yizhan_report_writes_the_figures_xlsx(demo, tmp_path, runner):
    import openpyxl

    from app.cli import main
    from geo.output.figures import cell_value, figure_columns

    db = copy_db(demo, tmp_path)
    Orgs(Registry(db)).add("全市总工会", level="city", area=box(20, 55, 30, 65))
    out = tmp_path / "报表.xlsx"
    done = runner.invoke(main, ["report", "--data-dir", str(demo.data_dir), "--db", db,
                                "-o", str(out)])
    assert done.exit_code == 0, done.output
    doc = json.loads(runner.invoke(main, ["report", "--data-dir", str(demo.data_dir),
                                          "--db", db, "--json"]).output)
    sheet = openpyxl.load_workbook(out)["汇总表"]
    columns = figure_columns(doc)
    assert [c.value for c in sheet[4]] == [cell_value(doc["rows"][0], p) for _, p in columns]
    assert doc["rows"][0]["stations"] == len(Registry(db).stations())
