"""``yizhan network build``: a road network per travel mode, saved as one file."""

from __future__ import annotations

import time
from pathlib import Path

import click

from app.cli._common import cli_lang, usage
from app.lang import say
from geo.errors import DownloadError
from geo.network import MODES, build_network


@click.group("network")
def network_group():
    """Road networks per travel mode (walk, ebike, drive)."""


@network_group.command("build")
@click.option("--place", help="A place name to download with osmnx (needs the internet).")
@click.option("--bbox", help="W,S,E,N in degrees, downloaded with osmnx (needs the internet).")
@click.option("--osm", "osm_file", type=click.Path(path_type=Path),
              help="An OpenStreetMap file: .osm (XML) or .osm.pbf.")
@click.option("--mode", type=click.Choice(list(MODES)), required=True, help="Travel mode.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The network file to write (.npz).")
def network_build(place, bbox, osm_file, mode, output):
    """Build a road network for one travel mode and save it as one file."""
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
