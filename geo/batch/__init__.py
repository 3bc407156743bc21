"""Province-scale analysis: many regions at once, one task per region on Dask ``distributed``.

A provincial union plans for all its cities in one run. A ``REGIONS.toml`` file lists them
(:func:`read_regions`, :mod:`geo.batch.regions_file`); each region is one task
(:func:`run_region`) that runs the same flow as ``yizhan coverage -o`` and ``yizhan plan -o``
(:func:`geo.workflow.open_inputs`, :func:`geo.workflow.coverage_report`,
:func:`geo.workflow.plan_report`) and writes the same folders; :func:`run_batch`
(:mod:`geo.batch.run`) runs them on a local cluster of worker processes or on an existing
scheduler, retries a region that fails, reports every failure, and skips the regions whose inputs
are unchanged since their last run. :func:`write_summary` (:mod:`geo.output.province`) writes
the province summary.

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

from geo.batch.regions_file import REGION_KEYS, REGISTRY_KEYS, RegionEntry, read_regions
from geo.batch.run import (
    DONE_FILE,
    BatchRun,
    failed_entry,
    finished,
    outline,
    region_digest,
    run_batch,
    run_region,
)
from geo.batch.spec import BatchOptions, RegionSpec, batch_options
from geo.output.province import CHART_REGIONS, SUMMARY_HEADERS, summary_table, write_summary

__all__ = [
    "CHART_REGIONS",
    "DONE_FILE",
    "REGION_KEYS",
    "REGISTRY_KEYS",
    "SUMMARY_HEADERS",
    "BatchOptions",
    "BatchRun",
    "RegionEntry",
    "RegionSpec",
    "batch_options",
    "failed_entry",
    "finished",
    "outline",
    "read_regions",
    "region_digest",
    "run_batch",
    "run_region",
    "summary_table",
    "write_summary",
]
