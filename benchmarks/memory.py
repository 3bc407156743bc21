"""Memory of ``yizhan serve`` across its worker processes: PSS of the parent and each worker.

``python -m benchmarks memory --data-dir DIR --workers 1 2 4`` starts ``yizhan serve`` on a
built demo region (``yizhan demo --build-only --region harbin --data-dir DIR``) once per worker
count and per way of loading the networks (``--mmap on off``: mapped from the saved files, or
read into memory as before, ``YIZHAN_NETWORK_MMAP=0``), sends ``/api/nearest`` requests for every
mode from several connections so that every worker answers some, then reads
``/proc/PID/smaps_rollup`` of the server's process tree and prints a table:

* RSS counts every page a process touches, shared or not, in full: the sum over workers
  counts the shared networks once per worker.
* PSS (proportional set size) splits each shared page between the processes sharing it: the sum
  of PSS is what the server really takes.
* USS (private clean + private dirty) is what the process alone holds: what one more worker adds.

Linux only (``/proc``). Run by hand, never by the test suite.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.web import free_port, query_paths, wait_until_up


def smaps_rollup(pid: int) -> dict[str, float]:
    """``Rss``, ``Pss``, ``Uss`` (private clean + dirty) and ``Swap`` of one process, MB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        parts = value.split()
        if parts and parts[-1] == "kB":
            fields[name.strip()] = int(parts[0]) / 1024
    return {"rss": fields.get("Rss", 0.0), "pss": fields.get("Pss", 0.0),
            "uss": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0),
            "swap": fields.get("Swap", 0.0)}


def process_tree(pid: int) -> list[tuple[int, int]]:
    """``(pid, depth)`` of a process and all its descendants, parents first."""
    out, todo = [], [(pid, 0)]
    while todo:
        current, depth = todo.pop(0)
        out.append((current, depth))
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [(int(c), depth + 1) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:60]
    except OSError:
        return "?"


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        return response.status


class _Region:
    """A data dir without a demo manifest (e.g. a generated city of ``benchmarks.scale``): its
    saved networks and their bounds."""

    def __init__(self, data_dir: Path) -> None:
        from geo.network import load_network

        self.nets = {mode: load_network(path) for mode in ("walk", "ebike", "drive")
                     if (path := data_dir / f"network-{mode}.npz").is_file()}

    def manifest(self) -> dict:
        walk = next(iter(self.nets.values()))
        return {"networks": list(self.nets), "bounds": [float(walk.lon.min()),
                float(walk.lat.min()), float(walk.lon.max()), float(walk.lat.max())]}

    def network(self, mode: str):
        return self.nets[mode]


def measure(data_dir: Path, workers: int, mmap: bool, requests: int,
            connections: int, source: Path | None = None) -> list[dict]:
    """Start the server, warm it with ``requests`` lookups per mode, read every process's
    memory, stop it. ``source``: a checkout of other code to serve (``PYTHONPATH``)."""
    from geo.demo import DemoRegion

    region = DemoRegion(data_dir) if (data_dir / "demo.json").is_file() else _Region(data_dir)
    paths = [p for mode in region.manifest()["networks"]
             for p in query_paths(region, mode, requests, 3, route=True)[0]]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "YIZHAN_NETWORK_MMAP": "1" if mmap else "0",
           "YIZHAN_NEAREST_CACHE": "0"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("yizhan")), "serve", "--data-dir", str(data_dir),
         "--port",
         str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        started = time.perf_counter()
        wait_until_up(url, server, timeout=300)
        up = time.perf_counter() - started
        time.sleep(1.0)  # every worker has loaded its target
        with ThreadPoolExecutor(connections) as pool:  # new connections: spread over workers
            statuses = list(pool.map(lambda p: _get(url + p), paths))
        bad = sum(status != 200 for status in statuses)
        rows = []
        for pid, depth in process_tree(server.pid):
            memory = smaps_rollup(pid)
            rows.append({"pid": pid, "depth": depth, "command": _command(pid), **memory})
        for row in rows:
            row.update(workers=workers, how=source.name if source else
                       "mapped" if mmap else "in memory", up_s=up, failed=bad, requests=len(paths))
        return rows
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the session started here: server + workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def table(rows: list[dict]) -> str:
    """One line per process and one total per run, MB."""
    lines = [f"{'networks':12} {'workers':>7}  {'process':38} {'RSS':>7} {'PSS':>7} "
             f"{'USS':>7}", "-" * 85]
    runs: dict[tuple, list[dict]] = {}
    for row in rows:
        runs.setdefault((row["how"], row["workers"]), []).append(row)
    for (how, workers), procs in runs.items():
        for p in procs:
            name = ("  " * p["depth"] + ("server " if p["depth"] == 0 else "worker ")
                    + str(p["pid"]))[:38]
            lines.append(f"{how[:12]:12} {workers:7d}  {name:38} {p['rss']:7.0f} {p['pss']:7.0f} "
                         f"{p['uss']:7.0f}")
        kids = [p for p in procs if p["depth"] > 0]
        total = f"total ({len(procs)} processes)"
        lines.append(f"{how[:12]:12} {workers:7d}  {total:38} "
                     f"{sum(p['rss'] for p in procs):7.0f} {sum(p['pss'] for p in procs):7.0f} "
                     f"{sum(p['uss'] for p in procs):7.0f}   worker USS mean "
                     f"{sum(p['uss'] for p in kids) / max(1, len(kids)):.0f}; "
                     f"{procs[0]['requests']} requests, {procs[0]['failed']} failed, up in "
                     f"{procs[0]['up_s']:.1f} s")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks memory",
        description="PSS/USS of the yizhan serve parent and each worker (Linux /proc), per "
                    "worker count, networks mapped from their files or read into memory.")
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="A built demo region (yizhan demo --build-only --data-dir DIR).")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--mmap", nargs="+", choices=["on", "off"], default=["off", "on"],
                        help="Networks mapped from the files (on) or read into memory (off).")
    parser.add_argument("--before", type=Path,
                        help="Also serve this checkout of older code (e.g. a git worktree) "
                             "for comparison; its rows are named after the directory.")
    parser.add_argument("--requests", type=int, default=300,
                        help="/api/nearest requests per mode before measuring (default 300).")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    rows = []
    for workers in args.workers if args.before else []:
        rows += measure(args.data_dir, workers, False, args.requests, args.connections,
                        args.before.resolve())
    for how in args.mmap:
        for workers in args.workers:
            rows += measure(args.data_dir, workers, how == "on", args.requests,
                            args.connections)
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores; MB")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
