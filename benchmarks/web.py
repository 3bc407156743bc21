"""The web API under load: ``GET /api/nearest`` served by waitress, driven by wrk.

    python -m benchmarks web [--duration 10] [--connections 8] [--workers 1] [--threads 8]
                             [--mode walk] [--k 3] [--no-route] [--points 2000] [--cache 2048]
                             [--tool auto|wrk|python]

Builds the demo region into a temporary directory, starts ``app.serve`` (waitress, ``--workers``
processes of ``--threads`` threads) in a subprocess on a free loopback port, and sends requests
for random points inside the demo bounds (those within the snap distance of the network, so every
answer is a 200) from ``wrk`` with a Lua script that picks points at random, or, without wrk,
from a Python client with keep-alive connections in another process. Prints requests/s and
p50/p99 latency against the targets (≥ 500 requests/s, p99 ≤ 50 ms on a 2-core machine).
``--cache 0`` measures every request running its own search (points that snap to one node
otherwise share it). Traffic stays on 127.0.0.1 and stops after ``--duration`` seconds.
"""

from __future__ import annotations

import argparse
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

import numpy as np

TARGET_RPS = 500.0
TARGET_P99_MS = 50.0

LUA = textwrap.dedent("""
    local paths = {}
    for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
    local counter = 0
    setup = function(thread)
      counter = counter + 1
      thread:set("seed", counter)
    end
    init = function(args)
      math.randomseed(tonumber(seed) * 7919)
    end
    request = function()
      return wrk.format("GET", paths[math.random(#paths)])
    end
    done = function(summary, latency, requests)
      io.write(string.format("RESULT %%d %%d %%d %%.1f %%.1f %%.1f %%d %%d\\n",
        summary.requests, summary.duration, summary.errors.status,
        latency:percentile(50), latency:percentile(99), latency.mean,
        summary.errors.connect + summary.errors.read + summary.errors.write,
        summary.errors.timeout))
    end
""")

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


def query_paths(region, mode: str, n: int, k: int, route: bool, seed: int = 7) -> tuple[list, int]:
    """``n`` request paths for random points in the demo bounds that lie on the network."""
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
        _, dist = net.snap(lon, lat, main_component=True)
        for x, y in zip(lon[dist <= settings.max_snap_m], lat[dist <= settings.max_snap_m]):
            paths.append(f"/api/nearest?lat={y:.6f}&lon={x:.6f}&mode={mode}&k={k}"
                         + ("&route=1" if route else ""))
    return paths[:n], tried


def run_wrk(url: str, paths_file: Path, duration: float, connections: int) -> dict:
    script = paths_file.with_suffix(".lua")
    script.write_text(LUA % {"paths": str(paths_file)}, "utf-8")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration:.0f}s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True, check=True,
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds of load before the measured run")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=8,
                        help="waitress threads per worker process")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes (up to one per core free of other load; this "
                             f"machine has {os.cpu_count()} cores)")
    parser.add_argument("--mode", default="walk", choices=["walk", "ebike", "drive"])
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--no-route", dest="route", action="store_false",
                        help="leave the routes out of the answers")
    parser.add_argument("--points", type=int, default=2000, help="distinct query points")
    parser.add_argument("--cache", type=int, default=2048,
                        help="the server's NEAREST_CACHE (searches kept per process; 0: none, "
                             "so every request runs its own search)")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--data-dir", type=Path, help="use this built demo region")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 300:
        parser.error("--duration must be between 0 and 300 seconds")

    from geo.demo import DemoRegion, build_demo

    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    if tool == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk); use --tool python")
    with tempfile.TemporaryDirectory(prefix="yizhan-bench-web-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        if args.data_dir and DemoRegion(args.data_dir).is_built():
            region = DemoRegion(args.data_dir)
        else:
            region = build_demo(tmp / "demo")
        print(f"demo region in {region.data_dir} ({time.perf_counter() - started:.1f} s)")
        paths, tried = query_paths(region, args.mode, args.points, args.k, args.route)
        paths_file = tmp / "paths.txt"
        paths_file.write_text("\n".join(paths) + "\n", "utf-8")
        print(f"{len(paths)} query points on the {args.mode} network ({tried} drawn in the "
              f"bounds), k={args.k}, route={'yes' if args.route else 'no'}")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        code = ("import sys; from app import serve; "
                f"serve(data_dir={str(region.data_dir)!r}, port={port}, threads={args.threads}, "
                f"workers={args.workers})")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "YIZHAN_NEAREST_CACHE": str(args.cache)}
        server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, env=env)
        try:
            health = wait_until_up(url, server)
            print(f"waitress, {args.workers} worker process(es) × {args.threads} threads at "
                  f"{url}: {health['stations']} stations, networks "
                  f"{', '.join(health['networks'])}; search cache {args.cache}")
            runner = ((lambda d: run_wrk(url, paths_file, d, args.connections)) if tool == "wrk"
                      else (lambda d: run_python(port, paths_file, d, args.connections)))
            if args.warmup > 0:
                runner(args.warmup)
            cpu_before = cpu_seconds(server.pid)
            result = runner(args.duration)
            cpu_after = cpu_seconds(server.pid)
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
    rps = result["requests"] / result["seconds"]
    ok_rps, ok_p99 = rps >= TARGET_RPS, result["p99_ms"] <= TARGET_P99_MS
    print(f"\nGET /api/nearest via {result['tool']}, {args.connections} connections, "
          f"{result['seconds']:.1f} s:")
    print(f"  {rps:,.0f} requests/s   (target >= {TARGET_RPS:.0f}: "
          f"{'met' if ok_rps else 'MISSED'})")
    print(f"  latency p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, mean "
          f"{result['mean_ms']:.1f} ms   (target p99 <= {TARGET_P99_MS:.0f} ms: "
          f"{'met' if ok_p99 else 'MISSED'})")
    print(f"  {result['requests']:,} requests, {result['non_200']} not 200, "
          f"{result['socket_errors']} socket errors")
    if cpu_before is not None and cpu_after is not None and result["requests"]:
        per_request = (cpu_after - cpu_before) / result["requests"]
        print(f"  server CPU {per_request * 1e3:.2f} ms per request (~{1 / per_request:,.0f} "
              f"requests/s per fully free core; other load on the machine lowers the figures "
              f"above, not this one)")
    return 0 if result["non_200"] == 0 and result["socket_errors"] == 0 else 1
