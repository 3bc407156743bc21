"""``yizhan nearest``: the k nearest stations of one point or of many.

Its own module, apart from ``coverage`` and ``plan``: one point answers without loading the
analysis and siting code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli._common import CRS_CHOICE, KIND_CHOICE, cli_lang, db_option, echo_json, usage
from app.cli._inputs import open_network, open_stations
from app.lang import say_error
from geo import coords, settings
from geo.errors import OffNetworkError
from geo.nearest import StationFinder
from geo.network import MODES
from geo.stations import KINDS, parse_services


@click.command("nearest")
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
@click.option("--mode", type=click.Choice(list(MODES)),
              help="Travel mode (default: the network's own; walk for .osm/.pbf files).")
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
        _nearest_many(finder, points_file, crs, filters, output=output, as_json=as_json)
    else:
        _nearest_one(finder, lon, lat, crs, filters, route=route, as_json=as_json)


def _nearest_many(finder: StationFinder, points_file: Path, crs: str, filters: dict, *,
                  output: Path | None, as_json: bool) -> None:
    """The table of many points, printed or written to ``output`` (.csv or .json)."""
    # here, not at the top: the table reader loads pandas, which one point does without
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


def _nearest_one(finder: StationFinder, lon: float, lat: float, crs: str, filters: dict, *,
                 route: bool, as_json: bool) -> None:
    """The stations nearest one point, one line each (or JSON); exit 1 off the network."""
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
