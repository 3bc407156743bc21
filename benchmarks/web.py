"""The web API under load: ``GET /api/nearest`` on the production server, driven by wrk.

    python -m benchmarks web [--data-dir DIR] [--workers 1,2] [--threads N] [--connections 16]
                             [--duration 10] [--repeat 2] [--rate 1500] [--mode walk] [--k 3]
                             [--no-route] [--open-now 0.6] [--points 2000] [--cache 0]
                             [--tool auto|wrk|python]

Uses the demo region in ``--data-dir`` (built there with what ``yizhan demo --build-only`` runs
when it is not built yet; without ``--data-dir``, in a temporary directory), so the same run
measures any region. Draws ``--points`` random points inside the region's bounds that lie
within the snap distance of the network (every answer a 200), and asks what the worker finder
asks: ``k=3``, ``route=1``, ``open_now=1`` for a share of the points.

For each worker count it starts ``app.serve`` (what ``yizhan serve`` runs: granian, ``--workers``
processes of ``--threads`` threads) in a subprocess on a free loopback port with
``YIZHAN_NEAREST_CACHE=--cache`` (default 0: every request runs its own search), and sends the
requests with ``wrk`` and ``benchmarks/wrk_nearest.lua`` (or, without wrk, a Python client with
keep-alive connections in another process): ``--repeat`` runs as fast as the server answers,
then ``--repeat`` runs paced at about ``--rate`` requests/s (each connection waits a random
while before each request). Prints requests/s and p50/p99 latency of each run against the
targets (≥ 1,500 requests/s with p99 ≤ 30 ms, with one worker per core of a 2-core machine),
the server's CPU per request, how many cores other processes kept busy meanwhile (other work
on the machine lowers requests/s and raises p99, not the CPU per request), and the split of
one request in this process: the state's own lookup (``AppState.nearest``) and the app around
it (Flask, the query model, the view, JSON); the server's CPU beyond that is the HTTP
server's. Traffic stays on 127.0.0.1 and each run stops after ``--duration`` seconds.
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np

TARGET_RPS = 1500.0
TARGET_P99_MS = 30.0
LUA_SCRIPT = Path(__file__).with_name("wrk_nearest.lua")

#: The Python client, run in its own process: keep-alive connections in threads for a duration.
CLIENT = textwrap.dedent("""
    import http.client, json, random, sys, threading, time
    host, port, duration, connections, paths_file = sys.argv[1:6]
    paths = open(paths_file).read().split()
    stop = time.perf_counter() + float(duration)
    latencies, errors = [], [0]
    lock = threading.Lock()
    def run(seed):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(host, int(port))
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            conn.request("GET", rng.choice(paths))
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)
    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(int(connections))]
    for t in threads: t.start()
    for t in threads: t.join()
    print(json.dumps({"latencies": latencies, "errors": errors[0],
                      "seconds": time.perf_counter() - started}))
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not come up in {timeout:.0f} s")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process and its descendants, seconds (Linux /proc only)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, todo = 0.0, [pid]
    try:
        while todo:
            current = todo.pop()
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    except (OSError, ValueError, IndexError):
        return None
    return total


def busy_seconds() -> float | None:
    """CPU seconds all the machine's cores have been busy since boot (Linux /proc only)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def client_seconds() -> float:
    """CPU seconds of this process and its finished children (the load tool)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def query_paths(region, mode: str, n: int, k: int, route: bool, seed: int = 7, *,
                open_now: float = 0.0) -> tuple[list, int]:
    """``n`` request paths for random points in the region's bounds that lie on the network,
    ``open_now=1`` on a share ``open_now`` of them."""
    from geo import settings

    west, south, east, north = region.manifest()["bounds"]
    net = region.network(mode)
    rng = np.random.default_rng(seed)
    paths: list[str] = []
    tried = 0
    while len(paths) < n:
        lon = rng.uniform(west, east, n)
        lat = rng.uniform(south, north, n)
        tried += n
        _, dist = net.nearest_node(lon, lat, main_component=True)
        near = dist <= settings.max_snap_m
        for x, y, now in zip(lon[near], lat[near], rng.random(n)[near] < open_now, strict=True):
            paths.append(f"/api/nearest?lat={y:.6f}&lon={x:.6f}&mode={mode}&k={k}"
                         + ("&route=1" if route else "") + ("&open_now=1" if now else ""))
    return paths[:n], tried


def in_process(data_dir: Path, paths: list[str], cache: int) -> dict:
    """Milliseconds per request without a server: ``AppState.nearest`` alone and the whole app
    (a WSGI call: Flask, the query model, the view, JSON), median and mean over ``paths``."""
    import gc

    from app import create_app

    app = create_app(config={"DATA_DIR": data_dir, "NEAREST_CACHE": cache})
    app_state = app.extensions["yizhan"]
    app_state.warm_up()
    points = []
    for path in paths:
        q = parse_qs(urlsplit(path).query)
        points.append((q.get("mode", ["walk"])[0], float(q["lon"][0]), float(q["lat"][0]),
                       int(q.get("k", ["3"])[0]), "open_now" in q, "route" in q))

    def environ(path: str) -> dict:
        parts = urlsplit(path)
        return {"REQUEST_METHOD": "GET", "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
                "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
                "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
                "wsgi.errors": sys.stderr, "wsgi.multithread": True,
                "wsgi.multiprocess": False, "wsgi.run_once": False}

    def app_call(path: str) -> None:
        b"".join(app(environ(path), lambda status, headers, exc_info=None: None))

    snap = app_state.current()

    def lookup(point) -> None:
        mode, lon, lat, k, open_only, route = point
        app_state.nearest(snap, mode, lon, lat, k=k, open_only=open_only, route=route)

    for path in paths[:200]:  # warm up
        app_call(path)
    gc.collect()
    gc.freeze()  # as app.serve does
    out = {}
    for name, function, items in (("lookup", lookup, points), ("app", app_call, paths)):
        seconds = np.empty(len(items))
        for j, item in enumerate(items):
            started = time.perf_counter()
            function(item)
            seconds[j] = time.perf_counter() - started
        out[name] = {"median_ms": float(np.median(seconds) * 1e3),
                     "mean_ms": float(seconds.mean() * 1e3)}
    gc.unfreeze()
    return out


def run_wrk(url: str, paths_file: Path, duration: float, connections: int,
            pause_ms: float = 0.0) -> dict:
    """wrk's figures; with ``pause_ms``, each connection waits a random 0 to twice that
    before each request (a paced load rather than as fast as the server answers)."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration:.0f}s", "--latency",
                          "-s", str(LUA_SCRIPT), url, "--", str(paths_file), f"{pause_ms:.3f}"],
                         capture_output=True, text=True, check=True,
                         timeout=duration + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    requests, micros, bad, p50, p99, mean, socket_errors, timeouts = line.split()[1:]
    return {"tool": "wrk", "requests": int(requests), "seconds": int(micros) / 1e6,
            "non_200": int(bad), "socket_errors": int(socket_errors) + int(timeouts),
            "p50_ms": float(p50) / 1000, "p99_ms": float(p99) / 1000,
            "mean_ms": float(mean) / 1000}


def run_python(port: int, paths_file: Path, duration: float, connections: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CLIENT, "127.0.0.1", str(port), str(duration),
                          str(connections), str(paths_file)], capture_output=True, text=True,
                         check=True, timeout=duration + 60).stdout
    data = json.loads(out)
    lat = np.array(data["latencies"])
    return {"tool": "python client", "requests": len(lat), "seconds": data["seconds"],
            "non_200": data["errors"], "socket_errors": 0,
            "p50_ms": float(np.percentile(lat, 50) * 1e3),
            "p99_ms": float(np.percentile(lat, 99) * 1e3), "mean_ms": float(lat.mean() * 1e3)}


def serve_and_load(data_dir: Path, workers: int, threads: int, cache: int, runner,
                   warmup: float, duration: float, repeat: int, rate: float,
                   connections: int) -> tuple[dict, list[dict]]:
    """Start ``app.serve`` with ``workers`` processes and load it ``repeat`` times as fast as it
    answers, then (with ``rate`` and wrk) ``repeat`` times paced at about ``rate`` requests/s."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    code = ("from app import serve; "
            f"serve(data_dir={str(data_dir)!r}, port={port}, threads={threads}, "
            f"workers={workers})")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "YIZHAN_NEAREST_CACHE": str(cache)}
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env=env)

    def measured(pause_ms: float | None) -> dict:
        busy, client, cpu_before = busy_seconds(), client_seconds(), cpu_seconds(server.pid)
        started = time.perf_counter()
        result = runner(url, port, duration, pause_ms)
        cpu_after, client = cpu_seconds(server.pid), client_seconds() - client
        wall = time.perf_counter() - started
        result["rps"] = result["requests"] / result["seconds"]
        result["paced"] = pause_ms is not None
        if cpu_before is not None and cpu_after is not None and result["requests"]:
            result["cpu_ms"] = (cpu_after - cpu_before) / result["requests"] * 1e3
            if busy is not None:  # what the rest of the machine used meanwhile, in cores
                result["others"] = max(0.0, busy_seconds() - busy - (cpu_after - cpu_before)
                                       - client) / wall
        return result

    runs = []
    try:
        health = wait_until_up(url, server)
        if warmup > 0:
            runner(url, port, warmup, None)
        runs += [measured(None) for _ in range(repeat)]
        if rate > 0 and runs[0]["tool"] == "wrk":
            # c connections, each pausing p ms on average and waiting w ms for an answer, send
            # c / (p + w) requests per ms: aim 3 % above the rate, w from a short calibration
            aim = pause = connections * 1e3 / (rate * 1.03)
            for _ in range(2):
                probe = runner(url, port, 2, pause)
                wait_ms = connections * 1e3 / (probe["requests"] / probe["seconds"]) - pause
                pause = max(0.0, aim - max(0.0, wait_ms))
            runs += [measured(pause) for _ in range(repeat)]
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    return health, runs


def main(argv: list[str]) -> int:
    from app import serve

    parser = argparse.ArgumentParser(prog="python -m benchmarks web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path,
                        help="the demo region to serve (built there when it is not yet; "
                             "default: a new one in a temporary directory)")
    cores = os.cpu_count() or 1
    parser.add_argument("--workers", default=f"1,{max(2, cores)}",
                        help="server processes, one run each, comma-separated (default: 1 and "
                             f"one per core, at least 2; this machine has {cores} cores)")
    parser.add_argument("--threads", type=int,
                        default=inspect.signature(serve).parameters["threads"].default,
                        help="threads per worker process running the app (default: serve's, "
                             "%(default)s)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each run")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="seconds of load before the measured runs")
    parser.add_argument("--repeat", type=int, default=2, help="measured runs per worker count")
    parser.add_argument("--rate", type=float, default=TARGET_RPS,
                        help="requests/s of the paced runs that follow the flat-out ones "
                             "(wrk only; 0: none)")
    parser.add_argument("--mode", default="walk", choices=["walk", "ebike", "drive"])
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--no-route", dest="route", action="store_false",
                        help="leave the routes out of the answers")
    parser.add_argument("--open-now", type=float, default=0.6,
                        help="share of the requests with open_now=1")
    parser.add_argument("--points", type=int, default=2000, help="distinct query points")
    parser.add_argument("--cache", type=int, default=0,
                        help="the server's NEAREST_CACHE (default 0: every request runs its own "
                             "search; points that snap alike otherwise share one)")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 300:
        parser.error("--duration must be between 0 and 300 seconds")
    try:
        worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    except ValueError:
        parser.error(f"--workers was {args.workers!r} but must be numbers like 1,2")
    if not worker_counts or min(worker_counts) < 1:
        parser.error(f"--workers was {args.workers!r} but must be numbers of at least 1")

    from geo.demo import DemoRegion, build_demo

    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    if tool == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk); use --tool python")
    with tempfile.TemporaryDirectory(prefix="yizhan-bench-web-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        region = DemoRegion(args.data_dir or tmp / "demo")
        if not region.is_built():
            print(f"building the demo region in {region.data_dir} …")
            build_demo(region.data_dir)
        print(f"region {region.manifest()['label']} in {region.data_dir} "
              f"({time.perf_counter() - started:.1f} s)")
        paths, tried = query_paths(region, args.mode, args.points, args.k, args.route,
                                   open_now=args.open_now)
        paths_file = tmp / "paths.txt"
        paths_file.write_text("\n".join(paths) + "\n", "utf-8")
        print(f"{len(paths)} query points on the {args.mode} network ({tried} drawn in the "
              f"bounds), k={args.k}, route={'yes' if args.route else 'no'}, open_now=1 on "
              f"{args.open_now:.0%}; search cache {args.cache}")

        split = in_process(region.data_dir, paths, args.cache)
        lookup_ms, app_ms = split["lookup"]["mean_ms"], split["app"]["mean_ms"]
        print("\none request in this process (mean; median):")
        print(f"  lookup  AppState.nearest              {lookup_ms:.3f} ms; "
              f"{split['lookup']['median_ms']:.3f} ms")
        print(f"  app     + Flask, query model, JSON    {app_ms - lookup_ms:.3f} ms  "
              f"(whole WSGI call {app_ms:.3f} ms; {split['app']['median_ms']:.3f} ms)")

        def runner(url, port, duration, pause_ms=None):
            if tool == "wrk":
                return run_wrk(url, paths_file, duration, args.connections, pause_ms or 0.0)
            return run_python(port, paths_file, duration, args.connections)

        failed = False
        last = None
        for workers in worker_counts:
            health, runs = serve_and_load(region.data_dir, workers, args.threads, args.cache,
                                          runner, args.warmup, args.duration, args.repeat,
                                          args.rate, args.connections)
            print(f"\napp.serve (granian), {workers} worker process(es) × {args.threads} "
                  f"threads: {health['stations']} stations; GET /api/nearest via "
                  f"{runs[0]['tool']}, {args.connections} connections, "
                  f"{args.duration:.0f} s × {len(runs)}:")
            for run in runs:
                cpu, others = run.get("cpu_ms"), run.get("others")
                notes = []
                if cpu is not None:
                    notes.append(f"server CPU {cpu:.3f} ms/request, ~{cpu - app_ms:.3f} of it "
                                 "outside the app")
                if others is not None:
                    notes.append(f"other processes busy {others:.1f} of {os.cpu_count()} cores")
                print(f"  {'paced' if run['paced'] else 'flat out':8} {run['rps']:6,.0f} "
                      f"requests/s  p50 {run['p50_ms']:5.1f} ms  p99 {run['p99_ms']:5.1f} ms  "
                      f"({'; '.join(notes)})")
                if run["non_200"] or run["socket_errors"]:
                    failed = True
                    print(f"    {run['non_200']} answers not 200, {run['socket_errors']} "
                          "socket errors")
            last = (workers, runs)
    workers, runs = last
    met = [r for r in runs if r["rps"] >= TARGET_RPS and r["p99_ms"] <= TARGET_P99_MS]
    print(f"\nwith {workers} worker(s), {len(met)} of {len(runs)} runs met the target "
          f"(>= {TARGET_RPS:,.0f} requests/s with p99 <= {TARGET_P99_MS:.0f} ms); other load on "
          "the machine lowers requests/s and raises p99, not the server CPU per request")
    return 1 if failed else 0
