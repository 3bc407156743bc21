"""``yizhan serve`` and ``yizhan demo``: the web app, on your data or on a real demo region."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import click

import app as web
from app.accounts import Accounts
from app.cli._common import cli_lang, db_option, usage
from app.cli.db import upgrade_with_backup
from app.deployment import read_deployment
from app.lang import say
from app.tiles import TILE_CHOICES
from geo.demo import DemoRegion, build_demo, build_demo_deployment
from geo.errors import NotFoundError
from geo.network import MODES, is_osm_file, load_network
from geo.regions import REGIONS
from geo.registry import Registry, default_data_dir, resolve_url

#: The demo's planner account.
DEMO_USER = "demo"


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
        click.option("--workers", type=int,
                     help="Server processes, forked from one that loaded the networks, which "
                          "they share (default: one per CPU core, at most "
                          f"{web.MAX_DEFAULT_WORKERS}; here {web.default_workers()})."),
        click.option("--trusted-proxy", "trusted_proxies", type=click.IntRange(min=0),
                     help="How many reverse proxies in front set X-Forwarded-For/-Proto/-Host "
                          "(default 0: ignore those headers; $YIZHAN_TRUSTED_PROXIES)."),
        click.option("--https", is_flag=True, default=None,
                     help="Mark the session cookie Secure always (it is on every HTTPS "
                          "request anyway; $YIZHAN_HTTPS)."),
    ]):
        function = option(function)
    return function


@click.command("demo")
@click.option("--build-only", is_flag=True, help="Build the demo data and stop.")
@data_dir_option
@click.option("--region", "region_id", type=click.Choice(list(REGIONS)),
              help="A real region shipped with yizhan (OpenStreetMap); default chengdu, or the "
                   "region already built in the data dir.")
@click.option("--osm", "osm_file", type=click.Path(path_type=Path),
              help="Build from this .osm/.osm.pbf extract instead.")
@click.option("--place", help="Build from a place downloaded with osmnx (needs the internet).")
@click.option("--rebuild", is_flag=True, help="Build again even when the data is there.")
@click.option("--deployment", "deployment", is_flag=True,
              help="Serve central Chengdu and central Harbin together, one registry for both "
                   "(built in DATA_DIR/deployment; see docs/scaling.md).")
@serve_options
def demo_cmd(build_only, data_dir, region_id, osm_file, place, rebuild, deployment, host, port,
             tiles, workers, trusted_proxies, https):
    """Build the demo region (central Chengdu, real OpenStreetMap data, 2018) and serve it.

    Each start gives the demo planner account `demo` a new password and prints it once.

    演示区域：成都中心城区的真实 OpenStreetMap 数据（2018 年），站点与劳动者分布均为演示数据。
    """
    if osm_file and place:
        raise usage("osm_or_place")
    if not build_only:  # a taken port is said before minutes of building
        web.check_port(host, port)
    if deployment:
        _demo_deployment(Path(data_dir) if data_dir else default_data_dir(), build_only, rebuild,
                         (host, port, tiles, workers, trusted_proxies, https))
        return
    region = DemoRegion(Path(data_dir) if data_dir else default_data_dir())
    existed = Path(region.db_url.removeprefix("sqlite:///")).is_file()
    _check_registry(region.db_url)  # and a damaged registry too
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
    _say_demo(region)
    # recorded at this release's revision even when only built: the commands after start
    # without the migration code
    _say_upgrade(upgrade_with_backup(region.db_url, backup=existed))
    if build_only:
        return
    password = _demo_planner(region.db_url)
    click.echo(say(cli_lang(), "demo_planner", user=DEMO_USER, password=password))
    _serve(region.data_dir, None, None, host, port, tiles, workers, trusted_proxies, https)


def _demo_deployment(data_dir: Path, build_only: bool, rebuild: bool, serving: tuple) -> None:
    """``yizhan demo --deployment``: Chengdu and Harbin built in ``data_dir/deployment`` with
    one registry, then served together."""
    root = data_dir / "deployment"
    db_url = f"sqlite:///{root / 'yizhan.sqlite'}"
    existed = (root / "yizhan.sqlite").is_file()
    _check_registry(db_url)
    started = time.perf_counter()
    path = build_demo_deployment(root, rebuild=rebuild, progress=lambda m: click.echo(
        f"  {time.perf_counter() - started:5.1f} s  {m}", err=True))
    names = ", ".join(r.name for r in read_deployment(path).regions)
    click.echo(f"Demo deployment {path}: {names} on {db_url}")
    _say_upgrade(upgrade_with_backup(db_url, backup=existed))
    if build_only:
        return
    password = _demo_planner(db_url)
    click.echo(say(cli_lang(), "demo_planner", user=DEMO_USER, password=password))
    if "harbin" in names.split(", "):  # Harbin's unions from its boundaries, an account a level
        from app.cli.org import seed_demo_orgs
        from geo.regions import region

        for made in seed_demo_orgs(db_url, region("harbin").extract()):
            click.echo(f"  {made['org']}: {made['user']} ({made['role']}), one-time password "
                       f"{made['password']}")
    host, port, tiles, workers, trusted_proxies, https = serving
    web.serve(data_dir=root, db_url=db_url, host=host, port=port, tiles=tiles, workers=workers,
              trusted_proxies=trusted_proxies, https=https, deployment=path)


def _check_registry(db_url: str) -> None:
    """:class:`geo.errors.DatabaseDamaged` (one line: the file, how to recover) when the
    registry's SQLite file exists but is damaged."""
    if Path(db_url.removeprefix("sqlite:///")).is_file():
        registry = Registry(db_url)
        registry.check()
        registry.engine.dispose()


def _say_demo(region: DemoRegion) -> None:
    """What the demo region holds: networks, stations, workers, coverage, gap areas."""
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


def _demo_planner(db_url: str) -> str:
    """A new password for the demo planner account (made on first use); its old sessions end."""
    accounts = Accounts(Registry(db_url))
    password = secrets.token_urlsafe(12)
    try:
        accounts.set_password(DEMO_USER, password)
        accounts.set_disabled(DEMO_USER, False)
    except NotFoundError:
        accounts.add(DEMO_USER, password, display_name="演示规划员 demo planner")
    accounts.engine.dispose()
    return password


def _serve(data_dir, db_url, networks, host, port, tiles, workers, trusted_proxies, https):
    web.serve(data_dir=data_dir, db_url=db_url, networks=networks, host=host, port=port,
              tiles=tiles, workers=workers, trusted_proxies=trusted_proxies, https=https)


@click.command("serve")
@data_dir_option
@db_option
@click.option("--network", "network_paths", type=click.Path(path_type=Path), multiple=True,
              help="Network files: saved .npz (one per mode), or an .osm/.osm.pbf file for all "
                   "three modes (default: the saved ones in the data dir).")
@click.option("--deployment", "deployment", type=click.Path(path_type=Path, dir_okay=False),
              help="Serve several regions on one registry: a TOML file of [[region]] tables as "
                   "`yizhan batch` reads them, and `db` (see docs/scaling.md).")
@serve_options
def serve_cmd(data_dir, db_url, network_paths, deployment, host, port, tiles, workers,
              trusted_proxies, https):
    """Serve the worker finder (/), the planner view (/plan) and the JSON API (/api).

    Under granian, a production HTTP server. 工人找站、规划人员视图与 JSON 接口。 Planners sign
    in with accounts made by `yizhan user add`.
    """
    web.check_port(host, port)
    networks = None
    for path in network_paths:
        networks = networks or {}
        if is_osm_file(path):
            networks.update({mode: str(path) for mode in MODES if mode not in networks})
        else:
            networks[load_network(path).mode] = str(path)
    if deployment is not None:
        if network_paths:
            raise click.UsageError("give --deployment or --network, not both: a deployment "
                                   "file names each region's networks")
        found = read_deployment(deployment).db  # its `db`, unless --db / $YIZHAN_DB_URL
        db_url = db_url or os.environ.get("YIZHAN_DB_URL") or found
    _say_upgrade(upgrade_with_backup(_served_db(data_dir, db_url)))
    web.serve(data_dir=data_dir, db_url=db_url, networks=networks, host=host, port=port,
              tiles=tiles, workers=workers, trusted_proxies=trusted_proxies, https=https,
              deployment=deployment)


def _served_db(data_dir: Path | None, db_url: str | None) -> str:
    """The database the app will serve, found as :func:`app.create_app` finds it: ``--db``, else
    ``$YIZHAN_DB_URL`` or ``$YIZHAN_DB``, else ``yizhan.sqlite`` in the data dir."""
    url = db_url or os.environ.get("YIZHAN_DB_URL") or os.environ.get("YIZHAN_DB")
    if url:
        return resolve_url(url)
    folder = Path(data_dir or os.environ.get("YIZHAN_DATA_DIR") or default_data_dir())
    folder = folder.expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'yizhan.sqlite'}"


def _say_upgrade(line: str | None) -> None:
    """What the upgrade at start did, on stderr (nothing when the schema was the newest)."""
    if line:
        click.echo(line, err=True)
