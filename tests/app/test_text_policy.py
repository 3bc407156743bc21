"""The text policy (:mod:`geo.text`) at every boundary of the web app and the command line: a
character no text may hold — a lone surrogate, U+FFFF, NUL, a bidirectional override — is a
400 (or exit 2) naming the field and the character, never a 500 or a traceback, and nothing is
written."""

from __future__ import annotations

import json

import pytest

from app.accounts import Accounts
from app.cli import main
from geo.registry import Registry
from tests.app.conftest import CENTRE, PASSWORD, PLANNER, assert_error, own_app, sign_in

#: JSON escapes of characters the policy refuses, and how a message names them. A lone
#: surrogate reaches Python from JSON as a str holding it; a surrogate pair is one character.
REFUSED = {
    "\\ud800": "U+D800",  # lone high surrogate
    "\\udfff": "U+DFFF",  # lone low surrogate
    "\\uffff": "U+FFFF",  # XML cannot hold it: an XLSX export would not open
    "\\ufdd0": "U+FDD0",  # noncharacter
    "\\udbff\\udfff": "U+10FFFF",  # a plane's last code point, as a surrogate pair
    "\\u0000": "U+0000",
    "\\u001b": "U+001B",
    "\\u202e": "U+202E",  # right-to-left override
    "\\u2066": "U+2066",  # left-to-right isolate
}
#: Every text field of a station, and the other fields that take text.
TEXT_FIELDS = ["name", "address", "phone", "operator", "notes", "hours"]
OTHER_FIELDS = ["kind", "services", "access", "crs"]
NEW = {"name": "春熙路驿站", "kind": "driver_home", "lon": CENTRE[0], "lat": CENTRE[1],
       "hours": "24/7", "address": "一环路", "phone": "028-1234", "operator": "总工会",
       "notes": "第一行\n第二行", "services": "休息", "access": "public", "crs": "wgs84"}


def raw_body(fields: dict, field: str, escape: str) -> str:
    """``fields`` as JSON text, ``field`` holding the JSON escape ``escape`` between words (as a
    client sends it: json.dumps could not write a lone surrogate)."""
    return json.dumps({**fields, field: "@@"}, ensure_ascii=False).replace(
        '"@@"', f'"前{escape}后"')


@pytest.fixture(scope="module")
def writable_app(demo, tmp_path_factory):
    """One app on its own registry for the module (every request here must write nothing)."""
    app = own_app(demo, tmp_path_factory.mktemp("text-policy"))
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture(scope="module")
def editor(writable_app):
    return sign_in(writable_app)


@pytest.fixture(scope="module")
def station(writable_app):
    """The station the PATCH requests aim at, as the registry holds it."""
    return writable_app.extensions["yizhan"].registry.stations()[0]


def registry_state(app) -> tuple:
    """Every station and the registry's version (which any write moves)."""
    registry = app.extensions["yizhan"].registry
    return registry.version(), registry.stations(include_deleted=True)


def refused_answer(response, field: str, named: str) -> None:
    body = assert_error(response, 400, field)
    assert named in body["error"], body


# --- the API --------------------------------------------------------------------------------------

@pytest.mark.parametrize("escape", REFUSED)
@pytest.mark.parametrize("field", TEXT_FIELDS + OTHER_FIELDS)
def test_create_refuses_each_character_in_each_field(writable_app, editor, field, escape):
    before = registry_state(writable_app)
    response = editor.post("/api/stations", data=raw_body(NEW, field, escape),
                           content_type="application/json")
    refused_answer(response, field, REFUSED[escape])
    assert registry_state(writable_app) == before


@pytest.mark.parametrize("escape", REFUSED)
@pytest.mark.parametrize("field", TEXT_FIELDS + OTHER_FIELDS + ["id"])
def test_patch_refuses_each_character_in_each_field(writable_app, editor, station, field,
                                                    escape):
    before = registry_state(writable_app)
    version = writable_app.extensions["yizhan"].registry.get_versioned(station.id).version
    response = editor.patch(f"/api/stations/{station.id}", data=raw_body({}, field, escape),
                            content_type="application/json",
                            headers={"If-Match": f'"{version}"'})
    refused_answer(response, field, REFUSED[escape])
    assert registry_state(writable_app) == before


def test_a_created_id_with_a_surrogate_is_refused(writable_app, editor):
    before = registry_state(writable_app)
    response = editor.post("/api/stations", data=raw_body(NEW, "id", "\\ud800"),
                           content_type="application/json")
    refused_answer(response, "id", "U+D800")
    assert registry_state(writable_app) == before


def test_line_breaks_and_tabs_stay_where_text_runs_over_lines(writable_app, editor):
    body = {**NEW, "name": "换行驿站", "notes": "第一行\r\n第二行\t乙", "address": "甲\r乙"}
    created = editor.post("/api/stations", json=body)
    assert created.status_code == 201, created.get_json()
    properties = created.get_json()["properties"]
    assert properties["notes"] == "第一行\n第二行\t乙" and properties["address"] == "甲\n乙"
    for field in ("name", "phone", "operator", "hours"):
        refused_answer(editor.post("/api/stations", json={**NEW, field: "甲\n乙"}), field,
                       "U+000A")


@pytest.mark.parametrize("query, parameter", [
    ("/api/stations?kind=%ED%A0%80", "kind"),  # not UTF-8 (an encoded surrogate)
    ("/api/stations?q=%ED%A0%80", "q"),
    ("/api/stations?service=%FF%FE", "service"),
    ("/api/stations?kind=%EF%BF%BF", "kind"),  # U+FFFF
    ("/api/stations?service=%E2%80%AE", "service"),
    ("/api/stations?open_at=2026-11-25T12:00%00", "open_at"),
    ("/api/stations?bbox=%00", "bbox"),
    (f"/api/nearest?lat={CENTRE[1]}&lon={CENTRE[0]}&mode=walk%00", "mode"),
    (f"/api/nearest?lat={CENTRE[1]}&lon={CENTRE[0]}&open_now=%E2%81%A6", "open_now"),
    (f"/api/nearest?lat={CENTRE[1]}&lon={CENTRE[0]}&k=3%00", "k"),
    (f"/api/nearest?lat=60.1%00&lon={CENTRE[0]}", "lat"),
])
def test_queries_with_refused_or_broken_text_are_400(editor, query, parameter):
    assert_error(editor.get(query), 400, parameter)


@pytest.mark.parametrize("query, parameter, named", [
    ("/api/stations?kind=%EF%BF%BF", "kind", "U+FFFF"),
    ("/api/stations?service=%E2%80%AE", "service", "U+202E"),
    (f"/api/nearest?lat={CENTRE[1]}&lon={CENTRE[0]}&mode=walk%00", "mode", "U+0000"),
    ("/api/coverage?group=%EF%B7%90", "group", "U+FDD0"),
])
def test_a_query_names_the_refused_character(editor, query, parameter, named):
    refused_answer(editor.get(query), parameter, named)


@pytest.mark.parametrize("path", ["/api/stations/%ED%A0%80", "/api/stations/a%00b",
                                  "/api/stations/%EF%BF%BF/history"])
def test_a_station_path_with_such_text_is_not_found(editor, path):
    assert_error(editor.get(path), 404)
    if not path.endswith("/history"):
        assert_error(editor.patch(path, json={"name": "x"}, headers={"If-Match": '"1"'}), 404)
        assert_error(editor.delete(path, headers={"If-Match": '"1"'}), 404)


@pytest.mark.parametrize("body, field, named", [
    ('{"user": "li\\ud800", "password": "x"}', "user", "U+D800"),
    ('{"user": "li\\u202eming", "password": "x"}', "user", "U+202E"),
    ('{"user": "li.ming", "password": "secret\\udfffword"}', "password", "U+DFFF"),
])
def test_sign_in_refuses_such_text_without_echoing_the_password(writable_app, body, field,
                                                                named):
    client = writable_app.test_client()
    response = client.post("/api/login", data=body, content_type="application/json")
    refused_answer(response, field, named)
    assert "secret" not in response.get_data(as_text=True)


# --- the command line: accounts ---------------------------------------------------------------

@pytest.fixture
def password_env(monkeypatch):
    monkeypatch.setenv("YIZHAN_PASSWORD", PASSWORD)


@pytest.mark.parametrize("display, named", [
    ("李\udcff明", "U+DCFF"),  # a byte that is not UTF-8, as Python reads argv
    ("李\u202e明", "U+202E"), ("李\uffff明", "U+FFFF"), ("李\x1b[31m明", "U+001B"),
])
def test_user_add_refuses_such_a_display_name(runner, db_url, password_env, display, named):
    result = runner.invoke(main, ["user", "add", PLANNER, "--display-name", display,
                                  "--db", db_url])
    assert result.exit_code == 2, result.output
    assert "display_name" in result.stderr and named in result.stderr
    assert Accounts(Registry(db_url)).users() == []


def test_the_display_name_message_in_chinese(runner, db_url, password_env):
    result = runner.invoke(main, ["--lang", "zh", "user", "add", PLANNER, "--display-name",
                                  "李\u202e明", "--db", db_url])
    assert result.exit_code == 2
    assert "显示名称含有无法保存的字符 U+202E" in result.stderr


def test_accounts_refuse_such_a_display_name(db_url):
    accounts = Accounts(Registry(db_url))
    with pytest.raises(ValueError, match=r"display name holds U\+FFFF"):
        accounts.add(PLANNER, PASSWORD, display_name="李明\uffff")
    assert accounts.add(PLANNER, PASSWORD, display_name=" 李明 ").display_name == "李明"


@pytest.mark.parametrize("command", [["user", "passwd"], ["user", "disable"],
                                     ["user", "add"]])
def test_a_user_name_that_is_not_utf8_is_exit_2(runner, db_url, password_env, command):
    result = runner.invoke(main, [*command, "li\udcffming", "--db", db_url])
    assert result.exit_code == 2, result.output
    assert "`name` 'li\\udcffming' has a space or control character" in result.stderr


def test_a_password_that_is_not_utf8_is_exit_2(runner, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("YIZHAN_PASSWORD", "planner\udcffpassword")
    result = runner.invoke(main, ["user", "add", PLANNER, "--db", db_url])
    assert result.exit_code == 2 and "U+DCFF" in result.stderr
    monkeypatch.delenv("YIZHAN_PASSWORD")
    latin = tmp_path / "password.txt"
    latin.write_bytes("pässwörd-lang-genug\n".encode("latin-1"))
    result = runner.invoke(main, ["user", "add", PLANNER, "--db", db_url, "--password-file",
                                  str(latin)])
    assert result.exit_code == 2 and "not UTF-8" in result.stderr
    assert Accounts(Registry(db_url)).users() == []
