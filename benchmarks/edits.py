"""Station edits on a whole city: the time of one PATCH, and nearest lookups while a planner saves.

    python -m benchmarks edits [--stations 20000] [--data DIR] [--patches 20] [--seconds 30]
                               [--rounds 6] [--threads 2] [--rates 0,200] [--save-every 1.0]
                               [--paths whole,incremental,elsewhere,writer] [--json]

Builds the demo region (central Chengdu) and a registry copy with ``--stations`` stations
(generated ones added, :func:`benchmarks.stations.build_data`), into ``--data`` when given (and
reused from there next time), else into a temporary directory. Then, in one process and one
run, for each way of following a change (``--paths``):

- **whole**: the previous path, every change rebuilds the station snapshot and one finder per
  travel mode from all the stations (``AppState._build``);
- **incremental**: the snapshot updated with the changed stations only (``AppState._next``:
  :func:`geo.registry_changes.changes_since`, :meth:`geo.nearest.StationFinder.with_changes`),
  the saves made in this process (the worker that takes the planner's request);
- **elsewhere**: the same, the saves made by another process with its own app on the same
  registry (a server's other worker), this one following the history within
  ``REGISTRY_CHECK_INTERVAL`` (:meth:`app.state.AppState.current`) as its lookups go on;
- **writer**: as ``yizhan serve`` takes a save (:mod:`app.writer`): the PATCH given to this
  process, which forwards it to a writer process and then follows the change in a thread of its
  own (:meth:`app.state.AppState.follow_soon`).

it measures, through the whole app (Flask test client, a signed-in planner):

1. ``--patches`` PATCHes of ``/api/stations/<id>``, each moving a random station by a few
   metres (median, 90th percentile and largest time of one request, the snapshot update in it);
2. ``/api/nearest`` at random points on the walking network from ``--threads`` threads for
   ``--seconds``, with nobody saving and with one PATCH every ``--save-every`` seconds from
   another thread, in ``--rounds`` turns of each (so that a busy spell of the machine falls on
   both alike; the median and 99th percentile of one lookup, and lookups per second), at
   each of ``--rates``: 0 is as fast as the threads can ask (the process saturated: every
   other piece of work delays lookups), a number is that many lookups a second in all, each
   timed from when it was due (so a lookup held up delays the ones behind it, as for real
   clients).

The lookups share the process (and its GIL) with the saving, as they do in a server worker; the
process is set up as a served worker is (:func:`app.settle` after warming up, the worker's
switch interval :data:`app.SWITCH_INTERVAL_S`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

PLANNER, PASSWORD = "bench.planner", "bench-planner-password"


def open_data(data: Path | None, count: int):
    """The demo region and the benchmark registry: (region, db url); built when missing."""
    from benchmarks.stations import build_data
    from geo.demo import DemoRegion

    if data is not None and (data / "stations.sqlite").is_file():
        return DemoRegion(data / "demo"), f"sqlite:///{data / 'stations.sqlite'}"
    root = data if data is not None else Path(tempfile.mkdtemp(prefix="yizhan-edits-"))
    root.mkdir(parents=True, exist_ok=True)
    return build_data(root, count)


def signed_in(app):
    """A test client of ``app`` signed in as a planner."""
    accounts = app.extensions["accounts"]
    with contextlib.suppress(Exception):  # the account is there from an earlier run
        accounts.add(PLANNER, PASSWORD, role="planner")
    client = app.test_client()
    answer = client.post("/api/login", json={"user": PLANNER, "password": PASSWORD})
    if answer.status_code != 200:
        raise SystemExit(f"cannot sign in: {answer.status_code} {answer.get_data(as_text=True)}")
    return client


class Saver:
    """PATCHes that move random stations by a few metres, timed."""

    def __init__(self, client, app_state, seed: int = 3) -> None:
        self.client = client
        self.state = app_state
        self.rng = np.random.default_rng(seed)
        self.lock = threading.Lock()

    def save(self) -> float:
        """One PATCH; seconds it took."""
        with self.lock:
            stations = self.state.current().stations
            station = stations[int(self.rng.integers(len(stations)))]
            version = self.state.registry.get_versioned(station.id).version
            shift = self.rng.normal(0, 0.00005, 2)
            body = {"lon": round(station.lon + shift[0], 7),
                    "lat": round(station.lat + shift[1], 7)}
            started = time.perf_counter()
            answer = self.client.patch(f"/api/stations/{station.id}", json=body,
                                       headers={"If-Match": f'"{version}"'})
            took = time.perf_counter() - started
        if answer.status_code != 200:
            raise SystemExit(f"PATCH failed: {answer.status_code} {answer.get_data(as_text=True)}")
        return took


class SaverElsewhere:
    """The PATCHes of :class:`Saver` made by another process with its own app on the same
    registry (a server's other worker taking the planner's request): this process only follows
    the history, as a worker does within ``REGISTRY_CHECK_INTERVAL``."""

    def __init__(self, data_dir: str, db_url: str) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(target=_save_elsewhere, args=(data_dir, db_url, theirs),
                                        daemon=True)
        self._process.start()
        if self._pipe.recv() != "ready":
            raise SystemExit("the saving process did not start")

    def save(self) -> float:
        """One PATCH in the other process; seconds it took there."""
        self._pipe.send("save")
        took = self._pipe.recv()
        if isinstance(took, str):
            raise SystemExit(took)
        return took

    def close(self) -> None:
        self._pipe.send(None)
        self._process.join(30)


def _save_elsewhere(data_dir: str, db_url: str, pipe) -> None:
    """The other process of :class:`SaverElsewhere`: PATCHes when asked, until told to stop."""
    from app import create_app

    app = create_app(config={"DATA_DIR": data_dir, "DB_URL": db_url, "RATELIMIT_ENABLED": False})
    saver = Saver(signed_in(app), app.extensions["yizhan"], seed=5)
    pipe.send("ready")
    while pipe.recv() is not None:
        try:
            pipe.send(saver.save())
        except SystemExit as failed:
            pipe.send(str(failed))


class SaverThrough:
    """The PATCHes of :class:`Saver` given to this process as a server's worker gets them: the
    request's WSGI environ (as granian makes it) to the app wrapped as ``yizhan serve`` wraps it
    in a worker (:class:`app.writer.WritesForwarded`), which forwards it to a writer process
    (forked from this one, :func:`_write_here`) and then follows the change in a thread of its
    own. What a browser does is not done here: the station versions are read once at the start
    and then taken from the answers."""

    def __init__(self, app, app_state, seed: int = 7) -> None:
        from sqlalchemy import select

        from app.writer import Writer, WritesForwarded
        from geo.registry import stations_table

        self.writer = Writer(functools.partial(_write_here, app)).start()
        self.worker = WritesForwarded(app, self.writer.socket_path)
        self.cookie = signed_in(app).get_cookie("session").value
        self.stations = [(s.id, s.lon, s.lat) for s in app_state.current().stations]
        with app_state.registry.engine.connect() as conn:
            rows = conn.execute(select(stations_table.c.id, stations_table.c.version))
            self.versions = dict(rows.all())
        self.rng = np.random.default_rng(seed)
        self.lock = threading.Lock()

    def save(self) -> float:
        """One PATCH; seconds it took."""
        import io

        with self.lock:
            sid, lon, lat = self.stations[int(self.rng.integers(len(self.stations)))]
            shift = self.rng.normal(0, 0.00005, 2)
            body = json.dumps({"lon": round(lon + shift[0], 7),
                               "lat": round(lat + shift[1], 7)}).encode()
            environ = {
                "REQUEST_METHOD": "PATCH", "SCRIPT_NAME": "", "PATH_INFO": f"/api/stations/{sid}",
                "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000",
                "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
                "HTTP_HOST": "127.0.0.1:5000", "HTTP_COOKIE": f"session={self.cookie}",
                "HTTP_IF_MATCH": f'"{self.versions[sid]}"', "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
                "wsgi.errors": sys.stderr, "wsgi.multithread": True,
                "wsgi.multiprocess": True, "wsgi.run_once": False}
            answered = {}
            started = time.perf_counter()
            data = b"".join(self.worker(environ, lambda status, headers: answered.update(
                status=status, headers=dict(headers))))
            took = time.perf_counter() - started
            if not answered["status"].startswith("200"):
                raise SystemExit(f"PATCH failed: {answered['status']} {data.decode()}")
            self.versions[sid] = int(answered["headers"]["ETag"].strip('"'))
        return took

    def close(self) -> None:
        self.writer.stop()


def _write_here(app, socket_path: str) -> None:
    """The writer process of :class:`SaverThrough`, forked from the benchmark's."""
    from app.deployment import states
    from app.writer import serve_writes


    for served in states(app):
        served.after_fork()
    serve_writes(app, socket_path)


def lookups(app, paths: list[str], *, seconds: float, threads: int,
            saver: Saver | None, save_every: float, rate: float = 0.0) -> dict:
    """Lookups from ``threads`` threads for ``seconds`` (``rate`` a second in all, each timed
    from when it was due; 0: each thread asks again as soon as answered), a save every
    ``save_every`` seconds when ``saver`` is given: median and p99 milliseconds, lookups per
    second, saves made."""
    start = time.perf_counter()
    stop = start + seconds
    times: list[list[float]] = [[] for _ in range(threads)]
    saves: list[float] = []

    def ask(t: int) -> None:
        client = app.test_client()
        j = t
        period = threads / rate if rate > 0 else 0.0
        due = start + t * period / threads
        while (due if rate > 0 else time.perf_counter()) < stop:
            if rate > 0:
                time.sleep(max(0.0, due - time.perf_counter()))
            started = due if rate > 0 else time.perf_counter()
            answer = client.get(paths[j % len(paths)])
            times[t].append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise SystemExit(f"lookup failed: {answer.status_code}")
            j += threads
            due += period

    def save() -> None:
        next_at = time.perf_counter() + save_every / 2
        while time.perf_counter() < stop:
            time.sleep(max(0.0, next_at - time.perf_counter()))
            if time.perf_counter() >= stop:
                break
            saves.append(saver.save())
            next_at += save_every

    workers = [threading.Thread(target=ask, args=(t,)) for t in range(threads)]
    if saver is not None:
        workers.append(threading.Thread(target=save))
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    ms = np.array([x for row in times for x in row]) * 1e3
    return {"ms": ms, "seconds": seconds, "saves": saves}


def pooled(runs: list[dict]) -> dict:
    """The figures of several :func:`lookups` runs taken together: median and p99
    milliseconds, lookups per second, saves made and their median."""
    ms = np.concatenate([r["ms"] for r in runs])
    saves = [x for r in runs for x in r["saves"]]
    return {"lookups": len(ms), "per_s": round(len(ms) / sum(r["seconds"] for r in runs), 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "saves": len(saves),
            "save_median_ms": round(float(np.median(saves)) * 1e3, 1) if saves else None}


def use_path(app_state, path: str) -> None:
    """Make ``app_state`` follow changes the ``path`` way (``elsewhere``: as ``incremental``,
    the saves made by another process)."""
    if path == "whole":  # the previous code: every change rebuilds the snapshot whole
        app_state._next = lambda between=None: app_state._build(app_state.registry.version())
    else:
        app_state.__dict__.pop("_next", None)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks edits", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=20_000)
    parser.add_argument("--data", type=Path, help="build into (and reuse) this directory")
    parser.add_argument("--patches", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="per lookup measurement")
    parser.add_argument("--rounds", type=int, default=6,
                        help="turns of no saving and saving the seconds are split into")
    parser.add_argument("--threads", type=int, default=2, help="threads asking for lookups")
    parser.add_argument("--rates", default="0,200",
                        help="lookups a second in all, comma-separated; 0: as fast as asked")
    parser.add_argument("--save-every", type=float, default=1.0, help="seconds between saves")
    parser.add_argument("--paths", default="whole,incremental,elsewhere,writer",
                        help="ways of following a change to measure, comma-separated")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    from app import SWITCH_INTERVAL_S, create_app, settle
    from benchmarks.web import query_paths

    region, url = open_data(args.data, args.stations)
    app = create_app(config={"DATA_DIR": region.data_dir, "DB_URL": url,
                             "RATELIMIT_ENABLED": False})
    app_state = app.extensions["yizhan"]
    app_state.warm_up()
    settle()  # as a served worker is set up
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    rates = [float(r) for r in args.rates.split(",")]
    client = signed_in(app)
    saver = Saver(client, app_state)
    paths, _ = query_paths(region, "walk", 4000, 3, False)
    snap = app_state.current()
    out: dict = {"stations": len(snap.stations), "modes": list(snap.finders),
                 "nodes": {m: f.network.n_nodes for m, f in snap.finders.items()}}
    lookups(app, paths[:400], seconds=2.0, threads=1, saver=None, save_every=args.save_every)
    for path in args.paths.split(","):
        use_path(app_state, path)
        saver.save()  # the first update on this path
        settle()  # what the path before left behind, as a worker's start-up state is kept
        if path == "elsewhere":
            saver = SaverElsewhere(str(region.data_dir), url)
        elif path == "writer":
            saver = SaverThrough(app, app_state)
        took = np.array([saver.save() for _ in range(args.patches)]) * 1e3
        figures = {"patch_ms": {"median": round(float(np.median(took)), 1),
                                "p90": round(float(np.percentile(took, 90)), 1),
                                "max": round(float(took.max()), 1)}}
        for rate in rates:
            runs: dict[str, list] = {"no_saving": [], "saving": []}
            for _ in range(args.rounds):  # in turns, so that both see the same machine
                for name, who in (("no_saving", None), ("saving", saver)):
                    runs[name].append(lookups(
                        app, paths, seconds=args.seconds / args.rounds, threads=args.threads,
                        saver=who, save_every=args.save_every, rate=rate))
            for name, done in runs.items():
                figures[f"lookups_{name}_{rate:g}"] = pooled(done)
        out[path] = figures
        if isinstance(saver, SaverElsewhere | SaverThrough):
            saver.close()
            saver = Saver(client, app_state)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{out['stations']} stations, modes {out['modes']}, nodes {out['nodes']}; "
          f"{args.threads} lookup threads, one save every {args.save_every:g} s")
    print(f"{'path':<12} {'PATCH median':>13} {'p90':>8} {'max':>8}   {'lookups/s':>10}   "
          f"{'lookup p50/p99 (no saving)':>27}   {'lookup p50/p99 (saving)':>24}  saves")
    for path in args.paths.split(","):
        f = out[path]
        patch = f["patch_ms"]
        for rate in rates:
            quiet, busy = f[f"lookups_no_saving_{rate:g}"], f[f"lookups_saving_{rate:g}"]
            asked = f"{quiet['per_s']:.0f} max" if rate == 0 else f"{rate:g}"
            print(f"{path:<12} {patch['median']:>10.1f} ms {patch['p90']:>5.1f} ms "
                  f"{patch['max']:>5.1f} ms   {asked:>10}   "
                  f"{quiet['p50_ms']:>11.2f} / {quiet['p99_ms']:>6.2f} ms"
                  f"   {busy['p50_ms']:>9.2f} / {busy['p99_ms']:>6.2f} ms  {busy['saves']}")
    return 0
