"""Opening what ``nearest``, ``coverage`` and ``plan`` read: a network file and the stations.

Apart from :mod:`app.cli._common` because it loads the network and database code, which the
other commands do without.
"""

from __future__ import annotations

from pathlib import Path

from geo.errors import InputError
from geo.network import Network, is_osm_file, load_network
from geo.registry import Registry
from geo.stations import Station


def open_network(path: Path, mode: str | None) -> Network:
    """A network from a saved file, .osm or .osm.pbf; the mode must agree with a saved one."""
    net = load_network(path, mode=(mode or "walk") if is_osm_file(path) else None)
    if mode and net.mode != mode:
        raise InputError(f"`mode` was {mode!r} but {path} is a {net.mode} network",
                         parameter="mode")
    return net


def open_stations(db_url: str | None, stations_file: Path | None, crs: str) -> list[Station]:
    """The stations of ``stations_file`` (in ``crs``), else of the registry at ``db_url``."""
    if stations_file is not None:
        # here, not at the top: the table reader loads pandas (half a second), which a
        # one-point `yizhan nearest` on the registry does without
        from geo.io.stations import load_stations

        return load_stations(stations_file, crs=crs)
    return Registry(db_url).stations()
