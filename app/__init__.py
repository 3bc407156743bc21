"""yizhan's surfaces: the ``yizhan`` command line and the web app.

The web app is a Flask application factory, :func:`create_app`, with two blueprints: the pages
(``/`` worker finder, ``/plan``, ``/s/<id>``, ``/healthz``; ``/planner`` redirects to ``/plan``)
and the JSON API under ``/api`` (described at ``/api/openapi.json``). :func:`serve` runs it under
granian.

Configuration (``YIZHAN_``-prefixed environment variables when not testing, e.g.
``YIZHAN_TILES=osm``):

``DATA_DIR``
    Where the data lives (default: :func:`geo.registry.default_data_dir`).
``DB_URL``
    The station registry (default: ``$YIZHAN_DB`` as for the command line, else
    ``sqlite:///{DATA_DIR}/yizhan.sqlite``).
``NETWORKS``
    Travel mode -> network file (default: the ``network-{mode}.npz`` files in ``DATA_DIR``).
``TILES``
    Basemap: ``none`` (drawn by the app itself from ``BASEMAP``, else the network's streets;
    works offline; default), ``osm``, ``tianditu``
    (needs ``TIANDITU_KEY``) or ``amap`` (GCJ-02; markers are shifted to match).
``SECRET_KEY``
    Signs the session cookie (default: random per process, so sign-ins end on restart). Planners
    sign in with their own accounts (``yizhan user add``), kept in the registry database
    (:mod:`app.auth`, :mod:`app.accounts`).
``HTTPS``
    Mark the session cookie Secure on every answer (it is whenever a request came by HTTPS).
``TRUSTED_PROXIES``
    How many reverse proxies in front of the app set ``X-Forwarded-For``/``-Proto``/``-Host``
    (default 0: those headers are ignored, the client address is the socket's).
``NEAREST_CACHE``
    Nearest-station searches kept per process and registry version, shared by the points that
    snap to the same network node (default 2048, about 40 MB at most; 0 turns it off).
``REGISTRY_CHECK_INTERVAL``
    Seconds between two checks for station changes made elsewhere (default 1).
``DEMAND``
    The worker demand file for coverage and siting (``/api/coverage``, ``/api/plan``, the planner
    view; default: ``demand.csv`` in ``DATA_DIR``). Any format :func:`geo.demand.read_demand`
    reads, in WGS-84.
``BASEMAP``
    The basemap layers (roads by class, water, green areas, street names) that ``yizhan demo``
    builds from an ``.osm.pbf`` extract (default: ``basemap.geojson`` in ``DATA_DIR``; without
    it the map draws the network's streets).
``BOUNDS``
    Where this deployment's stations lie (``$YIZHAN_BOUNDS``, as for ``yizhan import --bounds``;
    formerly ``REGION``, ``$YIZHAN_REGION``, still read when ``BOUNDS`` is not set):
    ``china``, ``any`` or a box ``west,south,east,north``; a station added or moved outside it
    is refused (400: are longitude and latitude swapped?). Default: ``china`` when the networks
    lie in China, else ``any``.
``REPORT_RATE_LIMIT``, ``ANALYSIS_RATE_LIMIT``, ``RATELIMIT_STORAGE_URI``
    Per-client limits of worker reports and of coverage and siting runs (Flask-Limiter strings,
    default ``6 per minute;30 per hour`` and ``60 per minute``), and where the counts live
    (default ``registry://``: a table in the registry database, shared by every worker process
    and instance on it; ``redis://host:6379`` for Redis; ``memory://`` per process). See
    :mod:`app.limits`.
``CATALOGUE``
    The deployment's own station kinds and service words, a TOML file (``$YIZHAN_CATALOGUE``;
    see :mod:`geo.catalogue`); administrators add more in the planner view.
``DEPLOYMENT``
    A deployment file (TOML): several regions served together on one registry, each with its
    networks, demand and basemap (:mod:`app.deployment`; its ``db`` is the registry unless
    ``DB_URL`` is set). ``NETWORKS``, ``DEMAND`` and ``BASEMAP`` are then the regions'.
``PLAN_TIME_LIMIT``
    Seconds the siting solver may spend on one ``/api/plan`` run (default
    :data:`geo.settings.web_plan_time_limit_s`, 10); the answer says
    whether it is proven optimal.
"""

from __future__ import annotations

import gc
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import PortInUse
from app.tiles import TILE_CHOICES, TILE_SERVICES

if TYPE_CHECKING:  # Flask loads when the app is made, so the command line starts quickly
    from flask import Flask

__all__ = ["create_app", "serve"]



def _default_networks(data_dir: Path) -> dict[str, str]:
    from geo.demo import DemoRegion
    from geo.network import MODES

    region = DemoRegion(data_dir)
    return {m: str(region.network_path(m)) for m in MODES if region.network_path(m).is_file()}


def create_app(test_config: dict | None = None, *, config: dict | None = None) -> Flask:
    """The yizhan web app.

    Parameters
    ----------
    test_config
        Settings for tests; when given, the environment is not read.
    config
        Settings that override the environment (used by :func:`serve`).
    """
    from flask import Flask

    from app import (
        account_pages,
        api,
        auth,
        catalogue_api,
        clusters,
        compress,
        handlers,
        limits,
        office_io,
        offline,
        org_gate,
        org_pages,
        pages,
        posters,
        search,
        traffic,
        uploads,
    )
    from app.state import AppState
    from geo import settings
    from geo.demo import BASEMAP_FILE
    from geo.registry import default_data_dir, resolve_url

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATA_DIR=None, DB_URL=None, NETWORKS=None, TILES="none", TIANDITU_KEY=None,
        SECRET_KEY=None, REGISTRY_CHECK_INTERVAL=1.0, NEAREST_CACHE=2048,
        DEMAND=None, BASEMAP=None, PLAN_TIME_LIMIT=settings.web_plan_time_limit_s, HTTPS=False,
        BOUNDS=None, REGION=None, CATALOGUE=None, DEPLOYMENT=None,
        TRUSTED_PROXIES=0, MAX_CONTENT_LENGTH=256 * 1024,
        **limits.DEFAULTS,
    )
    if test_config is None:
        app.config.from_prefixed_env("YIZHAN")
        app.config.update(config or {})
    else:
        app.config.update(test_config)
    cfg = app.config
    cfg["DATA_DIR"] = Path(cfg["DATA_DIR"] or default_data_dir()).expanduser()
    deployment = _deployment_file(cfg)
    if not cfg["DB_URL"] and cfg.get("DB"):  # $YIZHAN_DB, as the command line reads it
        cfg["DB_URL"] = resolve_url(str(cfg["DB"]))
    if not cfg["DB_URL"]:
        cfg["DATA_DIR"].mkdir(parents=True, exist_ok=True)
        cfg["DB_URL"] = f"sqlite:///{cfg['DATA_DIR'] / 'yizhan.sqlite'}"
    if cfg["NETWORKS"] is None:
        cfg["NETWORKS"] = _default_networks(cfg["DATA_DIR"])
    _check_tiles(cfg)
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = secrets.token_hex(32)

    catalogue_api.use_deployment_catalogue(cfg["DB_URL"], cfg["CATALOGUE"])  # before stations
    options = {"check_interval": float(cfg["REGISTRY_CHECK_INTERVAL"]),
               "cache_size": int(cfg["NEAREST_CACHE"]),
               "plan_time_limit": float(cfg["PLAN_TIME_LIMIT"]),
               "region": cfg["BOUNDS"] or cfg["REGION"]}
    if deployment is not None:  # several regions on one registry
        from app.deployment import open_deployment

        open_deployment(deployment, cfg["DB_URL"], **options).init_app(app)
    else:
        app.extensions["yizhan"] = AppState(
            cfg["DB_URL"], cfg["NETWORKS"], **options,
            demand=cfg["DEMAND"] or cfg["DATA_DIR"] / "demand.csv",
            basemap=cfg["BASEMAP"] or cfg["DATA_DIR"] / BASEMAP_FILE)
    traffic.count_reads(app)  # first: a save's follow-up gives way to the reads under way
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(offline.bp)  # /sw.js and the manifest: the finder offline
    app.register_blueprint(posters.bp)  # /posters.pdf, /qr/<id>.svg
    app.register_blueprint(search.bp, url_prefix="/api")
    app.register_blueprint(clusters.bp, url_prefix="/api")  # station counts for a zoomed-out map
    auth.init_app(app, app.extensions["yizhan"].registry)
    org_gate.init_app(app)  # organisations' areas: where a planner may act
    office_io.init_app(app)  # station lists in and out of the planner view
    catalogue_api.init_app(app)  # the deployment's own kinds and services, /api/catalogue
    app.register_blueprint(account_pages.bp)  # /accounts and account management
    app.register_blueprint(uploads.bp)  # worker counts and districts from the browser
    app.register_blueprint(org_pages.bp)  # the figures dashboard, organisations' areas
    handlers.register_error_handlers(app)
    limits.init_app(app)  # body bounds and per-client rates
    compress.init_app(app)  # the pages' scripts and styles gzip-compressed
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    headers = _security_headers(cfg["TILES"])
    app.after_request(lambda response: _add_headers(response, headers))
    return app


def _check_tiles(cfg) -> None:
    """A clear error for a tile source that cannot be served (ValueError naming the setting)."""
    if cfg["TILES"] not in TILE_CHOICES:
        raise ValueError(f"`TILES` was {cfg['TILES']!r} but must be one of {list(TILE_CHOICES)}")
    if cfg["TILES"] == "tianditu" and not cfg["TIANDITU_KEY"]:
        raise ValueError("`TILES` is 'tianditu' but `TIANDITU_KEY` is not set: get a key at "
                         "the Tianditu console and set YIZHAN_TIANDITU_KEY")


def _deployment_file(cfg):
    """The checked deployment file of ``DEPLOYMENT`` (None without one); its ``db`` becomes
    ``DB_URL`` when that is not set (``--db``, ``$YIZHAN_DB_URL``), before ``$YIZHAN_DB``."""
    if not cfg["DEPLOYMENT"]:
        return None
    from app.deployment import read_deployment

    found = read_deployment(cfg["DEPLOYMENT"])
    if not cfg["DB_URL"] and found.db:
        cfg["DB_URL"] = found.db
    return found


def _security_headers(tiles: str) -> dict[str, str]:
    """Keep every page to its own host (and the configured tile service) and out of frames."""

    hosts = TILE_SERVICES.get(tiles, {}).get("hosts", "")
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            + f"img-src 'self' data: {hosts}".rstrip() + "; connect-src 'self'; "
            "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
            "frame-ancestors 'none'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


def _add_headers(response, headers: dict[str, str]):
    for name, value in headers.items():  # plain assignment: setdefault costs an exception
        response.headers[name] = value
    return response


def serve(data_dir: str | Path | None = None, db_url: str | None = None,
          networks: dict[str, str | Path] | None = None, host: str = "127.0.0.1",
          port: int = 5000, *, threads: int = 4, workers: int | None = None,
          tiles: str | None = None, trusted_proxies: int | None = None,
          https: bool | None = None, deployment: str | Path | None = None) -> None:
    """Run the web app under granian (a production HTTP server, WSGI) until interrupted.

    The app, its networks and finders are built once in this process; the workers are forked
    from it, so they share that memory copy-on-write and answer from their first request.
    granian reads and writes HTTP in Rust, which leaves each worker's core to the app: about
    1.5 times the requests per second of a pure-Python server such as waitress.

    Parameters
    ----------
    data_dir, db_url, networks
        Override ``DATA_DIR``, ``DB_URL`` and ``NETWORKS`` (else the environment, else defaults).
    host, port
        Where to listen; ``0.0.0.0`` to serve the local network.
    threads
        Threads per worker process that run the app. They take turns on one core (the GIL), so
        more threads only make each request wait longer; 4 leave two for the finder while a
        worker computes the two siting runs it allows at once.
    workers
        Processes sharing the listening socket (default :func:`default_workers`: one per CPU
        core, at most 4). Nearest-station searches are CPU-bound Python, so one process uses
        one core. The networks are mapped from their files and the search tables built before
        the fork, so the workers share them: each extra worker adds tens of MB, not a copy of
        the networks. A worker that dies is started again.
    tiles, trusted_proxies, https, deployment
        Override ``TILES``, ``TRUSTED_PROXIES``, ``HTTPS`` and ``DEPLOYMENT``.
    """
    overrides = {"DATA_DIR": data_dir, "DB_URL": db_url, "NETWORKS": networks, "TILES": tiles,
                 "TRUSTED_PROXIES": trusted_proxies, "HTTPS": https, "DEPLOYMENT": deployment}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    workers = default_workers() if workers is None else max(1, int(workers))
    threads = max(1, int(threads))
    check_port(host, port)  # before the networks load: a taken port is said at once
    if workers > 1 and not os.environ.get("YIZHAN_SECRET_KEY"):
        overrides["SECRET_KEY"] = secrets.token_hex(32)  # one key, so sessions work in all
    app = _served_app(overrides)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    modes = ", ".join(app.extensions["yizhan"].networks) or "none"
    regions = app.extensions.get("yizhan-deployment")
    if regions is not None:
        modes += f"; regions: {', '.join(regions.regions)}"
    print(f"yizhan web app on http://{shown}:{port}/  (networks: {modes}; "
          f"{workers} worker{'s' if workers > 1 else ''} × {threads} threads; Ctrl+C stops)",
          flush=True)
    if app.config.get("PLANNER_PASSWORD"):
        print("YIZHAN_PLANNER_PASSWORD is no longer read: each planner signs in with an account "
              "of their own (yizhan user add NAME).", flush=True)
    from sqlalchemy.exc import OperationalError

    try:
        active = app.extensions["accounts"].any_active()
    except OperationalError:  # a read-only database made before accounts: it serves, reads only
        active = False
    if not active:
        print("No planner accounts yet: add one with `yizhan user add NAME --db "
              f"{app.config['DB_URL']}` to sign in at /plan.", flush=True)
    _run_granian(overrides, host, port, threads, workers)


#: The most worker processes :func:`default_workers` starts, however many cores there are.
MAX_DEFAULT_WORKERS = 4


def default_workers(cores: int | None = None) -> int:
    """Worker processes ``yizhan serve`` starts without ``--workers``: one per CPU core this
    process may run on (``cores``, else counted), 1 to :data:`MAX_DEFAULT_WORKERS`."""
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))  # the cores a container or taskset allows
        except (AttributeError, OSError):  # not on Linux
            cores = os.cpu_count() or 1
    return max(1, min(int(cores), MAX_DEFAULT_WORKERS))


def check_port(host: str, port: int) -> None:
    """:class:`PortInUse` (one line: which port, how to pick another) when ``host:port`` cannot
    be listened on."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"port {port} on {host} is already in use (another server "
                                f"listens there): pick another with --port, e.g. --port "
                                f"{port + 1}") from None
            raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror}; pick another "
                            "address with --host or port with --port") from None


#: The app this process serves, built before the workers fork (see :func:`_worker_app`).
_SERVED: Flask | None = None


def _served_app(overrides: dict) -> Flask:
    """The app with its searches warmed up, kept out of the garbage collector's way."""
    global _SERVED
    app = create_app(config=overrides)
    from app.deployment import states

    app.extensions["yizhan"].registry.check()  # a damaged file: one line now, not a 500 later
    for served in states(app):  # each region's, in a deployment of several
        served.warm_up()
    settle()
    _SERVED = app
    return app


def settle() -> None:
    """After warming up: everything loaded so far (networks, finders, libraries) lives as long
    as the server, so keep it out of the garbage collector's full passes, which would otherwise
    pause every request for ~0.1 s now and then (and, with workers, dirty the pages the workers
    share). From then on, each new station snapshot is kept out of them as well
    (:data:`app.snapshot.FREEZE_SNAPSHOTS`)."""
    from app import snapshot

    gc.collect()
    gc.freeze()
    snapshot.FREEZE_SNAPSHOTS = True


def _worker_app(overrides: dict, _target: str = "", *, writes: str | None = None):
    """In a granian worker: the app forked from the parent, else (a spawned worker, where
    there is no fork) the same app built here; with ``writes`` (the writer's socket), its
    station writes forwarded there (:class:`app.writer.WritesForwarded`)."""
    from app.writer import WritesForwarded

    app = _forked_app(overrides)
    return app if writes is None else WritesForwarded(app, writes)


def _writer_main(overrides: dict, socket_path: str) -> None:
    """The writer process (:mod:`app.writer`): the served app answering the station writes the
    workers forward, on ``socket_path``."""
    from app.writer import serve_writes

    serve_writes(_forked_app(overrides), socket_path)


def _forked_app(overrides: dict) -> Flask:
    """The app forked from the parent, made ready for this process, else (a spawned process,
    where there is no fork) the same app built here."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    if _SERVED is None:
        return _served_app(overrides)
    deployment = _SERVED.extensions.get("yizhan-deployment")
    (deployment or _SERVED.extensions["yizhan"]).after_fork()
    return _SERVED


#: How long a thread holds the interpreter before another may run, seconds (Python's default is
#: 0.005). A lookup takes about a millisecond of Python; while an analysis computes in another
#: thread of the worker, each of the lookup's turns would wait up to the interval: a shorter one
#: keeps lookups quick for a little of the analysis's speed.
SWITCH_INTERVAL_S = 0.001


def _run_granian(overrides: dict, host: str, port: int, threads: int, workers: int) -> None:
    """Serve :data:`_SERVED` with granian: ``workers`` processes on one socket, forked from
    this one where the platform can fork, and beside them the writer process that takes the
    station writes (:mod:`app.writer`)."""
    import multiprocessing
    from functools import partial

    from granian.constants import Interfaces
    from granian.server import Server

    if "fork" in multiprocessing.get_all_start_methods():  # share the app copy-on-write
        multiprocessing.set_start_method("fork", force=True)
    server = Server("app:create_app", address=host, port=port, interface=Interfaces.WSGI,
                    workers=workers, blocking_threads=threads, backlog=1024, websockets=False,
                    respawn_failed_workers=True, log_level="warning")
    from app.writer import Writer

    try:
        writer: Writer | None = Writer(partial(_writer_main, overrides)).start()
    except (OSError, RuntimeError) as exc:  # e.g. no Unix sockets here: the workers write
        print(f"No writer process ({exc}): each worker makes the writes it takes.",
              file=sys.stderr, flush=True)
        writer = None
    try:
        server.serve(target_loader=partial(_worker_app, overrides,
                                           writes=writer and writer.socket_path))
    finally:
        if writer is not None:
            writer.stop()
