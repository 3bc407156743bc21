"""A soak test: the production server under mixed traffic for minutes, errors and memory watched.

    python -m benchmarks soak [--minutes 10] [--data-dir DIR] [--workers 2] [--connections 4]
                              [--port PORT] [--sample 5] [--slack-mb 64]

Copies the demo region of ``--data-dir`` (data files and registry; without it, the demo region is
built in a temporary directory first, as ``yizhan demo --build-only`` does) to a temporary
directory, adds a planner account with ``yizhan user add``, and starts ``yizhan serve`` on
127.0.0.1 with ``--workers`` processes. Then ``--connections`` keep-alive clients (threads) send,
for ``--minutes``, what the finder and the planner view send, in these shares:

    nearest   GET /api/nearest (k=3, route on half, random points on the walk network)  60 %
    stations  GET /api/stations (a random box of the region, or all)                    20 %
    station   GET /api/stations/<id>                                                      10 %
    report    POST /api/reports (a worker says a station is full, …)                    10 %

and one more client signs in as the planner and edits a station every two seconds (GET its version,
PATCH its hours with If-Match, alternating). Answers are counted per kind and status: 2xx are
answers, 429 (rate limits on reports and analyses) and 409 (a planner edit that lost a race) are
expected and counted apart, anything else (a 5xx, another 4xx, a dropped connection) is an error. A
request that finds its kept-alive connection closed by the server is sent again on a new one (as
browsers do) and counted apart. Every ``--sample`` seconds the resident memory (RSS) of the server
and its worker processes is read (psutil when installed, else /proc). At the end it prints
requests/s, p50 and p99 latency per kind, errors by status, and the memory at start (after the
first minute's warm up sample), at the end and at most: flat means end ≤ start + ``--slack-mb``.
Traffic stays on 127.0.0.1; the run stops by itself, and the server is stopped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from benchmarks.web import free_port, query_paths, wait_until_up

#: Shares of the anonymous traffic by kind.
MIX = {"nearest": 0.6, "stations": 0.2, "station": 0.1, "report": 0.1}
#: Statuses that are answers the API means to give under load, counted apart from errors.
EXPECTED = {409: "conflict", 429: "rate limited"}
PLANNER, PASSWORD = "soak.planner", "soak-test-password-1"
CLI = [sys.executable, "-c", "from app.cli import main; main()"]


# --- memory ---------------------------------------------------------------------------------------

def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, MB (psutil, else /proc)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs) / 2**20
        except psutil.Error:
            return float("nan")
    total = 0
    for proc in process_tree(pid):
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


# --- clients --------------------------------------------------------------------------------------

class Tally:
    """Latencies and statuses per kind, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.reconnects: Counter = Counter()

    def add(self, kind: str, status: int | str, seconds: float) -> None:
        with self.lock:
            self.seconds[kind].append(seconds)
            self.statuses[kind][status] += 1

    def reconnect(self, kind: str) -> None:
        with self.lock:
            self.reconnects[kind] += 1


class Client:
    """One keep-alive HTTP connection to the server, reopened after a failure."""

    def __init__(self, port: int, tally: Tally):
        self.port, self.tally = port, tally
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def call(self, kind: str, method: str, path: str, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict, bytes]:
        headers = {**(headers or {}), **({"Cookie": self.cookie} if self.cookie else {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                # a kept-alive connection the server closed between two requests (the request
                # never got there): send it again on a new one, as browsers do
                stale = isinstance(exc, (BrokenPipeError, ConnectionResetError,
                                         http.client.RemoteDisconnected))
                if attempt == 1 and stale:
                    self.tally.reconnect(kind)
                    continue
                self.tally.add(kind, type(exc).__name__, time.perf_counter() - started)
                return 0, {}, b""
        self.tally.add(kind, response.status, time.perf_counter() - started)
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, dict(response.getheaders()), payload


def anonymous(port: int, tally: Tally, stop: float, seed: int, paths: list[str],
              ids: list[str], bounds: list[float]) -> None:
    """What workers' phones send: lookups, station lists and details, reports."""
    rng = random.Random(seed)
    client = Client(port, tally)
    kinds, weights = list(MIX), list(MIX.values())
    west, south, east, north = bounds
    while time.perf_counter() < stop:
        kind = rng.choices(kinds, weights)[0]
        if kind == "nearest":
            client.call(kind, "GET", rng.choice(paths))
        elif kind == "stations":
            if rng.random() < 0.3:
                client.call(kind, "GET", "/api/stations")
            else:  # the box a phone shows, an eighth of the region across
                w, h = (east - west) / 8, (north - south) / 8
                x, y = rng.uniform(west, east - w), rng.uniform(south, north - h)
                client.call(kind, "GET", f"/api/stations?bbox={x:.5f},{y:.5f},"
                                         f"{x + w:.5f},{y + h:.5f}")
        elif kind == "station":
            client.call(kind, "GET", f"/api/stations/{rng.choice(ids)}")
        else:
            client.call(kind, "POST", "/api/reports", {
                "station_id": rng.choice(ids), "kind": rng.choice(["full", "closed", "other"]),
                "text": "人太多，没有座位" if rng.random() < 0.5 else ""})


def planner(port: int, tally: Tally, stop: float, ids: list[str]) -> None:
    """A planner editing one station every two seconds: the version from GET, then PATCH with
    If-Match. (Sign-in: ``POST /api/login {"user", "password"}``.)"""
    client = Client(port, tally)
    status, _, body = client.call("sign-in", "POST", "/api/login",
                                  {"user": PLANNER, "password": PASSWORD})
    if status != 200:
        print(f"planner sign-in failed ({status}): {body[:200]!r}", file=sys.stderr)
        return
    rng = random.Random(1)
    hours = ["Mo-Fr 08:00-18:00", "24/7"]
    n = 0
    while time.perf_counter() < stop:
        sid = rng.choice(ids)
        status, headers, _ = client.call("edit", "GET", f"/api/stations/{sid}")
        etag = headers.get("ETag") or headers.get("etag")
        if status == 200:
            client.call("edit", "PATCH", f"/api/stations/{sid}", {"hours": hours[n % 2]},
                        headers={"If-Match": etag} if etag else None)
            n += 1
        time.sleep(2.0)


# --- the run --------------------------------------------------------------------------------------

def prepare(source: Path | None, tmp: Path) -> Path:
    """A private copy of the demo data (built first when there is no ``source``), with a
    planner account."""
    from geo.demo import DemoRegion, build_demo

    data = tmp / "data"
    if source is not None and DemoRegion(source).is_built():
        shutil.copytree(source, data, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    else:
        print(f"building the demo region in {data} …", flush=True)
        build_demo(data)
    password_file = tmp / "password.txt"
    password_file.write_text(PASSWORD + "\n", "utf-8")
    done = subprocess.run([*CLI, "user", "add", PLANNER, "--password-file", str(password_file),
                           "--db", str(data / "yizhan.sqlite")], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"yizhan user add failed: {done.stderr.strip()}")
    return data


def percentile_ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1e3 if values else float("nan")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--port", type=int, default=0, help="default: a free loopback port")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--slack-mb", type=float, default=64.0)
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.connections < 1 or args.workers < 1:
        parser.error("--minutes must be > 0, --connections and --workers ≥ 1")

    from geo.demo import DemoRegion
    from geo.registry import Registry

    with tempfile.TemporaryDirectory(prefix="yizhan-soak-") as tmp:
        tmp = Path(tmp)
        data = prepare(args.data_dir, tmp)
        region = DemoRegion(data)
        paths, _ = query_paths(region, "walk", 2000, 3, True)
        paths = [p.replace("&route=1", "") if i % 2 else p for i, p in enumerate(paths)]
        ids = [s.id for s in Registry(str(data / "yizhan.sqlite")).stations()]
        bounds = region.manifest()["bounds"]
        port = args.port or free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("YIZHAN_DB", None)
        server = subprocess.Popen([*CLI, "serve", "--data-dir", str(data), "--port", str(port),
                                   "--workers", str(args.workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            wait_until_up(f"http://127.0.0.1:{port}", server, timeout=300)
            print(f"yizhan serve on 127.0.0.1:{port}, {args.workers} workers, "
                  f"{len(ids)} stations; {args.connections} clients + 1 planner for "
                  f"{args.minutes:g} min", flush=True)
            tally, samples = Tally(), []
            started = time.perf_counter()
            stop = started + args.minutes * 60
            threads = [threading.Thread(target=anonymous, args=(port, tally, stop, i, paths,
                                                                ids, bounds))
                       for i in range(args.connections)]
            threads.append(threading.Thread(target=planner, args=(port, tally, stop, ids)))
            for t in threads:
                t.start()
            while time.perf_counter() < stop and server.poll() is None:
                samples.append((time.perf_counter() - started, rss_mb(server.pid)))
                time.sleep(min(args.sample, max(0.0, stop - time.perf_counter())))
            samples.append((time.perf_counter() - started, rss_mb(server.pid)))
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
            alive = server.poll() is None
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log = server.stderr.read() if server.stderr else ""
            if server.stderr:
                server.stderr.close()
    report(tally, samples, wall, alive, args.slack_mb, log)
    return 0


def report(tally: Tally, samples: list, wall: float, alive: bool, slack_mb: float,
           log: str) -> None:
    total_errors = 0
    print(f"\n{'kind':9} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  answers")
    for kind in sorted(tally.seconds):
        seconds, statuses = tally.seconds[kind], tally.statuses[kind]
        ok = sum(n for s, n in statuses.items() if isinstance(s, int) and s < 400)
        expected = {EXPECTED[s]: n for s, n in statuses.items() if s in EXPECTED}
        errors = {s: n for s, n in statuses.items()
                  if not (isinstance(s, int) and (s < 400 or s in EXPECTED))}
        total_errors += sum(errors.values())
        parts = [f"{ok} ok"] + [f"{n} {name}" for name, n in expected.items()]
        if tally.reconnects[kind]:
            parts.append(f"{tally.reconnects[kind]} sent again on a new connection")
        parts += [f"{n} error {s}" for s, n in sorted(errors.items(), key=str)]
        print(f"{kind:9} {len(seconds):9d} {len(seconds) / wall:8.1f} "
              f"{percentile_ms(seconds, 50):8.1f} {percentile_ms(seconds, 99):8.1f}  "
              + ", ".join(parts))
    warm = [mb for t, mb in samples if t >= 60] or [mb for _, mb in samples]
    start, end, peak = warm[0], samples[-1][1], max(mb for _, mb in samples)
    flat = end <= start + slack_mb
    print(f"\nerrors: {total_errors}" + ("" if alive else "; THE SERVER EXITED"))
    print(f"server memory (RSS, all processes): {samples[0][1]:.0f} MB at the first sample, "
          f"{start:.0f} MB after warm-up, {end:.0f} MB at the end, {peak:.0f} MB at most — "
          + ("flat" if flat else "GROWING") + f" (end ≤ start + {slack_mb:g} MB)")
    lines = [line for line in log.splitlines() if "Traceback" in line or "Error" in line]
    if lines:
        print(f"server log: {len(lines)} error lines, e.g. {lines[0][:200]}")
