"""The web app's state: networks, the registry, and one station finder per travel mode.

One :class:`AppState` per app, kept in ``app.extensions["yizhan"]`` and reached by :func:`state`
within a request. (The nearest-station search itself is :class:`geo.nearest.StationFinder`; this
module only holds the finders and their caches.)

Networks load once per process. The stations and their finders form an immutable
:class:`Snapshot` that requests read without locking; when :meth:`geo.registry.Registry.version`
changes (checked at most once per ``check_interval`` seconds per process, by a thread of its own
while the lookups keep answering from the current snapshot) a new snapshot is made and swapped
in: from the current one and the stations changed since its version only (their finders updated
with :meth:`geo.nearest.StationFinder.with_changes`, those of the modes in use before the swap:
:mod:`app.finders`), or whole when many changed. A write through this process refreshes at
once, in the request that wrote. The snapshot itself is :mod:`app.snapshot`.

For the planner view the state also runs :func:`geo.coverage.coverage` and
:func:`geo.siting.planning.plan` on the worker demand file, keeping the last answers per registry
version and parameters in small in-memory LRU caches (a station change makes new keys, so a
cached answer never outlives the stations it was computed for).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app, g
from sqlalchemy.exc import SQLAlchemyError

from app.errors import DemandFileError, PlannerBusy
from app.finders import Finders
from app.inputs import InputStore, read_upload
from app.jobs import Jobs
from app.orgs import Scope
from app.reports import Reports
from app.snapshot import (
    LRU,
    Blob,
    Snapshot,
    collector_paused,
    json_blob,
    keep_out_of_collector,
    key_etag,
    links_of,
)
from app.traffic import FOLLOW_GIVE_WAY_S, GIVE_WAY_S, TRAFFIC, behind_the_lookups, quick_turns
from geo import settings
from geo.coords import Area, deployment_area
from geo.errors import DataFileError, NotFoundError
from geo.nearest import (
    REBUILD_SHARE,
    Hit,
    Snap,
    StationFinder,
    apply_changes,
    id_array,
    in_id_order,
)
from geo.network import MODES, Network, network_lines
from geo.network.cache import cached_network
from geo.network.placement import segments
from geo.output.geojson import coverage_json, station_feature
from geo.registry import Registry
from geo.registry_changes import changes_since
from geo.stations import local_time
from geo.workflow import analysis_groups, base_network, run_coverage, run_plan

logger = logging.getLogger(__name__)


#: Where :mod:`app.deployment` keeps the region chosen for a request (an attribute of flask.g).
CHOSEN = "yizhan_region"


def state() -> AppState:
    """The state of the app handling this request: that of the region chosen for it (a
    deployment of several regions, :mod:`app.deployment`), else the app's one."""
    chosen = g.get(CHOSEN)
    return current_app.extensions["yizhan"] if chosen is None else chosen.state


def data_dir() -> Path:
    """The folder of this request's data (its basemap, place index and demo manifest): the
    chosen region's (:mod:`app.deployment`), else ``DATA_DIR``."""
    chosen = g.get(CHOSEN)
    return Path(current_app.config["DATA_DIR"]) if chosen is None else chosen.folder


class AppState:
    """Networks, registry, reports and the current station snapshot of one app.

    Parameters
    ----------
    db_url
        The registry's SQLAlchemy URL.
    networks
        Travel mode -> saved network file (``.npz``, ``.osm`` or ``.osm.pbf``).
    check_interval
        Seconds between two checks of the registry version.
    cache_size
        Answers kept per snapshot by :meth:`nearest` (0: none); each holds a few hits with
        their routes, about 20 KB.
    demand
        The worker demand file for :meth:`coverage` and :meth:`plan` (None: there is none).
    plan_time_limit
        Seconds the siting solver may spend on one :meth:`plan`.
    basemap
        The basemap file (:func:`geo.basemap.write_basemap`) for :meth:`basemap` (None, or no
        such file: the page draws the network's streets from :meth:`lines` instead).
    region
        Where the stations lie (:func:`geo.coords.deployment_area`); None: China when the
        networks lie in China, else anywhere. Kept as :attr:`area`.
    registry
        The registry to read (one shared by the regions of a deployment); None: one opened on
        ``db_url``.
    within
        Only the registry's stations in this box (west, south, east, north; EPSG:4326
        degrees, edges included): one region of a deployment. None: every station.
    """

    def __init__(self, db_url: str, networks: dict[str, str | Path | Network], *,
                 check_interval: float = 1.0, cache_size: int = 2048,
                 demand: str | Path | None = None, plan_time_limit: float = 10.0,
                 basemap: str | Path | None = None, region: str | None = None,
                 registry: Registry | None = None,
                 within: tuple[float, float, float, float] | None = None):
        self.registry = Registry(db_url) if registry is None else registry
        self.within = within
        self.siblings: list[AppState] = []  # other regions of the registry (see refresh)
        self.upload_region: str | None = None  # a deployment's region: its own uploads
        self.reports = Reports(self.registry)
        self.networks: dict[str, Network] = {}
        for mode in MODES:  # in the order walk, ebike, drive
            if mode in networks:
                given = networks[mode]
                self.networks[mode] = (given if isinstance(given, Network)
                                       else cached_network(given, mode=mode))
        unknown = set(networks) - set(MODES)
        if unknown:
            raise ValueError(f"NETWORKS has unknown mode(s) {sorted(unknown)}; use {list(MODES)}")
        self.check_interval = check_interval
        self.cache_size = int(cache_size)
        self._lock = threading.Lock()
        self._lines: dict[str, Blob] = {}
        self.basemap_path = Path(basemap).expanduser() if basemap else None
        self._basemap: tuple[tuple, Blob] | None = None
        self._checked_at = time.monotonic()
        self._at_once = False  # the next check made by the request that asks (see refresh)
        self._again = False  # a change made elsewhere while a check was under way (follow_soon)
        self._snapshot = self._build(self.registry.version())
        self.demand_path = Path(demand).expanduser() if demand else None
        self.plan_time_limit = plan_time_limit
        self._demand: tuple[tuple, object] | None = None
        self.inputs = InputStore(self.registry.engine)  # uploaded demand and districts
        self._uploaded: dict[str, tuple[tuple, object]] = {}  # kind -> (key, what was read)
        self._input_ids: tuple[float, dict] = (-1e9, {})  # when checked, kind -> upload id
        self._analyses = LRU(24)  # coverage results and prepared coverage answers
        self._plans = LRU(16)
        self._answers = LRU(32)  # see answer()
        self._analysis_slots = threading.BoundedSemaphore(ANALYSES_AT_ONCE)
        self.jobs = Jobs(self.registry.engine, workers=ANALYSES_AT_ONCE)  # see app.jobs
        self.area = self._area(region)

    def _area(self, region: str | None) -> Area | None:
        if region:
            return deployment_area(region)
        bounds = self.bounds()
        china = deployment_area("china")
        if bounds is not None and china.contains((bounds[0] + bounds[2]) / 2,
                                                 (bounds[1] + bounds[3]) / 2):
            return china
        return None

    # --- the snapshot ---

    def share(self, other: AppState) -> None:
        """Use ``other``'s reports, uploads, job queue and analysis slot (regions of one
        deployment: one analysis at a time per process, whichever region asks)."""
        self.reports, self.inputs, self.jobs = other.reports, other.inputs, other.jobs
        self._analysis_slots = other._analysis_slots

    def _build(self, version: tuple[int, int]) -> Snapshot:
        stations = self.registry.stations(bbox=self.within)
        ids = id_array(stations)
        previous = getattr(self, "_snapshot", None)
        links = {s.id: links_of(previous, s) for s in stations}
        finders = Finders({mode: StationFinder(net, stations)
                           for mode, net in self.networks.items()})
        return Snapshot(version=version, stations=stations, by_id={s.id: s for s in stations},
                        finders=finders,
                        features={s.id: station_feature(s, links[s.id]) for s in stations},
                        links=links, ids=ids, in_order=in_id_order(ids))

    def _next(self, between: Callable[[], None] = lambda: None) -> Snapshot:
        """The snapshot of the registry now: the current one when nothing changed, else the
        current one with only the stations changed since its version read and updated
        (:func:`geo.registry_changes.changes_since`; each mode's finder with
        :meth:`geo.nearest.StationFinder.with_changes` by :meth:`_follow` or when first asked
        for, :class:`app.finders.Finders`), or one built whole when the history did not only grow
        or more than :data:`geo.nearest.REBUILD_SHARE` of the stations changed. ``between``
        is called between its steps (:meth:`_follow`)."""
        old = self._snapshot
        limit = int(REBUILD_SHARE * len(old.stations))
        changes = changes_since(self.registry, old.version, limit=max(limit, 1))
        if changes is None:
            return self._build(self.registry.version())
        if changes.version == old.version:
            return old
        changed, removed = changes.changed, changes.removed
        if self.within is not None:  # a station moved out of the region leaves it
            west, south, east, north = self.within
            inside = [s for s in changed if west <= s.lon <= east and south <= s.lat <= north]
            kept = {s.id for s in inside}
            removed = [*removed, *(s.id for s in changed
                                   if s.id in old.by_id and s.id not in kept)]
            changed = inside
        between()
        finders = old.finders.after(changed, removed)  # made by _follow or when first asked for
        stations, _, ids = apply_changes(old.stations, changed, removed, ids=old.ids,
                                         in_order=old.in_order)
        copies = []
        for kept in (old.by_id, old.links, old.features):
            between()
            copies.append(dict(kept))
        by_id, links, features = copies
        for sid in removed:
            for kept in (by_id, links, features):
                kept.pop(sid, None)
        for s in changed:
            by_id[s.id], links[s.id] = s, links_of(old, s)
            features[s.id] = station_feature(s, links[s.id])
        return Snapshot(version=changes.version, stations=stations, by_id=by_id, finders=finders,
                        features=features, links=links, ids=ids,
                        in_order=old.in_order or in_id_order(ids))

    def current(self) -> Snapshot:
        """The current snapshot; the registry is checked at most once per ``check_interval``
        by one thread, the others answering from the snapshot they have.

        With a ``check_interval`` of 0, every call sees the registry as it is now (the check
        made here); so does the first call after a write through another region of the same
        registry (:meth:`refresh`). Otherwise a change is served within the interval, so the
        check and the update it leads to are made by a thread of their own (:meth:`_follow`),
        and no lookup waits for them: in a server with several workers, each follows the saves
        the others took without holding up its lookups.
        """
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval and self._lock.acquire(blocking=False):
            if now - self._checked_at < self.check_interval:
                self._lock.release()
            elif self.check_interval > 0 and not self._at_once:
                threading.Thread(target=self._follow_behind, daemon=True,
                                 name="yizhan-registry-follower").start()
            else:
                self._follow(locked=True, in_a_read=True)
        return self._snapshot

    def refresh(self) -> Snapshot:
        """Update now (after a write through this process): the stations changed since the
        current snapshot only (:meth:`_next`)."""
        snap = self._follow()
        for other in self.siblings:  # the other regions follow at their next request
            other._at_once = True
            other._checked_at = float("-inf")
        return snap

    def answer_writes_only(self) -> None:
        """This process answers no lookups (the writer, :mod:`app.writer`): after a change, no
        finder is made until a mode is asked for."""
        self._snapshot.finders.forget_asked()

    def follow_soon(self) -> None:
        """Follow a change made through another process now rather than at the next check (a
        worker after the writer made its write, :mod:`app.writer`): as :meth:`current` does, in
        a thread of its own when the check interval is above 0; when a check is under way, once
        more after it."""
        self._again = True
        self._checked_at = float("-inf")
        self.current()

    def _follow_behind(self) -> None:
        """:meth:`_follow` in a thread of its own (the lock taken by :meth:`current`): whatever
        goes wrong is logged, and the lookups keep the snapshot they have."""
        try:
            behind_the_lookups()
            self._follow(locked=True, give_way_s=FOLLOW_GIVE_WAY_S, repair=True)
        except Exception:
            logger.exception("could not follow the station registry; serving the stations of "
                             "version %s", self._snapshot.version)

    def _follow(self, *, locked: bool = False, in_a_read: bool = False,
                give_way_s: float | None = None, repair: bool = False) -> Snapshot:
        """Make the snapshot of the registry now and serve it: the finders of the modes in use
        made first (:meth:`app.finders.Finders.ready`), so lookups meanwhile answer from the
        snapshot before and never wait; each step after a gap between the reads under way
        (:mod:`app.traffic`; ``give_way_s`` in all at most, :data:`app.traffic.GIVE_WAY_S` when
        not given) unless ``in_a_read`` (the caller is one of them and waits for this); kept
        out of the garbage collector's passes in a served process (:func:`collector_paused`).
        ``locked``: the caller holds the lock; ``repair``: the per-node tables in use repaired
        before the swap too (a follower thread's work, not a request's:
        :meth:`app.finders.Finders.ready`)."""
        if not locked:
            self._lock.acquire()
        until = time.monotonic() + (0.0 if in_a_read else
                                    GIVE_WAY_S if give_way_s is None else give_way_s)

        def give_way() -> None:
            TRAFFIC.give_way(until)

        try:
            self._at_once = self._again = False
            old = self._snapshot
            give_way()
            with collector_paused(), quick_turns():
                snap = self._next(give_way)
                if snap is not old:
                    give_way()
                    snap.finders.ready(give_way, repair=repair)  # here, not in the lookups
                    give_way()
                    self._snapshot = snap
                    keep_out_of_collector()
        except SQLAlchemyError:  # the database is busy or away: answer from what we have
            if not locked:
                raise
            logger.warning("cannot check the station registry; serving the stations of "
                           "version %s", self._snapshot.version, exc_info=True)
        finally:
            self._checked_at = float("-inf") if self._again else time.monotonic()
            self._lock.release()
        return self._snapshot

    # --- nearest stations ---

    def nearest(self, snap: Snapshot, mode: str, lon: float, lat: float, *, k: int,
                kinds: list[str] | None = None, services: list[str] | None = None,
                open_at: datetime | None = None, open_only: bool = False,
                route: bool = False) -> tuple[Snap, list[Hit]]:
        """Where the point meets the network, and ``StationFinder.nearest`` for it.

        Answers are kept in the snapshot per point, filters and minute (opening hours have
        minute resolution), up to ``cache_size`` of them, so the same question asked again (a
        rider refreshing, a shared link) costs nothing; the time for the ``open`` flags is taken
        once per request (``open_at``, else now).

        Raises
        ------
        OffNetworkError
            When the point is farther than the snap distance from the network.
        """
        finder = snap.finders[mode]
        when = local_time(open_at)  # now, when not given: one time for the whole request
        options = {"k": k, "kinds": kinds, "services": services, "open_at": when,
                   "open_only": open_only, "route": route}
        if self.cache_size <= 0:
            where = finder.snap(lon, lat)
            return where, finder.nearest(lon, lat, snap=where, **options)
        minute = when if open_at is not None else when.replace(second=0, microsecond=0)
        key = (mode, lon, lat, k, tuple(kinds or ()), tuple(services or ()), open_only, route,
               minute)
        known = snap.searches.get(key)
        if known is None:
            where = finder.snap(lon, lat)
            known = (where, finder.nearest(lon, lat, snap=where, **options))
            if len(snap.searches) >= self.cache_size:
                snap.searches.clear()
            snap.searches[key] = known
        return known

    def warm_up(self) -> None:
        """Build what the first searches would build (per mode the search's adjacency lists
        and the per-node table of all stations), so that forked workers share it."""
        snap = self.current()
        for finder in snap.finders.values():
            if finder.network.n_nodes and snap.stations:
                node = int(finder.network.main_component()[0])
                lon, lat = float(finder.network.lon[node]), float(finder.network.lat[node])
                finder.nearest(lon, lat, k=1, route=True)  # compiles or loads the search
                segments(finder.network).grid  # noqa: B018 - the index every point is placed by
                for _ in range(settings.nearest_table_after or 0):  # the table is built
                    finder.nearest(lon, lat)  # on the last: here, not once in every worker
                # and the update a save makes (its compiled steps and the table's repair),
                # loaded now rather than at the first save, with the lookups waiting on it
                edited = dataclasses.replace(snap.stations[0], name=snap.stations[0].name + " ")
                finder.with_changes([edited]).nearest(lon, lat)

    def after_fork(self) -> None:
        """Call in a forked worker: drop the database connections inherited from the parent."""
        self.registry.engine.dispose(close=False)
        self._lock = threading.Lock()
        self._analysis_slots = threading.BoundedSemaphore(ANALYSES_AT_ONCE)  # as the parent
        # held them, they may never open
        self._analyses, self._plans = LRU(self._analyses.size), LRU(self._plans.size)
        self._answers = LRU(self._answers.size)
        self.jobs.after_fork()

    # --- prepared answers ---

    def answer(self, key: tuple, make: Callable[[], object]) -> Blob:
        """``make()`` as a prepared JSON body with the ETag :func:`key_etag` of ``key``.

        The last 32 are kept. ``key`` must name everything the answer depends on (the snapshot
        version, the query, the time of any ``open`` flags), in plain values.
        """
        return self._answers.get_or_make(key, lambda: replace(json_blob(make()),
                                                              etag=key_etag(key)))

    # --- the basemap ---

    def lines(self, mode: str) -> Blob:
        """The streets of ``mode``'s network as a prepared GeoJSON body (built once)."""
        blob = self._lines.get(mode)
        if blob is None:
            blob = self._lines[mode] = json_blob(network_lines(self.networks[mode]))
        return blob

    def has_basemap(self) -> bool:
        """Whether there is a basemap file to serve."""
        return self.basemap_path is not None and self.basemap_path.is_file()

    def basemap(self) -> Blob:
        """The basemap layers as a prepared GeoJSON body, read once per file version.

        Raises
        ------
        NotFoundError
            When there is no basemap file (data not built by ``yizhan demo`` from an
            ``.osm.pbf`` extract).
        """
        if not self.has_basemap():
            raise NotFoundError("there is no basemap here (build one with `yizhan demo` from "
                                "an .osm.pbf extract); draw /api/networks/<mode>/lines instead")
        stat = self.basemap_path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        known = self._basemap
        if known is None or known[0] != key:
            raw = self.basemap_path.read_bytes()
            known = self._basemap = (key, Blob(raw, gzip.compress(raw, 6, mtime=0),
                                               hashlib.sha1(raw).hexdigest()[:16]))
        return known[1]

    def bounds(self) -> list[float] | None:
        """[west, south, east, north] of the networks, EPSG:4326 degrees (None without any)."""
        if not self.networks:
            return None
        lon = np.concatenate([n.lon for n in self.networks.values()])
        lat = np.concatenate([n.lat for n in self.networks.values()])
        if len(lon) == 0:
            return None
        return [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]

    # --- coverage and siting (the planner view) ---

    @contextmanager
    def _analysis_slot(self, progress: Progress | None = None):
        """Hold this process's analysis slot while computing; when another analysis holds it,
        :class:`PlannerBusy` at once (no waiting: a waiting thread would still be one more
        thread taking turns with the lookups). With ``progress`` (a job of :mod:`app.jobs`,
        in its own thread) wait for the slot instead, calling ``progress("waiting")`` every
        quarter second (which raises when the job is cancelled)."""
        if progress is not None:
            while not self._analysis_slots.acquire(timeout=0.25):
                progress("waiting")
        elif not self._analysis_slots.acquire(blocking=False):
            raise PlannerBusy("分析正在进行，请稍后再试 (another coverage or siting run is "
                              "computing in this server process; retry in a few seconds)")
        try:
            yield
        finally:
            self._analysis_slots.release()

    def input_ids(self) -> dict[str, int | None]:
        """Per kind (demand, districts), the upload in use (None: the server's file), checked
        in the database at most once per ``check_interval``: the uploads of
        :attr:`upload_region` (a deployment's region uses its own)."""
        checked, ids = self._input_ids
        if time.monotonic() - checked >= self.check_interval or not ids:
            ids = self.inputs.current_ids(self.upload_region)
            self._input_ids = (time.monotonic(), ids)
        return ids

    def use_input(self, kind: str, upload_id: int, value=None) -> None:
        """Use an upload this process has just kept (``value``: as read; None: read it when
        needed); other processes find it within ``check_interval``. Analyses running keep
        the inputs they started with."""
        if value is not None:
            self._uploaded[kind] = (("upload", upload_id), value)
        self._input_ids = (time.monotonic(), {**self._input_ids[1], kind: upload_id})

    def _upload(self, kind: str, upload_id: int, progress: Progress | None) -> tuple[tuple, object]:
        key = ("upload", upload_id)
        known = self._uploaded.get(kind)
        if known is not None and known[0] == key:
            return known
        if progress is not None:
            progress("loading demand")
        with self._analysis_slot(progress):
            filename, content = self.inputs.content(upload_id)
            network = base_network(self.networks) if kind == "demand" else None
            try:
                value = read_upload(kind, filename, content, network=network)
            except DataFileError as exc:  # it was read when uploaded: the groups changed since
                raise DemandFileError(exc.problems) from exc
        self._uploaded[kind] = (key, value)
        return key, value

    def districts(self, progress: Progress | None = None) -> tuple[tuple, object]:
        """``(key, polygons)``: the district polygons uploaded and in use (``(None,), None``
        without any)."""
        upload_id = self.input_ids().get("districts")
        if upload_id is None:
            return (None,), None
        return self._upload("districts", upload_id, progress)

    def demand(self, progress: Progress | None = None):
        """The worker demand table (``lon, lat, weight, group``), read once per file version
        (``progress("loading demand")`` first when it must be read; see :meth:`_analysis_slot`).

        Raises
        ------
        NotFoundError
            When there is no demand file.
        DemandFileError
            When the file has problems (every one listed).
        """
        return self.demand_input(progress)[1]

    def demand_input(self, progress: Progress | None = None) -> tuple[tuple, object]:
        """``(key, table)``: :meth:`demand` and what names its version (the upload in use,
        else the server's file with its time and size)."""
        from geo.demand import read_demand

        upload_id = self.input_ids().get("demand")
        if upload_id is not None:
            return self._upload("demand", upload_id, progress)
        path = self.demand_path
        if path is None or not path.is_file():
            where = f" ({path})" if path is not None else ""
            raise NotFoundError(
                f"there is no worker demand file{where}: upload one in the planner view, put a "
                "demand.csv (lon, lat, weight, group; 经度, 纬度, 人数, 群体) in the data "
                "directory or set YIZHAN_DEMAND")
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        known = self._demand
        if known is not None and known[0] == key:
            return known
        if progress is not None:
            progress("loading demand")
        try:  # reading and placing the points is an analysis too
            with self._analysis_slot(progress):
                frame = read_demand(path, network=base_network(self.networks))
        except DataFileError as exc:
            raise DemandFileError(exc.problems) from exc
        self._demand = (key, frame)
        return key, frame

    def _scoped(self, found: tuple[tuple, Any], scope: Scope | None) -> tuple[tuple, Any]:
        """``(key, demand)`` narrowed to the workers inside ``scope``'s area (as given
        without), kept with the analyses so a repeated question does not narrow it again."""
        if scope is None:
            return found
        from geo.demand import inside

        key, demand = found
        scoped = (key, scope.key)
        return scoped, self._analyses.get_or_make(("scoped", *scoped),
                                                  lambda: inside(demand, scope.area))

    def coverage(self, snap: Snapshot, *, minutes: float | None = None,
                 at: datetime | None = None, h3_res: int | None = None,
                 groups: list[str] | None = None, progress: Progress | None = None,
                 scope: Scope | None = None) -> Blob:
        """Coverage of the demand by the snapshot's stations, as a prepared JSON body.

        Two runs of :func:`geo.workflow.run_coverage` on the points of the demand file: one with
        ``by_hour`` for the day (of ``at``, else today in :data:`geo.settings.timezone`), which
        gives the 24-hour shares, and, with ``at``, one at that time; the answer is
        :func:`geo.output.geojson.coverage_json`. Kept per registry version, day and parameters.
        ``progress`` hears each step (:func:`geo.coverage.coverage`) and waits for the slot
        (:meth:`_analysis_slot`). With ``scope`` (an organisation's), only the workers inside
        its area count.
        """
        res = settings.h3_res if h3_res is None else int(h3_res)
        zone = ZoneInfo(settings.timezone)
        day = (at.astimezone(zone) if at is not None else datetime.now(zone)).date()
        demand_key, demand = self._scoped(self.demand_input(progress), scope)
        districts_key, districts = self.districts(progress)
        chosen, skipped = analysis_groups(demand, wanted=groups, modes=self.networks)
        if not chosen:
            raise NotFoundError("no worker group can be analysed: this server has no network "
                                f"for their travel modes ({sorted(skipped)})")
        common = (snap.version, demand_key, districts_key, day.isoformat(), minutes, res,
                  tuple(chosen))
        key = ("answer", *common, None if at is None else at.isoformat())
        blob = self._analyses.get(key)
        if blob is not None:
            return blob
        with self._analysis_slot(progress):
            blob = self._analyses.get(key)
            if blob is not None:
                return blob

            def run(when: datetime | None, by_hour: bool):
                # kept without the finders (their per-hour tables are large and not needed)
                return self._analyses.get_or_make(
                    ("result", *common, by_hour, None if when is None else when.isoformat()),
                    lambda: replace(run_coverage(self.networks, snap.stations, demand,
                                                 wanted=chosen, minutes=minutes, at=when,
                                                 by_hour=by_hour, day=day, gap_res=res,
                                                 districts=districts, progress=progress),
                                    finders={}))

            hours = run(None, True)
            timed = hours if at is None else run(at, False)
            blob = json_blob(coverage_json(hours, timed, res=res, day=day, skipped=skipped,
                                       version=snap.version, stations=len(snap.stations))
                         | ({} if scope is None else {"area": scope.org}))
            self._analyses.put(key, blob)
        return blob

    def plan(self, snap: Snapshot, *, kind: str, add: int | None = None,
             target: float | None = None, minutes: float | None = None,
             groups: list[str] | None = None, curve: int | None = None,
             at: datetime | None = None, progress: Progress | None = None,
             scope: Scope | None = None):
        """New stations of ``kind``: ``add`` of them, or the fewest reaching ``target``.

        :func:`geo.workflow.run_plan` on the demand file, with the snapshot's stations kept
        (those open at ``at``, when given). ``target`` is a share (0–1) of the workers of
        ``groups`` together. Returns ``(answer, plan)``: the JSON answer and the
        :class:`geo.siting.planning.Plan` (None when there is nothing to plan: the target is
        met already, or every reachable worker of these groups is covered already at ``at``).
        Kept per registry version and parameters. ``progress`` hears each step
        (:func:`geo.workflow.run_plan`) and waits for the slot (:meth:`_analysis_slot`).
        With ``scope`` (an organisation's), the workers and new sites inside its area only.

        Raises
        ------
        PlannerBusy
            When another analysis is computing in this process (:meth:`_analysis_slot`) and
            there is no ``progress``.
        """
        demand_key, demand = self._scoped(self.demand_input(progress), scope)
        key = ("plan", snap.version, demand_key, kind, add, target, minutes,
               tuple(groups or ()), curve, None if at is None else at.isoformat())
        known = self._plans.get(key)
        if known is not None:
            return known
        analysis_groups(demand, wanted=groups, modes=self.networks, kind=kind)  # fail fast
        with self._analysis_slot(progress):
            known = self._plans.get(key)
            if known is not None:
                return known
            started = time.perf_counter()
            run = run_plan(self.networks, snap.stations, demand, kind=kind, wanted=groups,
                           minutes=minutes, at=at, add=add, target=target, curve=curve,
                           time_limit=self.plan_time_limit, progress=progress,
                           within=None if scope is None else scope.area)
            answer = run.as_json() | ({} if scope is None else {"area": scope.org})
            answer.update(version=list(snap.version),
                          elapsed_s=round(time.perf_counter() - started, 3))
            known = (answer, run.plan)
            self._plans.put(key, known)
            return known


#: What the analyses call as each step starts (a message; raising stops the analysis).
Progress = Callable[[str], None]

#: Coverage and siting runs one process computes at the same time. They are CPU-bound Python
#: and share the process's one core (the GIL) with the finder's lookups: with one at a time, a
#: worker's threads always have room for lookups, however many planners ask.
ANALYSES_AT_ONCE = 1
