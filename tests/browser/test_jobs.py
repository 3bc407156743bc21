"""Siting and coverage runs as jobs in the planner view (Chromium, in Chinese): the stage and a
progress bar while a run computes, Cancel, the result of the next run, and a second planner's
place in the queue."""

from __future__ import annotations

import re

from app import settings as app_settings
from tests.browser.conftest import OTHER_PASSWORD, OTHER_PLANNER, SHOTS, sign_in

DESKTOP = {"viewport": {"width": 1366, "height": 850}, "is_mobile": False, "has_touch": False}
STAGES_ZH = {"排队中", "读取劳动者分布", "计算覆盖", "识别缺口区域", "搜索候选站点", "构建覆盖矩阵",
             "求解"}


def ready(page) -> None:
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("() => document.body.dataset.busy === '0' && "
                           "document.querySelector('.gcard') !== null", timeout=30_000)


def test_a_siting_run_shows_its_progress_is_cancelled_and_runs_again(open_page, monkeypatch):
    page, watcher = open_page("/plan", **DESKTOP)
    page.wait_for_selector("body[data-ready='1']")
    sign_in(page)
    ready(page)
    monkeypatch.setattr(app_settings, "job_step_delay_s", 3.0)  # each step of a run: 3 s
    page.locator("#tab-siting").click()
    page.fill("#s-minutes", "2.2")  # a run of its own (nothing kept from other tests)
    page.fill("#s-add", "2")
    page.locator("#s-run").click()
    panel = page.locator("#s-job")
    page.wait_for_selector("#s-job[data-state=running]:not([hidden])")
    page.wait_for_function("() => !['queued', undefined].includes("
                           "document.getElementById('s-job').dataset.stage)")
    assert panel.locator(".job-stage").inner_text() in STAGES_ZH
    bar = panel.locator("progress.job-bar")
    assert bar.is_visible() and bar.get_attribute("aria-label") == "分析进度"
    assert float(bar.evaluate("b => b.value")) > 0
    cancel = panel.locator("button.job-cancel")
    assert cancel.inner_text() == "取消"
    page.screenshot(path=str(SHOTS / "30-job-running.png"))

    # a second planner opens the view meanwhile: their coverage waits behind this run
    other, other_watcher = open_page("/plan", **DESKTOP)
    other.wait_for_selector("body[data-ready='1']")
    other.fill("#user", OTHER_PLANNER)
    other.fill("#password", OTHER_PASSWORD)
    other.locator("#signin-form button[type=submit]").click()
    other.wait_for_selector("#c-job .job-queue:not([hidden])")
    assert other.locator("#c-job .job-queue").inner_text() == "排队中：前面还有 1 个分析"
    assert other.locator("#c-job .job-stage").inner_text() == "排队中"
    other.screenshot(path=str(SHOTS / "31-job-queued.png"))

    cancel.click()
    page.wait_for_selector("body[data-plan=cancelled]", timeout=5_000)
    assert page.locator("#s-error").inner_text() == "已取消分析。"
    assert panel.is_hidden() and page.locator("#s-run").is_enabled()
    ready(other)  # the slot is free: the second planner's coverage comes
    assert other.locator("#c-job").is_hidden()

    monkeypatch.setattr(app_settings, "job_step_delay_s", 0.2)
    page.locator("#s-run").click()
    page.wait_for_selector("body[data-plan=done]", timeout=30_000)
    assert page.locator("#s-error").is_hidden() and panel.is_hidden()
    assert page.locator(".site-list li").count() >= 1
    assert re.search(r"\d", page.locator(".ba-list").inner_text())
    assert watcher.errors == [] and other_watcher.errors == []
    assert watcher.outside == [] and other_watcher.outside == []
