"""``yizhan coverage`` and ``yizhan plan``: which workers no station serves, and where the next
stations should go."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from app.cli._common import (
    CRS_CHOICE,
    KIND_CHOICE,
    cli_lang,
    db_option,
    echo_json,
    group_options,
    usage,
)
from app.cli._inputs import open_stations
from app.lang import say
from geo.errors import InputError
from geo.groups import load_groups
from geo.io.districts import read_districts
from geo.siting.planning import parse_target
from geo.stations import KINDS
from geo.workflow import candidate_sites, coverage_report, open_inputs, plan_report


def analysis_inputs(network_paths, db_url, stations_file, demand_file, crs, groups_file, *,
                    wanted=(), kind=None):
    """Stations and the opened inputs (:func:`geo.workflow.open_inputs`) of `coverage` and
    `plan`."""
    groups = load_groups(groups_file)
    stations = open_stations(db_url, stations_file, crs)
    inputs = open_inputs(network_paths, demand_file, crs=crs, groups=groups,
                         wanted=wanted or None, kind=kind)
    return stations, inputs


#: How the output names a coordinate system.
_CRS_LABELS = {"wgs84": "WGS-84", "gcj02": "GCJ-02 (Amap/Tencent)", "bd09": "BD-09 (Baidu)"}


def input_crs_option(what: str):
    """``--input-crs`` (the coordinate system of the input files, default wgs84) and its former
    name ``--crs``, hidden, which still sets the inputs' only and says so on stderr."""

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is not None:
            click.echo(say(cli_lang(), "crs_is_input", crs=value), err=True)
            ctx.meta["deprecated --crs"] = value

    def take(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
        return value or ctx.meta.get("deprecated --crs") or "wgs84"

    def decorate(function):
        function = click.option("--crs", "crs_deprecated", type=CRS_CHOICE, hidden=True,
                                expose_value=False, callback=remember)(function)
        return click.option("--input-crs", "input_crs", type=CRS_CHOICE, callback=take,
                            help=f"Coordinate system of {what} [default: wgs84]: gcj02 for "
                                 "Amap/Tencent, bd09 for Baidu; converted to WGS-84 on "
                                 "reading (said in the output).")(function)

    return decorate


def say_converted(input_crs: str, files, *, as_json: bool) -> None:
    """One line naming the input files read in GCJ-02 or BD-09 and converted to WGS-84 (on
    stderr when stdout is JSON); nothing for WGS-84 input."""
    names = [Path(f).name for f in files if f is not None]
    if input_crs == "wgs84" or not names:
        return
    click.echo(say(cli_lang(), "inputs_converted", files=", ".join(names),
                   crs=_CRS_LABELS[input_crs]), err=as_json)


def network_options(function):
    """``--network`` (one or more files), ``--db`` and ``--stations`` of `coverage` and `plan`."""
    for option in reversed([
        click.option("--network", "network_paths", type=click.Path(path_type=Path),
                     multiple=True, required=True,
                     help="Network file(s): one saved .npz per mode, or one .osm/.pbf."),
        db_option,
    ]):
        function = option(function)
    return function


@click.command("coverage")
@network_options
@click.option("--stations", "stations_file", type=click.Path(path_type=Path),
              help="Read stations from this file instead of the registry.")
@click.option("--demand", "demand_file", type=click.Path(path_type=Path), required=True,
              help="Worker density: CSV/XLSX/GeoJSON/GPKG with lon, lat, weight (人数), "
                   "group (群体); polygons with counts are spread over the streets.")
@input_crs_option("the demand and stations files")
@group_options
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
def coverage_cmd(network_paths, db_url, stations_file, demand_file, input_crs, wanted,
                 groups_file, minutes, meters, at, by_hour, day, districts, h3_res, with_access,
                 outdir, as_json):
    """Which workers no station serves: coverage by group, district and hour; gap areas."""
    if at and by_hour:
        raise usage("at_or_by_hour")
    stations, inputs = analysis_inputs(network_paths, db_url, stations_file, demand_file,
                                       input_crs, groups_file, wanted=wanted)
    say_converted(input_crs, [stations_file, demand_file], as_json=as_json)
    district_frame = read_districts(districts) if districts is not None else None
    with _progress_bar("coverage", len(inputs.chosen) + 2) as step:
        result, files = coverage_report(
            inputs, stations, outdir=outdir, minutes=minutes, meters=meters, at=at,
            by_hour=by_hour, day=day.date() if day else None, h3_res=h3_res,
            districts=district_frame, with_access=with_access, progress=step)
    if outdir is not None and not as_json:
        click.echo("Wrote " + ", ".join(sorted(p.name for p in files.values())) + f" to {outdir}")
    if as_json:
        echo_json(result.summary)
    else:
        _say_coverage(result, inputs.groups)


@contextmanager
def _progress_bar(label: str, steps: int):
    """A progress bar on stderr while an analysis runs, advanced by each message of its
    ``progress`` callback (which it shows): only when stderr is a terminal, so piped and
    redirected output stays as it is."""
    if not sys.stderr.isatty():
        yield lambda message: None
        return
    with click.progressbar(length=steps, label=label, file=sys.stderr,
                           item_show_func=lambda item: item) as bar:
        yield lambda message: bar.update(1, message)


def _say_coverage(result, groups) -> None:
    """The coverage of each group, the stations left out and the largest gap areas."""
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
    for g in gaps[:5]:  # named after the nearest named street (geo.places), else coordinates
        click.echo(f"  #{g['rank']} {g['name']} {g['name_en']}: {g['workers']:,.0f} workers, "
                   f"{g['cells']} cells")


@click.command("plan")
@network_options
@click.option("--stations", "stations_file", type=click.Path(path_type=Path),
              help="Read the existing stations from this file instead of the registry.")
@click.option("--demand", "demand_file", type=click.Path(path_type=Path), required=True,
              help="Worker density (as for `yizhan coverage`).")
@click.option("--candidates", "candidates_file", type=click.Path(path_type=Path),
              help="Candidate sites (CSV/XLSX/GeoJSON/GPKG: lon, lat[, id, name, cost, capacity]). "
                   "Default: road nodes spread over the uncovered workers.")
@click.option("--osm-candidates", type=click.Path(path_type=Path),
              help="Candidate sites at OSM venues (banks, fuel stations, shops …) of this file.")
@input_crs_option("the stations, demand and candidates files")
@click.option("--output-crs", type=CRS_CHOICE, default="wgs84", show_default=True,
              help="Coordinate system of the proposal's CSV/XLSX written with -o (gcj02 for "
                   "Amap, bd09 for Baidu); GeoJSON and the map stay WGS-84.")
@click.option("--kind", type=KIND_CHOICE, default="outdoor_rest_point", show_default=True,
              help="The kind of the new stations (id or Chinese name, e.g. 户外劳动者驿站).")
@group_options
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
             input_crs, output_crs, kind, wanted, groups_file, minutes, at, add, target, budget,
             capacitated, curve, time_limit, outdir, as_json):
    """Where the next stations should go, with the existing ones kept.

    Worker counts are printed as whole workers; --json and the files keep the exact weights.
    """
    target = _plan_goal(add=add, target=target, budget=budget, capacitated=capacitated,
                        candidates_file=candidates_file, osm_candidates=osm_candidates)
    stations, inputs = analysis_inputs(network_paths, db_url, stations_file, demand_file,
                                       input_crs, groups_file, wanted=wanted, kind=kind)
    say_converted(input_crs, [stations_file, demand_file, candidates_file], as_json=as_json)
    candidates = None
    if candidates_file:
        candidates = candidate_sites("file", path=candidates_file, crs=input_crs)
    elif osm_candidates:
        candidates = candidate_sites("venues", path=osm_candidates)
    # coverage, each group, summary, gap areas, candidates, matrix, solving
    with _progress_bar("plan", len(inputs.chosen) + 6) as step:
        run, files = plan_report(inputs, stations, kind=kind, outdir=outdir, crs=output_crs,
                                 minutes=minutes, at=at, add=add, target=target, budget=budget,
                                 capacitated=capacitated, curve=curve, candidates=candidates,
                                 time_limit=time_limit, progress=step)
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
    if outdir is not None and not as_json:
        click.echo("Wrote " + ", ".join(sorted(p.name for p in files.values())) + f" to {outdir}")
    if as_json:
        echo_json(run.as_json())
    else:
        _say_plan(run, inputs.groups, kind)


def _plan_goal(*, add, target, budget, capacitated, candidates_file, osm_candidates):
    """The usage of `plan` checked: one goal, one source of candidates; the target parsed
    (a share, or None)."""
    if sum(x is not None for x in (add, target, budget)) != 1:
        raise usage("one_goal")
    if candidates_file and osm_candidates:
        raise usage("candidates_one")
    if capacitated and add is None:
        raise usage("capacity_with_add")
    if target is None:
        return None
    try:
        return parse_target(target)
    except InputError as exc:
        raise click.UsageError(str(exc).replace("`target`", "--target")) from None


def _say_plan(run, groups, kind: str) -> None:
    """The new sites and each group's coverage before and after, one line each."""
    result = run.plan
    r = result.result
    state = "optimal" if r.optimal else f"gap {r.gap:.2%}"
    when = "every station counted open" if run.at is None else f"at {run.at:%H:%M}"
    names = ", ".join(f"{groups[g].zh} {g}" for g in run.groups)
    goal = "" if run.target is None else f"; target {run.target:.1%} of their workers together"
    click.echo(f"For {names} ({when}{goal}):")
    click.echo(f"{len(result.sites)} new {KINDS[kind][0]} {KINDS[kind][1]} sites "
               f"({result.model}, {state}, {len(run.candidates)} candidates):")
    for site in result.sites.itertuples():
        english = getattr(site, "name_en", None)  # gap sites: "双林巷附近 near 双林巷"
        name = f"{site.name} {english}" if isinstance(english, str) and english else site.name
        click.echo(f"  {site.rank}. {name} ({site.lon:.6f}, {site.lat:.6f}) — "
                   f"+{site.newly_covered:,.0f} workers")
    for gid in result.before:
        gained = (result.after[gid] - result.before[gid]) * run.totals[gid]
        click.echo(f"  {groups[gid].zh} {gid}: {result.before[gid]:.1%} → {result.after[gid]:.1%}"
                   f" (+{gained:,.0f} of {run.totals[gid]:,.0f} workers)")
    for point in result.curve or []:
        click.echo(f"  curve: {point['new_stations']} new → {point['share']:.1%}")
