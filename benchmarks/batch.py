"""The province batch on Dask: generated cities analysed in a plain loop, then on 1 and N workers.

    python -m benchmarks batch [--cities 16] [--nodes 200000] [--stations 2000]
                               [--demand 50000] [--workers 2] [--dir DIR]

``--cities`` generated cities (:mod:`geo.synthetic`: walk, e-bike and drive networks of about
``--nodes`` nodes each, ``--stations`` stations, ``--demand`` workers over the four groups, each
city around another Chinese city centre) are written as files with a ``regions.toml``; each
region plans 3 new stations. Then the same regions run three ways, each into its own folder and
each from scratch: :func:`geo.batch.run_region` in a plain loop in this process, and
:func:`geo.batch.run_batch` on a local cluster of 1 and of ``--workers`` worker processes. Prints
the wall times, the speed-up of N workers over 1 (target ≥ 1.6× with 2), the minutes per city and
the peak memory of a worker process. The machine may be shared: run a smaller size too
(``--cities 4 --nodes 50000``) and compare.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._measure import peak_rss_mb

#: City centres (lon, lat) the generated cities lie around: prefecture seats of Qinghai first,
#: then other provincial capitals.
CENTRES = [(101.778, 36.617), (102.104, 36.502), (100.622, 36.286), (100.901, 36.955),
           (102.008, 35.519), (101.271, 34.472), (100.238, 34.472), (97.371, 37.377),
           (104.066, 30.573), (108.940, 34.341), (103.834, 36.061), (106.231, 38.487),
           (87.617, 43.826), (91.117, 29.647), (102.833, 24.880), (106.630, 26.647)]


def make_cities(folder: Path, cities: int, nodes: int, stations: int, demand: int) -> Path:
    """The cities' files and their ``regions.toml`` in ``folder``."""
    from geo.groups import DEFAULT_GROUPS
    from geo.io.stations import write_stations
    from geo.synthetic import city_network, random_points, random_stations

    tables = []
    for i in range(cities):
        city = folder / f"city-{i + 1:02d}"
        city.mkdir(parents=True, exist_ok=True)
        centre = CENTRES[i % len(CENTRES)]
        paths = []
        for mode in ("walk", "ebike", "drive"):
            net = city_network(nodes, mode=mode, seed=i, centre=centre)
            paths.append(net.save(city / f"{mode}.npz").name)
            if mode == "walk":
                walk = net
        write_stations(random_stations(walk, stations, seed=i), city / "stations.csv")
        per_group = demand // len(DEFAULT_GROUPS)
        frames = []
        for k, gid in enumerate(DEFAULT_GROUPS):
            lon, lat = random_points(walk, per_group, seed=1000 * i + k, jitter_deg=0.0004)
            frames.append(pd.DataFrame({"lon": np.round(lon, 7), "lat": np.round(lat, 7),
                                        "weight": 1.0, "group": gid}))
        pd.concat(frames).to_csv(city / "demand.csv", index=False)
        networks = ", ".join(f'"{city.name}/{p}"' for p in paths)
        tables.append(f'[[region]]\nname = "{city.name}"\nnetworks = [{networks}]\n'
                      f'stations = "{city.name}/stations.csv"\ndemand = "{city.name}/demand.csv"\n'
                      'kind = "sanitation_station"\nadd = 3\n')
    path = folder / "regions.toml"
    path.write_text("\n".join(tables), "utf-8")
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks batch")
    parser.add_argument("--cities", type=int, default=16)
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--demand", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, help="Work here (default: a temporary folder, "
                                                  "removed afterwards).")
    args = parser.parse_args(argv)

    from geo.batch import batch_options, read_regions, run_batch, run_region

    folder = args.dir or Path(tempfile.mkdtemp(prefix="yizhan-batch-"))
    try:
        started = time.perf_counter()
        regions = make_cities(folder / "inputs", args.cities, args.nodes, args.stations,
                              args.demand)
        specs = read_regions(regions)
        print(f"inputs: {args.cities} generated cities of ~{args.nodes:,} nodes per network "
              f"(3 networks), {args.stations:,} stations and {args.demand:,} workers each; "
              f"each plans 3 new stations (written in {time.perf_counter() - started:.0f} s)")
        options = batch_options(at="10:00")

        before = peak_rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        for spec in specs:
            run_region(spec, folder / "loop", options)
        loop = time.perf_counter() - started
        cpu = time.process_time() - cpu
        print(f"plain loop in one process: {loop:.1f} s ({loop / len(specs):.1f} s per city, "
              f"{cpu / len(specs):.1f} s of CPU); peak RSS {peak_rss_mb():,.0f} MB (this "
              f"process, {before:,.0f} MB before)")

        times = {}
        for workers in sorted({1, args.workers}):
            started = time.perf_counter()
            run = run_batch(specs, folder / f"dask-{workers}", options=options, workers=workers,
                            rerun=True, dashboard_address=":0")
            times[workers] = time.perf_counter() - started
            entries = [r["entry"] for r in run.records]
            failed = [e for e in entries if e["status"] != "ok"]
            assert not failed, failed
            rss = max(e["peak_rss_mb"] for e in entries)
            mean = sum(e["seconds"] for e in entries) / len(entries)
            cpu = sum(e["cpu_seconds"] for e in entries) / len(entries)
            print(f"Dask, {workers} worker process(es): {times[workers]:.1f} s wall; "
                  f"{mean:.1f} s per city inside a worker ({cpu:.1f} s of CPU: the same on a "
                  f"busy machine); peak RSS of a worker {rss:,.0f} MB")
        if args.workers > 1:
            ratio = times[1] / times[args.workers]
            print(f"speed-up of {args.workers} workers over 1: {ratio:.2f}x "
                  f"(target >= 1.6x with 2); 1 worker vs the plain loop: "
                  f"{times[1] / loop:.2f}x the time")
        most = max(times)
        print(f"per city: {times[most] * most / len(specs) / 60:.2f} worker-minutes with {most} "
              f"workers; {loop / len(specs) / 60:.2f} minutes in the loop")
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
