"""Accounts managed in the browser: /api/accounts, /api/account-log, /api/password, and the
page /accounts."""

from __future__ import annotations

import sqlite3

import pytest

from app.accounts import OTP_ALPHABET
from tests.app.conftest import (
    PASSWORD,
    PLANNER,
    add_account,
    assert_error,
    client_at,
    own_app,
    page_config,
    sign_in,
)

ADMIN, ADMIN_PASSWORD = "zhang.admin", "admin-password"


@pytest.fixture
def office(demo, tmp_path):
    """An app with a planner (:data:`PLANNER`) and an admin (:data:`ADMIN`)."""
    app = own_app(demo, tmp_path)
    add_account(app, ADMIN, role="admin", password=ADMIN_PASSWORD)
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def admin(office):
    return sign_in(office, ADMIN, ADMIN_PASSWORD)


def create(admin, name="wang.fang", **fields):
    response = admin.post("/api/accounts", json={"name": name, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_admin_adds_a_planner_who_must_change_the_one_time_password(office, admin):
    made = create(admin, display_name="王芳")
    password = made["one_time_password"]
    assert made["account"] == {**made["account"], "name": "wang.fang", "display_name": "王芳",
                               "role": "planner", "disabled": False, "must_change": True}
    assert len(password) >= 10 and set(password) <= set(OTP_ALPHABET + "-")
    # only its hash is kept, and nowhere else the password
    db = office.extensions["yizhan"].registry.url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert password not in dump and "$argon2id$" in dump
    # the new planner signs in, may read, but no change until the password is changed
    planner = sign_in(office, "wang.fang", password, address="10.0.0.5")
    state = planner.get("/api/session").get_json()
    assert state["must_change"] is True
    assert planner.get("/api/stations").status_code == 200
    refused = assert_error(planner.post("/api/stations", json={"id": "x1"}), 403, "password")
    assert "change your password first" in refused["error"]
    assert_error(planner.get("/api/accounts"), 403)
    # the one-time password as the new one is refused; a new one is taken
    assert_error(planner.post("/api/password", json={"current_password": password,
                                                     "new_password": password}),
                 400, "new_password")
    changed = planner.post("/api/password", json={"current_password": password,
                                                  "new_password": "my-own-password"})
    assert changed.status_code == 200, changed.get_json()
    assert planner.get("/api/session").get_json()["must_change"] is False
    assert planner.post("/api/stations", json={"id": "x1"}).status_code != 403
    sign_in(office, "wang.fang", "my-own-password", address="10.0.0.6")


def test_the_one_time_password_is_not_shown_again(office, admin):
    create(admin)
    listed = admin.get("/api/accounts").get_json()["accounts"]
    assert {a["name"] for a in listed} == {PLANNER, ADMIN, "wang.fang"}
    assert all(set(a) == {"name", "display_name", "role", "disabled", "created_at",
                          "must_change", "org"} for a in listed)


def test_disabling_ends_the_sessions_and_enabling_lets_them_in_again(office, admin):
    planner = sign_in(office, address="10.0.0.7")
    assert planner.get("/api/session").get_json()["planner"] is True
    changed = admin.patch(f"/api/accounts/{PLANNER}", json={"disabled": True})
    assert changed.status_code == 200 and changed.get_json()["disabled"] is True
    assert planner.get("/api/session").get_json()["planner"] is False
    assert client_at(office, "10.0.0.8").post(
        "/api/login", json={"user": PLANNER, "password": PASSWORD}).status_code == 403
    admin.patch(f"/api/accounts/{PLANNER}", json={"disabled": False})
    sign_in(office, address="10.0.0.9")


def test_a_reset_ends_sessions_and_asks_for_a_change(office, admin):
    planner = sign_in(office, address="10.0.0.7")
    reset = admin.post(f"/api/accounts/{PLANNER}/reset", json={})
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    body = reset.get_json()
    assert body["account"]["must_change"] is True
    assert planner.get("/api/session").get_json()["planner"] is False
    assert client_at(office, "10.0.0.8").post(
        "/api/login", json={"user": PLANNER, "password": PASSWORD}).status_code == 401
    again = sign_in(office, PLANNER, body["one_time_password"], address="10.0.0.9")
    assert again.get("/api/session").get_json()["must_change"] is True


def test_roles_change_at_once_and_the_last_admin_stays(office, admin):
    planner = sign_in(office, address="10.0.0.7")
    assert_error(planner.get("/api/accounts"), 403)
    assert admin.patch(f"/api/accounts/{PLANNER}", json={"role": "admin"}).status_code == 200
    assert planner.get("/api/accounts").status_code == 200
    # an admin does not change their own role or disable themselves
    assert_error(admin.patch(f"/api/accounts/{ADMIN}", json={"role": "planner"}), 400, "role")
    assert_error(admin.patch(f"/api/accounts/{ADMIN}", json={"disabled": True}), 400,
                 "disabled")
    assert_error(admin.post(f"/api/accounts/{ADMIN}/reset", json={}), 400, "password")
    # the other admin demotes them; then the last one cannot be demoted or disabled
    assert planner.patch(f"/api/accounts/{ADMIN}", json={"role": "planner"}).status_code == 200
    accounts = office.extensions["accounts"]
    with pytest.raises(Exception, match="last administrator"):
        accounts.set_role(PLANNER, "planner", by="test")
    with pytest.raises(Exception, match="last administrator"):
        accounts.set_disabled(PLANNER, True, by="test")


def test_the_account_log_says_who_did_what_to_whom_and_when(office, admin, runner, monkeypatch):
    create(admin, "wang.fang")
    admin.patch("/api/accounts/wang.fang", json={"role": "admin"})
    admin.patch("/api/accounts/wang.fang", json={"disabled": True})
    admin.post("/api/accounts/wang.fang/reset", json={})
    from app.cli import main

    monkeypatch.setenv("YIZHAN_PASSWORD", "from-the-shell")
    db = office.extensions["yizhan"].registry.url
    assert runner.invoke(main, ["user", "passwd", "wang.fang", "--db", db]).exit_code == 0
    entries = admin.get("/api/account-log").get_json()["entries"]
    mine = [(e["actor"], e["action"], e["target"], e["detail"]) for e in entries
            if e["target"] == "wang.fang"]
    assert mine[:4] == [(mine[0][0], "password", "wang.fang", {}),
                        (ADMIN, "reset", "wang.fang", {}),
                        (ADMIN, "disable", "wang.fang", {}),
                        (ADMIN, "role", "wang.fang", {"from": "planner", "to": "admin"})]
    assert mine[0][0].startswith("cli:")
    assert mine[-1][:3] == (ADMIN, "create", "wang.fang")
    assert all(e["at"] for e in entries)


def test_bad_requests_are_named_in_chinese_or_english(office, admin):
    zh = assert_error(admin.post("/api/accounts?lang=zh", json={"name": "li ming"}), 400, "name")
    assert "空格" in zh["error"] or "字母" in zh["error"]
    taken = assert_error(admin.post("/api/accounts?lang=en", json={"name": PLANNER}), 409, "name")
    assert PLANNER in taken["error"]
    assert_error(admin.post("/api/accounts", json={"name": "x", "role": "boss"}), 400, "role")
    assert_error(admin.patch("/api/accounts/nobody", json={"disabled": True}), 404)
    wrong = assert_error(admin.post("/api/password?lang=zh", json={
        "current_password": "not-it", "new_password": "long-enough-1"}), 400, "current_password")
    assert wrong["error"] == "当前密码不正确"
    short = assert_error(admin.post("/api/password", json={
        "current_password": ADMIN_PASSWORD, "new_password": "short"}), 400, "password")
    assert short["error"]


def test_wrong_current_passwords_are_throttled(office):
    planner = sign_in(office, address="10.0.0.20")
    answers = [planner.post("/api/password", json={"current_password": f"wrong-{i}",
                                                   "new_password": "long-enough-1"}).status_code
               for i in range(8)]
    assert 429 in answers and answers[0] == 400


def test_planners_and_strangers_cannot_manage_accounts(office):
    stranger = office.test_client()
    for call in (lambda c: c.get("/api/accounts"), lambda c: c.get("/api/account-log"),
                 lambda c: c.post("/api/accounts", json={"name": "x"}),
                 lambda c: c.patch(f"/api/accounts/{ADMIN}", json={"disabled": True}),
                 lambda c: c.post(f"/api/accounts/{ADMIN}/reset", json={})):
        assert_error(call(stranger), 401)
        assert_error(call(sign_in(office, address="10.0.0.30")), 403)
    assert_error(stranger.post("/api/password", json={"current_password": "a",
                                                      "new_password": "b"}), 401)


def test_the_accounts_page_speaks_both_languages(office):
    client = office.test_client()
    zh = client.get("/accounts?lang=zh").get_data(as_text=True)
    assert "账号管理" in zh and "我的密码" in zh
    assert page_config(zh)["roles"] == {"viewer": "查看人员", "planner": "规划人员",
                                        "admin": "管理员"}
    en = client.get("/accounts?lang=en").get_data(as_text=True)
    assert "Accounts" in en and "My password" in en


def test_an_older_users_table_gains_must_change(tmp_path):
    from app.accounts import Accounts
    from geo.registry import Registry

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(64) NOT NULL "
                     "UNIQUE, display_name TEXT NOT NULL, role VARCHAR(16) NOT NULL, "
                     "password_hash TEXT NOT NULL, disabled BOOLEAN NOT NULL, created_at "
                     "DATETIME NOT NULL, password_changed_at DATETIME NOT NULL)")
    accounts = Accounts(Registry(f"sqlite:///{path}"))
    accounts.add("old.user", "a-long-password")
    assert accounts.get("old.user").must_change is False
