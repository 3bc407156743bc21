"""Importing and exporting station lists in the planner view, in Chromium, in Chinese: upload →
preview with every problem in its cell → columns → coordinate system (a GCJ-02 list read as
WGS-84 is pointed out and its points move onto the streets) → apply, with a summary and the
history; bad files get clear answers and write nothing; the export downloads a file that reads
back. Screenshots at 390 px and on a desktop go to /tmp/yizhan-shots/."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from geo import coords
from geo.io.stations import read_stations
from geo.registry import Registry
from tests.browser.conftest import PASSWORD, PLANNER, SHOTS, page_opener, serving, sign_in

DESKTOP = {"viewport": {"width": 1280, "height": 860}, "is_mobile": False, "has_touch": False}


@pytest.fixture(scope="module")
def chengdu_office(chengdu_demo, tmp_path_factory, chromium):
    """The app on a private copy of the Chengdu demo registry, with a planner account."""
    from app import create_app

    folder = tmp_path_factory.mktemp("office")
    target = folder / "yizhan.sqlite"
    with sqlite3.connect(chengdu_demo.data_dir / "yizhan.sqlite") as src, \
            sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    app = create_app({"TESTING": True, "DATA_DIR": chengdu_demo.data_dir, "DB_URL": url,
                      "SECRET_KEY": "browser-tests", "REGISTRY_CHECK_INTERVAL": 0.2,
                      "IMPORT_DIR": folder / "imports"})
    app.extensions["accounts"].add(PLANNER, PASSWORD, display_name="李明")
    with serving(app) as base:
        yield {"base": base, "db_url": url, "folder": folder}
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def open_office(chromium, chengdu_office):
    with page_opener(chromium, chengdu_office["base"]) as opener:
        yield opener


def gcj_list(db_url: str, folder, *, bad: bool = True) -> str:
    """A list as an office keeps it: Amap (GCJ-02) coordinates, a header the reader does not
    know (联系人电话), one row without coordinates when ``bad``."""
    stations = Registry(db_url).stations()[:6]
    rows = [["编号", "驿站名字", "站点类型", "经度", "纬度", "管理单位"]]
    for s in stations:
        lon, lat = coords.from_wgs84(s.lon, s.lat, "gcj02")
        rows.append([s.id, s.name, "环卫驿站", f"{lon:.6f}", f"{lat:.6f}", "成都市总工会"])
    if bad:
        rows.append(["", "没坐标的驿站", "环卫驿站", "", "", "成都市总工会"])
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = folder / ("月度名单.csv" if not bad else "三月名单.csv")
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return str(path)


def busy_aside(errors: list[str]) -> list[str]:
    """Console errors but the 503s of a request the page asks again after Retry-After (the
    coverage computing at sign-in holds the process's analysis slot)."""
    return [e for e in errors if "status of 503" not in e]


def start(open_office, **options):
    page, watcher = open_office("/plan?tab=stations&lang=zh", **options)
    page.set_default_timeout(90_000)  # a preview waits while the sign-in's coverage computes
    sign_in(page)
    page.wait_for_selector("#editor:not([hidden])")
    return page, watcher


def choose(page, path: str):
    page.set_input_files("#io-file", path)


def wait_preview(page, watcher) -> None:
    """Until the preview's table shows (its failure said with what the panel shows)."""
    page.wait_for_selector("#io-table, .io-error", timeout=120_000)
    assert page.locator("#io-table").count(), (page.locator("#io-panel").inner_text(),
                                               watcher.errors)


def test_upload_preview_mapping_crs_and_apply(open_office, chengdu_office):
    folder, db_url = chengdu_office["folder"], chengdu_office["db_url"]
    for name, options in (("desktop", DESKTOP), ("390", {})):
        page, watcher = start(open_office, **options)
        choose(page, gcj_list(db_url, folder))
        wait_preview(page, watcher)
        # the name column is unknown: the mapping is open and says what is missing
        assert page.locator("#io-missing").is_visible()
        assert "站点名称" in page.locator("#io-missing").inner_text()
        page.locator("select[data-header='驿站名字']").select_option("name")
        page.wait_for_selector("#io-table td.bad")
        bad = page.locator("#io-table td.bad").first
        assert "坐标是空的" in bad.inner_text()
        assert page.locator("#io-apply").is_disabled()
        # the GCJ-02 list read as WGS-84 is pointed out
        hint = page.locator("#io-crs-hint")
        assert hint.is_visible() and "高德" in hint.inner_text() and "米" in hint.inner_text()
        page.locator("#io-crs-hint").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"import-preview-{name}.png"))
        page.locator("#io-use-crs").click()
        page.wait_for_function("() => !document.getElementById('io-crs-hint') && "
                               "document.getElementById('io-crs').value === 'gcj02'")
        page.locator(".io-only input").check()
        page.wait_for_function("() => document.querySelectorAll('#io-table tbody tr').length === 1")
        page.locator("#io-table").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"import-problems-{name}.png"))
        assert not busy_aside(watcher.errors), watcher.errors
        before = Registry(db_url).version()
        page.locator("#io-close").click()
        assert Registry(db_url).version() == before  # nothing written

    # a clean list: the sync lists what it closes, apply writes it all
    page, watcher = start(open_office, **DESKTOP)
    registry = Registry(db_url)
    others = registry.stations()[6:8]
    registry.upsert([s.replace(operator="成都市总工会") for s in others], source="test")
    choose(page, gcj_list(db_url, folder, bad=False))
    wait_preview(page, watcher)
    page.locator("select[data-header='驿站名字']").select_option("name")
    page.wait_for_selector("#io-crs-hint")
    page.locator("#io-use-crs").click()
    page.wait_for_function("() => !document.getElementById('io-crs-hint')")
    page.locator("#io-sync").check()
    page.wait_for_selector(".io-closing")
    assert others[0].name in page.locator(".io-closing").inner_text()
    page.screenshot(path=str(SHOTS / "import-sync-desktop.png"), full_page=True)
    page.locator("#io-apply").click()
    page.wait_for_selector("#io-done")
    done = page.locator("#io-done").inner_text()
    assert "已导入 月度名单.csv" in done and "关闭 2" in done
    page.screenshot(path=str(SHOTS / "import-done-desktop.png"))
    ids = {s.id for s in registry.stations()}
    assert others[0].id not in ids and others[1].id not in ids
    entry = registry.history(registry.stations()[0].id)[-1]
    assert entry["source"] == "import 月度名单.csv" and entry["actor"] == PLANNER
    assert not busy_aside(watcher.errors), watcher.errors


def test_bad_files_get_clear_answers_and_write_nothing(open_office, chengdu_office):
    folder, db_url = chengdu_office["folder"], chengdu_office["db_url"]
    before = Registry(db_url).version()
    page, watcher = start(open_office)
    cases = {
        "乱码.csv": (bytes(range(0x80, 0x100)) * 40, "无法"),
        "没有坐标.csv": ("站点名称,站点类型,地址\n甲,环卫驿站,某路\n".encode("gbk"), "经度"),
        "空.xlsx": (b"", "空"),
        "坏.xlsx": (b"PK\x03\x04 not really", "无法"),
    }
    for file, (data, said) in cases.items():
        path = folder / file
        path.write_bytes(data)
        choose(page, str(path))
        page.wait_for_selector(".io-error, #io-missing")
        shown = page.locator("#io-panel").inner_text()
        assert said in shown, (file, shown)
        if file == "没有坐标.csv":
            assert page.locator("#io-apply").is_disabled()
            page.screenshot(path=str(SHOTS / "import-no-coordinates-390.png"), full_page=True)
        page.locator("#io-close").click()
    big = folder / "太大.csv"
    big.write_bytes(b"0" * (21 * 1024 * 1024))
    choose(page, str(big))
    page.wait_for_selector(".io-error")
    assert "文件太大" in page.locator(".io-error").inner_text()
    page.screenshot(path=str(SHOTS / "import-too-large-390.png"), full_page=True)
    assert Registry(db_url).version() == before
    assert not [e for e in busy_aside(watcher.errors) if "413" not in e and "400" not in e]


def test_export_downloads_a_chinese_file_that_reads_back(open_office, chengdu_office, tmp_path):
    page, watcher = start(open_office, **DESKTOP)
    page.locator("#io-export").click()
    page.select_option("#ex-format", "csv")
    page.select_option("#ex-encoding", "gbk")
    page.select_option("#ex-crs", "gcj02")
    page.screenshot(path=str(SHOTS / "export-desktop.png"))
    with page.expect_download() as info:
        page.locator("#ex-download").click()
    download = info.value
    assert download.suggested_filename.startswith("驿站-")
    path = tmp_path / "export.csv"
    download.save_as(path)
    back = read_stations(path, crs="gcj02")
    assert not back.problems
    assert {s.id for s in back.stations} == {s.id for s in Registry(
        chengdu_office["db_url"]).stations()}
    assert not busy_aside(watcher.errors), watcher.errors
