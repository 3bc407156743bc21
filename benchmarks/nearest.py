"""The nearest engine against its peers, on a generated city and the Helsinki extract, in one run.

    python -m benchmarks nearest [--nodes 200000] [--stations 2000] [--points 50000]
                                 [--queries 1000] [--peer-queries 200] [--check 5]
                                 [--repeat 3] [--skip-pandana] [--skip-helsinki]
                                 [--skip-single]

The batch instance of docs/scaling.md: ``--nodes 100000 --stations 1000 --points 30000
--skip-helsinki --skip-single``.

Figures, each with its peer's from the same run:

1. **Batch k-nearest** (k = 1, 3, 10) for ``--points`` points against pandana 0.8's
   ``nearest_pois`` on the same graph, stations and points (pandana's contraction-hierarchy
   precompute is reported separately and not counted; its query time includes mapping the points
   to nodes). Target: ≥ 2× pandana at k = 3 and k = 10. Ours is exact with edge snapping: sampled
   points are checked against networkx Dijkstra on the graph with the points and stations
   inserted on their edges (``tests/reference.py``), ≤ 1 mm. Ours and pandana's alternate
   ``--repeat`` times; the medians are printed, wall and CPU seconds (on a shared machine the
   wall time of both grows with the other work; compare figures of one run).
2. **One filtered k=3 lookup** (toilet, open at 10:00) against networkx's single-source Dijkstra
   with a 3 km cutoff from the point's nearest node on the same graph. Target: ≥ 30× faster at
   the median, our p99 within 5× our median; edge snapping included.
3. Engine build time (placing the stations on their edges), and the lookup with routes.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np

from benchmarks._measure import latencies, peak_rss_mb, summary_ms, timer
from geo.nearest import StationFinder
from geo.network import Network
from geo.synthetic import city_network, random_points, random_stations
from tests.reference import networkx_k_nearest

FILTERS = dict(k=3, services=["toilet"], open_at="2026-11-27T10:00", open_only=True)


def pandana_network(net: Network):
    """pandana's Network on the same directed graph (metres), and its build time."""
    import pandana
    import pandas as pd

    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    nodes = pd.DataFrame({"x": net.x, "y": net.y})
    return pandana.Network(nodes["x"], nodes["y"], pd.Series(rows), pd.Series(net.indices),
                           pd.DataFrame({"length": net.length}), twoway=False)


def batch(name: str, net: Network, stations, args) -> None:
    """Figure 1: many points at once, ours and pandana's, alternating ``--repeat`` times (the
    median of each; wall seconds, and the process's CPU seconds beside them)."""
    lon, lat = random_points(net, args.points, seed=8, jitter_deg=0.0003)
    finder = StationFinder(net, stations)
    finder.nearest_many(lon[:10], lat[:10], k=1)  # compile or load the search once
    ks = (1, 3, 10)
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}

    def timed(key: str, work):
        started, used = time.perf_counter(), time.process_time()
        out = work()
        wall.setdefault(key, []).append(time.perf_counter() - started)
        cpu.setdefault(key, []).append(time.process_time() - used)
        return out

    pnet = None
    if not args.skip_pandana:
        t: dict[str, float] = {}
        with timer(t, "pandana_build"):
            pnet = pandana_network(net)
        with timer(t, "pandana_precompute"):
            pnet.precompute(args.radius)
        from geo.coords import project

        sx, sy = project(np.array([s.lon for s in stations]),
                         np.array([s.lat for s in stations]), net.crs)
        px, py = project(lon, lat, net.crs)
        print(f"pandana: network {t['pandana_build']:.2f} s, precompute (contraction "
              f"hierarchies, not counted) {t['pandana_precompute']:.1f} s")

    def pandana_k(k: int):
        assert pnet is not None
        nodes = pnet.get_node_ids(px, py)
        table = pnet.nearest_pois(args.radius, "stations", num_pois=k, include_poi_ids=True)
        return table.loc[nodes.to_numpy()]

    ours = {}
    for _ in range(args.repeat):
        for k in ks:
            finder = StationFinder(net, stations)  # no table kept from the last round
            ours[k] = timed(f"ours{k}", lambda k=k, f=finder: f.nearest_many(lon, lat, k=k))
            if pnet is not None:
                pnet.set_pois("stations", args.radius, k, sx, sy)
                timed(f"pandana{k}", lambda k=k: pandana_k(k))
    for k in ks:
        mine, mine_cpu = np.median(wall[f"ours{k}"]), np.median(cpu[f"ours{k}"])
        line = (f"batch of {args.points:,} points, k={k:2d}: yizhan {mine:.2f} s "
                f"({mine_cpu:.2f} s CPU) = {args.points / mine:,.0f} points/s")
        if pnet is not None:
            peer, peer_cpu = np.median(wall[f"pandana{k}"]), np.median(cpu[f"pandana{k}"])
            line += (f"; pandana {peer:.2f} s ({peer_cpu:.2f} s CPU) = "
                     f"{args.points / peer:,.0f} points/s; ratio {peer / mine:.2f}x "
                     f"(CPU {peer_cpu / mine_cpu:.2f}x)" + (" (target ≥ 2x)" if k > 1 else ""))
        print(line + f"; medians of {args.repeat}: yizhan "
              + ", ".join(f"{v:.2f}" for v in wall[f"ours{k}"])
              + ("" if pnet is None else
                 "; pandana " + ", ".join(f"{v:.2f}" for v in wall[f"pandana{k}"])))
    # exact: sampled points against networkx with the points and stations on their edges
    sample = np.random.default_rng(5).choice(args.points, args.check, replace=False)
    expected = networkx_k_nearest(finder, lon[sample], lat[sample], k=10)
    worst = 0.0
    table = ours[10]
    for j, p in enumerate(sample.tolist()):
        rows = table[table.point_id == p + 1]
        got = rows["distance_m"].to_numpy(float)
        want = np.array([d for d, _ in expected[j]])
        assert len(got) == len(want), (p, got, want)
        worst = max(worst, float(np.max(np.abs(got - np.round(want, 1)))) if len(got) else 0.0)
    print(f"exactness: {args.check} sampled points, k=10, against networkx with edge insertion: "
          f"largest difference {worst * 1000:.3f} mm (rounded to 0.1 m in the table; ≤ 50 mm)")
    placing(net, lon, lat, args.repeat)


def placing(net: Network, lon: np.ndarray, lat: np.ndarray, repeat: int) -> None:
    """The points placed on their edges: the grid search (:func:`place`) against shapely's
    STRtree nearest query for every point (how they were placed before), alternating; the
    segments are the same but for ties (the grid takes the lowest index of equal distances)."""
    import shapely

    from geo.coords import project
    from geo.network.placement import place, segments

    segs = segments(net)
    g = segs.grid
    started = time.perf_counter()
    tree = shapely.STRtree(shapely.linestrings(
        np.column_stack([g.ax, g.ay, g.bx, g.by]).reshape(-1, 2),
        indices=np.repeat(np.arange(len(segs)), 2)))
    built = time.perf_counter() - started
    x, y = project(lon, lat, net.crs)
    grid, query = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        placed = place(net, lon, lat)
        grid.append(time.perf_counter() - started)
        started = time.perf_counter()
        found = tree.query_nearest(shapely.points(x, y), all_matches=False)
        query.append(time.perf_counter() - started)
    moved = placed.segment[found[0]] != found[1]
    print(f"placing {len(lon):,} points on their edges: grid {np.median(grid):.3f} s (whole "
          f"placement), STRtree nearest query alone {np.median(query):.3f} s (its build "
          f"{built:.2f} s); medians of {repeat}; another segment for {moved.mean():.1%} of the "
          f"points, all ties: {bool(np.all(placed.t[found[0]][moved] % 1 == 0))}")


def single(name: str, net: Network, stations, args) -> None:
    """Figures 2 and 3: one filtered lookup at a time, ours and networkx's bounded Dijkstra."""
    t: dict[str, float] = {}
    with timer(t, "build"):
        finder = StationFinder(net, stations)
    lon, lat = random_points(net, args.queries, seed=7, jitter_deg=0.0003)
    points = list(zip(lon.tolist(), lat.tolist(), strict=True))
    finder.nearest(*points[0], **FILTERS)  # compile or load the search once
    print(f"engine build (stations placed on their edges): {t['build']:.3f} s")
    ours = latencies(lambda x, y: finder.nearest(x, y, **FILTERS), points)
    print(f"yizhan filtered k=3 lookup: {summary_ms(ours)}; p99/median "
          f"{np.percentile(ours, 99) / np.median(ours):.1f} (target ≤ 5)")
    routed = latencies(lambda x, y: finder.nearest(x, y, route=True, **FILTERS), points[:200])
    print(f"yizhan filtered k=3 lookup with routes: {summary_ms(routed)}")
    with timer(t, "nx_graph"):
        graph = net.to_networkx("length")
    nodes, _ = net.nearest_node(lon[: args.peer_queries], lat[: args.peer_queries],
                                main_component=True)
    peer = latencies(lambda n: nx.single_source_dijkstra_path_length(graph, n, cutoff=3000,
                                                                      weight="weight"),
                     [(int(n),) for n in nodes])
    print(f"networkx single-source Dijkstra, 3 km cutoff ({len(peer)} points): "
          f"{summary_ms(peer)}")
    print(f"ratio: yizhan is {np.median(peer) / np.median(ours):,.1f}x faster at the median "
          f"(target ≥ 30x)")
    print(f"peak RSS so far: {peak_rss_mb():,.0f} MB")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks nearest")
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--peer-queries", type=int, default=200)
    parser.add_argument("--check", type=int, default=5,
                        help="batch points checked against networkx with edge insertion")
    parser.add_argument("--radius", type=float, default=3_000.0,
                        help="pandana's search radius and precompute distance, metres")
    parser.add_argument("--skip-pandana", action="store_true")
    parser.add_argument("--skip-helsinki", action="store_true")
    parser.add_argument("--skip-single", action="store_true",
                        help="only the batch (figure 1), not the one-lookup figures")
    parser.add_argument("--repeat", type=int, default=3,
                        help="batch rounds, ours and pandana's alternating; medians printed")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    city = city_network(args.nodes, mode="walk", seed=0)
    print(f"== generated city (walk): {city.n_nodes:,} nodes, {city.n_edges:,} edges, "
          f"{args.stations:,} stations (generated in {time.perf_counter() - started:.1f} s)")
    stations = random_stations(city, args.stations, seed=0)
    if not args.skip_single:
        single("generated city", city, stations, args)
    batch("generated city", city, stations, args)

    if not args.skip_helsinki:
        import tempfile

        from geo.demo import build_demo, helsinki_pbf
        from geo.network import load_network
        from geo.registry import Registry

        walk = load_network(helsinki_pbf(), mode="walk")
        with tempfile.TemporaryDirectory() as tmp:
            stations = Registry(build_demo(tmp, region_id="helsinki").db_url).stations()
        print(f"\n== Helsinki extract (walk): {walk.n_nodes:,} nodes, the demo's "
              f"{len(stations)} stations")
        small = argparse.Namespace(**{**vars(args), "queries": min(args.queries, 500),
                                      "points": min(args.points, 10_000)})
        if not args.skip_single:
            single("Helsinki", walk, stations, small)
        batch("Helsinki", walk, stations, small)
    return 0
