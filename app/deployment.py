"""Several regions served by one app: ``yizhan serve --deployment FILE``.

A deployment file is a ``REGIONS.toml`` as ``yizhan batch`` reads it (its ``[[region]]`` tables
checked by :class:`geo.batch.regions_file.RegionEntry`, every problem named with its line) and,
at the top, the registry database the regions share::

    db = "postgresql+psycopg://yizhan@db/province"   # or an SQLite file, relative to this file

    [[region]]
    name = "chengdu"
    networks = ["chengdu/network-walk.npz", "chengdu/network-ebike.npz",
                "chengdu/network-drive.npz"]
    demand = "chengdu/demand.csv"

    [[region]]
    name = "harbin"
    networks = ["harbin/network-walk.npz", "harbin/network-ebike.npz",
                "harbin/network-drive.npz"]
    demand = "harbin/demand.csv"
    stations = {registry = "postgresql+psycopg://yizhan@db/province",
                bbox = [126.4, 45.6, 126.9, 45.9]}

Each region is an :class:`app.state.AppState` of its own (networks, stations, demand, basemap),
all on one :class:`geo.registry.Registry`; a region's stations are those of the registry in its
box (``stations.bbox``, else its networks' box widened by the snap distance), so each region
answers as a server of that region alone would. Networks named by several regions load once;
saved networks (``.npz``) are memory-mapped, so forked workers share them. A region's basemap,
place index and demo manifest are the files beside its first network file. The keys of a batch
run (``add``, ``target``, ``group`` …) are read and left to ``yizhan batch``.

A request is answered by one region, kept in ``flask.g`` (:data:`app.state.CHOSEN`) so that
:func:`app.state.state` is that region's state: the ``region`` parameter of a query or body
(:func:`choose_region`, called by :func:`app.openapi.operation`), else the region holding the
point (``/api/nearest``) or the box's centre (``/api/stations?bbox=``), else the first. A point
outside every region is :class:`app.errors.OutsideRegions` (422, naming the regions served); an
unknown region is a 400 naming ``region``. Pages take ``?region=`` and offer the regions.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request

from app.errors import OutsideRegions
from app.lang import catalogue
from app.pages import pick_lang
from app.state import CHOSEN, AppState
from geo import settings
from geo.batch.regions_file import read_regions
from geo.batch.spec import RegionSpec
from geo.coords import haversine_m
from geo.errors import InputError
from geo.network import MODES, Network, is_osm_file, load_network
from geo.network.cache import cached_network
from geo.regions import REGIONS, Region
from geo.registry import Registry, resolve_url

#: The key of ``app.extensions`` that holds the :class:`Deployment`.
KEY = "yizhan-deployment"
#: What a deployment file holds besides its ``[[region]]`` tables.
FILE_KEYS = ("db",)
#: The files of a region kept beside its first network file (as ``yizhan demo`` writes them).
BASEMAP_FILE, DEMAND_FILE, MANIFEST_FILE = "basemap.geojson", "demand.csv", "demo.json"


@dataclass(frozen=True)
class DeploymentFile:
    """A deployment file, checked: its regions (paths absolute) and its registry URL (None:
    the server's ``--db``, ``$YIZHAN_DB`` or the data dir's)."""

    path: Path
    db: str | None
    regions: list[RegionSpec]


def read_deployment(path: str | os.PathLike[str]) -> DeploymentFile:
    """Read and check a deployment file; every problem of every region at once.

    Raises
    ------
    InputError
        ``parameter="deployment"`` (or ``"regions"`` for the ``[[region]]`` tables as
        :func:`geo.batch.read_regions` checks them): the file cannot be read, its ``db`` is not
        a database, or a region names a station file or another registry (a deployment serves
        the stations of its one registry).
    """
    path = Path(path).expanduser().resolve()
    specs = read_regions(path, also=FILE_KEYS)
    db = tomllib.loads(path.read_text("utf-8")).get("db")
    problems = []
    if db is not None and not (isinstance(db, str) and db.strip()):
        problems.append(f"`db` was {db!r} but must be a database URL or an SQLite file")
        db = None
    url = None if db is None else resolve_url(db if "://" in db else str(path.parent / db))
    for spec in specs:
        if spec.stations is not None:
            problems.append(f"region {spec.name!r}, `stations`: a deployment serves the stations "
                            f"of its registry; import {spec.stations} with `yizhan import`, or "
                            "give stations = {registry = <the db>, bbox = [W, S, E, N]}")
        if spec.registry is not None and url is not None and spec.registry != url:
            problems.append(f"region {spec.name!r}, `stations.registry`: was {spec.registry!r} "
                            f"but the deployment's registry is `db` ({url}): one registry for "
                            "all regions")
        if spec.district is not None:
            problems.append(f"region {spec.name!r}, `stations.district`: a served region takes "
                            "`bbox`, not `district`")
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s) in the deployment file:\n"
                         + "\n".join(f"  {p}" for p in problems), parameter="deployment")
    return DeploymentFile(path, url, specs)


@dataclass(frozen=True)
class ServedRegion:
    """One region of a deployment.

    Attributes
    ----------
    id
        The ``[[region]]``'s name: the ``region`` parameter's value.
    shipped
        The shipped region of that name (:data:`geo.regions.REGIONS`, or the ``region`` of the
        demo manifest beside its networks): its labels, and what its finder shows first.
    folder
        Where its basemap, place index and demo manifest are.
    box
        (west, south, east, north) of its networks, EPSG:4326 degrees (None without nodes).
    """

    id: str
    shipped: Region | None
    folder: Path
    box: tuple[float, float, float, float] | None
    state: AppState

    def label(self, lang: str) -> str:
        """Its name in ``lang`` (``zh``/``en``): the shipped region's, else its ``id``."""
        if self.shipped is None:
            return self.id
        return self.shipped.zh if lang == "zh" else self.shipped.en

    def distance_m(self, lon: float, lat: float) -> float:
        """Metres from the point (EPSG:4326 degrees) to the region's box, 0 inside it."""
        if self.box is None:
            return math.inf
        west, south, east, north = self.box
        near_lon, near_lat = min(max(lon, west), east), min(max(lat, south), north)
        return float(haversine_m(lon, lat, near_lon, near_lat))


def reach_m() -> float:
    """How far outside a region's box a point still belongs to it, metres: there its snap
    decides (off the network: 422 with the distance), as on a server of that region alone
    (:func:`app.api._near_the_network`); farther from every region it is outside them all."""
    return max(settings.max_snap_m, 50_000.0)


class Deployment:
    """The regions one app serves, the first being the default."""

    def __init__(self, regions: list[ServedRegion]):
        if not regions:
            raise ValueError("a deployment needs at least one region")
        self.regions = {r.id: r for r in regions}
        self.default = regions[0]

    def region(self, name: str) -> ServedRegion:
        """The region called ``name``; :class:`InputError` naming ``region`` and those served."""
        found = self.regions.get(name)
        if found is None:
            raise InputError(f"`region` was {name[:100]!r} but must be one of "
                             f"{list(self.regions)} (the regions this server serves)",
                             parameter="region")
        return found

    def at(self, lon: float, lat: float) -> ServedRegion | None:
        """The region holding the point (EPSG:4326 degrees), or the nearest within
        :func:`reach_m`; None when it is farther from every region."""
        distance, nearest = min(((r.distance_m(lon, lat), n) for n, r in
                                 enumerate(self.regions.values())), key=lambda d: d[0])
        return list(self.regions.values())[nearest] if distance <= reach_m() else None

    def outside(self, lon: float, lat: float, lang: str) -> OutsideRegions:
        """The error for a point outside every region, in ``lang``, naming those served."""
        served = [{"id": r.id, "label": r.label(lang)} for r in self.regions.values()]
        names = ("、" if lang == "zh" else ", ").join(r["label"] for r in served)
        distance = min(r.distance_m(lon, lat) for r in self.regions.values())
        return OutsideRegions(catalogue(lang)["api"]["outside_regions"].format(regions=names),
                              distance_m=distance if math.isfinite(distance) else 1e9,
                              regions=served)

    def states(self) -> list[AppState]:
        return [r.state for r in self.regions.values()]

    def page_config(self, lang: str) -> dict[str, Any]:
        """What a page needs to offer the regions: the one shown and all of them."""
        shown = g.get(CHOSEN) or self.default
        return {"region": shown.id,
                "regions": [{"id": r.id, "label": r.label(lang)} for r in self.regions.values()]}

    def warm_up(self) -> None:
        for served in self.states():
            served.warm_up()

    def after_fork(self) -> None:
        """In a forked worker: each region's :meth:`AppState.after_fork`, then one analysis
        slot and job queue for all again."""
        first, *rest = self.states()
        first.after_fork()
        for served in rest:
            served.after_fork()
            served.share(first)

    def init_app(self, app: Flask) -> None:
        app.extensions[KEY] = self
        app.extensions["yizhan"] = self.default.state
        app.before_request(_choose_for_page)


def open_deployment(file: DeploymentFile, db_url: str, **options: Any) -> Deployment:
    """The regions of ``file`` on the registry ``db_url``, each an :class:`AppState` made
    with ``options`` (``check_interval``, ``cache_size``, ``plan_time_limit``, ``region``)."""
    registry = Registry(db_url)
    loaded: dict[tuple[str, str], Network] = {}
    regions: list[ServedRegion] = []
    for spec in file.regions:
        networks = _networks(spec, loaded)
        folder = Path(spec.networks[0]).parent
        box = _box(networks.values())
        within = spec.bbox if spec.bbox is not None else _widened(box)
        served = AppState(db_url, networks, registry=registry, within=within,
                          demand=spec.demand or folder / DEMAND_FILE,
                          basemap=folder / BASEMAP_FILE, **options)
        served.upload_region = spec.name  # each region its own uploaded demand and districts
        if regions:
            served.share(regions[0].state)
        regions.append(ServedRegion(spec.name, _shipped(spec.name, folder), folder, box, served))
    states = [r.state for r in regions]
    for served in states:
        served.siblings = [other for other in states if other is not served]
    return Deployment(regions)


def _networks(spec: RegionSpec, loaded: dict[tuple[str, str], Network]) -> dict[str, Network]:
    """A region's networks by mode, each file loaded once for all regions (``loaded``)."""
    found: dict[str, Network] = {}
    for path in spec.networks:
        key = str(Path(path).resolve())
        if is_osm_file(path):
            for mode in MODES:
                if (key, mode) not in loaded:  # an extract: read once, then from the cache
                    loaded[key, mode] = cached_network(path, mode=mode)
                found.setdefault(mode, loaded[key, mode])
            continue
        if (key, "") not in loaded:
            loaded[key, ""] = load_network(path)
        found[loaded[key, ""].mode] = loaded[key, ""]
    return found


def _box(networks) -> tuple[float, float, float, float] | None:
    nets = [n for n in networks if n.n_nodes]
    if not nets:
        return None
    return (min(float(n.lon.min()) for n in nets), min(float(n.lat.min()) for n in nets),
            max(float(n.lon.max()) for n in nets), max(float(n.lat.max()) for n in nets))


def _widened(box: tuple[float, float, float, float] | None
             ) -> tuple[float, float, float, float] | None:
    """``box`` widened by the snap distance: the stations that can join its networks."""
    if box is None:
        return None
    west, south, east, north = box
    dlat = settings.max_snap_m / 111_320.0
    dlon = dlat / max(math.cos(math.radians((south + north) / 2)), 0.01)
    return (west - dlon, south - dlat, east + dlon, north + dlat)


def _shipped(name: str, folder: Path) -> Region | None:
    if name in REGIONS:
        return REGIONS[name]
    try:
        import json

        return REGIONS.get(json.loads((folder / MANIFEST_FILE).read_text("utf-8")).get("region"))
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def states(app: Flask) -> list[AppState]:
    """Every region's state of ``app`` (one without a deployment)."""
    deployment = app.extensions.get(KEY)
    return [app.extensions["yizhan"]] if deployment is None else deployment.states()


# --- choosing the region of a request ----------------------------------------------------------

def choose_region(parsed: Any) -> None:
    """Choose the region of this API request from its parsed query or body (a model with a
    ``region`` field; others choose nothing): ``region`` when given, else the point's (a
    ``lon``/``lat`` outside every region: :class:`OutsideRegions`), else the box centre's,
    else the default.

    Raises
    ------
    InputError
        ``parameter="region"``: an unknown region, or any on a server of one region.
    """
    if parsed is None or "region" not in type(parsed).model_fields:
        return
    deployment: Deployment | None = current_app.extensions.get(KEY)
    name = parsed.region
    if deployment is None:
        if name is not None:
            raise InputError(f"`region` was {name[:100]!r} but this server serves one region: "
                             "leave `region` out", parameter="region")
        return
    if name is not None:
        setattr(g, CHOSEN, deployment.region(name))
        return
    lon, lat = getattr(parsed, "lon", None), getattr(parsed, "lat", None)
    bbox = getattr(parsed, "bbox", None)
    if lon is None and bbox is not None:
        found = deployment.at((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2)
    elif lon is not None and lat is not None:
        found = deployment.at(lon, lat)
        if found is None:
            raise deployment.outside(lon, lat, pick_lang())
    else:
        return
    if found is not None:
        setattr(g, CHOSEN, found)


def _choose_for_page() -> None:
    """A page's region: ``?region=`` (an unknown one: the default), or the region holding the
    station of a station's page."""
    if request.path.startswith("/api/"):
        return  # the API chooses from its parsed parameters (choose_region)
    deployment: Deployment = current_app.extensions[KEY]
    name = request.args.get("region")
    if name in deployment.regions:
        setattr(g, CHOSEN, deployment.regions[name])
        return
    station_id = (request.view_args or {}).get("station_id")
    if station_id is not None:
        for served in deployment.regions.values():
            if station_id in served.state.current().by_id:
                setattr(g, CHOSEN, served)
                return
