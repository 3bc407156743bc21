"""Organisations and their areas: the unions of a province as a tree, each with the area it
serves.

A deployment may hold a tree of organisations (``organisations``): a province's union office,
its cities and prefectures, their districts and counties, their streets (:data:`LEVELS`). Each
has an area: polygons in EPSG:4326, kept as GeoJSON text (uploaded as GeoJSON/GPKG, or taken
from an extract's administrative boundaries, :mod:`geo.boundaries`). An organisation serves its
own area and its descendants' (:meth:`Orgs.area`: their union, prepared with shapely and kept
per process until the tree changes).

Accounts belong to at most one organisation (``org_members``: user id -> organisation). An
account without one serves the whole deployment, as every account did before organisations; a
deployment without organisations works as before. Whether a user may act at a place is decided
in :func:`app.auth.may` only, which reads :meth:`Orgs.covers` and :meth:`Orgs.within`.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from geo.errors import (
    ConflictError,
    InputError,
    Message,
    NotFoundError,
    Problem,
    YizhanError,
)
from geo.registry import Registry
from geo.text import forbidden

#: The levels of the tree, top first: id -> (中文, English).
LEVELS: dict[str, tuple[str, str]] = {"province": ("省", "province"),
                                      "city": ("市", "city"),
                                      "district": ("区县", "district"),
                                      "street": ("街道", "street")}
#: Longest organisation name, characters.
MAX_NAME = 100

metadata = MetaData()

orgs_table = Table(
    "organisations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(MAX_NAME), nullable=False, unique=True),
    Column("parent_id", Integer, ForeignKey("organisations.id"), index=True),
    Column("level", String(16), nullable=False),  # one of LEVELS
    Column("area", Text),  # GeoJSON geometry, EPSG:4326; None: its children's areas only
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

members_table = Table(
    "org_members", metadata,
    Column("user_id", Integer, primary_key=True),  # users.id (app.accounts)
    Column("org_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"),
           nullable=False, index=True),
)


class OutsideArea(YizhanError, PermissionError):
    """A place outside the area of the user's organisation (the web app answers 403)."""

    def __init__(self, message: str, *, org: str, parameter: str | None = None):
        super().__init__(message)
        self.org = org
        self.parameter = parameter


@dataclass(frozen=True)
class Org:
    """An organisation: its id, name, parent's id, level and area (GeoJSON geometry or None)."""

    id: int
    name: str
    parent_id: int | None
    level: str
    area: dict | None

    def as_dict(self, parent: str | None = None) -> dict:
        return {"id": self.id, "name": self.name, "parent": parent, "level": self.level,
                "level_label": LEVELS[self.level][0], "has_area": self.area is not None}


@dataclass(frozen=True)
class Scope:
    """Where an organisation's analyses look: its name, its area (a prepared shapely geometry
    in EPSG:4326, its own and the areas below it) and a key naming that area's version."""

    org: str
    area: Any
    key: tuple


def check_org_name(name: object) -> str:
    """An organisation's name as stored: 1 to :data:`MAX_NAME` characters, no characters the
    text policy refuses."""
    if not isinstance(name, str) or not name.strip():
        raise InputError("`org` must be an organisation's name, e.g. 道里区总工会",
                         parameter="org")
    name = name.strip()
    if len(name) > MAX_NAME or forbidden(name):
        raise InputError(f"`org` {name[:40]!r} must have at most {MAX_NAME} characters and no "
                         "control or bidirectional characters", parameter="org")
    return name


def area_geojson(geometry: Any) -> dict:
    """A shapely (Multi)Polygon or GeoJSON geometry as a GeoJSON (Multi)Polygon dict, checked:
    :class:`InputError` (``area``, catalogue key ``area_not_polygons``) for anything else or an
    empty shape; an invalid one is made valid (its polygons kept)."""
    from shapely.geometry import mapping, shape
    from shapely.validation import make_valid

    geom = shape(geometry) if isinstance(geometry, dict) else geometry
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        kind = "nothing" if geom is None or geom.is_empty else geom.geom_type
        raise InputError(Message(f"an organisation's area must be polygons, not {kind}: give "
                                 "a GeoJSON or GeoPackage of (multi)polygons in EPSG:4326",
                                 "area_not_polygons", kind=kind), parameter="area")
    if not geom.is_valid:
        geom = make_valid(geom)
        polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type.endswith("Polygon")]
        from shapely.ops import unary_union

        geom = unary_union(polys)
    return dict(mapping(geom))


class Orgs:
    """The organisations of a registry's database and the accounts' membership.

    Parameters
    ----------
    registry
        The registry whose database holds them; the tables are created if missing.
    """

    def __init__(self, registry: Registry):
        self.engine = registry.engine
        with contextlib.suppress(OperationalError):  # a read-only database: read only
            metadata.create_all(self.engine)
        self._lock = threading.Lock()
        self._cache: tuple[tuple, dict[int, Any], dict[int, Org]] | None = None

    # --- the tree ---

    def add(self, name: str, *, level: str, area: Any = None, parent: str | None = None) -> Org:
        """Add an organisation under ``parent`` (a name; None: at the top) with ``area`` (a
        shapely or GeoJSON (multi)polygon, EPSG:4326; None: its children's areas)."""
        name = check_org_name(name)
        if level not in LEVELS:
            raise InputError(f"`level` was {level!r} but must be one of {list(LEVELS)}",
                             parameter="level")
        parent_id = self.get(parent).id if parent is not None else None
        text = json.dumps(area_geojson(area)) if area is not None else None
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(orgs_table).values(name=name, parent_id=parent_id,
                                                       level=level, area=text, created_at=now,
                                                       updated_at=now))
        except IntegrityError as exc:
            raise ConflictError(f"an organisation named {name!r} exists already: pick another "
                                "name, or change its area with `yizhan org area`",
                                parameter="org") from exc
        return self.get(name)

    def set_area(self, name: str, area: Any) -> Org:
        """Replace the area of organisation ``name``."""
        org = self.get(name)
        with self.engine.begin() as conn:
            conn.execute(update(orgs_table).where(orgs_table.c.id == org.id).values(
                area=json.dumps(area_geojson(area)), updated_at=datetime.now(UTC)))
        return self.get(name)

    def get(self, name: str) -> Org:
        """The organisation named ``name``; :class:`NotFoundError` (``org``) naming the known."""
        name = check_org_name(name)
        for org in self.all():
            if org.name == name:
                return org
        known = ", ".join(o.name for o in self.all()[:10]) or "none yet"
        raise NotFoundError(f"no organisation named {name!r} (known: {known}); add it with "
                            "`yizhan org add NAME --area FILE`")

    def by_id(self, org_id: int) -> Org:
        return self._tree()[2][org_id]

    def all(self) -> list[Org]:
        """Every organisation, top first (parents before their children), then by name."""
        orgs = self._tree()[2]
        depth = {i: len(self.ancestors(i)) for i in orgs}
        return sorted(orgs.values(), key=lambda o: (depth[o.id], o.name))

    def any(self) -> bool:
        """Whether this deployment has organisations at all."""
        return bool(self._tree()[2])

    def ancestors(self, org_id: int) -> list[int]:
        """The ids above ``org_id``, its parent first."""
        orgs, found = self._tree()[2], []
        parent = orgs[org_id].parent_id if org_id in orgs else None
        while parent is not None and parent not in found:
            found.append(parent)
            parent = orgs[parent].parent_id if parent in orgs else None
        return found

    def below(self, org_id: int) -> list[Org]:
        """``org_id`` and every organisation under it."""
        return [o for o in self._tree()[2].values()
                if o.id == org_id or org_id in self.ancestors(o.id)]

    def within(self, org_id: int | None, top: int | None) -> bool:
        """Whether organisation ``org_id`` is ``top`` or under it (``top`` None: the whole
        deployment, which holds everything; ``org_id`` None lies under no organisation)."""
        if top is None:
            return True
        return org_id is not None and (org_id == top or top in self.ancestors(org_id))

    # --- areas ---

    def area(self, org_id: int):
        """The shapely geometry an organisation serves (its area and its descendants'), None
        when none of them has one."""
        return self._tree()[1].get(org_id)

    def covers(self, org_id: int, lon: float, lat: float) -> bool:
        """Whether the point (EPSG:4326 degrees) lies in organisation ``org_id``'s area (its
        edge included)."""
        from shapely import Point

        geom = self._tree()[1].get(org_id)
        return geom is not None and geom.intersects(Point(float(lon), float(lat)))

    def _fingerprint(self) -> tuple:
        with self.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.max(orgs_table.c.updated_at))
                               .select_from(orgs_table)).one()
        return tuple(row)

    def _tree(self) -> tuple[tuple, dict[int, Any], dict[int, Org]]:
        """The organisations and their prepared areas, read again when the table changed."""
        try:
            key = self._fingerprint()
        except OperationalError:  # no table (a read-only database made before): none
            return ((), {}, {})
        cached = self._cache
        if cached is not None and cached[0] == key:
            return cached
        with self._lock:
            with self.engine.connect() as conn:
                rows = conn.execute(select(orgs_table)).all()
            orgs = {r.id: Org(r.id, r.name, r.parent_id, r.level,
                              json.loads(r.area) if r.area else None) for r in rows}
            self._cache = (key, _areas(orgs), orgs)
            return self._cache

    # --- members ---

    def org_of(self, user_id: int) -> Org | None:
        """The organisation of account ``user_id`` (None: the whole deployment)."""
        with self.engine.connect() as conn:
            org_id = conn.execute(select(members_table.c.org_id)
                                  .where(members_table.c.user_id == user_id)).scalar()
        return None if org_id is None else self._tree()[2].get(org_id)

    def members(self) -> dict[int, int]:
        """User id -> organisation id, for every account in an organisation."""
        with self.engine.connect() as conn:
            return {row.user_id: row.org_id for row in conn.execute(
                select(members_table.c.user_id, members_table.c.org_id))}

    def set_member(self, user_id: int, org: str | None) -> None:
        """Put account ``user_id`` in organisation ``org`` (None: in none)."""
        org_id = self.get(org).id if org is not None else None
        with self.engine.begin() as conn:
            conn.execute(delete(members_table).where(members_table.c.user_id == user_id))
            if org_id is not None:
                conn.execute(insert(members_table).values(user_id=user_id, org_id=org_id))


def _areas(orgs: dict[int, Org]) -> dict[int, Any]:
    """Organisation id -> the prepared union of its own and its descendants' areas."""
    import shapely
    from shapely.geometry import shape
    from shapely.ops import unary_union

    own = {i: shape(o.area) for i, o in orgs.items() if o.area is not None}
    children: dict[int | None, list[int]] = {}
    for o in orgs.values():
        children.setdefault(o.parent_id, []).append(o.id)
    served: dict[int, Any] = {}

    def union(i: int, seen: frozenset = frozenset()) -> Any:
        if i in served:
            return served[i]
        parts = [own[i]] if i in own else []
        parts += [g for c in children.get(i, []) if c not in seen
                  if (g := union(c, seen | {i})) is not None]
        geom = unary_union(parts) if parts else None
        if geom is not None:
            shapely.prepare(geom)
        served[i] = geom
        return geom

    for i in orgs:
        union(i)
    return {i: g for i, g in served.items() if g is not None}


def outside_message(org: Org, *, lon: float, lat: float) -> Message:
    """What a refusal says (catalogue key ``outside_org``): the place and the organisation
    whose area it is outside."""
    x, y = f"{lon:.6f}", f"{lat:.6f}"
    return Message(f"longitude {x}, latitude {y} is outside the area of {org.name}: this account "
                   f"manages stations inside {org.name}'s area only", "outside_org",
                   org=org.name, lon=x, lat=y)


def outside_rows(result, rows: list[int], allowed, org: Org, existing=()):
    """A station list's reading (:class:`geo.io.stations.ReadResult`, left as it is) with each
    station that ``allowed(lon, lat)`` refuses, or that would move a station of ``existing``
    from a place it refuses, made a problem of its row (column: the longitude's) naming
    ``org``. ``rows``: the Excel rows of the file's data rows, in order (the reader gives a
    station for each row without a problem)."""
    if not result.stations:
        return result
    where = {s.id: (s.lon, s.lat) for s in existing}
    bad_rows = {p.row for p in result.problems}
    placed: list[int | None] = [r for r in rows if r not in bad_rows]
    if len(placed) != len(result.stations):
        placed = [None] * len(result.stations)
    column = result.columns.get("lon") or result.columns.get("geometry")
    kept, added = [], []
    for row, station in zip(placed, result.stations, strict=True):
        places = [(station.lon, station.lat)] + ([where[station.id]] if station.id in where
                                                 else [])
        out = next((p for p in places if not allowed(*p)), None)
        if out is None:
            kept.append(station)
        else:
            added.append(Problem(result.file, row, column,
                                 outside_message(org, lon=out[0], lat=out[1])))
    if not added:
        return result
    problems = sorted([*result.problems, *added], key=lambda p: (p.row is None, p.row or 0))
    return replace(result, stations=kept, problems=problems)
