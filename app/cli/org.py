"""``yizhan org …``: the organisations of a deployment (a province's union offices) and their
areas."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli._common import db_option, echo_json
from app.orgs import LEVELS, Orgs
from geo.errors import InputError
from geo.registry import Registry

LEVEL_CHOICE = click.Choice(list(LEVELS))


def open_orgs(db_url: str | None) -> Orgs:
    """The organisations kept in the registry database at ``db_url``."""
    return Orgs(Registry(db_url))


def _below(orgs: Orgs, parent: str | None) -> str:
    """The level under ``parent`` (the top: province)."""
    if parent is None:
        return "province"
    levels = list(LEVELS)
    above = levels.index(orgs.get(parent).level)
    return levels[min(above + 1, len(levels) - 1)]


@click.group("org")
def org_group():
    """Organisations (工会组织) and their areas: province, city, district, street."""


@org_group.command("add")
@click.argument("name")
@click.option("--area", "area_file", type=click.Path(exists=True, dir_okay=False,
                                                     path_type=Path),
              help="Its area: a GeoJSON or GeoPackage of polygons (EPSG:4326, or with a CRS). "
                   "Without one, it serves the areas of the organisations under it.")
@click.option("--parent", default=None, help="The organisation it belongs to (by name).")
@click.option("--level", type=LEVEL_CHOICE, default=None,
              help="Its level (default: the one under --parent's; at the top: province).")
@db_option
def org_add(name, area_file, parent, level, db_url):
    """Add an organisation NAME (e.g. 道里区总工会) with its area."""
    from geo.boundaries import read_area

    orgs = open_orgs(db_url)
    area = read_area(area_file) if area_file is not None else None
    org = orgs.add(name, level=level or _below(orgs, parent), area=area, parent=parent)
    where = f" under {parent}" if parent else ""
    click.echo(f"added {LEVELS[org.level][0]} {org.name}{where}"
               + ("" if area is None else f" (area from {area_file.name})"))


@org_group.command("area")
@click.argument("name")
@click.argument("area_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def org_area(name, area_file, db_url):
    """Replace the area of organisation NAME with the polygons of AREA_FILE."""
    from geo.boundaries import read_area

    org = open_orgs(db_url).set_area(name, read_area(area_file))
    click.echo(f"{org.name}: area from {area_file.name}")


@org_group.command("from-extract")
@click.argument("extract", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--city", default=None, help="The city's name (default: from the division "
                                           "codes, e.g. 哈尔滨市).")
@click.option("--parent", default=None, help="An organisation the city goes under.")
@db_option
def org_from_extract(extract, city, parent, db_url):
    """Add the city, its districts and their streets from EXTRACT's administrative boundaries
    (the streets whose boundaries close; a district's area is the union of its streets)."""
    added = seed_from_extract(open_orgs(db_url), extract, city=city, parent=parent)
    click.echo(f"added {len(added)} organisations from {extract.name}")


def seed_from_extract(orgs: Orgs, extract: Path, *, city: str | None = None,
                      parent: str | None = None) -> list[str]:
    """Add the tree of :func:`geo.boundaries.admin_tree` of ``extract``; names already there
    are kept as they are. The names added, top first."""
    from geo.boundaries import admin_tree, closed_streets

    tree = admin_tree(closed_streets(extract), city=city)
    if not tree:
        raise InputError(f"{extract} has no administrative boundaries that close into "
                         "polygons; add the organisations with `yizhan org add NAME --area "
                         "FILE`", parameter="extract")
    known = {o.name for o in orgs.all()}
    added = []
    for area in tree:
        if area.name in known:
            continue
        up = area.parent if area.parent is not None else parent
        orgs.add(area.name, level=area.level, area=area.geometry, parent=up)
        added.append(area.name)
    return added


@org_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def org_list(as_json, db_url):
    """The organisations, top first, with their level and parent."""
    orgs = open_orgs(db_url)
    listed = orgs.all()
    names = {o.id: o.name for o in listed}
    if as_json:
        echo_json([o.as_dict(names.get(o.parent_id)) for o in listed])
        return
    if not listed:
        click.echo("no organisations yet: add one with `yizhan org add NAME --area FILE`")
    for o in listed:
        depth = len(orgs.ancestors(o.id))
        click.echo(f"{'  ' * depth}{o.name}  ({LEVELS[o.level][0]})"
                   + ("" if o.area is not None else "  [no area of its own]"))


def seed_demo_orgs(db_url: str | None, extract: Path) -> list[dict[str, str]]:
    """The demo's organisations and accounts: the tree of ``extract``'s administrative
    boundaries (:func:`seed_from_extract`; 市 → 区 → 街道 where they close) and one account at
    each level, made once: the city's administrator, the first district's planner, the first
    street's viewer, each with a new random one-time password at each call (to be changed at
    the first sign-in). What ``yizhan demo --deployment`` prints at start: ``user``,
    ``password``, ``role``, ``org`` of each account."""
    from app.accounts import Accounts

    registry = Registry(db_url)
    orgs, accounts = Orgs(registry), Accounts(registry)
    seed_from_extract(orgs, extract)
    known = {u.name for u in accounts.users()}
    made = []
    for level, role, user in (("city", "admin", "demo.city"),
                              ("district", "planner", "demo.district"),
                              ("street", "viewer", "demo.street")):
        org = next((o for o in orgs.all() if o.level == level), None)
        if org is None:
            continue
        if user in known:  # a new one-time password at each start, as the demo planner's
            password = accounts.reset(user, by="demo")
        else:
            account, password = accounts.create(user, role=role, display_name=org.name,
                                                by="demo")
            orgs.set_member(account.id, org.name)
        made.append({"user": user, "password": password, "role": role, "org": org.name})
    return made
