"""Where a request acts, for the organisations' areas: the places each endpoint touches, checked
by :func:`app.auth.may` before the view runs.

:data:`PLACES` names, for each endpoint that acts at a place, how to find the places from the
request (a station's position before and after an edit, a report's station, a new station's
point). Before such a request, :func:`gate` asks :func:`app.auth.may` whether the signed-in
user may act at each one; a place outside the area of the user's organisation is
:class:`app.orgs.OutsideArea`, answered 403 with the organisation named in the client's
language. Lists are narrowed to the area (:func:`sees_station`); an imported station list gets
a row problem for each row outside the area (:func:`in_area`), and a sync closes only
stations inside it (:func:`inside`). Accounts without an organisation, and deployments without
organisations, serve everywhere, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import replace

from flask import Flask, request
from sqlalchemy import select

from app import auth
from app.handlers import error_response
from app.lang import say_message
from app.orgs import OutsideArea, Scope, outside_message, outside_rows
from app.pages import pick_lang
from app.reports import reports_table
from app.state import state
from geo.errors import Message, NotFoundError
from geo.stations import Station

Point = tuple[float, float]
#: Requests that only read.
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    """Check the places of every request in :data:`PLACES`; answer a place outside 403."""
    app.before_request(gate)
    app.register_error_handler(OutsideArea, refused)


def _station_place(station_id: str) -> list[Point]:
    """Where a station is (a closed one: where it was last), none when unknown."""
    registry = state().registry
    try:
        found = registry.get(station_id)
        return [(found.lon, found.lat)]
    except NotFoundError:
        pass
    for entry in reversed(registry.history(station_id)):
        record = entry.get("after") or entry.get("before") or {}
        if "lon" in record and "lat" in record:
            return [(float(record["lon"]), float(record["lat"]))]
    return []


def _body_place() -> list[Point]:
    """The position a JSON body gives (WGS-84; converted from ``crs``), none when it has none
    or is not a body the view would take (the view names the fault)."""
    from geo.coords import to_wgs84

    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return []
    lon, lat = body.get("lon"), body.get("lat")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        return []
    crs = body.get("crs", "wgs84")
    if crs in ("gcj02", "bd09"):
        lon, lat = to_wgs84(float(lon), float(lat), crs)
    return [(float(lon), float(lat))]


def _view_station() -> list[Point]:
    return _station_place(str((request.view_args or {}).get("station_id", "")))


def _report_place() -> list[Point]:
    report_id = (request.view_args or {}).get("report_id")
    if not isinstance(report_id, int) or report_id > 2**31 - 1:
        return []
    with state().registry.engine.connect() as conn:
        station_id = conn.execute(select(reports_table.c.station_id)
                                  .where(reports_table.c.id == report_id)).scalar()
    return [] if station_id is None else _station_place(station_id)


def _query_station() -> list[Point]:
    station_id = request.args.get("station_id")
    return _station_place(station_id) if station_id else []


#: Endpoint -> the places a request to it acts at.
PLACES: dict[str, Callable[[], list[Point]]] = {
    "api.create_station": _body_place,
    "api.edit_station": lambda: _view_station() + _body_place(),
    "api.delete_station": _view_station,
    "api.station_history": _view_station,
    "api.edit_report": _report_place,
    "api.list_reports": _query_station,
}


def gate():
    """Before a request to an endpoint of :data:`PLACES`: :class:`OutsideArea` when a place it
    acts at lies outside the signed-in user's organisation's area. Who may do the action at all
    is left to the view's own check (401/403)."""
    locate = PLACES.get(request.endpoint or "")
    if locate is None:
        return None
    user = auth.current_user()
    action = "read" if request.method in READS else "plan"
    if auth.org_of(user) is None or not auth.may(user, action):
        return None
    for lon, lat in locate():
        if not auth.may(user, action, at=(lon, lat)):
            org = auth.org_of(user)
            assert org is not None
            raise OutsideArea(outside_message(org, lon=lon, lat=lat), org=org.name,
                              parameter="lon")
    return None


def refused(exc: OutsideArea):
    """403 naming the organisation, in the client's language."""
    return error_response(say_message(exc.args[0], pick_lang()), 403, exc.parameter,
                          org=exc.org)


def sees_station(station_id: str) -> bool:
    """Whether the signed-in user's area holds station ``station_id`` (for lists)."""
    user = auth.current_user()
    if auth.org_of(user) is None:
        return True
    return any(auth.may(user, "read", at=p) for p in _station_place(station_id))


def inside(stations: Iterable[Station]) -> list[Station]:
    """The stations in the signed-in user's area (all of them without an organisation)."""
    user = auth.current_user()
    if auth.org_of(user) is None:
        return list(stations)
    return [s for s in stations if auth.may(user, "read", at=(s.lon, s.lat))]


def in_area(reading, existing: Iterable[Station]):
    """An uploaded list (:class:`app.office_files.Reading`, left as it is) with each station
    that lies outside the signed-in user's area, or would move a station from outside it, made
    a problem of its row (:func:`app.orgs.outside_rows`), so nothing is written while one
    remains."""
    user = auth.current_user()
    org = auth.org_of(user)
    if org is None:
        return reading
    result = outside_rows(reading.result, [r for r, _ in reading.table.rows],
                          lambda lon, lat: auth.may(user, "plan", at=(lon, lat)), org, existing)
    return reading if result is reading.result else replace(reading, result=result)


def analysis_scope() -> Scope | None:
    """The area the signed-in user's coverage and siting runs count workers and place new
    stations in: their organisation's (None: an account of no organisation, everywhere).

    Raises
    ------
    OutsideArea
        (``area``, answered 403 in the client's language) When the organisation has no area
        yet: there is no place it may analyse.
    """
    org = auth.org_of(auth.current_user())
    if org is None:
        return None
    area = auth.orgs().area(org.id)
    if area is None:
        raise OutsideArea(Message(
            f"{org.name} has no area yet, so there is nothing to analyse: an administrator sets "
            f"it with `yizhan org area {org.name} FILE` or on the organisations page",
            "org_no_area", org=org.name), org=org.name, parameter="area")
    return Scope(org.name, area, (org.id, hashlib.sha1(area.wkb).hexdigest()[:16]))
