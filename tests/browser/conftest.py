"""Browser tests: Playwright driving Debian's Chromium against the app served on loopback.

Skipped with a reason when /usr/bin/chromium or the ``playwright`` package is missing (CI installs
both; never ``playwright install``). Screenshots go to /tmp/yizhan-shots/.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/yizhan-shots")
#: The planner account the browser signs in with (made in the server's registry).
PLANNER, PASSWORD = "li.ming", "planner-password"
#: A second planner, for two people editing at once.
OTHER_PLANNER, OTHER_PASSWORD = "wang", "other-password"
XSS = "<img src=x onerror=alert(1)>"
MOBILE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1,
          "is_mobile": True, "has_touch": True}

#: A point on the map, inside the region and far from every marker, so that a tap there hits the
#: map (in container pixels).
FREE_POINT_JS = """() => {
  const map = yizhan.map, size = map.getSize();
  const pins = [];
  map.eachLayer(l => { if (l.getLatLng && l.options && l.options.icon) {
    pins.push(map.latLngToContainerPoint(l.getLatLng())); } });
  const mapTop = document.getElementById("map").getBoundingClientRect().top;
  const top = document.querySelector(".filterbar").getBoundingClientRect().bottom - mapTop + 30;
  const bottom = document.getElementById("sheet").getBoundingClientRect().top - mapTop - 30;
  const cx = size.x / 2, cy = (top + bottom) / 2;
  let best = null;
  for (let x = 40; x < size.x - 60; x += 8) for (let y = top; y < bottom; y += 8) {
    const d = Math.min(...pins.map(p => Math.hypot(p.x - x, p.y - 20 - y)));
    const score = Math.min(d, 60) * 10 - Math.hypot(x - cx, y - cy);
    if (!best || score > best[2]) best = [x, y, score];
  }
  return [best[0], best[1]];
}"""


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium "
                    "(apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="browser tests need the `playwright` package")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--no-proxy-server"])
        yield browser
        browser.close()


@contextmanager
def serving(app):
    """``app`` served by werkzeug in a thread on a free loopback port; yields the base URL."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(5)
        httpd.server_close()


@pytest.fixture(scope="session")
def server(demo, tmp_path_factory, chromium):
    """The app on a private copy of the demo registry (one station named like an XSS attack),
    served by werkzeug in a thread on a free loopback port."""
    from app import create_app
    from geo.registry import Registry

    target = tmp_path_factory.mktemp("browser") / "yizhan.sqlite"
    with sqlite3.connect(demo.data_dir / "yizhan.sqlite") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    registry = Registry(url)
    stations = registry.stations()
    registry.upsert([stations[-1].replace(name=XSS)], source="test")
    app = create_app({"TESTING": True, "DATA_DIR": demo.data_dir, "DB_URL": url,
                      "SECRET_KEY": "browser-tests", "REGISTRY_CHECK_INTERVAL": 0.2})
    app.extensions["accounts"].add(PLANNER, PASSWORD, display_name="李明")
    app.extensions["accounts"].add(OTHER_PLANNER, OTHER_PASSWORD, display_name="王芳")
    with serving(app) as base:
        yield {"base": base, "db_url": url, "xss_id": stations[-1].id}
    registry.engine.dispose()


@pytest.fixture(scope="session")
def chengdu_server(chengdu_demo, chromium):
    """The app on the Chengdu demo as ``yizhan demo`` builds it (read-only use)."""
    from app import create_app

    app = create_app({"TESTING": True, "DATA_DIR": chengdu_demo.data_dir,
                      "SECRET_KEY": "browser-tests"})
    with serving(app) as base:
        yield {"base": base}
    app.extensions["yizhan"].registry.engine.dispose()


class Watcher:
    """Records requests to other hosts (and blocks them), console errors and page errors."""

    def __init__(self, base: str):
        self.base = base
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def route(self, route):
        url = route.request.url
        if url.startswith((self.base + "/", "data:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def attach(self, context, page) -> None:
        context.route("**/*", self.route)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.accept()


@contextmanager
def page_opener(chromium, base: str):
    """Yields ``open(path, **context_options)`` -> (page, watcher) on a fresh mobile context."""
    contexts = []

    def opener(path: str = "/", **options):
        context = chromium.new_context(**{**MOBILE, "locale": "zh-CN", **options})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        watcher = Watcher(base)
        watcher.attach(context, page)
        page.goto(base + path)
        if path.startswith("/?") or path == "/":
            page.wait_for_selector("body[data-ready='1']")
        return page, watcher

    try:
        yield opener
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def open_page(chromium, server):
    """``open_page(path, **context_options)`` -> (page, watcher) on the Helsinki demo."""
    with page_opener(chromium, server["base"]) as opener:
        yield opener


@pytest.fixture
def open_chengdu(chromium, chengdu_server):
    """``open_chengdu(path, **context_options)`` -> (page, watcher) on the Chengdu demo."""
    with page_opener(chromium, chengdu_server["base"]) as opener:
        yield opener


class HttpPlanner:
    """A planner signed in over HTTP with their own session (another person, or the test
    reading what the page shows)."""

    def __init__(self, base: str, user: str = PLANNER, password: str = PASSWORD):
        self.base = base
        self.http = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.call("POST", "/api/login", {"user": user, "password": password})

    def call(self, method: str, path: str, body: dict | None = None, headers=None,
             *, tries: int = 20):
        """``(answer, headers)`` of one request. A 503 with Retry-After (the server is finishing
        the page's own analysis) is asked again after the wait it names, as the page does."""
        request = urllib.request.Request(
            self.base + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **(headers or {})})
        for _ in range(tries - 1):
            try:
                with self.http.open(request) as response:
                    return json.load(response), response.headers
            except urllib.error.HTTPError as exc:
                if exc.code != 503 or "Retry-After" not in exc.headers:
                    raise
                time.sleep(min(float(exc.headers["Retry-After"]), 2.0))
        with self.http.open(request) as response:
            return json.load(response), response.headers


def sign_in(page, password: str = PASSWORD) -> None:
    """Fill the planner view's sign-in form and send it."""
    page.fill("#user", PLANNER)
    page.fill("#password", password)
    page.locator("#signin-form button[type=submit]").click()


def tap_free_point(page) -> None:
    """Tap the map where no marker is."""
    x, y = page.evaluate(FREE_POINT_JS)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    wait_for_results(page)


def wait_for_results(page) -> None:
    page.wait_for_function("() => document.body.dataset.searching === '0' && "
                           "document.body.dataset.results !== undefined")
