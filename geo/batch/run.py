"""The province batch on Dask ``distributed``: one region as one task (:func:`run_region`), and
:func:`run_batch`, which runs them on a local cluster of worker processes or on an existing
scheduler, retries a region that fails, reports every failure, and keeps the regions whose inputs
are unchanged since their last finished run."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from geo.batch.spec import BatchOptions, RegionSpec
from geo.errors import InputError
from geo.output.province import write_summary

if TYPE_CHECKING:
    from distributed import Client

    from geo.network import Network

#: The file in a region's folder that records a finished run: the inputs' digest and the
#: region's summary entry. It is written last, so a region without it did not finish.
DONE_FILE = "batch.json"


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
    if network is None:  # not reached: open_inputs reads at least one network
        raise InputError(f"region {spec.name!r} has no network", parameter="networks")
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


def outline(network: Network) -> list[list[float]]:
    """The convex hull of the network's nodes as a ring of ``[lon, lat]`` (EPSG:4326)."""
    import numpy as np
    import shapely

    hull = shapely.MultiPoint(np.column_stack([network.lon, network.lat])).convex_hull
    if hull.geom_type != "Polygon":  # all nodes on a line or at one point
        hull = hull.buffer(1e-4)
    ring = hull.exterior.coords
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
              scheduler: str | None = None, client: Client | None = None, retries: int = 2,
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
                except Exception as exc:  # any error of a region is reported
                    record = {"entry": failed_entry(spec, exc, retries=retries), "outline": None}
                records[spec.name] = record
                progress(record["entry"])
    ordered = [records[s.name] for s in specs]
    files = write_summary(ordered, outdir, options)
    return BatchRun(records=ordered, files=files, ran=[s.name for s in todo],
                    resumed=[s.name for s in specs if s not in todo])


@contextmanager
def _connect(client: Client | None, workers: int, scheduler: str | None,
             dashboard_address: str | None, say: Callable[[str], None]) -> Iterator[Client]:
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


def _announce(client: Client, say: Callable[[str], None]) -> None:
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
