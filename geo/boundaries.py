"""Administrative areas from an OpenStreetMap extract: the streets (街道, ``admin_level`` 8 and
9) whose boundaries close into polygons inside the extract, grouped into their districts (区县)
by the administrative division code (``division_code``, GB/T 2260: six digits name the
district) into a tree of union offices' areas.

An extract cut from a box leaves the districts' and the city's own boundaries open at the box's
edge, so a district's area here is the union of its streets that close: the part of the district
the extract holds. Streets without a division code join their district as
:data:`STREET_DISTRICTS` knows it, else the district they share the longest border with.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from geo.errors import InputError

#: District names by the first six digits of the division code (GB/T 2260), for the shipped
#: extracts' cities: Harbin (2301…) and Chengdu (5101…).
DISTRICT_NAMES: dict[str, str] = {
    "230102": "道里区", "230103": "南岗区", "230104": "道外区", "230108": "平房区",
    "230109": "松北区", "230110": "香坊区", "230111": "呼兰区", "230112": "阿城区",
    "230113": "双城区",
    "510104": "锦江区", "510105": "青羊区", "510106": "金牛区", "510107": "武侯区",
    "510108": "成华区",
}
#: Districts (their codes, GB/T 2260) of the streets the shipped extracts give without a
#: division code: central Harbin's 松安街道 lies north of the Songhua in 松北区, 抚顺街道 in
#: 道里区.
STREET_DISTRICTS: dict[str, str] = {"松安街道": "230109", "抚顺街道": "230102"}
#: City names by the first four digits of the division code.
CITY_NAMES: dict[str, str] = {"2301": "哈尔滨市", "5101": "成都市"}


@dataclass(frozen=True)
class AdminArea:
    """One area of the tree.

    Attributes
    ----------
    name
        Its name as OSM gives it (``name``, e.g. 先锋路街道; a district: :data:`DISTRICT_NAMES`).
    level
        ``city``, ``district`` or ``street``.
    parent
        The name of the area it lies in (None at the top).
    geometry
        A shapely (Multi)Polygon, EPSG:4326 degrees.
    code
        Its division code (``""`` when OSM gives none).
    """

    name: str
    level: str
    parent: str | None
    geometry: Any
    code: str = ""


def closed_streets(extract: str | os.PathLike[str]) -> list[AdminArea]:
    """The streets (``boundary=administrative``, ``admin_level`` 8 or 9) whose boundaries close
    into polygons in ``extract`` (an ``.osm.pbf``), with their division codes; ``parent`` is
    left None (see :func:`admin_tree`)."""
    import pyrosm

    found = pyrosm.OSM(os.fspath(extract)).get_boundaries(boundary_type="administrative")
    if found is None or found.empty:
        return []
    areas = []
    for row in found.itertuples():
        if str(row.admin_level) not in ("8", "9") or not isinstance(row.name, str):
            continue
        geom = row.geometry
        if geom is None or geom.is_empty or not geom.geom_type.endswith("Polygon"):
            continue
        tags = json.loads(row.tags) if isinstance(row.tags, str) and row.tags else {}
        areas.append(AdminArea(row.name, "street", None, geom,
                               str(tags.get("division_code") or "")))
    return sorted(areas, key=lambda a: (a.code or "~", a.name))


def admin_tree(streets: list[AdminArea], *, city: str | None = None) -> list[AdminArea]:
    """The city, its districts and their streets as a tree, top first.

    Parameters
    ----------
    streets
        Streets with their division codes (:func:`closed_streets`).
    city
        The city's name (default: :data:`CITY_NAMES` of the codes' first four digits, else
        ``"市"``).

    Returns
    -------
    list of AdminArea
        The city (the union of every street), each district (the union of its streets) and each
        street under its district; a street without a code goes under its district of
        :data:`STREET_DISTRICTS` (in the same city), else that of the street it shares the
        longest border with (else the nearest).
    """
    from shapely.ops import unary_union

    if not streets:
        return []
    district_of = {a.name: a.code[:6] for a in streets if len(a.code) >= 6}
    prefixes = {code[:4] for code in district_of.values()}
    district_of |= {a.name: STREET_DISTRICTS[a.name] for a in streets
                    if a.name not in district_of and STREET_DISTRICTS.get(a.name, "")[:4]
                    in prefixes}
    for street in streets:
        if street.name in district_of:
            continue
        # the longest shared border, else the nearest coded street
        near = [(-street.geometry.boundary.intersection(o.geometry.boundary).length,
                 street.geometry.distance(o.geometry), district_of[o.name])
                for o in streets if len(o.code) >= 6]
        district_of[street.name] = min(near, default=(0.0, 0.0, ""))[2]
    codes = sorted({c for c in district_of.values() if c})
    prefix = codes[0][:4] if codes else ""
    city = city or CITY_NAMES.get(prefix, "市")
    names = {c: DISTRICT_NAMES.get(c, c) for c in codes}
    if any(not c for c in district_of.values()):
        names[""] = "其他"
    tree = [AdminArea(city, "city", None, unary_union([a.geometry for a in streets]),
                      prefix)]
    for code, name in names.items():
        members = [a for a in streets if district_of[a.name] == code]
        tree.append(AdminArea(name, "district", city,
                              unary_union([a.geometry for a in members]), code))
        tree += [AdminArea(a.name, "street", name, a.geometry, a.code) for a in members]
    return tree


def read_area(path: str | os.PathLike[str]) -> Any:
    """The union of the polygons of a GeoJSON or GeoPackage file, in EPSG:4326 (a file without
    a CRS is taken to be in it): an organisation's area.

    Raises
    ------
    InputError
        ``parameter="area"``: the file cannot be read, or holds no polygons.
    """
    import geopandas as gpd
    from shapely.ops import unary_union

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own errors for every unreadable file
        raise InputError(f"cannot read the area file {path}: {exc}; give a GeoJSON or "
                         "GeoPackage of polygons", parameter="area") from exc
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    polygons = [g for g in frame.geometry if g is not None and not g.is_empty
                and g.geom_type.endswith("Polygon")]
    if not polygons:
        kinds = sorted({g.geom_type for g in frame.geometry if g is not None})
        raise InputError(f"the area file {path} holds no polygons (found: {kinds or 'nothing'}); "
                         "an organisation's area is one or more polygons", parameter="area")
    return unary_union(polygons)
