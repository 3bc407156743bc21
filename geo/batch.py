"""Province-scale analysis: many regions at once, one task per region on Dask ``distributed``.

A provincial union plans for all its cities in one run. A ``REGIONS.toml`` file lists them
(:func:`read_regions`); each region is one task (:func:`run_region`) that runs the same flow as
``yizhan coverage -o`` and ``yizhan plan -o`` (:func:`geo.workflow.open_inputs`,
:func:`geo.workflow.coverage_report`, :func:`geo.workflow.plan_report`) and writes the same
folders; :func:`run_batch` runs them on a local cluster of worker processes or on an existing
scheduler, retries a region that fails, reports every failure, and skips the regions whose inputs
are unchanged since their last run. :func:`write_summary` writes the province summary.

The file::

    [[region]]
    name = "成都中心城区"            # also the name of the region's output folder
    region = "chengdu"               # a shipped extract; or osm = "city.osm.pbf";
                                     # or networks = ["walk.npz", "ebike.npz", "drive.npz"]
    stations = "chengdu.csv"         # a station file; or a registry:
                                     # stations = {registry = "postgresql+psycopg://…",
                                     #             bbox = [104.04, 30.65, 104.13, 30.73]}
    demand = "demand.csv"            # optional: estimated from the OSM extract when absent
    districts = "districts.geojson"  # optional: coverage by district
    budgets = {sanitation_worker = 10}   # optional: minutes, per group
    kind = "sanitation_station"      # with add or target: new stations of this kind
    add = 3                          # or target = 0.9

Relative paths are relative to the TOML file.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

#: The file in a region's folder that records a finished run: the inputs' digest and the
#: region's summary entry. It is written last, so a region without it did not finish.
DONE_FILE = "batch.json"

#: Keys of a ``[[region]]`` table.
REGION_KEYS = ("name", "region", "osm", "networks", "stations", "crs", "demand", "districts",
               "groups", "group", "budgets", "kind", "add", "target", "curve")
#: Keys of a ``stations = {…}`` table.
REGISTRY_KEYS = ("registry", "bbox", "district")
#: Characters a region's name (its folder's name) may not contain.
_UNSAFE = set('/\\:*?"<>|') | {chr(c) for c in range(32)}


@dataclass(frozen=True)
class RegionSpec:
    """One region of a batch, as :func:`read_regions` checked it (paths absolute).

    Attributes
    ----------
    name
        The region's name and the name of its output folder.
    networks
        An OSM extract (``.osm``/``.osm.pbf``) or saved networks (``.npz``, one per mode).
    stations
        A station file (CSV/XLSX/GeoJSON/GeoPackage, coordinates in ``crs``); None with
        ``registry`` or for a region with no station yet.
    registry
        A registry URL (:class:`geo.registry.Registry`) to read the stations from, optionally
        only those in ``bbox`` (W, S, E, N; EPSG:4326 degrees) or in the district ``district``
        of the ``districts`` file.
    demand
        A demand file; None: estimated from the OSM extract (:func:`geo.demo.osm_demand`).
    budgets
        Travel budgets by group id, minutes, replacing the groups' own.
    add, target
        New stations of ``kind`` to plan: how many (maximal covering), or the covered share to
        reach with the fewest (0.9 or 90). Neither: coverage only.
    """

    name: str
    networks: tuple[str, ...]
    stations: str | None = None
    registry: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    district: str | None = None
    crs: str = "wgs84"
    demand: str | None = None
    districts: str | None = None
    groups: str | None = None
    wanted: tuple[str, ...] = ()
    budgets: dict[str, float] = field(default_factory=dict)
    kind: str = "outdoor_rest_point"
    add: int | None = None
    target: float | None = None
    curve: int | None = None

    @property
    def plans(self) -> bool:
        """Whether the region asks for new stations."""
        return self.add is not None or self.target is not None

    def settings(self) -> dict[str, Any]:
        """Everything the region's run depends on besides the files' contents, as JSON."""
        values = asdict(self)
        values["networks"] = list(self.networks)
        values["wanted"] = list(self.wanted)
        values["bbox"] = None if self.bbox is None else list(self.bbox)
        if not self.plans:
            for key in ("kind", "curve"):
                values.pop(key)
        return values

    def files(self) -> list[str]:
        """The input files (their contents decide whether the region runs again)."""
        return [p for p in (*self.networks, self.stations, self.demand, self.districts,
                            self.groups) if p is not None]

    def worker_groups(self):
        """The worker groups: the defaults or the ``groups`` file's, with ``budgets``."""
        from geo.groups import load_groups

        groups = load_groups(self.groups)
        for gid, minutes in self.budgets.items():
            groups[gid] = replace(groups[gid], budget_min=float(minutes))
        return groups

    def open_stations(self) -> list:
        """The region's stations, from its file or its registry (filtered), or none."""
        if self.stations is not None:
            from geo.io.stations import load_stations

            return load_stations(self.stations, crs=self.crs)
        if self.registry is None:
            return []
        from geo.registry import Registry

        bbox = self.bbox
        area = None
        if self.district is not None:
            area = _district(self.districts, self.district)
            bbox = tuple(float(v) for v in area.bounds)
        stations = Registry(self.registry).stations(bbox=bbox)
        if area is not None:
            import shapely

            inside = shapely.contains_xy(area, [s.lon for s in stations],
                                         [s.lat for s in stations])
            stations = [s for s, keep in zip(stations, inside) if keep]
        return stations


@dataclass(frozen=True)
class BatchOptions:
    """What every region of a batch is analysed for.

    Attributes
    ----------
    at
        The time the stations' opening hours are read at, ISO 8601 with its offset (resolved
        by :func:`batch_options` from ``HH:MM``, so that all regions and a resumed run read the
        same day); None: every station counted open.
    by_hour
        Coverage for each hour of ``day``.
    """

    at: str | None = None
    by_hour: bool = False
    day: date | None = None


def batch_options(*, at: str | None = None, by_hour: bool = False,
                  day: date | None = None) -> BatchOptions:
    """:class:`BatchOptions` with ``at`` (``HH:MM`` on ``day``, default today in
    Asia/Shanghai, or an ISO time) and the day of ``by_hour`` made explicit.

    Raises
    ------
    InputError
        ``parameter="at"``: a bad time, or both ``at`` and ``by_hour``.
    """
    from zoneinfo import ZoneInfo

    from geo import settings
    from geo.coverage import parse_at

    if at is not None and by_hour:
        raise InputError("give `at` or `by_hour`, not both", parameter="at")
    if by_hour:
        return BatchOptions(by_hour=True,
                            day=day or datetime.now(ZoneInfo(settings.timezone)).date())
    when = parse_at(at, day)
    return BatchOptions(at=None if when is None else when.isoformat())


# --- the regions file -----------------------------------------------------------------------------


def read_regions(path: str | os.PathLike[str]) -> list[RegionSpec]:
    """The regions of a ``REGIONS.toml`` file, every entry checked before any work starts.

    Raises
    ------
    InputError
        ``parameter="regions"``: the file cannot be read, or lists every problem of every
        region at once, each with the region (number and name) and the key.
    """
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read the regions file: {exc}",
                         parameter="regions") from exc
    problems: list[str] = []
    tables = data.get("region")
    extra = sorted(set(data) - {"region"})
    if extra:
        problems.append(f"unknown top-level key(s) {extra}: the file holds [[region]] tables")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict)
                                                               for t in tables):
        problems.append("no [[region]] tables: each region is a [[region]] table with a `name`")
        tables = []
    specs, seen = [], set()
    for number, table in enumerate(tables, start=1):
        spec = _region(table, number, path.parent, problems)
        if spec is None:
            continue
        if spec.name in seen:
            problems.append(f"[[region]] {number} ({spec.name}), `name`: another region has "
                            "this name; names must differ (each is a folder)")
        seen.add(spec.name)
        specs.append(spec)
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s) in the regions file:\n"
                         + "\n".join(f"  {p}" for p in problems), parameter="regions")
    return specs


def _region(table: dict, number: int, base: Path, problems: list[str]) -> RegionSpec | None:
    """One ``[[region]]`` table as a :class:`RegionSpec`; its problems appended."""
    from geo import coords
    from geo.network import is_osm_file
    from geo.regions import REGIONS

    name = table.get("name")
    where = f"[[region]] {number}" + (f" ({name})" if isinstance(name, str) and name else "")
    before = len(problems)

    def bad(key: str, message: str) -> None:
        problems.append(f"{where}, `{key}`: {message}")

    def file(key: str, value: object, suffixes: tuple[str, ...] | None = None) -> str | None:
        if not isinstance(value, str) or not value:
            bad(key, f"was {value!r} but must be a file path (relative to the TOML file)")
            return None
        resolved = (base / value).resolve()
        if not resolved.is_file():
            bad(key, f"no such file: {resolved}")
        elif suffixes and not str(resolved).lower().endswith(suffixes):
            bad(key, f"{resolved.name} is not one of {list(suffixes)}")
        return str(resolved)

    for key in sorted(set(table) - set(REGION_KEYS)):
        bad(key, f"unknown key; a region takes {list(REGION_KEYS)}")
    if not isinstance(name, str) or not name.strip():
        bad("name", f"was {name!r} but every region needs a name")
        name = f"region {number}"
    elif set(name) & _UNSAFE or name.strip(". ") == "" or name != name.strip():
        bad("name", f"{name!r} names the region's folder: no / \\ : * ? \" < > |, no leading "
                    "or trailing spaces, not . or ..")

    sources = [k for k in ("region", "osm", "networks") if k in table]
    networks: list[str] = []
    if len(sources) != 1:
        bad("osm", f"give exactly one of `region` (a shipped extract: {list(REGIONS)}), `osm` "
                   "(an .osm/.osm.pbf file) or `networks` (saved .npz files)"
            + (f"; it has {sources}" if sources else ""))
    elif sources[0] == "region":
        if table["region"] not in REGIONS:
            bad("region", f"was {table['region']!r} but must be one of {list(REGIONS)}")
        else:
            try:
                networks = [str(REGIONS[table["region"]].extract())]
            except FileNotFoundError as exc:
                bad("region", str(exc))
    elif sources[0] == "osm":
        path = file("osm", table["osm"])
        if path is not None and not is_osm_file(path):
            bad("osm", f"{Path(path).name} is not an .osm or .osm.pbf extract")
        networks = [path] if path else []
    else:
        values = table["networks"]
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list) or not values:
            bad("networks", f"was {values!r} but must be a list of saved network files")
        else:
            networks = [p for p in (file("networks", v, (".npz",)) for v in values) if p]

    crs = table.get("crs", "wgs84")
    if crs not in coords.CRS_NAMES:
        bad("crs", f"was {crs!r} but must be one of {list(coords.CRS_NAMES)}")

    stations = registry = bbox = district = None
    value = table.get("stations")
    if isinstance(value, str) and "://" in value:
        registry = value
    elif isinstance(value, str):
        stations = file("stations", value)
    elif isinstance(value, dict):
        for key in sorted(set(value) - set(REGISTRY_KEYS)):
            bad(f"stations.{key}", f"unknown key; a registry takes {list(REGISTRY_KEYS)}")
        registry = value.get("registry")
        if not isinstance(registry, str) or "://" not in registry:
            bad("stations.registry", f"was {registry!r} but must be a database URL "
                                     "(sqlite:///stations.sqlite, postgresql+psycopg://…)")
        bbox = value.get("bbox")
        if bbox is not None:
            ok = (isinstance(bbox, list) and len(bbox) == 4
                  and all(isinstance(v, (int, float)) for v in bbox))
            if not ok or not (-180 <= bbox[0] < bbox[2] <= 180 and -90 <= bbox[1] < bbox[3] <= 90):
                bad("stations.bbox", f"was {bbox!r} but must be [west, south, east, north] in "
                                     "degrees, west < east and south < north")
            else:
                bbox = tuple(float(v) for v in bbox)
        district = value.get("district")
        if district is not None and not isinstance(district, str):
            bad("stations.district", f"was {district!r} but must be a district's name")
        if district is not None and bbox is not None:
            bad("stations.district", "give `bbox` or `district`, not both")
        if district is not None and "districts" not in table:
            bad("stations.district", "a district filter needs the region's `districts` file")
    elif value is not None:
        bad("stations", f"was {value!r} but must be a station file, a registry URL or "
                        "{registry = URL, bbox = [W, S, E, N]}")

    demand = file("demand", table["demand"]) if "demand" in table else None
    if demand is None and "demand" not in table and sources == ["networks"]:
        bad("demand", "saved networks carry no venues to estimate workers from: give a demand "
                      "file, or an `osm` extract")
    districts = file("districts", table["districts"]) if "districts" in table else None
    if districts is not None and isinstance(district, str) and Path(districts).is_file():
        try:
            _district(districts, district)
        except InputError as exc:
            bad("stations.district", str(exc))
    groups_file = file("groups", table["groups"]) if "groups" in table else None
    known: dict = {}
    try:
        from geo.groups import load_groups

        known = load_groups(groups_file if groups_file and Path(groups_file).is_file() else None)
    except InputError as exc:
        bad("groups", str(exc))
    wanted = table.get("group", [])
    wanted = [wanted] if isinstance(wanted, str) else wanted
    if not isinstance(wanted, list) or not all(isinstance(g, str) for g in wanted):
        bad("group", f"was {wanted!r} but must be a list of group ids")
        wanted = []
    elif known:
        for gid in wanted:
            if gid not in known:
                bad("group", f"{gid!r} is not a group; groups are {list(known)}")
    budgets = table.get("budgets", {})
    if not isinstance(budgets, dict):
        bad("budgets", f"was {budgets!r} but must be a table of minutes by group, "
                       "e.g. {sanitation_worker = 10}")
        budgets = {}
    for gid, minutes in budgets.items():
        if known and gid not in known:
            bad(f"budgets.{gid}", f"{gid!r} is not a group; groups are {list(known)}")
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not minutes > 0:
            bad(f"budgets.{gid}", f"was {minutes!r} but must be minutes, a number above 0")

    kind = table.get("kind", "outdoor_rest_point")
    try:
        from geo.stations import parse_kind

        kind = parse_kind(kind)
    except (InputError, TypeError, AttributeError):
        bad("kind", f"was {kind!r} but must be a station kind")
    add, target, curve = table.get("add"), table.get("target"), table.get("curve")
    if add is not None and target is not None:
        bad("add", "give `add` or `target`, not both")
    if add is not None and (isinstance(add, bool) or not isinstance(add, int) or add < 1):
        bad("add", f"was {add!r} but must be a whole number of new stations, 1 or more")
    if target is not None:
        try:
            from geo.siting.planning import parse_target

            target = parse_target(target)
        except (InputError, TypeError, ValueError) as exc:
            bad("target", str(exc))
    if curve is not None and (isinstance(curve, bool) or not isinstance(curve, int) or curve < 1):
        bad("curve", f"was {curve!r} but must be a whole number of stations, 1 or more")
    if (curve is not None or "kind" in table) and add is None and target is None:
        bad("kind" if "kind" in table else "curve", "goes with `add` or `target` (new stations)")

    if len(problems) > before:
        return None
    return RegionSpec(name=name, networks=tuple(networks), stations=stations,
                      registry=registry, bbox=bbox, district=district, crs=crs, demand=demand,
                      districts=districts, groups=groups_file, wanted=tuple(wanted),
                      budgets={g: float(m) for g, m in budgets.items()}, kind=kind, add=add,
                      target=target, curve=curve)


def _district(path: str | None, name: str):
    """The polygon of district ``name`` in the districts file ``path`` (EPSG:4326)."""
    from geo.io.districts import read_districts

    frame = read_districts(path)
    rows = frame[frame["name"].astype(str) == name]
    if rows.empty:
        names = sorted(frame["name"].astype(str))
        raise InputError(f"no district {name!r} in {path}; it has {names[:20]}",
                         parameter="district")
    return rows.geometry.union_all()


# --- one region -----------------------------------------------------------------------------------


def region_digest(spec: RegionSpec, options: BatchOptions) -> str:
    """A SHA-256 of everything a region's result depends on: its input files' contents, its
    settings, the batch options, the analysis settings (:mod:`geo.settings`), yizhan's version,
    and the registry's version when the stations come from one."""
    from geo import settings

    digest = hashlib.sha256()
    for path in spec.files():
        try:
            with open(path, "rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
        except OSError:  # gone since the check: the region runs, and reports it
            digest.update(f"missing {path}".encode())
    registry = None
    if spec.registry is not None:
        from geo.registry import Registry

        registry = list(Registry(spec.registry).version())
    analysis = {k: v for k, v in vars(settings).items()
                if not k.startswith("_") and isinstance(v, (bool, int, float, str, dict, tuple))}
    state = {"region": spec.settings(), "options": asdict(options), "registry": registry,
             "settings": analysis, "version": _version()}
    digest.update(json.dumps(state, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("yizhan")
    except PackageNotFoundError:
        return "unknown"


def run_region(spec: RegionSpec, outdir: str | os.PathLike[str], options: BatchOptions,
               digest: str = "") -> dict:
    """Analyse one region into ``outdir/<name>``: the task each region of a batch is.

    ``coverage/`` gets what ``yizhan coverage -o`` writes for the same inputs, ``plan/`` (when
    the region asks for new stations) what ``yizhan plan -o`` writes and ``plan.json`` (the
    plan as ``yizhan plan --json`` prints it). Last, :data:`DONE_FILE` records ``digest`` and
    the region's summary entry, so an interrupted batch resumes after the finished regions.

    Returns
    -------
    dict
        ``{"digest", "entry", "outline"}``: the summary entry (:func:`write_summary`) and the
        region's outline (the convex hull of its network nodes, ``[[lon, lat], …]``).
    """
    import shutil

    from geo.io.districts import read_districts
    from geo.workflow import base_network, coverage_report, open_inputs, plan_report

    started, cpu = time.perf_counter(), time.process_time()
    folder = Path(outdir) / spec.name
    (folder / DONE_FILE).unlink(missing_ok=True)
    for part in ("coverage", "plan"):  # no file of an earlier run is left to mislead
        shutil.rmtree(folder / part, ignore_errors=True)
    stations = spec.open_stations()
    inputs = open_inputs(spec.networks, spec.demand, crs=spec.crs, groups=spec.worker_groups(),
                         wanted=spec.wanted or None)
    districts = read_districts(spec.districts) if spec.districts else None
    result, _ = coverage_report(inputs, stations, outdir=folder / "coverage", at=options.at,
                                by_hour=options.by_hour, day=options.day, districts=districts)
    plan = None
    if spec.plans:
        run, _ = plan_report(inputs, stations, kind=spec.kind, outdir=folder / "plan",
                             crs=spec.crs, add=spec.add, target=spec.target, at=options.at,
                             curve=spec.curve)
        answer = run.as_json()
        (folder / "plan").mkdir(parents=True, exist_ok=True)
        (folder / "plan" / "plan.json").write_text(
            json.dumps(answer, ensure_ascii=False, indent=1, default=str), "utf-8")
        plan = {"kind": spec.kind, "new_stations": len(answer["sites"]),
                "before": run.before_share,
                "after": _pooled(answer["after"], answer["totals"]),
                "already_met": run.already_met, "note": run.note}
    network = base_network(inputs.networks)
    entry = {"name": spec.name, "status": "ok",
             "groups": {gid: {k: e[k] for k in ("share", "covered", "uncovered", "total")}
                        for gid, e in result.summary["groups"].items()},
             "stations": len(stations), "gap_areas": len(result.summary["gaps"]),
             "plan": plan, "folder": spec.name,
             "seconds": round(time.perf_counter() - started, 2),
             "cpu_seconds": round(time.process_time() - cpu, 2),
             "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
             "nodes": network.n_nodes}
    record = {"digest": digest, "entry": entry, "outline": outline(network)}
    partial = folder / f".{DONE_FILE}.{uuid.uuid4().hex}"
    partial.write_text(json.dumps(record, ensure_ascii=False, indent=1), "utf-8")
    partial.replace(folder / DONE_FILE)
    return record


def _pooled(shares: dict[str, float], totals: dict[str, float]) -> float:
    total = sum(totals.values())
    return sum(shares[g] * totals[g] for g in shares) / total if total > 0 else 0.0


def outline(network) -> list[list[float]]:
    """The convex hull of the network's nodes as a ring of ``[lon, lat]`` (EPSG:4326)."""
    import numpy as np
    import shapely

    hull = shapely.MultiPoint(np.column_stack([network.lon, network.lat])).convex_hull
    ring = hull.exterior.coords if hull.geom_type == "Polygon" else hull.buffer(1e-4).exterior.coords
    return [[round(x, 6), round(y, 6)] for x, y in ring]


def failed_entry(spec: RegionSpec, error: BaseException, *, retries: int) -> dict:
    """The summary entry of a region that failed after ``retries`` more tries: the error and the
    region's inputs."""
    return {"name": spec.name, "status": "failed", "error": f"{type(error).__name__}: {error}",
            "tries": retries + 1, "inputs": spec.settings(), "groups": {}}


def finished(spec: RegionSpec, outdir: str | os.PathLike[str], digest: str) -> dict | None:
    """The record of the region's last run when it finished with the same ``digest``."""
    path = Path(outdir) / spec.name / DONE_FILE
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("digest") != digest or record.get("entry", {}).get("status") != "ok":
        return None
    return record


# --- the batch ------------------------------------------------------------------------------------


@dataclass
class BatchRun:
    """The outcome of :func:`run_batch`.

    Attributes
    ----------
    records
        Per region in the file's order: ``{"entry", "outline"}`` (:func:`run_region`), or a
        failed entry.
    files
        The summary files (:func:`write_summary`).
    ran, resumed
        The names of the regions run now, and those kept from an earlier run.
    """

    records: list[dict]
    files: dict[str, Path]
    ran: list[str]
    resumed: list[str]

    @property
    def failed(self) -> list[dict]:
        return [r["entry"] for r in self.records if r["entry"]["status"] != "ok"]


def run_batch(specs: Sequence[RegionSpec], outdir: str | os.PathLike[str], *,
              options: BatchOptions | None = None, workers: int | None = None,
              scheduler: str | None = None, client=None, retries: int = 2,
              rerun: bool = False, dashboard_address: str | None = ":8787",
              progress: Callable[[dict], None] | None = None,
              say: Callable[[str], None] | None = None) -> BatchRun:
    """Analyse every region, one Dask task each, and write the province summary.

    Parameters
    ----------
    workers
        Worker processes of the local cluster (one thread each; default: one per core, at
        most one per region). Ignored with ``scheduler`` or ``client``.
    scheduler
        The address of a running scheduler (``tcp://host:8786``), whose workers must see
        ``outdir`` and the input files at the same paths.
    client
        A ``distributed.Client`` to use as it is.
    retries
        How many more times a region that raised is run (Dask's ``retries``); a region whose
        worker process dies is run again on another worker by the scheduler.
    rerun
        Run every region, also those whose inputs are unchanged since their last finished run.
    progress
        Called with each region's summary entry as it finishes (or is kept).
    say
        Called with what the batch tells its user (the cluster, its dashboard).
    """
    options = options or BatchOptions()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    say = say or (lambda message: None)
    progress = progress or (lambda entry: None)
    digests = {s.name: region_digest(s, options) for s in specs}
    records: dict[str, dict] = {}
    todo = []
    for spec in specs:
        kept = None if rerun else finished(spec, outdir, digests[spec.name])
        if kept is None:
            todo.append(spec)
        else:
            kept["entry"]["resumed"] = True
            records[spec.name] = kept
            progress(kept["entry"])
    if todo:
        from distributed import as_completed

        with _connect(client, workers or min(os.cpu_count() or 1, len(todo)), scheduler,
                      dashboard_address, say) as active:
            token = uuid.uuid4().hex[:8]
            futures = {active.submit(run_region, spec, str(outdir.resolve()), options,
                                     digests[spec.name], key=f"region-{token}-{n}",
                                     retries=retries, pure=False): spec
                       for n, spec in enumerate(todo)}
            for future in as_completed(futures):
                spec = futures[future]
                try:
                    record = future.result()
                except Exception as exc:  # noqa: BLE001  any error of a region is reported
                    record = {"entry": failed_entry(spec, exc, retries=retries), "outline": None}
                records[spec.name] = record
                progress(record["entry"])
    ordered = [records[s.name] for s in specs]
    files = write_summary(ordered, outdir, options)
    return BatchRun(records=ordered, files=files, ran=[s.name for s in todo],
                    resumed=[s.name for s in specs if s not in todo])


@contextmanager
def _connect(client, workers: int, scheduler: str | None, dashboard_address: str | None,
             say: Callable[[str], None]):
    """The client to run on: the one given, one of the scheduler at ``scheduler``, or one of a
    new local cluster of ``workers`` processes (closed afterwards)."""
    import logging

    from distributed import Client, LocalCluster

    if client is not None:
        _announce(client, say)
        yield client
        return
    if scheduler is not None:
        try:
            connected = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}; start one "
                             "with `dask scheduler` and workers with `dask worker ADDRESS`",
                             parameter="scheduler") from exc
        with connected:
            _announce(connected, say)
            yield connected
        return
    with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                      dashboard_address=dashboard_address, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as local:
        _announce(local, say)
        yield local


def _announce(client, say: Callable[[str], None]) -> None:
    info = client.scheduler_info()
    say(f"Dask scheduler {info.get('address', '')} with {len(info.get('workers', {}))} "
        "worker(s)")
    if "dashboard" in info.get("services", {}):
        import importlib.util

        if importlib.util.find_spec("bokeh") is None:
            say(f"Dask dashboard: {client.dashboard_link} (its pages need bokeh: "
                "pip install bokeh)")
        else:
            say(f"Dask dashboard: {client.dashboard_link}")


# --- the province summary -------------------------------------------------------------------------

#: Headers of the summary table (Chinese and English).
SUMMARY_HEADERS = {"region": "地区 region", "status": "状态 status", "group": "群体 group",
                   "group_name": "群体名称 group name", "total": "劳动者 workers",
                   "covered": "已覆盖 covered", "uncovered": "未覆盖 uncovered",
                   "share": "覆盖率 share", "stations": "现有驿站 stations",
                   "new_stations": "建议新建 new stations", "error": "错误 error"}


def summary_table(entries: Iterable[dict]) -> pd.DataFrame:
    """One row per region and group (one row for a failed region), headed in Chinese and
    English (:data:`SUMMARY_HEADERS`)."""
    import pandas as pd

    from geo.groups import DEFAULT_GROUPS

    rows = []
    for e in entries:
        base = {"region": e["name"], "status": e["status"]}
        plan = e.get("plan") or {}
        if e["status"] != "ok" or not e["groups"]:
            rows.append({**base, "error": e.get("error", "")})
            continue
        for gid, values in e["groups"].items():
            group = DEFAULT_GROUPS.get(gid)
            rows.append({**base, "group": gid, "group_name": group.zh if group else gid,
                         "total": round(values["total"], 3),
                         "covered": round(values["covered"], 3),
                         "uncovered": round(values["uncovered"], 3),
                         "share": round(values["share"], 6), "stations": e.get("stations"),
                         "new_stations": plan.get("new_stations"), "error": ""})
    frame = pd.DataFrame(rows, columns=list(SUMMARY_HEADERS))
    return frame.rename(columns=SUMMARY_HEADERS)


def write_summary(records: Sequence[dict], outdir: str | os.PathLike[str],
                  options: BatchOptions | None = None) -> dict[str, Path]:
    """The province summary in ``outdir``: ``summary.json``, ``summary.xlsx`` and
    ``summary.csv`` (UTF-8 with a BOM; cells a spreadsheet would take for a formula kept as
    text), ``uncovered.png`` (regions ranked by uncovered workers, per group) and
    ``overview.html`` (an offline map of the regions' outlines, coloured by their uncovered
    share, each linking to its region's coverage map)."""
    from geo.io import sheets

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    options = options or BatchOptions()
    entries = [r["entry"] for r in records]
    files = {"json": outdir / "summary.json", "xlsx": outdir / "summary.xlsx",
             "csv": outdir / "summary.csv"}
    document = {"regions": entries, "at": options.at, "by_hour": options.by_hour,
                "day": None if options.day is None else options.day.isoformat(),
                "ok": sum(e["status"] == "ok" for e in entries),
                "failed": sum(e["status"] != "ok" for e in entries)}
    files["json"].write_text(json.dumps(document, ensure_ascii=False, indent=1, default=str),
                             "utf-8")
    table = summary_table(entries)
    files["csv"].write_bytes(sheets.csv_bytes(table))
    files["xlsx"].write_bytes(sheets.xlsx_bytes(table, sheet="全省汇总 province"))
    files["chart"] = _chart(entries, outdir / "uncovered.png")
    files["map"] = _overview(records, outdir / "overview.html")
    return files


def _uncovered_share(entry: dict) -> float | None:
    total = sum(v["total"] for v in entry["groups"].values())
    if entry["status"] != "ok" or total <= 0:
        return None
    return sum(v["uncovered"] for v in entry["groups"].values()) / total


#: Regions shown per group in the chart (the most uncovered first).
CHART_REGIONS = 25


def _chart(entries: Sequence[dict], path: Path) -> Path:
    """Regions ranked by uncovered workers, one panel per group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geo.groups import DEFAULT_GROUPS
    from geo.output.charts import cjk_font, label
    from geo.style import GROUP_COLOURS

    font = cjk_font()
    cjk = font is not None
    ok = [e for e in entries if e["status"] == "ok"]
    groups = list(dict.fromkeys(g for e in ok for g in e["groups"])) or ["—"]
    shown = min(max(len(ok), 1), CHART_REGIONS)
    with plt.rc_context({"font.family": [font, "DejaVu Sans"] if cjk else ["DejaVu Sans"],
                         "axes.spines.top": False, "axes.spines.right": False}):
        fig, axes = plt.subplots(1, len(groups), figsize=(3.6 * len(groups) + 1.2,
                                                          1.2 + 0.32 * shown + 0.8),
                                 dpi=120, squeeze=False)
        for ax, gid in zip(axes[0], groups):
            ranked = sorted(((e["groups"][gid]["uncovered"], e["name"]) for e in ok
                             if gid in e["groups"]), reverse=True)[:CHART_REGIONS]
            values = [v for v, _ in ranked][::-1]
            names = [n for _, n in ranked][::-1]
            ax.barh(range(len(values)), values, color=GROUP_COLOURS.get(gid, "#1565c0"))
            ax.set_xlim(0, max([*values, 0.0]) * 1.18 or 1.0)
            ax.set_yticks(range(len(values)))
            ax.set_yticklabels(names if cjk else [n.encode("ascii", "replace").decode()
                                                  for n in names], fontsize=8)
            for y, v in enumerate(values):
                ax.annotate(f"{v:,.0f}", (v, y), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=7, color="#444")
            group = DEFAULT_GROUPS.get(gid)
            ax.set_title(label(group.zh, group.en, cjk) if group else gid, loc="left",
                         fontsize=10)
            ax.set_xlabel(label("未覆盖人数", "workers not covered", cjk), fontsize=8)
            ax.grid(axis="x", alpha=0.3)
        failed = [e["name"] for e in entries if e["status"] != "ok"]
        title = label("各地区未覆盖劳动者排名", "Regions ranked by workers not covered", cjk)
        if failed:
            title += "  ·  " + label(f"未完成 {len(failed)} 个", f"{len(failed)} failed", cjk)
        fig.suptitle(title, x=0.01, ha="left", fontsize=12)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
    return path


def _colour(share: float | None) -> str:
    """Green (all covered) through yellow to red (none covered); grey when unknown."""
    if share is None:
        return "#9e9e9e"
    import matplotlib

    r, g, b, _ = matplotlib.colormaps["RdYlGn_r"](min(max(share, 0.0), 1.0))
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def _overview(records: Sequence[dict], path: Path) -> Path:
    """An offline map of the regions' outlines coloured by uncovered share, linking to each
    region's coverage map."""
    import html
    from urllib.parse import quote

    import folium

    from geo.output.maps import finish, offline_map, save_map

    rings = [r.get("outline") for r in records if r.get("outline")]
    points = [p for ring in rings for p in ring] or [[104.0, 30.0]]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    pad = max(max(lons) - min(lons), max(lats) - min(lats)) * 0.08  # the dots' labels fit
    m = offline_map((min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad),
                    title="全省驿站覆盖概览 Province overview")
    layer = folium.FeatureGroup(name="地区 regions")
    for record in records:
        entry, ring = record["entry"], record.get("outline")
        if not ring:
            continue
        share = _uncovered_share(entry)
        colour = _colour(share)
        name = html.escape(entry["name"])
        link = f"{quote(entry['name'])}/coverage/coverage_map.html"
        text = "—" if share is None else f"{share:.1%}"
        lines = "".join(f"<br>{html.escape(g)}: {v['share']:.1%} ({v['uncovered']:,.0f} "
                        "未覆盖 not covered)" for g, v in entry["groups"].items())
        popup = (f'<b><a href="{link}" target="_blank">{name}</a></b>'
                 f"<br>未覆盖 not covered: {text}{lines}")
        folium.GeoJson({"type": "Feature", "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [ring]}},
                       style_function=lambda _, c=colour: {"color": c, "weight": 2,
                                                           "fillColor": c, "fillOpacity": 0.45},
                       tooltip=f"{name}: 未覆盖 {text} not covered",
                       popup=folium.Popup(popup, max_width=360)).add_to(layer)
        # a dot of fixed size with the name, so that a city shows at the province's zoom too
        lon = sum(p[0] for p in ring[:-1]) / max(len(ring) - 1, 1)
        lat = sum(p[1] for p in ring[:-1]) / max(len(ring) - 1, 1)
        folium.CircleMarker([lat, lon], radius=8, color="#fff", weight=2, fill=True,
                            fill_color=colour, fill_opacity=0.95,
                            popup=folium.Popup(popup, max_width=360),
                            tooltip=folium.Tooltip(f"{name} {text}", permanent=True,
                                                   direction="right")).add_to(layer)
    layer.add_to(m)
    failed = [r["entry"] for r in records if r["entry"]["status"] != "ok"]
    legend = ('<div style="position:fixed;top:50px;left:50px;z-index:1000;background:#fff;'
              'padding:6px 10px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);'
              'font:12px system-ui,sans-serif">未覆盖比例 share not covered: '
              + " ".join(f'<span style="background:{_colour(v)};padding:0 6px">{v:.0%}</span>'
                         for v in (0.0, 0.25, 0.5, 0.75, 1.0)))
    if failed:
        legend += "<br>未完成 failed: " + "; ".join(
            f"{html.escape(e['name'])} ({html.escape(e.get('error', '')[:120])})" for e in failed)
    m.get_root().html.add_child(folium.Element(legend + "</div>"))
    return save_map(finish(m), path)
