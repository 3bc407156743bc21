"""The ``yizhan`` command line.

Exit codes: 0 on success, 1 on bad data (the message on stderr names file, row and column), 2 on bad
usage (an unknown option or a bad parameter value).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from geo import coords
from geo.errors import DataFileError, InputError, NetworkError, NotFoundError, YizhanError
from geo.stations import KINDS

CRS_CHOICE = click.Choice(list(coords.CRS_NAMES))
KIND_CHOICE = click.Choice(list(KINDS))


class YizhanGroup(click.Group):
    """Turns yizhan's errors into clear messages and exit codes instead of tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DataFileError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except InputError as exc:
            parameter = f" (parameter {exc.parameter})" if exc.parameter else ""
            click.echo(f"Error{parameter}: {exc}", err=True)
            ctx.exit(2)
        except (NetworkError, NotFoundError, YizhanError) as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


def echo_json(value) -> None:
    """Print JSON with Chinese left readable."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


db_option = click.option(
    "--db", "db_url", metavar="URL",
    help="Database URL or SQLite file (default: $YIZHAN_DB, else yizhan.sqlite in the user data dir).")


@click.group(cls=YizhanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yizhan")
def main():
    """yizhan (驿站): rest stations for outdoor workers — find, map and plan them.

    司机之家 · 环卫工人爱心驿站 · 户外劳动者服务站点
    """


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--crs", type=CRS_CHOICE, default="wgs84", show_default=True,
              help="Coordinate system of the file: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu).")
@db_option
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--skip-invalid", is_flag=True,
              help="Import the good rows and list the bad ones (default: any error imports nothing).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_cmd(file, crs, db_url, dry_run, skip_invalid, as_json):
    """Import a station list (CSV/GBK CSV, XLSX, GeoJSON, GeoPackage) into the registry.

    Re-importing a file updates stations by id; rows without an id get a stable one.
    """
    from geo.registry import Registry
    from geo.stationfiles import read_stations

    result = read_stations(file, crs=crs)
    write = not dry_run and (result.ok or skip_invalid)
    summary = None
    if write and result.stations:
        summary = Registry(db_url).upsert(result.stations, source=f"import {file.name}")
    report = {
        "file": str(file), "rows": result.rows, "valid": len(result.stations),
        "invalid_rows": len({p.row for p in result.problems}),
        "written": bool(summary), "dry_run": dry_run,
        **(summary.as_dict() if summary else {"created": 0, "updated": 0, "unchanged": 0}),
        "problems": [p.as_dict() for p in result.problems],
        "ignored_columns": result.ignored_columns,
    }
    if as_json:
        echo_json(report)
    else:
        click.echo(f"{file}: {result.rows} rows, {len(result.stations)} valid, "
                   f"{report['invalid_rows']} with problems")
        if result.ignored_columns:
            click.echo("Columns not used: " + ", ".join(result.ignored_columns))
        if summary:
            click.echo(f"Imported: {len(summary.created)} new, {len(summary.updated)} updated, "
                       f"{len(summary.unchanged)} unchanged.")
        elif dry_run:
            click.echo("Dry run: nothing written.")
    for problem in result.problems:
        click.echo(f"  {problem}", err=True)
    if result.problems and not skip_invalid:
        if not as_json:
            click.echo("Nothing was imported: fix these problems, or use --skip-invalid.", err=True)
        sys.exit(1)


@main.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@db_option
@click.option("--crs", type=CRS_CHOICE, default="wgs84", show_default=True,
              help="Coordinate system to write.")
@click.option("--kind", "kinds", type=KIND_CHOICE, multiple=True, help="Only these kinds.")
def export_cmd(file, db_url, crs, kinds):
    """Export the registry's stations to FILE: .csv (UTF-8 with BOM), .xlsx, .geojson or .gpkg."""
    from geo.registry import Registry
    from geo.stationfiles import write_stations

    stations = Registry(db_url).stations(kinds=kinds or None)
    write_stations(stations, file, crs=crs)
    click.echo(f"Wrote {len(stations)} stations to {file}")


@main.command("demo")
@click.option("--build-only", is_flag=True, help="Build the demo data and stop.")
def demo_cmd(build_only):
    """Build the demo region (central Helsinki, real OpenStreetMap data) and serve it."""
    click.echo("The demo region and the web app are not part of this version yet. "
               "What works now: `yizhan import FILE` and `yizhan export FILE`.", err=True)
    sys.exit(1)
