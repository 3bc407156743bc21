"""Take the README's screenshots of the demo: the finder on a phone and the planner view.

Run from the repository root::

    python docs/screenshots.py                    # writes docs/images/finder-phone.png, planner.png
    python docs/screenshots.py --out /tmp/shots   # elsewhere

It builds the demo region (central Chengdu, as ``yizhan demo`` does) in a temporary data
directory, serves the web app on a free loopback port, signs in a demo planner account made for
the run, and drives Debian's Chromium (``apt-get install chromium``) with Playwright. It never
downloads a browser and lets the pages reach no other host. About a minute on two cores.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--no-proxy-server"]
#: Where the worker stands in the finder shot: 春熙路, central Chengdu (EPSG:4326 degrees).
FINDER_POINT = {"latitude": 30.6558, "longitude": 104.0790}
#: The finder shot's zoom: the route to the nearest station and the pins around it.
FINDER_ZOOM = 16
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1,
           "is_mobile": False, "has_touch": False}
PLANNER = "demo"
#: A screenshot larger than this (bytes) is reduced to a 256-colour palette.
MAX_BYTES = 400_000


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def serving(data_dir: Path) -> Iterator[tuple[str, str]]:
    """The web app on the demo in ``data_dir``, on a free loopback port, with a planner account.

    Yields ``(base_url, password)`` of the planner account ``demo``.
    """
    from werkzeug.serving import make_server

    from app import create_app

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": secrets.token_hex(32)})
    password = secrets.token_urlsafe(12)
    app.extensions["accounts"].add(PLANNER, password, display_name="演示规划员 demo planner")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", password
    finally:
        httpd.shutdown()
        thread.join(5)
        httpd.server_close()
        app.extensions["yizhan"].registry.engine.dispose()


def only_local(context, base: str, errors: list[str]) -> None:
    """Block every request to another host, and keep what the page reports as an error."""

    def route(request_route):
        url = request_route.request.url
        if url.startswith((base + "/", "data:")):
            request_route.continue_()
        else:
            errors.append(f"blocked {url}")
            request_route.abort()

    context.route("**/*", route)


def shoot_finder(browser, base: str, path: Path) -> None:
    """The finder on a 390 px phone, in Chinese, after 定位我 at :data:`FINDER_POINT`."""
    context = browser.new_context(**PHONE, locale="zh-CN", geolocation=FINDER_POINT,
                                  permissions=["geolocation"])
    errors: list[str] = []
    only_local(context, base, errors)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready='1']")
    page.locator("#locate").click()
    page.wait_for_function("() => yizhan.state.origin !== null && "
                           "document.body.dataset.searching === '0' && "
                           "document.body.dataset.results !== undefined")
    if not page.locator("#results > li").count():
        raise RuntimeError("the finder listed no station at the chosen point")
    page.wait_for_timeout(800)  # the map fits the route once the sheet has grown
    page.evaluate(f"() => yizhan.map.setZoom({FINDER_ZOOM}, {{animate: false}})")
    page.wait_for_timeout(1500)  # the pins of the new view, the labels and the sheet settle
    page.wait_for_selector(".map-label")
    page.screenshot(path=str(path))
    context.close()
    if errors:
        raise RuntimeError(f"the finder page reported: {errors}")


def shoot_planner(browser, base: str, password: str, path: Path) -> None:
    """The planner view on a desktop, signed in, with the coverage drawn."""
    context = browser.new_context(**DESKTOP, locale="zh-CN")
    errors: list[str] = []
    only_local(context, base, errors)
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/plan")
    page.wait_for_selector("body[data-ready='1']")
    if page.locator("#signin-form").is_visible():
        page.fill("#user", PLANNER)
        page.fill("#password", password)
        page.locator("#signin-form button[type=submit]").click()
        page.wait_for_selector("body[data-planner='1']")
    page.wait_for_function("() => document.body.dataset.busy === '0' && "
                           "document.querySelector('.gcard') !== null && "
                           "document.querySelector('path.hex-cell') !== null")
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    context.close()
    if errors:
        raise RuntimeError(f"the planner page reported: {errors}")


def shrink(path: Path, *, max_bytes: int = MAX_BYTES) -> None:
    """Reduce a PNG over ``max_bytes`` to a 256-colour palette (the maps have few colours)."""
    if path.stat().st_size <= max_bytes:
        return
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images",
                        help="folder for finder-phone.png and planner.png (default docs/images)")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        parser.error(f"needs Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from geo.demo import build_demo

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yizhan-shots-") as tmp:
        started = time.perf_counter()
        say(f"Building the demo region in {tmp} …")
        build_demo(Path(tmp), progress=lambda m: say(
            f"  {time.perf_counter() - started:5.1f} s  {m}"))
        with serving(Path(tmp)) as (base, password), sync_playwright() as playwright:
            say(f"Serving at {base}")
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
            try:
                shots = {"finder-phone.png": lambda p: shoot_finder(browser, base, p),
                         "planner.png": lambda p: shoot_planner(browser, base, password, p)}
                for name, shoot in shots.items():
                    path = args.out / name
                    shoot(path)
                    shrink(path)
                    say(f"  {path} ({path.stat().st_size / 1000:.0f} kB)")
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
