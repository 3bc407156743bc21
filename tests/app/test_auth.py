"""Planner sign-in over HTTP: accounts, revocable sessions, roles, throttling, cookies, proxies."""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import accounts as accounts_module
from app import create_app, settings
from app.accounts import failures_table, sessions_table
from tests.app.conftest import PASSWORD, PLANNER, add_account, assert_error, client_at, sign_in
from tests.geo.test_registry_import import read_only


def login(client, user=PLANNER, password=PASSWORD):
    return client.post("/api/login", json={"user": user, "password": password})


def with_cookie(app, client):
    """Another client that presents ``client``'s session cookie (as a thief would)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_sign_in_with_name_and_password(writable):
    client = writable.test_client()
    assert client.get("/api/session").get_json() == {
        "planner": False, "user": None, "display_name": None, "role": None,
        "must_change": False, "enabled": True}
    assert_error(client.get("/api/reports"), 401)
    answer = login(client).get_json()
    assert answer == {"planner": True, "user": PLANNER, "display_name": PLANNER,
                      "role": "planner", "must_change": False}
    assert client.get("/api/session").get_json()["user"] == PLANNER
    assert client.get("/api/reports").status_code == 200


@pytest.mark.parametrize("body, status, parameter", [
    ({"user": PLANNER, "password": "wrong password"}, 401, "password"),
    ({"user": "nobody", "password": PASSWORD}, 401, "password"),
    ({"password": PASSWORD}, 400, "user"),
    ({"user": PLANNER}, 400, "password"),
    ({"user": PLANNER, "password": 12345678901}, 400, "password"),
    ({"user": PLANNER, "password": PASSWORD, "remember": True}, 400, "remember"),
    ({"user": "x" * 65, "password": PASSWORD}, 400, "user"),
])
def test_bad_sign_ins(writable, body, status, parameter):
    body = assert_error(writable.test_client().post("/api/login", json=body), status, parameter)
    if status == 401:
        assert body["error"] == "wrong user name or password"


def test_without_accounts_no_one_signs_in(client):
    assert client.get("/api/session").get_json()["enabled"] is False
    assert_error(login(client), 401, "password")


def test_the_cookie_carries_only_a_random_token(writable):
    client = sign_in(writable)
    cookie = client.get_cookie("session")
    data = writable.session_interface.get_signing_serializer(writable).loads(cookie.value)
    assert set(data) == {"sid", "_permanent"} and len(data["sid"]) >= 40
    assert PLANNER not in str(data) and PASSWORD not in str(data)
    again = sign_in(writable)
    assert again.get_cookie("session").value != cookie.value  # a new token each sign-in


def test_a_captured_cookie_is_worthless_after_sign_out(writable):
    client = sign_in(writable)
    thief = with_cookie(writable, client)
    assert thief.get("/api/reports").status_code == 200
    assert client.post("/api/logout", json={}).get_json()["planner"] is False
    assert_error(thief.get("/api/reports"), 401)
    assert thief.get("/api/session").get_json()["planner"] is False


@pytest.mark.parametrize("request_options, parameter", [
    ({"data": {}}, "body"),  # a bare <form method=post action=/api/logout>
    ({"data": {"x": "1"}}, "body"),
    ({"data": "{}", "content_type": "text/plain"}, "body"),  # a form with enctype=text/plain
    ({"data": {"f": (io.BytesIO(b"{}"), "f.json")}, "content_type": "multipart/form-data"},
     "body"),
    ({}, "body"),  # no body: what fetch(…, {method: "POST", mode: "no-cors"}) sends
    ({"json": []}, "body"),
    ({"json": {"everywhere": True}}, "everywhere"),
], ids=["form", "form-field", "text-plain", "multipart", "no-body", "array", "unknown-field"])
def test_only_a_json_sign_out_signs_out(writable, request_options, parameter):
    """A page that posts a form to /api/logout (same-site: the Lax cookie goes along) signs
    nobody out: like every write, sign-out takes a JSON body, which a form cannot send."""
    client = sign_in(writable)
    assert_error(client.post("/api/logout", **request_options), 400, parameter)
    assert client.get("/api/session").get_json()["planner"] is True
    assert client.get("/api/reports").status_code == 200
    assert client.post("/api/logout", json={}).get_json()["planner"] is False
    assert client.get("/api/session").get_json()["planner"] is False


def test_a_password_change_ends_every_session(writable):
    first, second = sign_in(writable), sign_in(writable, address="10.0.0.9")
    thief = with_cookie(writable, first)
    writable.extensions["accounts"].set_password(PLANNER, "another passphrase")
    for client in (first, second, thief):
        assert_error(client.get("/api/reports"), 401)
    assert_error(login(writable.test_client()), 401)
    assert sign_in(writable, password="another passphrase")


def test_a_disabled_account_is_refused(writable):
    client = sign_in(writable)
    writable.extensions["accounts"].set_disabled(PLANNER)
    assert_error(client.get("/api/reports"), 401)
    assert "disabled" in assert_error(login(writable.test_client()), 403)["error"]


def test_a_session_ends_after_its_idle_time(writable):
    client = sign_in(writable)
    engine = writable.extensions["accounts"].engine
    with engine.begin() as conn:
        row = conn.execute(sessions_table.select()).one()
        conn.execute(update(sessions_table).values(
            last_seen_at=row.last_seen_at - timedelta(seconds=settings.session_idle_s)))
    assert_error(client.get("/api/reports"), 401)


def test_writes_record_who_made_them(writable, planner, demo_stations):
    sid = demo_stations[0].id
    etag = planner.get(f"/api/stations/{sid}").headers["ETag"]
    changed = planner.patch(f"/api/stations/{sid}", json={"capacity": 7},
                            headers={"If-Match": etag})
    assert changed.status_code == 200
    add_account(writable, "wang", role="admin")
    admin = sign_in(writable, "wang")
    closed = admin.delete(f"/api/stations/{sid}", headers={"If-Match": changed.headers["ETag"]})
    assert closed.status_code == 200
    history = planner.get(f"/api/stations/{sid}/history").get_json()["history"]
    assert [h["actor"] for h in history[-2:]] == [PLANNER, "wang"]


def test_only_admins_list_the_accounts(writable, planner):
    assert_error(writable.test_client().get("/api/users"), 401)
    assert "is a planner" in assert_error(planner.get("/api/users"), 403)["error"]
    add_account(writable, "wang", role="admin")
    users = sign_in(writable, "wang").get("/api/users").get_json()["users"]
    assert [(u["name"], u["role"]) for u in users] == [(PLANNER, "planner"), ("wang", "admin")]
    assert all("password" not in str(u) for u in users)


# --- throttling -----------------------------------------------------------------------------------

def fail(app, times: int, *, address: str = "10.0.0.66", user: str = PLANNER) -> None:
    client = client_at(app, address)
    for _ in range(times):
        assert_error(login(client, user, "guess guess"), 401)


def test_throttling_holds_across_processes_sharing_the_database(writable):
    """Two app instances on one SQLite file, as two granian workers: failures counted by one
    slow the same account and address down on the other."""
    other = create_app({"TESTING": True, "DATA_DIR": writable.config["DATA_DIR"],
                        "DB_URL": writable.config["DB_URL"], "SECRET_KEY": "test"})
    fail(writable, settings.signin_free_failures - 2)
    fail(other, 2)
    attacker = client_at(other, "10.0.0.66")
    throttled = login(attacker)  # the right password, but it must wait first
    assert_error(throttled, 429)
    assert 1 <= int(throttled.headers["Retry-After"]) <= settings.signin_backoff_base_s + 1
    assert_error(login(client_at(writable, "10.0.0.66")), 429)
    # the planner at their own desk is not held up by someone else's failures
    assert sign_in(writable, address="10.0.0.7").get("/api/reports").status_code == 200
    assert sign_in(other, address="10.0.0.8").get("/api/reports").status_code == 200
    other.extensions["yizhan"].registry.engine.dispose()


def test_a_burst_on_two_instances_when_a_wait_ends_gets_one_password_check(writable,
                                                                          monkeypatch):
    """Eight guesses at once, four through each of two app instances on one database (as
    two worker processes with their threads), the moment a wait ends: one password is
    checked (401), the seven others are told to wait (429 with Retry-After)."""
    other = create_app({"TESTING": True, "DATA_DIR": writable.config["DATA_DIR"],
                        "DB_URL": writable.config["DB_URL"], "SECRET_KEY": "test"})
    fail(writable, settings.signin_free_failures)
    assert_error(login(client_at(other, "10.0.0.66")), 429)
    with writable.extensions["accounts"].engine.begin() as conn:  # the wait is over
        for row in conn.execute(select(failures_table)).all():
            conn.execute(update(failures_table).where(failures_table.c.key == row.key).values(
                last_at=row.last_at - timedelta(seconds=2),
                next_allowed_at=row.next_allowed_at - timedelta(seconds=2)))
    checks = []
    real = accounts_module.hasher

    class Counting:
        def __init__(self, inner):
            self.inner = inner

        def verify(self, stored, password):
            checks.append(password)
            time.sleep(0.05)  # about what a real argon2 check costs
            return self.inner.verify(stored, password)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(accounts_module, "hasher", lambda: Counting(real()))
    start = threading.Barrier(8)

    def guess(app):
        client = client_at(app, "10.0.0.66")
        start.wait()
        return login(client, PLANNER, "guess guess")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(guess, [writable, other] * 4))
    assert len(checks) == 1
    assert sorted(a.status_code for a in answers) == [401] + [429] * 7
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 429)
    other.extensions["yizhan"].registry.engine.dispose()


def test_a_read_only_database_still_throttles_guessing(writable):
    """While the database cannot be written, wrong passwords still count (in the worker's
    memory): 401 five times, then 429; the right password is a 503, never a 500."""
    url = writable.config["DB_URL"]
    writable.extensions["yizhan"].registry.engine.dispose()
    app = create_app({"TESTING": True, "DATA_DIR": writable.config["DATA_DIR"],
                      "DB_URL": read_only(url), "SECRET_KEY": "test"})
    fail(app, settings.signin_free_failures)
    throttled = login(client_at(app, "10.0.0.66"))
    assert_error(throttled, 429)
    assert 1 <= int(throttled.headers["Retry-After"]) <= settings.signin_backoff_base_s + 1
    assert_error(login(client_at(app, "10.0.0.7")), 503)
    app.extensions["yizhan"].registry.engine.dispose()


def test_one_address_guessing_many_accounts_is_slowed(writable):
    for i in range(settings.signin_client_free_failures):
        fail(writable, 1, user=f"user{i}")
    assert_error(login(client_at(writable, "10.0.0.66")), 429)
    assert sign_in(writable, address="10.0.0.7")


# --- cookies and proxies --------------------------------------------------------------------------

def cookie_header(client, base_url: str = "http://localhost") -> str:
    response = client.post("/api/login", json={"user": PLANNER, "password": PASSWORD},
                           base_url=base_url)
    assert response.status_code == 200
    return response.headers["Set-Cookie"]


def test_the_cookie_is_httponly_lax_and_secure_over_https(writable):
    plain = cookie_header(writable.test_client())
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = cookie_header(writable.test_client(), "https://planner.example")
    assert "Secure" in secure and "HttpOnly" in secure


def test_the_https_setting_marks_every_cookie_secure(demo, writable):
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir,
                      "DB_URL": writable.config["DB_URL"], "HTTPS": True})
    assert "Secure" in cookie_header(app.test_client())
    app.extensions["yizhan"].registry.engine.dispose()


def test_forwarded_headers_count_only_behind_a_trusted_proxy(demo, writable):
    forged = {"X-Forwarded-For": "10.9.9.9", "X-Forwarded-Proto": "https"}
    # no proxy trusted: a client cannot pick its address (to escape its throttle) or scheme
    fail(writable, settings.signin_free_failures, address="10.0.0.66")
    client = client_at(writable, "10.0.0.66")
    assert_error(client.post("/api/login", json={"user": PLANNER, "password": PASSWORD},
                             headers=forged), 429)

    proxied = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "TRUSTED_PROXIES": 1,
                          "DB_URL": writable.config["DB_URL"]})
    behind = client_at(proxied, "10.0.0.66")  # the proxy
    response = behind.post("/api/login", json={"user": PLANNER, "password": PASSWORD},
                           headers=forged)
    assert response.status_code == 200  # the client is 10.9.9.9, which has no failures
    assert "Secure" in response.headers["Set-Cookie"]  # it came by HTTPS to the proxy
    proxied.extensions["yizhan"].registry.engine.dispose()


def test_a_bad_proxy_count_is_refused(demo):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "TRUSTED_PROXIES": -1})
