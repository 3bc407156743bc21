"""``yizhan poster``: A4 posters of stations (PDF, Chinese) with a QR code to their card."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli._common import KIND_CHOICE, db_option, usage
from geo.errors import InputError


@click.command("poster")
@click.argument("ids", nargs=-1)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("posters.pdf"), show_default=True,
              help="The PDF to write: a page per station, in the order given.")
@click.option("--url", "base_url", envvar="YIZHAN_PUBLIC_URL", metavar="URL", required=True,
              help="Where phones open the finder, e.g. https://yizhan.example.org "
                   "(default $YIZHAN_PUBLIC_URL): the QR codes open {URL}/?station=ID.")
@click.option("--union", metavar="NAME",
              help="The union named at the foot of every page (主办); default each station's "
                   "operator.")
@click.option("--all", "every", is_flag=True, help="Every open station of the registry.")
@click.option("--kind", "kinds", type=KIND_CHOICE, multiple=True,
              help="With --all: only these kinds (ids or Chinese names such as 司机之家).")
@db_option
def poster_cmd(ids, out, base_url, union, every, kinds, db_url):
    """A4 posters of stations (PDF, Chinese) with a QR code that opens their card.

    Each page has the station's name, kind, hours, services, address, phone and the union's
    name, and a QR code that opens the finder on the station's card (navigation and the
    problem report one tap away). Name the stations by id (`yizhan export` lists them), or
    print them all with --all.
    """
    from geo.output.poster import chosen_stations, station_url, write_posters
    from geo.registry import Registry

    if bool(ids) == every:
        raise usage("poster_which")
    if kinds and not every:
        raise usage("poster_kind_all")
    try:  # a bad --url is said before the database is opened
        station_url(base_url, "x")
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--url") from None
    registry = Registry(db_url)
    if every:
        stations = registry.stations(kinds=kinds or None)
    else:
        stations = chosen_stations({s.id: s for s in registry.stations()}, ids)
    pages = write_posters(stations, out, base_url=base_url, union=union)
    click.echo(f"Wrote {pages} poster{'s' if pages != 1 else ''} to {out}")
