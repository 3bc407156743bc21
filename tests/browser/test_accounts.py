"""Accounts and the uploads of worker counts and districts, in Chromium, in Chinese (and the
accounts page in English too), on a phone (390 px) and a desktop."""

from __future__ import annotations

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

ADMIN, ADMIN_PASSWORD = "zhang.admin", "admin-password"
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "is_mobile": False, "has_touch": False}
LON, LAT = 24.9440, 60.1705
GOOD = f"经度,纬度,人数,群体\n{LON},{LAT},120,外卖骑手\n{LON + 0.002},{LAT},30,环卫工人\n"
BAD = GOOD + f"{LON},北边,5,外卖骑手\n{LON},{LAT},-3,外卖骑手\n"


@pytest.fixture(scope="module")
def office(demo, tmp_path_factory, chromium):
    """An app of its own (uploads change what its analyses read), with a planner and an admin."""
    from app import create_app

    target = tmp_path_factory.mktemp("accounts") / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": f"sqlite:///{target}",
                      "SECRET_KEY": "browser-tests", "REGISTRY_CHECK_INTERVAL": 0.2})
    app.extensions["accounts"].add(PLANNER, PASSWORD, display_name="李明")
    app.extensions["accounts"].add(ADMIN, ADMIN_PASSWORD, role="admin", display_name="张主任")
    with serving(app) as base:
        yield {"base": base, "app": app}
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def open_office(chromium, office):
    with page_opener(chromium, office["base"]) as opener:
        yield opener


def sign_in_accounts(page, user: str, password: str) -> None:
    page.fill("#acc-user", user)
    page.fill("#acc-password", password)
    page.click("#acc-signin-form button[type=submit]")
    page.wait_for_selector("#acc-mine:not([hidden])")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_admin_adds_a_planner_who_sets_their_own_password(open_office, office, size):
    options = {} if size == "phone" else DESKTOP
    page, watcher = open_office("/accounts?lang=zh", **options)
    sign_in_accounts(page, ADMIN, ADMIN_PASSWORD)
    page.wait_for_selector(f"#acc-list li[data-name='{PLANNER}']")
    name = f"wang.{size}"
    # a bad name first: the answer says why, in Chinese, and nothing is made
    page.fill("#acc-new-name", "wang fang")
    page.click("#acc-create")
    page.wait_for_selector("#acc-add-error:not([hidden])")
    assert "空格" in page.inner_text("#acc-add-error")
    page.fill("#acc-new-name", name)
    page.fill("#acc-new-display", "王芳")
    page.select_option("#acc-new-role", "planner")
    page.click("#acc-create")
    page.wait_for_selector("#acc-otp:not([hidden])")
    password = page.inner_text("#acc-otp-value")
    assert len(password) >= 10 and "王芳" not in password
    page.wait_for_selector(f"#acc-list li[data-name='{name}']")
    assert "待改密码" in page.inner_text(f"#acc-list li[data-name='{name}']")
    page.screenshot(path=str(SHOTS / f"accounts-admin-otp-{size}-zh.png"), full_page=True)
    page.click("#acc-otp-done")
    assert page.inner_text("#acc-otp-value") == ""

    # the new planner signs in with it and must change it first
    mine, mine_watcher = open_office("/accounts?lang=zh", **options)
    sign_in_accounts(mine, name, password)
    assert mine.locator("#acc-must-change").is_visible()
    mine.screenshot(path=str(SHOTS / f"accounts-must-change-{size}-zh.png"), full_page=True)
    mine.fill("#acc-current", password)
    mine.fill("#acc-new", "short")
    mine.fill("#acc-repeat", "short")
    mine.click("#acc-change")
    assert "10" in mine.inner_text("#acc-password-error")
    mine.fill("#acc-current", password)
    mine.fill("#acc-new", "wang-own-password")
    mine.fill("#acc-repeat", "wang-own-password")
    mine.click("#acc-change")
    mine.wait_for_selector("#acc-password-ok:not([hidden])")
    mine.wait_for_selector("#acc-must-change", state="hidden")
    assert HttpPlanner(office["base"], name, "wang-own-password").call(
        "GET", "/api/session")[0]["must_change"] is False

    # the admin disables the account: its session ends; the log says who did what
    # (the watcher accepts the confirmation)
    page.click(f"#acc-list li[data-name='{name}'] button[data-act=disable]")
    page.wait_for_selector(f"#acc-list li[data-name='{name}'] button[data-act=enable]")
    mine.reload()
    mine.wait_for_selector("#acc-signin:not([hidden])")
    log = page.inner_text("#acc-log")
    assert "停用了账号" in log and "修改了密码" in log and "添加了账号" in log and ADMIN in log
    page.screenshot(path=str(SHOTS / f"accounts-log-{size}-zh.png"), full_page=True)
    assert watcher.dialogs and name in watcher.dialogs[-1]
    assert not [e for e in watcher.errors if "400" not in e] and not watcher.outside
    assert not [e for e in mine_watcher.errors if "400" not in e]


def test_the_accounts_page_in_english(open_office):
    for size, options in (("phone", {}), ("desktop", DESKTOP)):
        page, watcher = open_office("/accounts?lang=en", locale="en-GB", **options)
        sign_in_accounts(page, ADMIN, ADMIN_PASSWORD)
        page.wait_for_selector(f"#acc-list li[data-name='{PLANNER}']")
        assert "All accounts" in page.inner_text("#acc-admin")
        page.screenshot(path=str(SHOTS / f"accounts-{size}-en.png"), full_page=True)
        assert not watcher.errors


def test_a_planner_uploads_worker_counts_and_a_bad_file_changes_nothing(open_office, office,
                                                                       tmp_path):
    bad, good = tmp_path / "人数-有错.csv", tmp_path / "人数.csv"
    bad.write_text(BAD, "utf-8")
    good.write_text(GOOD, "utf-8")
    store = office["app"].extensions["yizhan"].inputs
    for size, options in (("phone", {}), ("desktop", DESKTOP)):
        page, watcher = open_office("/plan?lang=zh", **options)
        page.wait_for_selector("body[data-ready='1']")
        if page.locator("#signin-form").is_visible():
            sign_in(page)
        page.wait_for_selector("#inputs:not([hidden])")
        before = store.current_ids()["demand"]
        page.set_input_files("#inp-file-demand", str(bad))
        page.wait_for_selector("#inp-problems-demand:not([hidden])")
        problems = page.inner_text("#inp-problems-demand")
        assert "没有任何内容被保存" in problems and "第 4 行" in problems and "纬度" in problems
        assert "第 5 行" in problems and "人数" in problems
        assert store.current_ids()["demand"] == before
        page.evaluate("() => document.getElementById('inp-problems-demand').scrollIntoView()")
        page.screenshot(path=str(SHOTS / f"uploads-bad-{size}-zh.png"))
        page.set_input_files("#inp-file-demand", str(good))
        page.wait_for_function("() => document.getElementById('toast').textContent"
                               ".includes('已上传')")
        page.wait_for_function("() => document.getElementById('inp-current-demand')"
                               ".textContent.includes('150')")
        assert store.current_ids()["demand"] != before
        page.evaluate("() => document.getElementById('inp-demand').scrollIntoView()")
        page.screenshot(path=str(SHOTS / f"uploads-done-{size}-zh.png"))
        if size == "desktop":  # the earlier upload (the phone's) is restored
            page.locator("#inp-demand .inp-earlier button").first.click()
            # the upload's toast may still show: wait for the restore's own
            page.wait_for_function("() => document.getElementById('toast').textContent"
                                   ".includes('已恢复')")
        assert not [e for e in watcher.errors if "400" not in e], watcher.errors
