"""The ``yizhan`` command line.

Exit codes: 0 on success, 1 on bad data (the message on stderr names file, row and column), 2 on bad
usage (an unknown option or a bad parameter value).

``yizhan --lang zh …`` (or ``YIZHAN_LANG=zh``) says the errors and the import report in Chinese
(文件, 第 N 行, 列); English is the default. The strings are in the ``cli`` and ``errors`` sections
of ``app/i18n/<lang>.json``, rendered by :mod:`app.lang`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.lang import LANGS, say, say_error, say_message, say_problem
from app.tiles import TILE_CHOICES
from geo import coords
from geo.errors import InputError, Message, YizhanError, message_of
from geo.stations import KINDS

CRS_CHOICE = click.Choice(list(coords.CRS_NAMES))


class KindType(click.ParamType):
    """A station kind by id or by the name a union office writes (司机之家, 环卫驿站 …)."""

    name = "kind"

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(KINDS) + "|中文名]"

    def convert(self, value, param, ctx):
        from geo.stations import parse_kind

        try:
            return parse_kind(value)
        except InputError as exc:
            self.fail(say_message(message_of(exc), cli_lang()), param, ctx)


KIND_CHOICE = KindType()


def cli_lang() -> str:
    """The language the command line speaks (``--lang``, else ``$YIZHAN_LANG``, else en)."""
    ctx = click.get_current_context(silent=True)
    return (ctx.find_root().params.get("lang") if ctx else None) or "en"


def usage(key: str, **params) -> click.UsageError:
    """A usage error saying the ``cli`` string ``key`` in the command line's language."""
    return click.UsageError(say(cli_lang(), key, **params))


class SaidUsageError(click.UsageError):
    """A usage error told in a language other than English (click's own words are English)."""

    def __init__(self, error: click.UsageError, language: str):
        super().__init__(_usage_message(error, language), ctx=error.ctx)
        self.language = language

    def show(self, file=None) -> None:
        if self.ctx is not None:
            line = self.ctx.get_usage().replace("Usage: ", say(self.language, "usage"), 1)
            click.echo(line + "\n" + say(
                self.language, "usage_hint", command=self.ctx.command_path), file=file, err=True)
        click.echo(say(self.language, "usage_error", message=self.format_message()), file=file,
                   err=True)


def _usage_message(error: click.UsageError, language: str) -> str:
    if isinstance(error, click.NoSuchOption):
        return say(language, "no_such_option", name=error.option_name)
    hint = (error.param.get_error_hint(error.ctx) if getattr(error, "param", None) is not None
            else getattr(error, "param_hint", None))
    if isinstance(error, click.MissingParameter):
        return say(language, "missing_parameter", name=hint or "")
    if isinstance(error, click.BadParameter) and hint:
        return say(language, "bad_parameter", name=hint, message=error.message)
    return error.message


class YizhanGroup(click.Group):
    """Turns yizhan's errors into clear messages and exit codes instead of tracebacks, in the
    language of ``--lang``."""

    def invoke(self, ctx):
        language = ctx.params.get("lang") or "en"
        try:
            return super().invoke(ctx)
        except YizhanError as exc:
            click.echo(say_error(exc, language), err=True)
            ctx.exit(2 if isinstance(exc, InputError) else 1)
        except click.UsageError as exc:
            if language == "en" or isinstance(exc, SaidUsageError):
                raise
            raise SaidUsageError(exc, language) from None


def echo_json(value) -> None:
    """Print JSON with Chinese left readable."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


db_option = click.option(
    "--db", "db_url", metavar="URL",
    help="Database URL or SQLite file (default: $YIZHAN_DB, else yizhan.sqlite in the user data dir).")


@click.group(cls=YizhanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yizhan")
@click.option("--lang", type=click.Choice(LANGS), envvar="YIZHAN_LANG", default="en",
              show_default=True, help="Language of the messages: en, or zh (中文).")
def main(lang):
    """yizhan (驿站): rest stations for outdoor workers — find, map and plan them.

    司机之家 · 环卫工人爱心驿站 · 户外劳动者服务站点
    """


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--crs", type=CRS_CHOICE, default="wgs84", show_default=True,
              help="Coordinate system of the file: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu).")
@db_option
@click.option("--region", metavar="china|any|W,S,E,N",
              help="Where this deployment's stations lie; a row outside is a problem (are "
                   "longitude and latitude swapped?). Default: $YIZHAN_REGION, else china.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--skip-invalid", is_flag=True,
              help="Import the good rows and list the bad ones (default: any error imports nothing).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_cmd(file, crs, db_url, region, dry_run, skip_invalid, as_json):
    """Import a station list (CSV/GBK CSV, XLSX, GeoJSON, GeoPackage) into the registry.

    Re-importing a file updates stations by id; rows without an id get a stable one. The
    stations are written in batches and appear together, all or none.
    """
    from geo.io.stations import read_stations
    from geo.registry import Registry

    result = read_stations(file, crs=crs, region=region)
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
    language = cli_lang()
    if as_json:
        echo_json(report)
    else:
        click.echo(say(language, "import_summary", file=file, rows=result.rows,
                       valid=len(result.stations), bad=report["invalid_rows"]))
        if result.ignored_columns:
            click.echo(say(language, "import_ignored", columns=", ".join(result.ignored_columns)))
        if summary:
            click.echo(say(language, "import_done", created=len(summary.created),
                           updated=len(summary.updated), unchanged=len(summary.unchanged)))
        elif dry_run:
            click.echo(say(language, "import_dry_run"))
    for problem in result.problems:
        click.echo(f"  {say_problem(problem, language)}", err=True)
    if result.problems and not skip_invalid:
        if not as_json:
            click.echo(say(language, "import_nothing"), err=True)
        sys.exit(1)


@main.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@db_option
@click.option("--crs", type=CRS_CHOICE, default="wgs84", show_default=True,
              help="Coordinate system to write.")
@click.option("--kind", "kinds", type=KIND_CHOICE, multiple=True,
              help="Only these kinds (ids or Chinese names such as 司机之家, 环卫驿站).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="zh: Chinese headers, kinds, services (休息、厕所) and hours (周一至周五 "
                   "9:00-17:00), as union offices write them.")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk", "gb18030"]),
              help="Of a .csv: utf-8 (with a BOM, the default) or gbk/gb18030 for Excel on a "
                   "Chinese Windows.")
def export_cmd(file, db_url, crs, kinds, lang, encoding):
    """Export the registry's stations to FILE: .csv, .xlsx, .geojson or .gpkg.

    Every export reads back with `yizhan import` (with the same --crs). Text a spreadsheet
    would take for a formula (=, +, -, @) is written as text.
    """
    from geo.io.stations import write_stations
    from geo.registry import Registry

    if encoding and file.suffix.lower() != ".csv":
        raise click.BadParameter(say(cli_lang(), "csv_only", name=repr(file.suffix or file.name)),
                                 param_hint="--encoding")
    stations = Registry(db_url).stations(kinds=kinds or None)
    write_stations(stations, file, crs=crs, lang=lang, encoding=encoding or "utf-8")
    click.echo(f"Wrote {len(stations)} stations to {file}")


# --- networks -------------------------------------------------------------------------------------

MODE_CHOICE = click.Choice(["walk", "ebike", "drive"])


@main.group("network")
def network_group():
    """Road networks per travel mode (walk, ebike, drive)."""


@network_group.command("build")
@click.option("--place", help="A place name to download with osmnx (needs the internet).")
@click.option("--bbox", help="W,S,E,N in degrees, downloaded with osmnx (needs the internet).")
@click.option("--osm", "osm_file", type=click.Path(path_type=Path),
              help="An OpenStreetMap file: .osm (XML) or .osm.pbf.")
@click.option("--mode", type=MODE_CHOICE, required=True, help="Travel mode.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The network file to write (.npz).")
def network_build(place, bbox, osm_file, mode, output):
    """Build a road network for one travel mode and save it as one file."""
    import time

    from geo.errors import DownloadError
    from geo.network import build_network

    sources = [x for x in (place, bbox, osm_file) if x]
    if len(sources) != 1:
        raise usage("one_source")
    box = None
    if bbox:
        try:
            box = tuple(float(v) for v in bbox.split(","))
        except ValueError:
            raise click.BadParameter(say(cli_lang(), "bad_bbox", value=repr(bbox)),
                                     param_hint="--bbox") from None
    started = time.perf_counter()
    try:
        net = build_network(place=place, bbox=box, osm=osm_file, mode=mode)
    except DownloadError as exc:
        raise DownloadError(f"{exc}.\nOffline, build from an extract file: yizhan network "
                            f"build --osm FILE.osm.pbf --mode {mode} -o {output}") from exc
    path = net.save(output)
    click.echo(f"{mode} network: {net.n_nodes} nodes, {net.n_edges} edges, built in "
               f"{time.perf_counter() - started:.1f} s; saved to {path}")


def open_network(path: Path, mode: str | None):
    """A network from a saved file, .osm or .osm.pbf; the mode must agree with a saved one."""
    from geo.network import is_osm_file, load_network

    net = load_network(path, mode=(mode or "walk") if is_osm_file(path) else None)
    if mode and net.mode != mode:
        raise InputError(f"`mode` was {mode!r} but {path} is a {net.mode} network",
                         parameter="mode")
    return net


def open_stations(db_url: str | None, stations_file: Path | None, crs: str):
    if stations_file is not None:
        from geo.io.stations import load_stations

        return load_stations(stations_file, crs=crs)
    from geo.registry import Registry

    return Registry(db_url).stations()


@main.command("nearest")
@click.option("--network", "network_path", type=click.Path(path_type=Path), required=True,
              help="Network file: saved (.npz), .osm or .osm.pbf.")
@db_option
@click.option("--stations", "stations_file", type=click.Path(path_type=Path),
              help="Read stations from this file instead of the registry.")
@click.option("--lat", type=float, help="Latitude of the point (with --lon).")
@click.option("--lon", type=float, help="Longitude of the point (with --lat).")
@click.option("--points", "points_file", type=click.Path(path_type=Path),
              help="Many points: CSV/XLSX/GeoJSON with lon,lat[,id].")
@click.option("--crs", type=CRS_CHOICE, default="wgs84", show_default=True,
              help="Coordinate system of the point(s) and of --stations.")
@click.option("--mode", type=MODE_CHOICE, help="Travel mode (default: the network's own; walk "
                                               "for .osm/.pbf files).")
@click.option("--kind", "kinds", type=KIND_CHOICE, multiple=True,
              help="Only these kinds (ids or Chinese names such as 司机之家, 环卫驿站).")
@click.option("--service", "services", multiple=True,
              help="Only stations offering this service (repeat for several; ids or Chinese).")
@click.option("--open-at", help="Only stations open at this time (ISO 8601, Asia/Shanghai "
                                "unless an offset is given).")
@click.option("--open-now", is_flag=True, help="Only stations open now.")
@click.option("--k", type=int, default=3, show_default=True, help="How many stations, 1 to 50.")
@click.option("--max-snap", type=float, help="Maximum distance from the point to the network, "
                                             "metres (default 300).")
@click.option("--route", is_flag=True, help="Include the route (GeoJSON LineString).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="With --points: write the table here (.csv, .json) instead of printing it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def nearest_cmd(network_path, db_url, stations_file, lat, lon, points_file, crs, mode, kinds,
                services, open_at, open_now, k, max_snap, route, output, as_json):
    """The k nearest stations by network distance, with filters applied before k is counted."""
    from geo import settings
    from geo.errors import OffNetworkError
    from geo.nearest import StationFinder
    from geo.stations import parse_services

    if (lat is None) != (lon is None):
        raise usage("lat_and_lon")
    if (lat is None) == (points_file is None):
        raise usage("point_or_points")
    if open_at and open_now:
        raise usage("open_at_or_now")
    wanted = parse_services(list(services)) if services else None
    net = open_network(network_path, mode)
    stations = open_stations(db_url, stations_file, crs)
    # one point: scipy's search, without loading the compiler (many points use the tables)
    finder = StationFinder(net, stations, max_snap_m=max_snap or settings.max_snap_m,
                           compiled=points_file is not None)
    if finder.off_network:  # never silent: the office fixes their coordinates
        names = ", ".join(f"{s.name} ({s.id})" for s in finder.off_network[:10])
        more = " …" if len(finder.off_network) > 10 else ""
        click.echo(f"Note: {len(finder.off_network)} station(s) lie farther than "
                   f"{finder.max_snap_m:.0f} m from the {net.mode} network and were left out: "
                   f"{names}{more}", err=True)
    filters = dict(k=k, kinds=kinds or None, services=wanted, open_at=open_at,
                   open_only=bool(open_at or open_now))
    if points_file is not None:
        from geo.io.points import read_points

        ids, xs, ys = read_points(points_file, crs)
        table = finder.nearest_many(xs, ys, ids=ids, **filters)
        if output is not None:
            if output.suffix.lower() == ".json":
                output.write_text(table.to_json(orient="records", force_ascii=False), "utf-8")
            else:
                table.to_csv(output, index=False, encoding="utf-8-sig")
            click.echo(f"{len(ids)} points, {int((table.status == 'off_network').sum())} off "
                       f"network; wrote {len(table)} rows to {output}")
        elif as_json:
            click.echo(table.to_json(orient="records", force_ascii=False))
        else:
            click.echo(table.to_csv(index=False), nl=False)
        return
    x, y = coords.to_wgs84(lon, lat, crs)
    try:
        hits = finder.nearest(float(x), float(y), route=route, **filters)
    except OffNetworkError as exc:
        click.echo(say_error(exc, cli_lang()), err=True)
        sys.exit(1)
    if as_json:
        echo_json([h.as_dict() for h in hits])
        return
    if not hits:
        click.echo("No station matches within reach.")
    for h in hits:
        s = h.station
        state = {True: "开放 open", False: "关闭 closed", None: "时间未知 hours unknown"}[h.open]
        click.echo(f"{h.rank}. {s.name}  [{KINDS[s.kind][0]} {KINDS[s.kind][1]}]  "
                   f"{h.distance_m:,.0f} m, {h.duration_s / 60:.1f} min, {state}")
        if route and h.route:
            click.echo(f"   route: {len(h.route)} points")


# --- coverage -------------------------------------------------------------------------------------

def analysis_inputs(network_paths, db_url, stations_file, demand_file, crs, groups_file, *,
                    wanted=(), kind=None):
    """Stations and the opened inputs (:func:`geo.workflow.open_inputs`) of `coverage` and
    `plan`."""
    from geo.groups import load_groups
    from geo.workflow import open_inputs

    groups = load_groups(groups_file)
    stations = open_stations(db_url, stations_file, crs)
    inputs = open_inputs(network_paths, demand_file, crs=crs, groups=groups,
                         wanted=wanted or None, kind=kind)
    return stations, inputs


@main.command("coverage")
@click.option("--network", "network_paths", type=click.Path(path_type=Path), multiple=True,
              required=True, help="Network file(s): one saved .npz per mode, or one .osm/.pbf.")
@db_option
@click.option("--stations", "stations_file", type=click.Path(path_type=Path),
              help="Read stations from this file instead of the registry.")
@click.option("--demand", "demand_file", type=click.Path(path_type=Path), required=True,
              help="Worker density: CSV/XLSX/GeoJSON/GPKG with lon, lat, weight (人数), group (群体)"
                   "; polygons with counts are spread over the streets.")
@click.option("--crs", type=CRS_CHOICE, default="wgs84", show_default=True,
              help="Coordinate system of the demand and stations files.")
@click.option("--group", "wanted", multiple=True, help="Only these worker groups.")
@click.option("--groups", "groups_file", type=click.Path(path_type=Path),
              help="TOML file overriding the worker groups.")
@click.option("--minutes", type=float, help="One travel budget for all groups, minutes.")
@click.option("--meters", type=float, help="A distance budget for all groups, metres.")
@click.option("--at", help="Count stations open at HH:MM (Asia/Shanghai) or an ISO time.")
@click.option("--by-hour", is_flag=True, help="Coverage for each hour of the day.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]),
              help="The day for --at HH:MM and --by-hour (default today).")
@click.option("--districts", type=click.Path(path_type=Path),
              help="Polygons with a name column (GeoJSON/GPKG): coverage per district.")
@click.option("--h3-res", type=int, help="Aggregate demand to H3 cells of this resolution.")
@click.option("--access", "with_access", is_flag=True,
              help="Also compute 2SFCA/E2SFCA accessibility per demand cell.")
@click.option("-o", "--outdir", type=click.Path(path_type=Path),
              help="Write GeoPackage, CSV, charts and an HTML map here.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def coverage_cmd(network_paths, db_url, stations_file, demand_file, crs, wanted, groups_file,
                 minutes, meters, at, by_hour, day, districts, h3_res, with_access, outdir,
                 as_json):
    """Which workers no station serves: coverage by group, district and hour; gap areas."""
    from geo.io.districts import read_districts
    from geo.workflow import coverage_report

    if at and by_hour:
        raise usage("at_or_by_hour")
    stations, inputs = analysis_inputs(network_paths, db_url, stations_file, demand_file, crs,
                                       groups_file, wanted=wanted)
    groups = inputs.groups
    district_frame = read_districts(districts) if districts is not None else None
    with click.progressbar(length=len(inputs.chosen) + 2, label="coverage", file=sys.stderr,
                           hidden=as_json) as bar:
        result, files = coverage_report(
            inputs, stations, outdir=outdir, minutes=minutes, meters=meters, at=at,
            by_hour=by_hour, day=day.date() if day else None, h3_res=h3_res,
            districts=district_frame, with_access=with_access,
            progress=lambda _: bar.update(1))
    if outdir is not None and not as_json:
        click.echo("Wrote " + ", ".join(sorted(p.name for p in files.values())) + f" to {outdir}")
    if as_json:
        echo_json(result.summary)
        return
    unit = "min" if result.unit == "minutes" else "m"
    for gid, e in result.summary["groups"].items():
        line = (f"{e['zh']} {gid}: {e['covered']:,.0f} of {e['total']:,.0f} workers covered "
                f"({e['share']:.1%}) within {e['budget']:g} {unit} by {e['mode']}")
        if e["off_network"]:
            line += f"; {e['off_network']:,.0f} off the network"
        click.echo(line)
        if "by_hour" in e:
            # the lowest hour the group is at work (off shift no one needs a station)
            hours = [h for h in range(24) if groups[gid].works_at(h)] or list(range(24))
            low = min(hours, key=lambda h: e["by_hour"][h])
            click.echo(f"    lowest at {low:02d}:30 on shift — {e['by_hour'][low]:.1%}")
    for mode, ids in result.summary.get("stations_off_network", {}).items():
        if ids:
            click.echo(f"{len(ids)} station(s) lie off the {mode} network and were left out: "
                       + ", ".join(ids[:10]) + (" …" if len(ids) > 10 else ""))
    gaps = result.summary["gaps"]
    click.echo(f"{len(gaps)} gap areas" + (":" if gaps else "."))
    for g in gaps[:5]:
        click.echo(f"  #{g['rank']}: {g['workers']:,.0f} workers near ({g['lon']:.5f}, "
                   f"{g['lat']:.5f}), {g['cells']} cells")


# --- siting ---------------------------------------------------------------------------------------

@main.command("plan")
@click.option("--network", "network_paths", type=click.Path(path_type=Path), multiple=True,
              required=True, help="Network file(s): one saved .npz per mode, or one .osm/.pbf.")
@db_option
@click.option("--stations", "stations_file", type=click.Path(path_type=Path),
              help="Read the existing stations from this file instead of the registry.")
@click.option("--demand", "demand_file", type=click.Path(path_type=Path), required=True,
              help="Worker density (as for `yizhan coverage`).")
@click.option("--candidates", "candidates_file", type=click.Path(path_type=Path),
              help="Candidate sites (CSV/XLSX/GeoJSON/GPKG: lon, lat[, id, name, cost, capacity]). "
                   "Default: road nodes spread over the uncovered workers.")
@click.option("--osm-candidates", type=click.Path(path_type=Path),
              help="Candidate sites at OSM venues (banks, fuel stations, shops …) of this file.")
@click.option("--crs", type=CRS_CHOICE, default="wgs84", show_default=True,
              help="Coordinate system of the input files, and of the proposal's CSV/XLSX "
                   "written with -o (gcj02 for Amap, bd09 for Baidu).")
@click.option("--kind", type=KIND_CHOICE, default="outdoor_rest_point", show_default=True,
              help="The kind of the new stations (id or Chinese name, e.g. 户外劳动者驿站).")
@click.option("--group", "wanted", multiple=True, help="Only these worker groups.")
@click.option("--groups", "groups_file", type=click.Path(path_type=Path),
              help="TOML file overriding the worker groups.")
@click.option("--minutes", type=float, help="One travel budget for all groups, minutes.")
@click.option("--at", help="Plan for this time: the existing stations open then (HH:MM "
                           "Asia/Shanghai today, or an ISO time). Default: all counted open.")
@click.option("--add", type=int, help="Open this many new stations (maximal covering).")
@click.option("--target", help="Fewest new stations covering this share of the workers of the "
                               "groups planned for (together): 0.9 or 90 (%).")
@click.option("--budget", type=float, help="Most coverage for this total candidate cost.")
@click.option("--capacity", "capacitated", is_flag=True,
              help="With --add: a station serves at most its capacity.")
@click.option("--curve", type=int, help="Also the covered share for 1..N new stations.")
@click.option("--time-limit", type=float,
              help="Solver time limit, seconds (default 60: geo.settings.plan_time_limit_s).")
@click.option("-o", "--outdir", type=click.Path(path_type=Path),
              help="Write the proposal (GeoJSON, CSV, XLSX), the curve (PNG) and a map here.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan_cmd(network_paths, db_url, stations_file, demand_file, candidates_file, osm_candidates,
             crs, kind, wanted, groups_file, minutes, at, add, target, budget, capacitated,
             curve, time_limit, outdir, as_json):
    """Where the next stations should go, with the existing ones kept.

    Worker counts are printed as whole workers; --json and the files keep the exact weights.
    """
    from geo.siting.planning import parse_target
    from geo.workflow import candidate_sites, plan_report

    if sum(x is not None for x in (add, target, budget)) != 1:
        raise usage("one_goal")
    if candidates_file and osm_candidates:
        raise usage("candidates_one")
    if capacitated and add is None:
        raise usage("capacity_with_add")
    if target is not None:
        try:
            target = parse_target(target)
        except InputError as exc:
            raise click.UsageError(str(exc).replace("`target`", "--target")) from None
    stations, inputs = analysis_inputs(network_paths, db_url, stations_file, demand_file, crs,
                                       groups_file, wanted=wanted, kind=kind)
    groups = inputs.groups
    candidates = None
    if candidates_file:
        candidates = candidate_sites("file", path=candidates_file, crs=crs)
    elif osm_candidates:
        candidates = candidate_sites("venues", path=osm_candidates)
    run, files = plan_report(inputs, stations, kind=kind, outdir=outdir, crs=crs,
                             minutes=minutes, at=at, add=add, target=target, budget=budget,
                             capacitated=capacitated, curve=curve, candidates=candidates,
                             time_limit=time_limit)
    if run.already_met or (run.plan is None and candidates is None):
        # an answer, not a mistake: the target is met, or everyone reachable is covered
        if as_json:
            echo_json(run.as_json())
        elif run.already_met:
            click.echo(run.note[0].upper() + run.note[1:] + ".")
        else:
            click.echo(f"There is nothing to plan: {run.note}.")
        return
    if run.plan is None:
        raise InputError(f"there is nothing to plan: {run.note}", parameter="candidates")
    result = run.plan
    if outdir is not None and not as_json:
        click.echo("Wrote " + ", ".join(sorted(p.name for p in files.values())) + f" to {outdir}")
    if as_json:
        echo_json(run.as_json())
        return
    r = result.result
    state = "optimal" if r.optimal else f"gap {r.gap:.2%}"
    when = "every station counted open" if run.at is None else f"at {run.at:%H:%M}"
    names = ", ".join(f"{groups[g].zh} {g}" for g in run.groups)
    goal = "" if run.target is None else f"; target {run.target:.1%} of their workers together"
    click.echo(f"For {names} ({when}{goal}):")
    click.echo(f"{len(result.sites)} new {KINDS[kind][0]} {KINDS[kind][1]} sites "
               f"({result.model}, {state}, {len(run.candidates)} candidates):")
    for site in result.sites.itertuples():
        click.echo(f"  {site.rank}. {site.name} ({site.lon:.6f}, {site.lat:.6f}) — "
                   f"+{site.newly_covered:,.0f} workers")
    for gid in result.before:
        gained = (result.after[gid] - result.before[gid]) * run.totals[gid]
        click.echo(f"  {groups[gid].zh} {gid}: {result.before[gid]:.1%} → {result.after[gid]:.1%}"
                   f" (+{gained:,.0f} of {run.totals[gid]:,.0f} workers)")
    for point in result.curve or []:
        click.echo(f"  curve: {point['new_stations']} new → {point['share']:.1%}")


# --- province batch -------------------------------------------------------------------------------

@main.command("batch")
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
    from tqdm import tqdm

    from geo.batch import batch_options, read_regions, run_batch

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
    if run.failed:
        click.echo(f"{len(run.failed)} region(s) failed: "
                   + "; ".join(f"{e['name']}: {e['error']}" for e in run.failed), err=True)
        sys.exit(1)


def data_dir_option(function):
    return click.option(
        "--data-dir", type=click.Path(path_type=Path),
        help="Where the demo data lives (default: the user data dir, e.g. ~/.local/share/yizhan).",
    )(function)


def serve_options(function):
    for option in reversed([
        click.option("--host", default="127.0.0.1", show_default=True,
                     help="Address to listen on (0.0.0.0: the whole local network)."),
        click.option("--port", default=5000, show_default=True, type=int, help="Port."),
        click.option("--tiles", type=click.Choice(TILE_CHOICES),
                     help="Basemap tiles (default none: the street network is drawn; "
                          "tianditu needs YIZHAN_TIANDITU_KEY)."),
        click.option("--workers", default=1, show_default=True, type=int,
                     help="Server processes (about one per CPU core)."),
        click.option("--trusted-proxy", "trusted_proxies", type=click.IntRange(min=0),
                     help="How many reverse proxies in front set X-Forwarded-For/-Proto/-Host "
                          "(default 0: ignore those headers; $YIZHAN_TRUSTED_PROXIES)."),
        click.option("--https", is_flag=True, default=None,
                     help="Mark the session cookie Secure always (it is on every HTTPS "
                          "request anyway; $YIZHAN_HTTPS)."),
    ]):
        function = option(function)
    return function


@main.command("demo")
@click.option("--build-only", is_flag=True, help="Build the demo data and stop.")
@data_dir_option
@click.option("--region", "region_id", type=click.Choice(["chengdu", "shanghai", "helsinki"]),
              help="A real region shipped with yizhan (OpenStreetMap); default chengdu, or the "
                   "region already built in the data dir.")
@click.option("--osm", "osm_file", type=click.Path(path_type=Path),
              help="Build from this .osm/.osm.pbf extract instead.")
@click.option("--place", help="Build from a place downloaded with osmnx (needs the internet).")
@click.option("--rebuild", is_flag=True, help="Build again even when the data is there.")
@serve_options
def demo_cmd(build_only, data_dir, region_id, osm_file, place, rebuild, host, port, tiles,
             workers, trusted_proxies, https):
    """Build the demo region (central Chengdu, real OpenStreetMap data, 2018) and serve it.

    Each start gives the demo planner account `demo` a new password and prints it once.

    演示区域：成都中心城区的真实 OpenStreetMap 数据（2018 年），站点与劳动者分布均为演示数据。
    """
    import time

    from geo.demo import DemoRegion, build_demo
    from geo.registry import default_data_dir

    if osm_file and place:
        raise usage("osm_or_place")
    if not build_only:  # a taken port is said before minutes of building
        from app import check_port

        check_port(host, port)
    region = DemoRegion(Path(data_dir) if data_dir else default_data_dir())
    built = region.manifest().get("region") if region.is_built() else None
    if (rebuild or osm_file or place or not region.is_built()
            or (region_id is not None and built != region_id)):
        started = time.perf_counter()
        click.echo(f"Building the demo region in {region.data_dir} …", err=True)
        build_demo(region.data_dir, region_id=region_id or built or "chengdu", osm=osm_file,
                   place=place,
                   progress=lambda m: click.echo(
                       f"  {time.perf_counter() - started:5.1f} s  {m}", err=True))
        click.echo(f"Built in {time.perf_counter() - started:.1f} s.", err=True)
    manifest = region.manifest()
    year = f", {manifest['year']}" if manifest.get("year") else ""
    click.echo(f"Demo region {manifest.get('city', '')} ({manifest['label']}, "
               f"OpenStreetMap{year}) from {manifest['source']} in {region.data_dir}")
    for mode, info in manifest["networks"].items():
        click.echo(f"  {mode:5} network: {info['nodes']:,} nodes, {info['edges']:,} edges")
    per_km2 = manifest.get("stations_per_km2")
    click.echo(f"  {manifest['stations']} demo stations"
               + (f" ({per_km2} per km² over {manifest['area_km2']} km²)" if per_km2 else "")
               + f" in {region.db_url}")
    workers_count = manifest["demand"]["workers"]
    total = sum(workers_count.values())
    counts = ", ".join(f"{g} {w:,.0f}" for g, w in workers_count.items())
    click.echo(f"  workers (estimated from OpenStreetMap): {total:,.0f} ({counts})")
    for hour, shares in manifest.get("coverage", {}).get("at", {}).items():
        text = ", ".join(f"{g} {v:.1%}" for g, v in shares.items())
        click.echo(f"  covered at {hour} within each group's own budget: {text}")
    gaps = manifest.get("coverage", {}).get("gaps_10:00")
    if gaps is not None:
        click.echo(f"  gap areas at 10:00: {gaps}")
    if build_only:
        return
    password = _demo_planner(region.db_url)
    click.echo(say(cli_lang(), "demo_planner", user=DEMO_USER, password=password))
    _serve(region.data_dir, None, None, host, port, tiles, workers, trusted_proxies, https)


#: The demo's planner account.
DEMO_USER = "demo"


def _demo_planner(db_url: str) -> str:
    """A new password for the demo planner account (made on first use); its old sessions end."""
    import secrets

    from app.accounts import Accounts
    from geo.errors import NotFoundError as NoUser
    from geo.registry import Registry

    accounts = Accounts(Registry(db_url))
    password = secrets.token_urlsafe(12)
    try:
        accounts.set_password(DEMO_USER, password)
        accounts.set_disabled(DEMO_USER, False)
    except NoUser:
        accounts.add(DEMO_USER, password, display_name="演示规划员 demo planner")
    accounts.engine.dispose()
    return password


def _serve(data_dir, db_url, networks, host, port, tiles, workers, trusted_proxies, https):
    from app import serve

    serve(data_dir=data_dir, db_url=db_url, networks=networks, host=host, port=port,
          tiles=tiles, workers=workers, trusted_proxies=trusted_proxies, https=https)


@main.command("serve")
@data_dir_option
@db_option
@click.option("--network", "network_paths", type=click.Path(path_type=Path), multiple=True,
              help="Network files: saved .npz (one per mode), or an .osm/.osm.pbf file for all "
                   "three modes (default: the saved ones in the data dir).")
@serve_options
def serve_cmd(data_dir, db_url, network_paths, host, port, tiles, workers, trusted_proxies,
              https):
    """Serve the worker finder (/), the planner view (/plan) and the JSON API (/api).

    Under granian, a production HTTP server. 工人找站、规划人员视图与 JSON 接口。 Planners sign
    in with accounts made by `yizhan user add`.
    """
    from app import check_port
    from geo.network import MODES, is_osm_file, load_network

    check_port(host, port)

    networks = None
    for path in network_paths:
        networks = networks or {}
        if is_osm_file(path):
            networks.update({mode: str(path) for mode in MODES if mode not in networks})
        else:
            networks[load_network(path).mode] = str(path)
    _serve(data_dir, db_url, networks, host, port, tiles, workers, trusted_proxies, https)


# --- planner accounts -----------------------------------------------------------------------------

#: The environment variable a password may come from (never from the command line itself).
PASSWORD_ENV = "YIZHAN_PASSWORD"
ROLE_CHOICE = click.Choice(["planner", "admin"])
password_file_option = click.option(
    "--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Read the password from the first line of this file (else ${PASSWORD_ENV}, else a "
         "hidden prompt, asked twice).")


def read_password(password_file: Path | None) -> str:
    """The new password: from ``--password-file``, else $YIZHAN_PASSWORD, else a hidden
    prompt asked twice. Never an argument: the command line shows in `ps` and shell history."""
    import os

    from app.accounts import check_password

    language = cli_lang()
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8-sig").splitlines()
        password = lines[0] if lines else ""
        where = ("password_from_file", {"file": password_file})
    elif os.environ.get(PASSWORD_ENV):
        password, where = os.environ[PASSWORD_ENV], ("password_from_env", {"name": PASSWORD_ENV})
    else:
        password = click.prompt(say(language, "password_prompt"), hide_input=True,
                                confirmation_prompt=say(language, "password_repeat"))
        where = ("password_from_prompt", {})
    try:
        return check_password(password)
    except InputError as exc:
        english = f"{exc} (from {say('en', where[0], **where[1])})"
        problem, place = say_message(message_of(exc), language), say(language, where[0], **where[1])
        raise InputError(Message(english, "password_from", problem=problem, where=place),
                         parameter="password") from exc


def open_accounts(db_url: str | None):
    from app.accounts import Accounts
    from geo.registry import Registry

    return Accounts(Registry(db_url))


def role_label(role: str) -> str:
    from app.accounts import ROLES

    return ROLES[role][0 if cli_lang() == "zh" else 1]


@main.group("user")
def user_group():
    """Planner accounts (规划人员账号) for the planner view's sign-in.

    Passwords come from a hidden prompt, --password-file or $YIZHAN_PASSWORD, never from the
    command line.
    """


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICE, default="planner", show_default=True,
              help="planner: edits stations and reads reports; admin: also lists the accounts.")
@click.option("--display-name", default="", help="The name the planner view shows (e.g. 李明).")
@password_file_option
@db_option
def user_add(name, role, display_name, password_file, db_url):
    """Add an account NAME that signs in to the planner view."""
    from app.accounts import check_name, taken

    accounts = open_accounts(db_url)
    name = check_name(name)
    if name in {u.name for u in accounts.users()}:  # before asking for a password
        raise taken(name)
    user = accounts.add(name, read_password(password_file), role=role,
                        display_name=display_name)
    display = f" ({user.display_name})" if user.display_name else ""
    click.echo(say(cli_lang(), "user_added", role=role_label(user.role), name=user.name,
                   display=display))


@user_group.command("passwd")
@click.argument("name")
@password_file_option
@db_option
def user_passwd(name, password_file, db_url):
    """Set a new password for NAME; every session of NAME ends."""
    accounts = open_accounts(db_url)
    accounts.get(name)
    ended = accounts.set_password(name, read_password(password_file))
    click.echo(say(cli_lang(), "user_passwd", name=name, n=ended))


@user_group.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@db_option
def user_disable(name, enable, db_url):
    """Disable the account NAME (it can no longer sign in; its sessions end)."""
    ended = open_accounts(db_url).set_disabled(name, not enable)
    language = cli_lang()
    click.echo(say(language, "user_enabled", name=name) if enable
               else say(language, "user_disabled", name=name, n=ended))


@user_group.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def user_list(db_url, as_json):
    """The accounts: name, role, display name, disabled or not."""
    users = open_accounts(db_url).users()
    if as_json:
        echo_json([u.as_dict() for u in users])
        return
    language = cli_lang()
    if not users:
        click.echo(say(language, "users_none"))
    for u in users:
        state = "  " + say(language, "user_disabled_mark") if u.disabled else ""
        click.echo(f"{u.name:20} {u.role:8} {u.display_name}{state}")
