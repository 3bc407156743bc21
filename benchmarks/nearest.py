"""Nearest-station engine against osmnx + networkx, on the Helsinki extract and a generated city.

    python -m benchmarks nearest [--nodes 200000] [--stations 2000] [--queries 1000]
                                 [--peer-queries 5] [--batch 10000]

For each network: engine build time, filtered k=3 lookup latency (median, p99, lookups/s), batch
throughput, peak memory; the peer answers the same queries with ``osmnx.distance.nearest_nodes``
plus ``networkx`` Dijkstra (and ``osmnx.routing.shortest_path`` for the route), sampled where it
is too slow; every peer answer is checked to equal ours within 1 mm.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks._measure import latencies, peak_rss_mb, summary_ms, timer
from geo.nearest import StationFinder
from geo.network import Network
from geo.synthetic import city_network, random_points, random_stations
from tests.reference import osmnx_graph, osmnx_nearest

FILTERS = dict(k=3, services=["toilet"], open_at="2026-11-27T10:00", open_only=True)


def run(name: str, net: Network, stations, args, build_s: float | None) -> None:
    print(f"\n== {name}: {net.n_nodes:,} nodes, {net.n_edges:,} edges, {len(stations):,} stations")
    if build_s is not None:
        print(f"network build from OSM: {build_s:.2f} s")
    t: dict = {}
    rss_before = peak_rss_mb()
    with timer(t, "build"):
        finder = StationFinder(net, stations)
        finder.nearest(float(net.lon[0]), float(net.lat[0]))  # builds the lazy search structures
    print(f"engine build: {t['build']:.3f} s (target ≤ 5 s); peak RSS grew by "
          f"{peak_rss_mb() - rss_before:,.0f} MB")
    with timer(t, "tables"):
        for kind in ("driver_home", "sanitation_station", "outdoor_rest_point"):
            finder.nearest_table([kind])
    print(f"per-kind multi-source tables (3 kinds, every node): {t['tables']:.3f} s")
    lon, lat = random_points(net, args.queries, seed=7, jitter_deg=0.0003)
    points = list(zip(lon.tolist(), lat.tolist()))
    ours = latencies(lambda x, y: finder.nearest(x, y, **FILTERS), points)
    print(f"yizhan filtered k=3 lookup: {summary_ms(ours)}  (target median ≤ 2 ms)")
    unfiltered = latencies(lambda x, y: finder.nearest(x, y, k=3), points)
    print(f"yizhan unfiltered k=3 lookup: {summary_ms(unfiltered)}")
    routed = latencies(lambda x, y: finder.nearest(x, y, route=True, **FILTERS), points[:200])
    print(f"yizhan filtered k=3 lookup with routes: {summary_ms(routed)}")

    blon, blat = random_points(net, args.batch, seed=8, jitter_deg=0.0003)
    for k in (1, 3):
        with timer(t, f"batch{k}"):
            table = finder.nearest_many(blon, blat, k=k, services=["toilet"],
                                        open_at="2026-11-27T10:00", open_only=True)
        print(f"batch of {args.batch:,} points, k={k}: {t[f'batch{k}']:.2f} s = "
              f"{args.batch / t[f'batch{k}']:,.0f} points/s (target ≥ 2,000); "
              f"{int((table.status == 'off_network').sum())} off network")

    with timer(t, "peer_graph"):
        graph = osmnx_graph(net)
    sample = points[: args.peer_queries]
    peer_times, worst = [], 0.0
    for x, y in sample:
        started = time.perf_counter()
        expected = osmnx_nearest(graph, finder, x, y, **FILTERS)
        peer_times.append(time.perf_counter() - started)
        got = finder.nearest(x, y, **FILTERS)
        assert len(got) == len(expected)
        for hit, (d, _) in zip(got, expected):
            worst = max(worst, abs(hit.distance_m - d))
    peer = np.array(peer_times)
    print(f"osmnx+networkx lookup ({len(sample)} sampled): median {np.median(peer) * 1e3:.1f} ms")
    print(f"ratio: yizhan is {np.median(peer) / np.median(ours):,.0f}x faster (median, filtered "
          f"k=3; target ≥ 100x); largest distance difference {worst * 1000:.6f} mm (target ≤ 1 mm)")
    print(f"peak RSS so far: {peak_rss_mb():,.0f} MB")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks nearest")
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--peer-queries", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--skip-helsinki", action="store_true")
    args = parser.parse_args(argv)

    if not args.skip_helsinki:
        import tempfile

        from geo.demo import build_demo, helsinki_pbf
        from geo.network import load_network
        from geo.registry import Registry

        started = time.perf_counter()
        walk = load_network(helsinki_pbf(), mode="walk")
        build_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as tmp:
            stations = Registry(build_demo(tmp).db_url).stations()
        run("Helsinki extract (walk), the demo's 60 stations", walk, stations, args, build_s)

    started = time.perf_counter()
    city = city_network(args.nodes, mode="walk", seed=0)
    gen_s = time.perf_counter() - started
    run("generated city (walk)", city, random_stations(city, args.stations, seed=0), args, None)
    print(f"(generating the city took {gen_s:.2f} s)")
    return 0
