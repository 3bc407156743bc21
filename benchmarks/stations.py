"""The station list on a phone: bytes over the wire and time to first results in the finder.

    python -m benchmarks stations [--region harbin] [--stations 5000] [--runs 2]
                                  [--down-kbps 1600] [--rtt-ms 150] [--before REF] [--no-browser]

Builds the demo region (``--region``, default central Harbin, a whole city) into a temporary
directory and adds generated stations
(:func:`geo.synthetic.random_stations` on its walking network) to a copy of its registry up to
``--stations``. Then:

1. **Bytes** (Flask test client): the full ``GET /api/stations`` raw and with gzip, and the
   ``bbox`` answers for a phone's view at zoom 16 (390×844 CSS px, around the middle of the
   stations), the view itself and the box the finder asks for (padded by half the view on every
   side, snapped outwards to its grid); and the counts (``/api/clusters``) a phone at zoom 12
   asks for.
2. **Time to first results** (Chromium from ``/usr/bin/chromium`` through Playwright, mobile
   context 390×844, the network throttled with CDP ``Network.emulateNetworkConditions``:
   ``--down-kbps`` down, 750 kbit/s up, ``--rtt-ms`` round trip): the finder served by waitress
   from this checkout ("after") and from the git revision ``--before`` ("before", default: the
   revision before the finder loaded stations by box), each on the same data. Two scenarios,
   each from a cold cache: the worker opens ``/`` and taps "Locate me" as soon as the page
   answers (time to the nearest list, and to the pins on the map); the worker opens a shared
   station link ``/?station=id`` (time to the station's card and pins); and, for the record, the
   worker opens ``/`` and waits (the first view shows the whole region: the finder asks for
   the stations counted per cell, ``/api/clusters``; before it asked for every station). The
   medians of ``--runs`` runs, and the bytes of ``/api/stations*`` each load moved. For the first
   view also the markers drawn (pins and clusters), there and at every zoom from 11 to 18 around the
   middle of the stations (the most of them): a city's first view must be useful, not thousands
   of pins.

Everything runs on 127.0.0.1; the throttling stands in for the phone's network.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}
#: What the finder pads its view by on every side (app/static/js/finder/map.js PAD).
PAD = 0.5


# --- data -----------------------------------------------------------------------------------------

def build_data(tmp: Path, count: int, seed: int = 5, region_id: str = "harbin"):
    """The demo region in ``tmp`` and a registry copy with ``count`` stations; (region, db url)."""
    from geo.demo import build_demo
    from geo.registry import Registry
    from geo.synthetic import random_stations

    region = build_demo(tmp / "demo", region_id=region_id)
    target = tmp / "stations.sqlite"
    with sqlite3.connect(region.data_dir / "yizhan.sqlite") as src, \
            sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    registry = Registry(url)
    missing = count - len(registry.stations())
    if missing > 0:
        registry.upsert(random_stations(region.network("walk"), missing, seed=seed),
                        source="benchmark")
    registry.engine.dispose()
    return region, url


# --- boxes ----------------------------------------------------------------------------------------

def phone_view(lon: float, lat: float, *, zoom: float = 16, width: int = 390,
               height: int = 844) -> tuple[float, float, float, float]:
    """The box a Web Mercator map of ``width``×``height`` CSS px shows at ``zoom`` around
    (lon, lat): west, south, east, north in EPSG:4326 degrees."""
    world = 256 * 2 ** zoom  # px around the equator

    def y(lat_):
        return (1 - math.log(math.tan(math.radians(lat_)) + 1 / math.cos(math.radians(lat_)))
                / math.pi) / 2 * world

    def lat_of(y_):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y_ / world))))

    half_lon = width / 2 * 360 / world
    south, north = lat_of(y(lat) + height / 2), lat_of(y(lat) - height / 2)
    return (lon - half_lon, south, lon + half_lon, north)


def finder_box(view: tuple[float, float, float, float]) -> tuple[float, ...]:
    """The box the finder asks for: the view padded by PAD on every side (in Mercator pixels, as
    Leaflet pads; close to degrees at this size) and snapped outwards to its grid."""
    w, s, e, n = view
    dx, dy = (e - w) * PAD, (n - s) * PAD
    w, s, e, n = w - dx, s - dy, e + dx, n + dy
    step = 10 ** math.floor(math.log10(max(e - w, n - s) / 4))
    return (math.floor(w / step) * step, math.floor(s / step) * step,
            math.ceil(e / step) * step, math.ceil(n / step) * step)


def box_text(box) -> str:
    return ",".join(f"{v:.7f}".rstrip("0").rstrip(".") for v in box)


# --- bytes ----------------------------------------------------------------------------------------

def byte_figures(region, db_url: str) -> dict:
    from app import create_app
    from geo.registry import Registry

    app = create_app({"TESTING": True, "DATA_DIR": region.data_dir, "DB_URL": db_url})
    client = app.test_client()
    stations = Registry(db_url).stations()
    lon = float(np.median([s.lon for s in stations]))
    lat = float(np.median([s.lat for s in stations]))
    out = {"stations": len(stations), "centre": (lon, lat)}
    started = time.perf_counter()
    raw = client.get("/api/stations", headers={"Accept-Encoding": "identity"})
    out["first_answer_s"] = time.perf_counter() - started
    packed = client.get("/api/stations", headers={"Accept-Encoding": "gzip"})
    assert json.loads(gzip.decompress(packed.data)) == raw.get_json()
    with app.app_context():  # the answer as it was sent before: jsonify, ASCII, no compression
        before = app.json.response(raw.get_json()).get_data()
    out["full"] = {"before": len(before), "raw": len(raw.data), "gzip": len(packed.data),
                   "features": len(raw.get_json()["features"])}
    started = time.perf_counter()
    again = client.get("/api/stations", headers={"If-None-Match": packed.headers["ETag"]})
    out["revalidate"] = {"status": again.status_code, "bytes": len(again.data),
                         "s": time.perf_counter() - started}
    view = phone_view(lon, lat)
    for name, box in (("view", view), ("finder box", finder_box(view))):
        query = "/api/stations?bbox=" + box_text(box)
        raw = client.get(query, headers={"Accept-Encoding": "identity"})
        packed = client.get(query, headers={"Accept-Encoding": "gzip"})
        out[name] = {"box": box, "raw": len(raw.data), "gzip": len(packed.data),
                     "features": len(raw.get_json()["features"])}
    if "clusters.clusters" in app.view_functions:  # the counts of a zoomed-out phone (zoom 12)
        box = finder_box(phone_view(lon, lat, zoom=12))
        query = f"/api/clusters?zoom=12&bbox={box_text(box)}"
        raw = client.get(query, headers={"Accept-Encoding": "identity"})
        packed = client.get(query, headers={"Accept-Encoding": "gzip"})
        out["clusters"] = {"box": box, "raw": len(raw.data), "gzip": len(packed.data),
                           "cells": len(raw.get_json()["clusters"]),
                           "total": raw.get_json()["total"]}
    return out


# --- the browser ----------------------------------------------------------------------------------

#: Markers drawn on the map: station pins and clusters.
DRAWN_JS = """() => document.querySelectorAll(
  '.leaflet-marker-icon.pin, .leaflet-marker-icon.cluster').length"""


def most_drawn(page, where: tuple[float, float]) -> int:
    """The most markers drawn at any zoom from 11 to 18 around ``where`` (lon, lat)."""
    most = 0
    for zoom in range(11, 19):
        page.evaluate(f"() => yizhan.map.setView(yizhan.toLatLng ? yizhan.toLatLng({where[0]}, "
                      f"{where[1]}) : [{where[1]}, {where[0]}], {zoom}, {{animate: false}})")
        page.wait_for_timeout(1500)  # the box is asked for after 300 ms without moving
        most = max(most, page.evaluate(DRAWN_JS))
    return most


def export_revision(ref: str, into: Path) -> Path:
    """The tree of git revision ``ref`` of this checkout, written to ``into``."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def default_before() -> str | None:
    """The revision before the finder loaded stations by box."""
    found = subprocess.run(["git", "-C", str(ROOT), "log", "--format=%H", "-S", "def key_etag",
                            "--", "app/engine.py"], check=False, capture_output=True,
                           text=True)
    commits = found.stdout.split()
    return commits[-1] + "^" if found.returncode == 0 and commits else None


class Server:
    """``app.serve`` (waitress) of the code in ``root`` on a free loopback port."""

    def __init__(self, root: Path, region, db_url: str):
        from benchmarks.web import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        code = ("from app import serve; "
                f"serve(data_dir={str(region.data_dir)!r}, db_url={db_url!r}, port={self.port}, "
                "threads=8)")
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-c", code], cwd=root, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True)

    def __enter__(self):
        from benchmarks.web import wait_until_up

        wait_until_up(self.url, self.process, timeout=120)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def load_once(browser, url: str, path: str, *, where: tuple[float, float], locate: bool | None,
              down_kbps: float, rtt_ms: float) -> dict:
    """One cold load of ``path`` on a throttled phone; seconds to the milestones and bytes."""
    context = browser.new_context(**PHONE, geolocation={"longitude": where[0],
                                                        "latitude": where[1]},
                                  permissions=["geolocation"])
    page = context.new_page()
    page.set_default_timeout(180_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": rtt_ms, "downloadThroughput": down_kbps * 1000 / 8,
        "uploadThroughput": 750 * 1000 / 8})
    urls: dict[str, str] = {}
    chunks: dict[str, int] = {}  # bytes received so far, also of requests cancelled midway
    finished: dict[str, int] = {}
    failed: set[str] = set()
    cdp.on("Network.requestWillBeSent",
           lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.dataReceived", lambda e: chunks.__setitem__(
        e["requestId"], chunks.get(e["requestId"], 0) + int(e["encodedDataLength"])))
    cdp.on("Network.loadingFinished",
           lambda e: finished.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    cdp.on("Network.loadingFailed", lambda e: failed.add(e["requestId"]))
    out = {}
    started = time.perf_counter()
    page.goto(url + path, wait_until="commit")
    if locate is None:
        pass  # only the pins of the first view
    elif locate:
        page.wait_for_function("() => window.yizhan !== undefined")
        page.locator("#locate").click()
        page.wait_for_function("() => document.body.dataset.results !== undefined && "
                               "document.body.dataset.searching === '0'", polling=50)
        out["results_s"] = time.perf_counter() - started
    else:
        page.wait_for_selector("#card-view:not([hidden])")
        out["card_s"] = time.perf_counter() - started
    page.wait_for_function("() => document.body.dataset.ready === '1'", polling=50)
    out["pins_s"] = time.perf_counter() - started
    out["pins"] = page.evaluate("() => Object.keys(yizhan.state.markers).filter("
                                "id => yizhan.map.hasLayer(yizhan.state.markers[id])).length")
    out["drawn"] = page.evaluate(DRAWN_JS)
    page.wait_for_timeout(300)
    moved = {rid: max(chunks.get(rid, 0), finished.get(rid, 0)) for rid in urls}
    out["stations_bytes"] = sum(n for rid, n in moved.items() if "/api/stations" in urls[rid])
    out["clusters_bytes"] = sum(n for rid, n in moved.items() if "/api/clusters" in urls[rid])
    out["all_bytes"] = sum(moved.values())
    out["cancelled"] = sum("/api/stations" in urls[rid] for rid in failed)
    if locate is None:
        out["most_drawn"] = most_drawn(page, where)
    context.close()
    return out


def browser_figures(region, db_url: str, before: str | None, *, runs: int, down_kbps: float,
                    rtt_ms: float, centre: tuple[float, float], shared_id: str) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="yizhan-bench-before-") as tmp, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--no-proxy-server"])
        try:
            versions = [("after", ROOT)]
            if before:
                versions.insert(0, (f"before ({before})",
                                    export_revision(before, Path(tmp) / "before")))
            for name, root in versions:
                with Server(root, region, db_url) as server:
                    for scenario, path, locate in (("open / (whole region in view)", "/", None),
                                                   ("open / and locate", "/", True),
                                                   ("shared station link",
                                                    f"/?station={shared_id}", False)):
                        loads = [load_once(browser, server.url, path, where=centre,
                                           locate=locate, down_kbps=down_kbps, rtt_ms=rtt_ms)
                                 for _ in range(runs)]
                        results[f"{name} | {scenario}"] = {
                            k: float(np.median([x[k] for x in loads])) for k in loads[0]}
        finally:
            browser.close()
    return results


# --- the report -----------------------------------------------------------------------------------

def kb(n: float) -> str:
    return f"{n / 1000:,.1f} kB"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks stations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="harbin", help="the shipped region to build "
                                                               "(geo.regions; default harbin)")
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=2, help="browser loads per scenario")
    parser.add_argument("--down-kbps", type=float, default=1600.0)
    parser.add_argument("--rtt-ms", type=float, default=150.0)
    parser.add_argument("--before", help="git revision of the 'before' finder (default: the "
                                         "one before stations were loaded by box)")
    parser.add_argument("--no-browser", dest="browser", action="store_false")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="yizhan-bench-stations-") as tmp:
        started = time.perf_counter()
        region, db_url = build_data(Path(tmp), args.stations, region_id=args.region)
        print(f"demo region {region.manifest().get('bounds')} with generated stations "
              f"({time.perf_counter() - started:.1f} s)")
        b = byte_figures(region, db_url)
        full = b["full"]
        print(f"\n/api/stations, {b['stations']:,} stations ({full['features']:,} features):")
        print(f"  before (jsonify, no compression) {kb(full['before'])}")
        print(f"  now raw {kb(full['raw'])}, gzip {kb(full['gzip'])} "
              f"({full['raw'] / full['gzip']:.1f}× smaller); first answer built in "
              f"{b['first_answer_s'] * 1e3:.0f} ms")
        print(f"  revalidated with If-None-Match: {b['revalidate']['status']}, "
              f"{b['revalidate']['bytes']} bytes of body, {b['revalidate']['s'] * 1e3:.1f} ms")
        for name in ("view", "finder box"):
            x = b[name]
            print(f"  phone at zoom 16, 390×844 px, {name} {box_text(x['box'])}: "
                  f"{x['features']:,} stations, raw {kb(x['raw'])}, gzip {kb(x['gzip'])} "
                  f"({full['before'] / x['gzip']:.0f}× less than before)")
        if "clusters" in b:
            x = b["clusters"]
            print(f"  /api/clusters for a phone at zoom 12, {box_text(x['box'])}: {x['total']:,} "
                  f"stations in {x['cells']} cells, raw {kb(x['raw'])}, gzip {kb(x['gzip'])}")
        if not args.browser:
            return 0
        if not CHROMIUM.exists():
            print("\nno /usr/bin/chromium: the browser figures are left out")
            return 0
        before = args.before or default_before()
        if before is None:
            print("\n(no git history here: only the 'after' finder is measured)")
        from geo.registry import Registry

        stations = Registry(db_url).stations()
        lon, lat = b["centre"]
        shared = min(stations, key=lambda s: (s.lon - lon) ** 2 + (s.lat - lat) ** 2)
        figures = browser_figures(region, db_url, before, runs=args.runs,
                                  down_kbps=args.down_kbps, rtt_ms=args.rtt_ms,
                                  centre=(lon, lat), shared_id=shared.id)
        print(f"\nThe finder on a phone (390×844), {args.down_kbps / 1000:g} Mbit/s down, "
              f"{args.rtt_ms:g} ms RTT, cold cache, median of {args.runs}:")
        for name, x in figures.items():
            first = (f"nearest list {x['results_s']:.1f} s, " if "results_s" in x
                     else f"station card {x['card_s']:.1f} s, " if "card_s" in x else "")
            drawn = (f", {x['drawn']:.0f} markers drawn, at most {x['most_drawn']:.0f} at zoom "
                     f"11-18" if "most_drawn" in x else "")
            print(f"  {name}: {first}pins {x['pins_s']:.1f} s ({x['pins']:.0f} on the map{drawn}); "
                  f"/api/stations {kb(x['stations_bytes'])}"
                  + (f" ({x['cancelled']:.0f} cancelled midway)" if x["cancelled"] else "")
                  + (f", /api/clusters {kb(x['clusters_bytes'])}" if x["clusters_bytes"] else "")
                  + f", everything {kb(x['all_bytes'])}")
    return 0
