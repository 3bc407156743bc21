"""``yizhan batch``: coverage and siting for every region of a ``REGIONS.toml`` file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from tqdm import tqdm

from app.cli._common import echo_json, usage
from geo.batch import batch_options, read_regions, run_batch


@click.command("batch")
@click.argument("regions_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--outdir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="A folder per region (as `coverage -o`/`plan -o` write it) and the province "
                   "summary (summary.json/.xlsx/.csv, uncovered.png, overview.html).")
@click.option("--workers", type=click.IntRange(1),
              help="Worker processes of the local Dask cluster (default: one per core).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on this Dask scheduler instead (tcp://host:8786); its workers must see "
                   "the input files and -o at the same paths.")
@click.option("--at", help="Count stations open at HH:MM (Asia/Shanghai) or an ISO time.")
@click.option("--by-hour", is_flag=True, help="Coverage for each hour of the day.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]),
              help="The day for --at HH:MM and --by-hour (default today).")
@click.option("--retries", type=click.IntRange(0), default=2, show_default=True,
              help="Run a region that failed this many more times before reporting it.")
@click.option("--rerun", is_flag=True,
              help="Run every region again (default: skip those whose inputs are unchanged).")
@click.option("--dashboard", "dashboard_address", default=":8787", show_default=True,
              metavar="ADDRESS", help="Where the local cluster's Dask dashboard listens.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def batch_cmd(regions_file, outdir, workers, scheduler, at, by_hour, day, retries, rerun,
              dashboard_address, as_json):
    """Coverage and siting for many regions at once, one Dask task per region.

    REGIONS_FILE is a TOML file of [[region]] tables (name; region, osm or networks; stations;
    demand; districts; budgets; add or target); every entry is checked before any work starts.
    A region that fails is retried, then reported with its error while the others complete.
    Exit 1 when any region failed.
    """
    if workers and scheduler:
        raise usage("workers_or_scheduler")
    if at and by_hour:
        raise usage("at_or_by_hour")
    if not regions_file.is_file():
        raise click.BadParameter(f"no such file: {regions_file}", param_hint="REGIONS_FILE")
    specs = read_regions(regions_file)
    options = batch_options(at=at, by_hour=by_hour, day=day.date() if day else None)
    with tqdm(total=len(specs), unit="region", file=sys.stderr, disable=as_json,
              dynamic_ncols=True) as bar:
        def progress(entry):
            bar.set_postfix_str(entry["name"])
            bar.update(1)
            if entry["status"] != "ok":
                bar.write(f"{entry['name']}: failed: {entry['error']}", file=sys.stderr)

        run = run_batch(specs, outdir, options=options, workers=workers, scheduler=scheduler,
                        retries=retries, rerun=rerun, dashboard_address=dashboard_address,
                        progress=progress, say=lambda m: bar.write(m, file=sys.stderr))
    if as_json:
        echo_json(json.loads(run.files["json"].read_text("utf-8")))
    else:
        _say_batch(run, outdir)
    if run.failed:
        click.echo(f"{len(run.failed)} region(s) failed: "
                   + "; ".join(f"{e['name']}: {e['error']}" for e in run.failed), err=True)
        sys.exit(1)


def _say_batch(run, outdir: Path) -> None:
    """One line per region done (workers not covered, gap areas, the plan) and the files."""
    if run.resumed:
        click.echo(f"{len(run.resumed)} region(s) unchanged since their last run, kept: "
                   + ", ".join(run.resumed))
    for entry in (r["entry"] for r in run.records):
        if entry["status"] != "ok":
            continue
        total = sum(v["total"] for v in entry["groups"].values())
        uncovered = sum(v["uncovered"] for v in entry["groups"].values())
        plan = entry.get("plan")
        extra = (f"; {plan['new_stations']} new {plan['kind']} → {plan['after']:.1%} of the "
                 "groups planned for" if plan else "")
        click.echo(f"{entry['name']}: {uncovered:,.0f} of {total:,.0f} workers not covered, "
                   f"{entry['gap_areas']} gap area{'' if entry['gap_areas'] == 1 else 's'}"
                   f"{extra}")
    click.echo(f"Wrote {', '.join(sorted(p.name for p in run.files.values()))} to {outdir}")
