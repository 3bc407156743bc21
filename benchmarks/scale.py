"""What one city costs, from a district to a million walk nodes: the table of docs/scaling.md.

    python -m benchmarks scale --work DIR [--cities chengdu harbin gen200k gen1m]
                               [--timeout 600] [--lookups 2000]

For each city, one step after the other, each in its own process (its wall time and its own
peak resident memory, from ``wait4``; a step that runs past ``--timeout`` seconds is stopped and
shown as ``>TIMEOUT``):

1. **build**: the real regions with ``yizhan demo --build-only --region R`` (OpenStreetMap
   extract → three networks, stations, demand, coverage); the generated cities
   (``genN``: :func:`geo.synthetic.city_network` of N walk nodes, and the ebike and drive
   networks of the same grid) with generated stations (one per 100 walk nodes) and demand (one
   worker location per 4 walk nodes, four groups) written to a data dir as the demo writes its.
2. **nearest**: ``StationFinder.nearest(k=3)`` on the walk network at ``--lookups`` random points
   after a warm-up (what one web worker does): p50 and p99 in ms, and the process's peak memory.
3. **coverage by hour**: ``yizhan coverage --by-hour`` on the data dir.
4. **plan**: ``yizhan plan --add 30`` on the data dir (the solver's own time limit applies).

Run by hand, one heavy run at a time, never by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: The cities of the table: a shipped region, or ``gen`` and a number of walk nodes.
CITIES = ("chengdu", "harbin", "gen200k", "gen1m")


def city_source(name: str) -> str | int:
    """A region id (``chengdu``), or the walk nodes of a generated city (``gen200k``: 200,000;
    ``gen1m``: 1,000,000; ``gen5000``)."""
    from geo.regions import REGIONS

    if name in REGIONS:
        return name
    digits = name.removeprefix("gen").lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(digits[-1:], 1)
    try:
        return int(digits.rstrip("km")) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"city {name!r} must be one of {list(REGIONS)} or genN (gen200k, gen1m)") from None


def run_step(command: list[str], timeout: float, cwd: Path | None = None) -> dict:
    """Run ``command``: wall seconds, its own peak resident memory (MB), stdout, and whether it
    finished within ``timeout`` seconds (else it is stopped)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd,
                                start_new_session=True)
        deadline = started + timeout
        status = usage = None
        while time.perf_counter() < deadline:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.2)
        else:
            os.killpg(proc.pid, signal.SIGKILL)  # the session started here
            _, status, usage = os.wait4(proc.pid, 0)
            return {"seconds": timeout, "peak_mb": usage.ru_maxrss / 1024, "finished": False,
                    "out": ""}
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(command[:4])} … failed:\n{err.read().decode()[-2000:]}")
        return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "finished": True,
                "out": out.read().decode()}


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _yizhan(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("yizhan")), *args]


def build_generated(n_nodes: int, data_dir: Path) -> None:
    """A data dir of a generated city: the three networks, stations in the registry, demand."""
    import pandas as pd

    from geo.demo import DemoRegion
    from geo.groups import DEFAULT_GROUPS
    from geo.network import MODES
    from geo.registry import Registry
    from geo.synthetic import city_network, random_points, random_stations

    data_dir.mkdir(parents=True, exist_ok=True)
    region = DemoRegion(data_dir)
    nets = {mode: city_network(n_nodes, mode=mode, seed=0) for mode in MODES}
    for mode, net in nets.items():
        net.save(region.network_path(mode))
    registry = Registry(region.db_url)
    registry.upsert(random_stations(nets["walk"], max(50, n_nodes // 100), seed=0),
                    source="generated")
    registry.engine.dispose()
    groups = list(DEFAULT_GROUPS)
    per_group = n_nodes // 4 // len(groups)
    frames = []
    for k, group in enumerate(groups):
        lon, lat = random_points(nets["walk"], per_group, seed=100 + k, jitter_deg=0.0004)
        frames.append(pd.DataFrame({"lon": lon, "lat": lat, "weight": 1.0, "group": group}))
    pd.concat(frames, ignore_index=True).to_csv(data_dir / "demand.csv", index=False)


def nearest_latency(data_dir: Path, lookups: int) -> dict:
    """p50/p99 ms of ``StationFinder.nearest(k=3)`` on the walk network at random points."""
    from geo.demo import DemoRegion
    from geo.errors import YizhanError
    from geo.nearest import StationFinder
    from geo.network import load_network
    from geo.registry import Registry
    from geo.synthetic import random_points

    region = DemoRegion(data_dir)
    started = time.perf_counter()
    net = load_network(region.network_path("walk"))
    stations = Registry(region.db_url).stations()
    finder = StationFinder(net, stations)
    ready = time.perf_counter() - started
    lon, lat = random_points(net, lookups + 50, seed=3, jitter_deg=0.0003)
    times = []
    for j in range(len(lon)):
        t = time.perf_counter()
        try:
            finder.nearest(float(lon[j]), float(lat[j]), k=3)
        except YizhanError:  # a point off the network is not a lookup to time
            continue
        if j >= 50:  # the first compile or load the search and build the table
            times.append(time.perf_counter() - t)
    ms = np.array(times) * 1e3
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "lookups": len(ms), "ready_s": ready, "stations": len(stations),
            "walk_nodes": net.n_nodes}


def _networks(data_dir: Path) -> list[str]:
    return [arg for mode in ("walk", "ebike", "drive")
            for arg in ("--network", str(data_dir / f"network-{mode}.npz"))]


def measure_city(name: str, work: Path, timeout: float, lookups: int) -> dict:
    """The four steps of one city; a step that does not finish is marked, the next run."""
    here = Path(__file__).resolve().parents[1]
    data_dir = work / name
    source = city_source(name)
    if isinstance(source, str):
        build = run_step(_yizhan("demo", "--build-only", "--rebuild", "--region", source,
                                 "--data-dir", str(data_dir)), timeout)
    else:
        build = run_step(_python(
            f"import sys; sys.path.insert(0, {str(here)!r}); from pathlib import Path; "
            f"from benchmarks.scale import build_generated; "
            f"build_generated({source}, Path({str(data_dir)!r}))"), timeout)
    row: dict = {"city": name, "build": build}
    if not build["finished"]:
        return row
    files = sum((data_dir / f"network-{m}.npz").stat().st_size for m in ("walk", "ebike", "drive"))
    row["networks_mb"] = files / 2**20
    near = run_step(_python(
        f"import sys, json; sys.path.insert(0, {str(here)!r}); from pathlib import Path; "
        f"from benchmarks.scale import nearest_latency; "
        f"print(json.dumps(nearest_latency(Path({str(data_dir)!r}), {lookups})))"), timeout)
    row["nearest"] = {**near, **(json.loads(near["out"]) if near["finished"] else {})}
    common = [*_networks(data_dir), "--db", str(data_dir / "yizhan.sqlite"), "--demand",
              str(data_dir / "demand.csv"), "--json"]
    row["coverage"] = run_step(_yizhan("coverage", *common, "--by-hour"), timeout)
    row["plan"] = run_step(_yizhan("plan", *common, "--add", "30"), timeout)
    if row["plan"]["finished"]:
        answer = json.loads(row["plan"]["out"])
        row["plan"]["sites"] = len(answer.get("sites", []))
        row["plan"]["optimal"] = answer.get("optimal")
    for step in ("build", "coverage", "plan", "nearest"):
        row[step].pop("out", None)
    return row


def _cell(step: dict) -> str:
    if not step.get("finished", False):
        return f">{step['seconds']:.0f} s (stopped), {step['peak_mb']:,.0f} MB"
    return f"{step['seconds']:.1f} s, {step['peak_mb']:,.0f} MB"


def table(rows: list[dict]) -> str:
    """The markdown table of docs/scaling.md."""
    lines = ["| city | walk nodes | stations | build (time, peak) | network files | nearest k=3 "
             "p50 / p99 (process peak) | coverage by hour (time, peak) | plan --add 30 "
             "(time, peak) |", "|---|---:|---:|---|---:|---|---|---|"]
    for r in rows:
        near = r.get("nearest", {})
        near_text = (f"{near['p50_ms']:.2f} / {near['p99_ms']:.2f} ms ({near['peak_mb']:,.0f} MB)"
                     if near.get("p50_ms") is not None else "–")
        lines.append(
            f"| {r['city']} | {near.get('walk_nodes', 0):,} | {near.get('stations', 0):,} | "
            f"{_cell(r['build'])} | {r.get('networks_mb', 0):,.0f} MB | {near_text} | "
            f"{_cell(r['coverage']) if 'coverage' in r else '–'} | "
            f"{_cell(r['plan']) if 'plan' in r else '–'} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks scale",
        description="Build time, memory, nearest latency, coverage by hour and a 30-station "
                    "plan per city, one step at a time; prints the table of docs/scaling.md.")
    parser.add_argument("--work", type=Path, required=True,
                        help="Where the cities' data dirs are built (several GB for gen1m).")
    parser.add_argument("--cities", nargs="+", default=list(CITIES),
                        help="Shipped regions and generated cities genN (default: "
                             f"{' '.join(CITIES)}).")
    parser.add_argument("--timeout", type=float, default=600,
                        help="Seconds one step may run before it is stopped (default 600).")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="Also write the rows to this JSON file.")
    args = parser.parse_args(argv)
    for name in args.cities:
        try:
            city_source(name)
        except argparse.ArgumentTypeError as exc:
            parser.error(str(exc))
    rows = []
    for name in args.cities:
        print(f"{name}: load average {os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)
        rows.append(measure_city(name, args.work, args.timeout, args.lookups))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
