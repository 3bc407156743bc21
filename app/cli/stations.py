"""``yizhan import`` and ``yizhan export``: station lists in and out of the registry."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from app.cli._common import (
    CRS_CHOICE,
    KIND_CHOICE,
    cli_lang,
    db_option,
    echo_json,
    note_deprecated,
    renamed_option,
)
from app.lang import say, say_message, say_problem
from geo import coords, settings
from geo.catalogue import load_catalogue, use_catalogue
from geo.errors import InputError, message_of
from geo.io.stations import ZH_HEADERS, read_stations, unreadable_text, write_stations
from geo.registry import Registry
from geo.stations import parse_kind


def checked_bounds(bounds: str | None) -> str | None:
    """``--bounds`` checked when given; when not, a note if the deployment's bounds come from
    the deprecated ``$YIZHAN_REGION``."""
    if bounds is None:
        if (not os.environ.get(settings.bounds_env_var)
                and os.environ.get(settings.bounds_env_var_deprecated)):
            note_deprecated(f"${settings.bounds_env_var_deprecated}", f"${settings.bounds_env_var}")
        return None
    try:
        coords.deployment_area(bounds)
    except InputError as exc:
        raise click.BadParameter(str(exc).replace("`region`", "--bounds"),
                                 param_hint="--bounds") from None
    return bounds


def _deployment_kinds(db_url: str | None) -> None:
    """Use the deployment's own kinds and service words (``$YIZHAN_CATALOGUE`` and those stored
    in the database, :mod:`geo.catalogue`), so its rows and stations read and write."""
    registry = Registry(db_url)
    try:
        use_catalogue(load_catalogue(engine=registry.engine))
    finally:
        registry.engine.dispose()


def _kind(value: str | None, option: str = "--kind") -> str | None:
    """A ``--kind`` value read once the deployment's kinds are in place
    (:func:`_deployment_kinds`), so a kind of its own is one too; a bad one is a usage error."""
    if value is None:
        return None
    try:
        return parse_kind(value)
    except InputError as exc:
        raise click.BadParameter(say_message(message_of(exc), cli_lang()),
                                 param_hint=option) from None


def _in_org(result, file: Path, org: str, db_url: str | None):
    """``result`` with each row outside organisation ``org``'s area (or moving a station from
    outside it) a problem of its row (:func:`app.orgs.outside_rows`)."""
    from app.orgs import Orgs, outside_rows
    from geo.io.stations import HEADER_ALIASES
    from geo.io.tables import read_table

    registry = Registry(db_url)
    try:
        orgs = Orgs(registry)
        found = orgs.get(org)
        rows = [r for r, _ in read_table(file, known=HEADER_ALIASES).rows]
        return outside_rows(result, rows, lambda lon, lat: orgs.covers(found.id, lon, lat),
                            found, registry.stations())
    finally:
        registry.engine.dispose()


#: The metavar of a --kind read after the catalogue (:func:`_kind`).
KIND_METAVAR = KIND_CHOICE.get_metavar(None)


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--crs", type=CRS_CHOICE, default=None,
              help="Coordinate system of the file: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu). "
                   "Default: the system the coordinate headers name (gcj02_lon, 高德经度, "
                   "百度纬度 …), else wgs84.")
@click.option("--kind", "kind", metavar=KIND_METAVAR, default=None,
              help="Kind of the rows without one (no kind column, or an empty cell), unless "
                   "the station's name says it (XX司机之家, XX工会驿站): an id or a name such "
                   "as 工会驿站, 环卫驿站, 司机之家, or a kind of the deployment's own "
                   "($YIZHAN_CATALOGUE, the planner view).")
@db_option
@renamed_option("--bounds", "bounds", old="--region", metavar="china|any|W,S,E,N",
                help="Where this deployment's stations lie; a row outside is a problem (are "
                     "longitude and latitude swapped?). Default: $YIZHAN_BOUNDS, else china.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--skip-invalid", is_flag=True,
              help="Import the good rows and list the bad ones (default: any error imports "
                   "nothing).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--org", default=None, help="The organisation importing (yizhan org list): a row "
                                          "outside its area is a problem naming it.")
def import_cmd(file, crs, kind, db_url, bounds, dry_run, skip_invalid, as_json, org):
    """Import a station list (CSV/GBK CSV, XLSX, GeoJSON, GeoPackage) into the registry.

    Re-importing a file updates stations by id; rows without an id get a stable one. The
    stations are written in batches and appear together, all or none. Service words outside
    the vocabulary are kept as written, hours that cannot be read go to the notes, kinds are
    read from names that say them: each is reported as a warning, never refused.
    """
    _deployment_kinds(db_url)
    result = read_stations(file, crs=crs, kind=_kind(kind), region=checked_bounds(bounds))
    if org is not None:
        result = _in_org(result, file, org, db_url)
    write = not dry_run and (result.ok or skip_invalid)
    summary = None
    if write and result.stations:
        summary = Registry(db_url).upsert(result.stations, source=f"import {file.name}",
                                          on_wait=_waiting_note(cli_lang()))
    report = {
        "file": str(file), "rows": result.rows, "valid": len(result.stations),
        "invalid_rows": len({p.row for p in result.problems}),
        "written": bool(summary), "dry_run": dry_run,
        **(summary.as_dict() if summary else {"created": 0, "updated": 0, "unchanged": 0}),
        "problems": [p.as_dict() for p in result.problems],
        "ignored_columns": result.ignored_columns,
        "warnings": [w.as_dict() for w in result.warnings],
        "crs": result.crs, "columns": result.columns,
    }
    language = cli_lang()
    if as_json:
        echo_json(report)
    else:
        click.echo(say(language, "import_summary", file=file, rows=result.rows,
                       valid=len(result.stations), bad=report["invalid_rows"]))
        if result.ignored_columns:
            click.echo(say(language, "import_ignored", columns=", ".join(result.ignored_columns)))
        for warning in result.warnings:
            click.echo("  " + say(language, "import_warning",
                                  warning=say_message(warning.message, language)))
        if summary:
            click.echo(say(language, "import_done", created=len(summary.created),
                           updated=len(summary.updated), unchanged=len(summary.unchanged)))
        elif dry_run:
            click.echo(say(language, "import_dry_run"))
    for problem in result.problems:
        click.echo(f"  {say_problem(problem, language)}", err=True)
    if any(getattr(p.message, "key", None) == "missing_columns"
           and "kind" in p.message.params["columns"].split(", ") for p in result.problems):
        click.echo(say(language, "import_kind_hint"), err=True)
    if result.problems and not skip_invalid:
        if not as_json:
            click.echo(say(language, "import_nothing"), err=True)
        sys.exit(1)


def _waiting_note(language: str):
    """``on_wait`` of an import: says once, on stderr, that it waits for others' edits."""
    said: list[float] = []

    def note(waited: float) -> None:
        if not said:
            said.append(waited)
            click.echo(say(language, "import_waiting", seconds=f"{settings.import_wait_s:.0f}"),
                       err=True)

    return note


@click.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@db_option
@click.option("--crs", type=CRS_CHOICE, default="wgs84", show_default=True,
              help="Coordinate system to write.")
@click.option("--kind", "kinds", metavar=KIND_METAVAR, multiple=True,
              help="Only these kinds (ids or Chinese names such as 司机之家, 环卫驿站, or the "
                   "deployment's own).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="zh: Chinese headers, kinds, services (休息、厕所) and hours (周一至周五 "
                   "9:00-17:00), as union offices write them.")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk", "gb18030"]),
              help="Of a .csv: utf-8 (with a BOM, the default) or gbk/gb18030 for Excel on a "
                   "Chinese Windows.")
def export_cmd(file, db_url, crs, kinds, lang, encoding):
    """Export the registry's stations to FILE: .csv, .xlsx, .geojson or .gpkg.

    Every export reads back with `yizhan import` (with the same --crs). Text a spreadsheet
    would take for a formula (=, +, -, @) is written as text. Stations holding text the import
    refuses (from a database written before the text rules) are listed, and nothing is
    written (exit 1).
    """
    language = cli_lang()
    if encoding and file.suffix.lower() != ".csv":
        raise click.BadParameter(say(language, "csv_only", name=repr(file.suffix or file.name)),
                                 param_hint="--encoding")
    _deployment_kinds(db_url)
    kinds = [_kind(k) for k in kinds]
    stations = Registry(db_url).stations(kinds=kinds or None)
    unreadable = unreadable_text(stations)
    for station_id, field, message in unreadable:
        click.echo("  " + say(language, "export_station_problem", id=repr(station_id),
                              field=ZH_HEADERS[field] if language == "zh" else field,
                              problem=say_message(message, language)), err=True)
    if unreadable:
        click.echo(say(language, "export_nothing", file=file), err=True)
        sys.exit(1)
    write_stations(stations, file, crs=crs, lang=lang, encoding=encoding or "utf-8")
    click.echo(f"Wrote {len(stations)} stations to {file}")
