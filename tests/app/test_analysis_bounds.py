"""Analyses cannot starve the finder: on a real server (granian, as ``yizhan serve`` runs it),
workers' nearest-station lookups keep their latency while planners fire coverage and siting
runs, because a server process computes one analysis at a time and answers the others 503 with
Retry-After at once; and the analyses are for planners only."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from app.accounts import Accounts
from geo.registry import Registry

from .conftest import PASSWORD, PLANNER, copy_db

#: Lookups timed idle and again under load (a worker's phone asking one after another).
LOOKUPS = 120
#: Planners' clients firing analyses at once while the lookups are timed.
ANALYSTS = 8
#: Turns of idle and loaded lookups (each a share of LOOKUPS).
ROUNDS = 4
#: Measurements at most, until one keeps the bounds (see the test).
ATTEMPTS = 3
#: Bounds on lookups while analysts fire (milliseconds): the median (or ten times the idle one,
#: when higher) and the 95th percentile.
LOADED_MEDIAN_MS, LOADED_P95_MS = 60.0, 500.0


@pytest.fixture(scope="module")
def served(demo, tmp_path_factory):
    """The demo served by granian in a subprocess (one worker process, four threads, as
    `yizhan serve` runs it), with a planner account; yields (host, port)."""
    if not hasattr(os, "fork"):
        pytest.skip("the server forks its worker (POSIX)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = copy_db(demo, tmp_path_factory.mktemp("served"))
    registry = Registry(url)
    Accounts(registry).add(PLANNER, PASSWORD)
    registry.engine.dispose()
    code = (f"from app import serve; serve(data_dir={str(demo.data_dir)!r}, db_url={url!r}, "
            f"port={port}, workers=1, threads=4)")
    env = {**os.environ, "YIZHAN_NEAREST_CACHE": "0",  # every lookup searches
           "YIZHAN_ANALYSIS_RATE_LIMIT": "100000 per minute"}  # the one-at-a-time bound alone
    server = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert request(("127.0.0.1", port), "GET", "/healthz")[0] == 200
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.2)
        yield ("127.0.0.1", port)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=20)


def request(where, method: str, path: str, body: dict | None = None, headers=None,
            connection: http.client.HTTPConnection | None = None):
    """``(status, answer, headers)`` of one request (on ``connection`` when given)."""
    conn = connection or http.client.HTTPConnection(*where, timeout=60)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None, response.headers
    finally:
        if connection is None:
            conn.close()


def lookup_times(where, points) -> np.ndarray:
    """Milliseconds per /api/nearest, one after another on one connection."""
    conn = http.client.HTTPConnection(*where, timeout=60)
    times = []
    for lon, lat in points:
        started = time.perf_counter()
        status, _, _ = request(where, "GET", f"/api/nearest?lon={lon:.6f}&lat={lat:.6f}&k=3",
                               connection=conn)
        times.append((time.perf_counter() - started) * 1000)
        assert status in (200, 422)
    conn.close()
    return np.array(times)


def test_lookups_keep_their_latency_while_analyses_run(served, demo):
    status, _, headers = request(served, "POST", "/api/login",
                                 {"user": PLANNER, "password": PASSWORD})
    assert status == 200
    cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    assert request(served, "GET", "/api/coverage?minutes=4")[0] == 401  # planners only
    assert request(served, "POST", "/api/plan", {"kind": "sanitation_station", "add": 1})[0] == 401

    net = demo.network("walk")
    rng = np.random.default_rng(7)
    nodes = rng.choice(net.main_component(), size=2 * LOOKUPS)
    points = list(zip(net.lon[nodes].tolist(), net.lat[nodes].tolist(), strict=True))
    lookup_times(served, points[:20])  # warm

    stop, go = threading.Event(), threading.Event()
    answers: list[int] = []
    lock = threading.Lock()
    asking = [0]  # analysts with a request under way

    def analyst(i: int) -> None:
        n = 0
        while not stop.is_set():
            if not go.wait(0.05):
                continue
            n += 1
            minutes = 3 + (i * 97 + n) % 50 / 10  # a new question each time: nothing cached
            with lock:
                asking[0] += 1
            try:
                if n % 3:
                    status = request(served, "GET", f"/api/coverage?minutes={minutes:g}",
                                     headers=cookie)[0]
                else:
                    status = request(served, "POST", "/api/plan", {
                        "kind": "sanitation_station", "add": 2, "minutes": minutes},
                        headers=cookie)[0]
            finally:
                with lock:
                    asking[0] -= 1
            with lock:
                answers.append(status)
            if status == 503:
                time.sleep(0.2)  # a client told to wait, asking again soon (sooner than told)

    def in_turns() -> tuple[np.ndarray, np.ndarray]:
        """Idle and loaded lookups in turns, so that both see the same machine (the other test
        processes of a run come and go): idle once every analysis has come back, loaded half a
        second after the analysts start again."""
        idle_parts, loaded_parts = [], []
        for part in np.array_split(np.arange(LOOKUPS), ROUNDS):
            go.clear()
            deadline = time.monotonic() + 60
            while asking[0] and time.monotonic() < deadline:
                time.sleep(0.02)
            idle_parts.append(lookup_times(served, [points[i] for i in part]))
            go.set()
            time.sleep(0.5)  # the analyses are under way
            loaded_parts.append(lookup_times(served, [points[LOOKUPS + i] for i in part]))
        return np.concatenate(idle_parts), np.concatenate(loaded_parts)

    def keeps_latency(idle: np.ndarray, loaded: np.ndarray) -> bool:
        # A lookup may wait for the analysis thread's turn on the core, never for a server thread
        # held by a queue of analyses. Without the bound, eight analysts made the median about
        # 400 ms and the p95 about 1.5 s (measured alone on 2 cores); with it, about 5 and 20 ms
        # alone and up to 20 and 160 ms in a full run of the suite (three test processes and a
        # browser sharing the 2 cores). The bounds sit between the two.
        return bool(np.median(loaded) <= max(10 * np.median(idle), LOADED_MEDIAN_MS)
                    and np.percentile(loaded, 95) <= LOADED_P95_MS)

    # A busy moment of the machine can spoil one measurement, lookups queueing behind the
    # analyses spoil every one: up to ATTEMPTS measurements, the last one must hold.
    threads = [threading.Thread(target=analyst, args=(i,)) for i in range(ANALYSTS)]
    for thread in threads:
        thread.start()
    measured = []
    try:
        for _ in range(ATTEMPTS):
            measured.append(in_turns())
            if keeps_latency(*measured[-1]):
                break
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    for idle, loaded in measured:
        print(f"lookups median idle {np.median(idle):.1f} ms, loaded {np.median(loaded):.1f} ms; "
              f"p95 idle {np.percentile(idle, 95):.1f} ms, with {ANALYSTS} analysts "
              f"{np.percentile(loaded, 95):.1f} ms")
    print(f"analysis answers {sorted(set(answers))}: {answers.count(200)} computed, "
          f"{answers.count(503)} refused busy")
    assert set(answers) <= {200, 503}
    assert answers.count(200) >= 1 and answers.count(503) >= ANALYSTS  # they ran, one at a time
    idle, loaded = measured[-1]
    assert np.median(loaded) <= max(10 * np.median(idle), LOADED_MEDIAN_MS)
    assert np.percentile(loaded, 95) <= LOADED_P95_MS


def test_a_busy_answer_says_when_to_ask_again(served):
    _, _, headers = request(served, "POST", "/api/login",
                                 {"user": PLANNER, "password": PASSWORD})
    cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    results: list[tuple] = []

    def ask(minutes: float) -> None:
        results.append(request(served, "GET", f"/api/coverage?minutes={minutes}",
                               headers=cookie))

    threads = [threading.Thread(target=ask, args=(8.15 + i / 10,)) for i in range(4)]  # new
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    busy = [r for r in results if r[0] == 503]
    assert busy and any(r[0] == 200 for r in results)
    assert busy[0][1]["error"].startswith("分析正在进行，请稍后再试")
    assert int(busy[0][2]["Retry-After"]) >= 1
