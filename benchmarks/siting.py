"""Siting models against spopt + CBC, at city scale, and whole plans on a real city.

    python -m benchmarks siting [--seeds 3] [--families geometric,network]
                                [--big-demand 50000] [--big-candidates 2000] [--big-p 50]
                                [--time-limit 50] [--skip-peer] [--skip-big]
    python -m benchmarks siting --harbin DATA_DIR --previous CHECKOUT [--repeat 3]
                                [--plans target]

3. **A real city** (``--harbin``): ``yizhan plan`` on a data dir built by ``yizhan demo
   --build-only`` (central Harbin: ``--region harbin``, or ``--osm harbin_center_2024.osm.pbf``),
   run by this checkout and by ``--previous`` (a checkout of the previous release, e.g. a git
   worktree) as subprocesses one after the other on the same files: ``--add 30 --at 04:30`` for
   every group, and ``--group sanitation_worker --target 90`` at 04:30 (the night, when few
   stations are open: 174 new sites) and with every station counted open, alternating
   ``--repeat`` times.
   Prints the medians of each one's wall time, CPU time and peak resident memory (of the
   process, from ``wait4``), the covered workers, and the ratios.

1. **Peer comparison**, 3,000 demand rows × 400 candidates, p = 20, each demand row covered by
   about 5–20 candidates, two random families:

   - ``geometric``: demand points in clusters, candidates uniform in a 20 km square, a candidate
     covers the points within a radius (about 12 candidates per point on average);
   - ``network``: demand and candidates at random nodes of a generated street grid
     (:func:`geo.synthetic.city_network`), covered within a network distance (Dijkstra).

   yizhan's :func:`geo.siting.maximize_coverage` (exact, no time limit) against what an analyst
   writes with spopt: ``MCLP.from_cost_matrix(...).solve(pulp.PULP_CBC_CMD())``. Both answers
   are checked to be the same optimum; spopt's time is its model build (PuLP, in Python) plus
   CBC, printed apart.
2. **City scale**, 50,000 × 2,000 (geometric), p = 50: the greedy alone, then
   :func:`~geo.siting.maximize_coverage` with ``--time-limit`` seconds: the answer, whether it
   is proven optimal, the proven gap, and that it is never worse than greedy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from benchmarks._measure import peak_rss_mb, timer
from geo.siting import greedy_max_coverage, maximize_coverage
from tests.reference import spopt_mclp_timed


def geometric_cover(m: int, n: int, *, per_row: float = 12.0,
                    seed: int = 0) -> tuple[sp.csr_array, np.ndarray]:
    """Clustered demand points and uniform candidates in a 20 km square, covered within the
    radius that gives ``per_row`` candidates per point on average; weights 1–49 workers."""
    rng = np.random.default_rng(seed)
    side = 20_000.0
    centres = rng.random((max(m // 500, 5), 2)) * side
    demand = centres[rng.integers(0, len(centres), m)] + rng.normal(0, 0.08 * side, (m, 2))
    demand = np.clip(demand, 0, side)
    sites = rng.random((n, 2)) * side
    radius = side * np.sqrt(per_row / (n * np.pi))
    hits = cKDTree(sites).query_ball_point(demand, radius)
    rows = np.repeat(np.arange(m), [len(h) for h in hits])
    cols = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
    cover = sp.csr_array((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(m, n))
    return cover, rng.integers(1, 50, m).astype(float)


def network_cover(m: int, n: int, *, radius_m: float = 2500.0,
                  seed: int = 0) -> tuple[sp.csr_array, np.ndarray]:
    """Demand and candidates at random nodes of a 40,000-node generated city (walk network),
    covered within ``radius_m`` metres of network distance; weights 1–49 workers."""
    from scipy.sparse.csgraph import dijkstra

    from geo.synthetic import city_network

    net = city_network(40_000, mode="walk", seed=seed)
    rng = np.random.default_rng(seed)
    demand = rng.choice(net.n_nodes, m, replace=True)
    sites = rng.choice(net.n_nodes, n, replace=False)
    dist = dijkstra(net.graph("length"), indices=sites, limit=radius_m)
    cover = sp.csr_array((dist[:, demand] <= radius_m).T)
    return cover, rng.integers(1, 50, m).astype(float)


def peer_comparison(args) -> None:
    m, n, p = 3000, 400, 20
    print(f"\n== {m:,} demand × {n} candidates, p = {p}: yizhan (HiGHS) vs spopt + CBC")
    ratios = []
    for family in args.families:
        for seed in range(args.seeds):
            t: dict = {}
            with timer(t, "matrix"):
                cover, weights = (geometric_cover(m, n, seed=seed) if family == "geometric"
                                  else network_cover(m, n, seed=seed))
            per_row = np.diff(cover.indptr)
            ours = maximize_coverage(cover, weights, p)
            line = (f"{family:9s} seed {seed}: {per_row.mean():.1f} candidates per row "
                    f"(5–95%: {np.percentile(per_row, 5):.0f}–{np.percentile(per_row, 95):.0f}), "
                    f"reduced to {ours.reduced_shape[0]:,} × {ours.reduced_shape[1]}; yizhan "
                    f"{ours.solve_seconds:.2f} s ({ours.method}, optimal={ours.optimal}, greedy "
                    f"{ours.greedy_weight:,.0f} → {ours.covered_weight:,.0f})")
            if args.skip_peer:
                print(line)
                continue
            value, build_s, solve_s = spopt_mclp_timed(cover, weights, p)
            peer = build_s + solve_s
            same = abs(value - ours.covered_weight) <= 1e-6 * max(value, 1.0)
            ratios.append((peer / ours.solve_seconds, solve_s / ours.solve_seconds))
            print(f"{line}\n{'':20s}spopt {peer:.2f} s (build {build_s:.2f} + CBC {solve_s:.2f}), "
                  f"objective {value:,.0f} — same optimum: {same}; yizhan is "
                  f"{peer / ours.solve_seconds:.1f}x faster ({solve_s / ours.solve_seconds:.1f}x "
                  f"against CBC alone)")
            assert same, f"different optima: yizhan {ours.covered_weight} vs spopt {value}"
    if ratios:
        total, solver = np.array(ratios).T
        print(f"ratio: yizhan is {np.median(total):.1f}x faster than spopt + CBC (median of "
              f"{len(total)}; range {total.min():.1f}–{total.max():.1f}x; target ≥ 10x), "
              f"{np.median(solver):.1f}x against CBC's solve alone")


def city_scale(args) -> None:
    m, n, p = args.big_demand, args.big_candidates, args.big_p
    t: dict = {}
    with timer(t, "matrix"):
        cover, weights = geometric_cover(m, n, seed=0)
    print(f"\n== {m:,} demand × {n:,} candidates (geometric, {cover.nnz / m:.1f} per row), "
          f"p = {p} (matrix built in {t['matrix']:.2f} s)")
    with timer(t, "greedy"):
        greedy = greedy_max_coverage(cover, weights, p)
    print(f"greedy alone: {t['greedy']:.3f} s (target < 1 s), covers {greedy.covered_weight:,.0f}"
          f" of {weights.sum():,.0f}")
    result = maximize_coverage(cover, weights, p, time_limit=args.time_limit)
    never_worse = result.covered_weight >= greedy.covered_weight
    print(f"maximize_coverage (time_limit {args.time_limit:g} s): {result.solve_seconds:.1f} s "
          f"(target ≤ 60 s), covers {result.covered_weight:,.0f} "
          f"(+{result.covered_weight / greedy.covered_weight - 1:.2%} over greedy; never worse: "
          f"{never_worse}), method {result.method}, optimal={result.optimal}")
    print(f"proven bound {result.bound:,.0f}: gap {result.gap:.3%} (target ≤ 2 %); reduced to "
          f"{result.reduced_shape[0]:,} × {result.reduced_shape[1]:,}; peak RSS "
          f"{peak_rss_mb():,.0f} MB")
    assert never_worse


#: The plans of the city comparison: name and ``yizhan plan`` options.
CITY_PLANS = {"add 30 at 04:30, all groups": ["--add", "30", "--at", "04:30"],
              "sanitation_worker, target 90 at 04:30": ["--group", "sanitation_worker",
                                                        "--target", "90", "--at", "04:30"],
              "sanitation_worker, target 90, all open": ["--group", "sanitation_worker",
                                                         "--target", "90"]}


def run_plan_process(checkout: Path, data_dir: Path, options: list[str]) -> dict:
    """``yizhan plan`` of ``checkout`` (its own code first on ``sys.path``, checked) on
    ``data_dir``: wall seconds, CPU seconds and peak RSS (MB) of the process, and the covered
    workers of the plan's groups together."""
    code = (f"import sys; sys.path.insert(0, {str(checkout)!r}); import geo; "
            f"assert geo.__file__.startswith({str(checkout)!r}), geo.__file__; "
            "from app.cli import main; main()")
    nets = [arg for mode in ("walk", "ebike", "drive")
            for arg in ("--network", str(data_dir / f"network-{mode}.npz"))]
    command = [sys.executable, "-c", code, "plan", *nets, "--db",
               str(data_dir / "yizhan.sqlite"), "--demand", str(data_dir / "demand.csv"),
               *options, "--json"]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, cwd=checkout, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if proc.returncode:
            err.seek(0)
            raise RuntimeError(f"{checkout}: yizhan plan failed:\n{err.read().decode()[-2000:]}")
    answer = json.loads(out)
    covered = sum(answer["after"][g] * answer["totals"][g] for g in answer["after"])
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024, "covered": covered,
            "sites": len(answer["sites"]), "optimal": answer["optimal"]}


def city_comparison(args) -> None:
    """Each plan of :data:`CITY_PLANS` (or those of ``--plans``) by the previous checkout and
    this one, alternating ``--repeat`` times: the medians, wall and CPU."""
    data_dir, previous, here = Path(args.harbin), Path(args.previous), Path(__file__).parents[1]
    print(f"\n== yizhan plan on {data_dir}: this checkout against {previous}, "
          f"{args.repeat} rounds alternating (medians)")
    plans = {name: options for name, options in CITY_PLANS.items()
             if not args.plans or any(word in name for word in args.plans)}
    for name, options in plans.items():
        runs: dict[str, list[dict]] = {"previous": [], "now": []}
        for _ in range(args.repeat):
            for label, root in (("previous", previous), ("now", here)):
                runs[label].append(run_plan_process(root, data_dir, options))
        med = {label: {key: float(np.median([r[key] for r in rs]))
                       for key in ("seconds", "cpu", "peak_mb", "covered")}
               for label, rs in runs.items()}
        for label, rs in runs.items():
            m, last = med[label], rs[-1]
            print(f"{name:30s} {label:8s} {m['seconds']:6.1f} s ({m['cpu']:5.1f} s CPU), peak "
                  f"{m['peak_mb']:6,.0f} MB, {m['covered']:9,.1f} workers covered, "
                  f"{last['sites']} sites, optimal={last['optimal']}; wall "
                  + ", ".join(f"{r['seconds']:.1f}" for r in rs) + "; CPU "
                  + ", ".join(f"{r['cpu']:.1f}" for r in rs))
        old, new = med["previous"], med["now"]
        same = {(r["sites"], round(r["covered"], 3)) for rs in runs.values() for r in rs}
        print(f"{'':30s} ratio    {old['seconds'] / new['seconds']:.2f}x faster (CPU "
              f"{old['cpu'] / new['cpu']:.2f}x), {old['peak_mb'] / new['peak_mb']:.1f}x less "
              f"memory, covered {new['covered'] - old['covered']:+.3f} workers; the same sites "
              f"and coverage in every run: {len(same) == 1}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks siting")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--families", type=lambda s: s.split(","), default=["geometric",
                                                                             "network"])
    parser.add_argument("--big-demand", type=int, default=50_000)
    parser.add_argument("--big-candidates", type=int, default=2000)
    parser.add_argument("--big-p", type=int, default=50)
    parser.add_argument("--time-limit", type=float, default=50.0)
    parser.add_argument("--skip-peer", action="store_true", help="no spopt + CBC runs")
    parser.add_argument("--skip-big", action="store_true", help="no city-scale run")
    parser.add_argument("--harbin", metavar="DATA_DIR",
                        help="only compare whole plans on this demo data dir (yizhan demo "
                             "--build-only) with --previous")
    parser.add_argument("--previous", metavar="CHECKOUT",
                        help="a checkout of the previous release (e.g. a git worktree)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="with --harbin: rounds of previous and now, alternating")
    parser.add_argument("--plans", nargs="*", default=[],
                        help="with --harbin: only the plans whose name has one of these words "
                             "(e.g. target)")
    args = parser.parse_args(argv)
    if args.harbin:
        if not args.previous:
            parser.error("--harbin needs --previous CHECKOUT")
        city_comparison(args)
        return 0
    unknown = set(args.families) - {"geometric", "network"}
    if unknown:
        parser.error(f"unknown families {sorted(unknown)}; choose from geometric, network")
    peer_comparison(args)
    if not args.skip_big:
        city_scale(args)
    return 0
