"""Coverage of four worker groups on a generated city, against per-point osmnx + networkx.

    python -m benchmarks coverage [--nodes 200000] [--demand 50000] [--stations 2000]
                                  [--peer-sample 20]

Three generated networks (walk, e-bike, drive) of about ``--nodes`` nodes each, ``--demand``
demand points spread over the four groups, ``--stations`` stations. Prints the total time of
:func:`geo.coverage.coverage` (target ≤ 10 s), peak memory, and the time the same computation takes
per point with osmnx (snapping) and networkx (a Dijkstra bounded by the budget from each point),
sampled and extrapolated; the sampled points' covered flags must agree.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from benchmarks._measure import peak_rss_mb
from geo.coverage import coverage
from geo.groups import DEFAULT_GROUPS
from geo.synthetic import city_network, random_points, random_stations
from tests.reference import networkx_covered, osmnx_graph, osmnx_snap


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks coverage")
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--demand", type=int, default=50_000)
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--peer-sample", type=int, default=20)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    nets = {mode: city_network(args.nodes, mode=mode, seed=0)
            for mode in ("walk", "ebike", "drive")}
    stations = random_stations(nets["walk"], args.stations, seed=0)
    per_group = args.demand // len(DEFAULT_GROUPS)
    frames = []
    for k, gid in enumerate(DEFAULT_GROUPS):
        lon, lat = random_points(nets["walk"], per_group, seed=100 + k, jitter_deg=0.0004)
        frames.append(pd.DataFrame({"lon": lon, "lat": lat, "weight": 1.0, "group": gid}))
    demand = pd.concat(frames, ignore_index=True)
    print(f"inputs: 3 networks of {nets['walk'].n_nodes:,} nodes ({nets['walk'].n_edges:,} walk "
          f"edges), {len(demand):,} demand points, {len(stations):,} stations, 4 groups "
          f"(generated in {time.perf_counter() - started:.1f} s)")

    rss = peak_rss_mb()
    started = time.perf_counter()
    result = coverage(nets, stations, demand)
    ours = time.perf_counter() - started
    print(f"yizhan coverage, 4 groups: {ours:.2f} s (target ≤ 10 s); "
          f"{len(demand) / ours:,.0f} points/s; peak RSS {peak_rss_mb():,.0f} MB "
          f"(+{peak_rss_mb() - rss:,.0f} MB)")
    for gid, entry in result.summary["groups"].items():
        print(f"  {gid:20} share {entry['share']:.3f} of {entry['total']:,.0f}, "
              f"{len(result.summary['gaps'])} gap areas in all")

    started = time.perf_counter()
    graphs = {mode: osmnx_graph(net, "time") for mode, net in nets.items()}
    graph_s = time.perf_counter() - started
    peer_per_point = []
    for gid, group in DEFAULT_GROUPS.items():
        finder = result.finders[group.mode]
        rows = result.points[result.points.group == gid].head(args.peer_sample)
        started = time.perf_counter()
        nodes, snaps = osmnx_snap(graphs[group.mode], finder, rows.lon, rows.lat)
        flags = [networkx_covered(graphs[group.mode], finder, int(node), float(snap), group.kinds,
                              group.budget_min) for node, snap in zip(nodes, snaps, strict=True)]
        seconds = (time.perf_counter() - started) / len(rows)
        peer_per_point.append((seconds, per_group))
        assert flags == rows.covered.tolist(), f"{gid}: the peer disagrees"
        print(f"  peer {gid:20} {seconds * 1e3:,.1f} ms per point ({len(rows)} sampled, "
              "covered flags agree)")
    peer_total = sum(s * n for s, n in peer_per_point) + graph_s
    print(f"osmnx+networkx per point, extrapolated to {len(demand):,} points: {peer_total:,.0f} s "
          f"(graph build {graph_s:.1f} s included)")
    print(f"ratio: yizhan is {peer_total / ours:,.0f}x faster")
    return 0
