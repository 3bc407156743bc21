"""The web pages and the app factory, with Flask's test client on the demo region."""

from __future__ import annotations

import dataclasses
import gc
import gzip
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

import app as app_module
from app import create_app
from app.accounts import Accounts
from app.writer import WritesForwarded
from geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from geo.registry import Registry
from geo.stations import Station
from tests.app.conftest import XSS, copy_db, page_config

APP = Path(app_module.__file__).parent
SCRIPTS = sorted((APP / "static" / "js").rglob("*.js"))


def outside_urls(html: str) -> list[str]:
    """URLs in src/href attributes of tags that make the browser fetch something."""
    fetched = re.findall(r'<(?:script|link|img|iframe|source)\b[^>]*?(?:src|href)="([^"]+)"', html)
    fetched += re.findall(r'url\(([^)]+)\)', html)
    return [u for u in fetched if re.match(r"(https?:)?//", u)]


# --- the worker finder ----------------------------------------------------------------------------

def test_finder_is_chinese_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "驿站" in html and "定位我" in html and "演示数据" in html
    assert 'href="/?lang=en"' in html and ">English<" in html
    config = page_config(html)
    assert config["lang"] == "zh" and config["kinds"]["driver_home"]["label"] == "司机之家"
    assert config["modes"] == ["walk", "ebike", "drive"] and config["tiles"] is None
    assert config["demo"]["label"] == "演示数据 demo data"


@pytest.mark.parametrize("how", [{"query_string": {"lang": "en"}},
                                 {"headers": {"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}}])
def test_finder_in_english(client, how):
    html = client.get("/", **how).get_data(as_text=True)
    assert '<html lang="en">' in html and "Locate me" in html and "Demo data" in html
    assert ">中文<" in html and "lang=zh" in html
    assert page_config(html)["kinds"]["sanitation_station"]["label"] == \
        "sanitation worker station"


def test_chinese_browsers_get_chinese(client):
    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).get_data(
        as_text=True)
    assert '<html lang="zh-CN">' in html


def test_pages_fetch_nothing_from_other_hosts(client):
    for path in ["/", "/?lang=en", "/plan", "/plan?lang=en"]:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert outside_urls(html) == [], path
        assert "cdn" not in html.lower()
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "img-src 'self' data:;" in csp
        assert "connect-src 'self'" in csp
    scripts = [f"/static/{p.relative_to(APP / 'static').as_posix()}" for p in SCRIPTS]
    for path in ["/static/css/app.css", "/theme.css", *scripts]:
        with client.get(path) as response:
            text = response.get_data(as_text=True)
        # the only outside addresses: the SVG namespace and the link in the map attribution
        found = set(re.findall(r"https?://[^\s\"'<>)]+", text))
        assert found <= {"https://leafletjs.com", "http://www.w3.org/2000/svg"}, path


def test_leaflet_comes_from_the_xstatic_package(client):
    import xstatic.pkg.leaflet as xleaflet

    html = client.get("/").get_data(as_text=True)
    assert '<script src="/static/vendor/leaflet/leaflet.js">' in html
    with client.get("/static/vendor/leaflet/leaflet.js") as js:
        assert js.status_code == 200 and xleaflet.VERSION.encode() in js.data[:200]
    with client.get("/static/vendor/leaflet/leaflet.css") as css:
        assert css.status_code == 200 and b".leaflet-container" in css.data
    with client.get("/static/vendor/leaflet/images/layers.png") as png:
        assert png.status_code == 200 and png.mimetype == "image/png"
    assert client.get("/static/vendor/leaflet/../../__init__.py").status_code == 404


def test_no_demo_banner_without_a_demo(demo, tmp_path):
    (tmp_path / "net").mkdir()
    shutil.copy(demo.network_path("walk"), tmp_path / "net" / "network-walk.npz")
    real = create_app({"TESTING": True, "DATA_DIR": tmp_path / "net"})
    html = real.test_client().get("/").get_data(as_text=True)
    assert "demo-banner" not in html and page_config(html)["demo"] is None
    assert page_config(html)["modes"] == ["walk"]
    assert real.test_client().get("/healthz").get_json() == {
        "ok": True, "stations": 0, "networks": ["walk"]}


@pytest.mark.parametrize("tiles, host", [("osm", "https://tile.openstreetmap.org"),
                                         ("amap", "https://*.is.autonavi.com"),
                                         ("tianditu", "https://*.tianditu.gov.cn")])
def test_tile_services(demo, tiles, host):
    configured = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "TILES": tiles,
                             "TIANDITU_KEY": "k&y"})
    response = configured.test_client().get("/")
    config = page_config(response.get_data(as_text=True))["tiles"]
    assert config["name"] == tiles and config["url"].startswith("https://")
    assert host in response.headers["Content-Security-Policy"]
    assert config.get("gcj02", False) is (tiles == "amap")
    if tiles == "tianditu":
        assert "tk=k%26y" in config["url"] and "tk=k%26y" in config["labels"]


def test_bad_tile_settings_fail_at_start(demo):
    with pytest.raises(ValueError, match="TILES"):
        create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "TILES": "google"})
    with pytest.raises(ValueError, match="TIANDITU_KEY"):
        create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "TILES": "tianditu"})


# --- other pages ----------------------------------------------------------------------------------

def test_plan_is_the_bilingual_planner_view(client):
    """More in tests/app/test_plan_api.py and tests/browser/test_plan.py."""
    html = client.get("/plan").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "规划视图" in html
    assert '<script type="module" src="/static/js/plan/main.js">' in html
    english = client.get("/plan?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Planner view" in english


def test_planner_redirects_to_the_planner_view(client):
    """The station editor lives in /plan now; its old address keeps working."""
    response = client.get("/planner?lang=en")
    assert response.status_code in (302, 308) and response.location == "/plan?lang=en"
    assert client.get("/planner").location == "/plan"
    html = client.get("/planner?lang=en&tab=stations", follow_redirects=True).get_data(as_text=True)
    assert "Planner sign-in" in html and 'type="password"' in html


def test_the_finder_is_a_module_too(client):
    html = client.get("/").get_data(as_text=True)
    assert '<script type="module" src="/static/js/finder/main.js">' in html
    with client.get("/static/js/finder/main.js") as response:
        assert response.status_code == 200 and "javascript" in response.mimetype


def test_no_script_is_over_500_lines():
    assert len(SCRIPTS) > 10
    long = {p.name: n for p in SCRIPTS if (n := len(p.read_text("utf-8").splitlines())) > 500}
    assert long == {}


def test_kind_colours_come_from_geo_style(client):
    from geo.style import KIND_COLOURS

    with client.get("/theme.css") as response:
        css = response.get_data(as_text=True)
    assert response.mimetype == "text/css"
    for kind, colour in KIND_COLOURS.items():
        assert f"--{kind}: {colour};" in css
    assert "/theme.css" in client.get("/").get_data(as_text=True)
    with client.get("/static/css/app.css") as response:
        hexes = set(re.findall(r"#[0-9a-f]{6}", response.get_data(as_text=True)))
    assert not set(KIND_COLOURS.values()) & hexes


# --- the string catalogues ------------------------------------------------------------------------

def catalogue(lang: str) -> dict[str, dict[str, str]]:
    return json.loads((APP / "i18n" / f"{lang}.json").read_text("utf-8"))


def test_both_catalogues_have_the_same_keys():
    zh, en = catalogue("zh"), catalogue("en")
    assert ({s: sorted(keys) for s, keys in zh.items()}
            == {s: sorted(keys) for s, keys in en.items()})
    for lang, sections in (("zh", zh), ("en", en)):
        seen = [k for keys in sections.values() for k in keys]
        assert len(seen) == len(set(seen)), f"{lang}: a key in two sections"
        assert all(isinstance(v, str) and v for keys in sections.values() for v in keys.values())

    def placeholders(message):
        return sorted(re.findall(r"\{(\w+)(?:![rs])?\}", message))  # {value!r} too

    for section, keys in zh.items():
        for key, text in keys.items():  # a list may be given in Chinese as well: {columns_zh}
            def names(message):
                return {name.removesuffix("_zh") for name in placeholders(message)}

            assert names(text) == names(en[section][key]), key


def used_keys(path: Path) -> set[str]:
    """String keys a script (``t("key")``) or a template (``t.key``, ``t["key"]``) uses."""
    text = path.read_text("utf-8")
    if path.suffix == ".js":
        return set(re.findall(r"\bt\(\"(\w+)\"\s*[,)]", text))
    return set(re.findall(r"\bt\.(\w+)", text)) | set(re.findall(r"\bt\[\"(\w+)\"\]", text))


def test_every_string_a_page_uses_is_in_its_catalogue():
    """Each page's templates and scripts use only keys of the sections that page gets."""
    from app.pages import PAGE_SECTIONS
    from geo.network import MODES

    js = APP / "static" / "js"
    shared = [APP / "templates" / "base.html", js / "config.js", js / "common.js", js / "i18n.js",
              js / "coords.js", js / "basemap.js"]
    pages = {
        "finder": ([APP / "templates" / "finder.html", *(js / "finder").glob("*.js")],
                   {f"mode_{m}" for m in MODES}),
        "station": ([APP / "templates" / "station.html"], set()),
        "plan": ([APP / "templates" / "plan.html", js / "editor.js", *(js / "plan").glob("*.js")],
                 {f"mode_{m}_long" for m in MODES}
                 | {f"act_{a}" for a in ("create", "update", "delete", "restore")}
                 | {f"field_{f.name}" for f in dataclasses.fields(Station)}
                 | {f"tab_{t}" for t in ("coverage", "gaps", "siting", "reports", "stations")}),
        "figures": ([APP / "templates" / "figures.html", js / "figures.js"], set()),
    }
    sections = catalogue("zh")
    covered = set()
    for page, (files, dynamic) in pages.items():
        available = {k for name in PAGE_SECTIONS[page] for k in sections[name]}
        for path in [*shared, *files]:
            covered.add(path)
            missing = used_keys(path) - available
            assert not missing, f"{path.name} on {page}: {sorted(missing)}"
        assert dynamic <= available, page
    assert set(SCRIPTS) <= covered  # every script is checked


def test_station_page_has_navigation_links(client, demo_stations):
    station = demo_stations[0]
    response = client.get(f"/s/{station.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and station.name in html
    g_lon, g_lat = wgs84_to_gcj02(station.lon, station.lat)
    b_lon, b_lat = wgs84_to_bd09(station.lon, station.lat)
    assert f"geo:{station.lat:.6f},{station.lon:.6f}" in html
    assert f"position={g_lon:.6f},{g_lat:.6f}" in html
    assert f"location={b_lat:.6f},{b_lon:.6f}" in html
    assert f'href="/?lang=zh&amp;station={station.id}"' in html
    missing = client.get("/s/nope?lang=en")
    assert missing.status_code == 404 and "No such station" in missing.get_data(as_text=True)


def test_station_names_are_escaped_in_pages(demo, tmp_path):
    target = tmp_path / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    registry = Registry(url)
    station = registry.stations()[0].replace(name=XSS, address=XSS, phone='"><script>x</script>')
    registry.upsert([station])
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url})
    client = app.test_client()
    for path in [f"/s/{station.id}", "/", "/?lang=en", "/plan"]:
        html = client.get(path).get_data(as_text=True)
        assert XSS not in html and "<script>x</script>" not in html, path
    html = client.get(f"/s/{station.id}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("hours, zh, en", [
    ("24/7", "全天 24 小时", "24 hours, every day"),
    ("Mo-Fr 09:00-17:00; Sa 09:00-12:00", "周一至周五 09:00-17:00；周六 09:00-12:00",
     "Mo-Fr 09:00-17:00 · Sa 09:00-12:00"),
    ("Mo,We 08:00-12:00; PH off", "周一、周三 08:00-12:00；节假日 休息",
     "Mo,We 08:00-12:00 · PH off"),
    ("", "开放时间未知", "Hours unknown"),
])
def test_opening_hours_read_like_people_write_them(hours, zh, en):
    from app.pages import format_hours

    assert format_hours(hours, "zh") == zh and format_hours(hours, "en") == en


def test_unknown_pages_are_html_404(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404 and response.mimetype == "text/html"


# --- the factory and the server -------------------------------------------------------------------

def test_settings_come_from_the_environment(demo, monkeypatch, tmp_path):
    monkeypatch.delenv("YIZHAN_DB", raising=False)
    monkeypatch.setenv("YIZHAN_DATA_DIR", str(demo.data_dir))
    monkeypatch.setenv("YIZHAN_TILES", "osm")
    monkeypatch.setenv("YIZHAN_TRUSTED_PROXIES", "1")
    monkeypatch.setenv("YIZHAN_HTTPS", "true")
    monkeypatch.setenv("YIZHAN_NETWORKS", json.dumps({"drive": str(demo.network_path("drive"))}))
    configured = create_app()
    assert configured.config["TRUSTED_PROXIES"] == 1 and configured.config["SESSION_COOKIE_SECURE"]
    assert configured.config["DB_URL"] == f"sqlite:///{demo.data_dir / 'yizhan.sqlite'}"
    assert list(configured.extensions["yizhan"].networks) == ["drive"]
    assert configured.config["TILES"] == "osm" and configured.config["SECRET_KEY"]


def test_the_command_line_database_variable_is_honoured(demo, monkeypatch, tmp_path):
    monkeypatch.setenv("YIZHAN_DATA_DIR", str(demo.data_dir))
    monkeypatch.setenv("YIZHAN_DB", str(tmp_path / "other.sqlite"))
    configured = create_app()
    assert configured.config["DB_URL"] == f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert configured.test_client().get("/healthz").get_json()["stations"] == 0


def test_serve_runs_granian(demo, monkeypatch, capsys):
    """``serve`` hands granian (WSGI) the app it built: the workers load that app, not their own."""
    import multiprocessing

    import granian.server

    calls = {}
    monkeypatch.setattr(multiprocessing, "set_start_method", lambda *a, **kw: None)

    class Server:
        def __init__(self, target, **kw):
            calls.update(kw)

        def serve(self, target_loader):
            calls["app"] = target_loader("app:create_app")
            calls["writer listens"] = os.path.exists(calls["app"].socket_path)

    monkeypatch.setattr(granian.server, "Server", Server)
    monkeypatch.setattr(gc, "freeze", lambda: calls.update(frozen=True))  # not the test process
    monkeypatch.setattr(app_module, "_SERVED", None)
    app_module.serve(data_dir=demo.data_dir, host="0.0.0.0", port=8765, workers=2)
    assert calls["address"] == "0.0.0.0" and calls["port"] == 8765
    assert calls["interface"] == "wsgi" and calls["workers"] == 2 and calls["blocking_threads"] >= 4
    # each worker answers with that app, the station writes forwarded to the writer process
    assert isinstance(calls["app"], WritesForwarded) and calls["app"].app is app_module._SERVED
    assert calls["frozen"] and calls["writer listens"]
    assert not os.path.exists(calls["app"].socket_path)  # the writer ended with the server
    assert calls["app"].app.extensions["yizhan"].networks
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8765/" in out and "No planner accounts yet" in out


def test_serve_with_worker_processes_shares_sign_ins(demo, tmp_path):
    """Two forked granian workers on one socket: both answer, both know a sign-in, and after
    signing out neither does."""
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    if not hasattr(os, "fork"):
        pytest.skip("worker processes need fork (POSIX)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = copy_db(demo, tmp_path)
    Accounts(Registry(url)).add("li.ming", "planner-password")
    code = (f"from app import serve; serve(data_dir={str(demo.data_dir)!r}, db_url={url!r}, "
            f"port={port}, workers=2, threads=2)")
    env = {**os.environ, "YIZHAN_NEAREST_CACHE": "0"}
    env.pop("YIZHAN_SECRET_KEY", None)
    server = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    assert json.load(response)["ok"] is True
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.2)
        login = urllib.request.Request(
            base + "/api/login", data=b'{"user": "li.ming", "password": "planner-password"}',
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login) as response:
            cookie = response.headers["Set-Cookie"].split(";")[0]

        def states():  # new connections: the kernel spreads them over both workers
            seen = []
            for _ in range(12):
                request = urllib.request.Request(base + "/api/session",
                                                 headers={"Cookie": cookie})
                with urllib.request.urlopen(request) as response:
                    seen.append(json.load(response)["planner"])
            return seen

        assert all(states())

        # a station moved: taken by the writer process, then shown by every worker
        with urllib.request.urlopen(base + "/api/stations") as response:
            sid = json.load(response)["features"][0]["id"]
        with urllib.request.urlopen(f"{base}/api/stations/{sid}") as response:
            lon, lat = json.load(response)["geometry"]["coordinates"]
            version = response.headers["ETag"]
        there = [round(lon + 0.0002, 7), lat]
        move = urllib.request.Request(
            f"{base}/api/stations/{sid}", method="PATCH",
            data=json.dumps({"lon": there[0], "lat": lat}).encode(),
            headers={"Cookie": cookie, "Content-Type": "application/json", "If-Match": version})
        with urllib.request.urlopen(move) as response:
            assert json.load(response)["geometry"]["coordinates"] == there
            assert "Werkzeug" not in response.headers.get("Server", "")

        def shown():  # by each worker's station list
            found = []
            for _ in range(12):
                with urllib.request.urlopen(base + "/api/stations") as response:
                    found.append(next(f["geometry"]["coordinates"] for f in
                                      json.load(response)["features"] if f["id"] == sid))
            return found

        deadline = time.monotonic() + 10
        while shown() != [there] * 12:
            assert time.monotonic() < deadline, shown()
            time.sleep(0.2)
        logout = urllib.request.Request(base + "/api/logout", method="POST", data=b"{}",
                                        headers={"Cookie": cookie,
                                                 "Content-Type": "application/json"})
        urllib.request.urlopen(logout).close()
        assert not any(states())
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=20)
    assert "2 workers" in out and server.returncode == 0, err


def test_the_basemap_layers_are_served_from_the_app(chengdu_demo):
    """Chengdu's basemap (roads by class, water, green, street names) comes from the app itself,
    with no tile service and no other host; without the file the page draws the streets."""
    from app.schemas import Basemap

    client = create_app({"TESTING": True, "DATA_DIR": chengdu_demo.data_dir}).test_client()
    page = client.get("/")
    config = page_config(page.get_data(as_text=True))
    assert config["tiles"] is None and config["basemapLayers"] is True
    assert "img-src 'self' data:;" in page.headers["Content-Security-Policy"]
    answer = client.get("/api/basemap", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    assert answer.headers["Content-Encoding"] == "gzip"
    raw = gzip.decompress(answer.data)
    assert len(answer.data) < 200_000 and raw == chengdu_demo.basemap_path.read_bytes()
    collection = Basemap.model_validate(json.loads(raw))
    layers = {(f.properties.layer, f.properties.class_) for f in collection.features}
    assert {("road", "primary"), ("road", "residential"), ("water", "area"), ("water", "river"),
            ("green", "park"), ("label", "primary")} <= layers
    assert not re.search(rb"https?://", raw)
    assert client.get("/api/basemap", headers={"If-None-Match": answer.headers["ETag"]}
                      ).status_code == 304

    bare = create_app({"TESTING": True, "DATA_DIR": chengdu_demo.data_dir,
                       "BASEMAP": chengdu_demo.data_dir / "none.geojson"}).test_client()
    assert page_config(bare.get("/").get_data(as_text=True))["basemapLayers"] is False
    missing = bare.get("/api/basemap")
    assert missing.status_code == 404 and "networks/<mode>/lines" in missing.get_json()["error"]
