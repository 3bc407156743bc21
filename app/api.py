"""The JSON API under ``/api``: stations, nearest stations, problem reports, planner edits,
coverage and siting for the planner view.

Views only parse and check input, call :mod:`geo`, and serialize. Every bad parameter is a 400
naming it (``{"error": ..., "parameter": ...}``); the error handlers live in
:func:`register_error_handlers`. Coordinates are WGS-84 (EPSG:4326) degrees, distances metres,
durations seconds. The API is described by ``/api/openapi.json`` (:mod:`app.openapi`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import threading
import time
from datetime import datetime, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, jsonify, request, session, url_for
from werkzeug.exceptions import HTTPException

from app.engine import Blob, DemandFileError, Engine, PlannerBusy, Snapshot
from geo import settings
from geo.coverage import parse_at
from geo.demand import parse_group
from geo.errors import (
    DataFileError,
    InputError,
    NetworkError,
    NotFoundError,
    OffNetworkError,
    YizhanError,
)
from geo.groups import DEFAULT_GROUPS
from geo.network import MODES
from geo.output.plan import PROPOSAL_FORMATS, proposal_file
from geo.stations import (
    KINDS,
    SERVICE_SEPARATORS,
    Station,
    local_time,
    normalize_hours,
    parse_access,
    parse_kind,
    parse_services,
    stable_id,
)

bp = Blueprint("api", __name__)

#: Planner source recorded in the station history.
SOURCE = "planner"


def engine() -> Engine:
    return current_app.extensions["yizhan"]


def snapshot() -> Snapshot:
    return engine().current()


# --- errors ---------------------------------------------------------------------------------------

def error_response(message: str, status: int, parameter: str | None = None, **extra):
    response = jsonify({"error": message, "parameter": parameter, **extra})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    """Turn geo's errors (always) and HTTP errors (under ``/api``) into JSON with a 4xx status."""

    @app.errorhandler(YizhanError)
    def yizhan_error(exc: YizhanError):
        if isinstance(exc, PlannerBusy):
            response = error_response(str(exc), 503)
            response.headers["Retry-After"] = "5"
            return response
        if isinstance(exc, DemandFileError):
            return error_response(str(exc), 409, "demand",
                                  problems=[p.as_dict() for p in exc.problems[:50]])
        if isinstance(exc, InputError):
            return error_response(str(exc), 400, exc.parameter)
        if isinstance(exc, NotFoundError):
            return error_response(str(exc), 404)
        if isinstance(exc, OffNetworkError):
            return error_response(str(exc), 422, "lat", distance_m=round(exc.distance_m, 1))
        if isinstance(exc, DataFileError):
            return error_response(str(exc), 400, "file",
                                  problems=[p.as_dict() for p in exc.problems])
        if isinstance(exc, NetworkError):
            return error_response(str(exc), 400, "mode")
        return error_response(str(exc), 400)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return exc
        return error_response(exc.description or exc.name, exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return http_error(exc)
        if current_app.testing:
            raise exc
        current_app.logger.exception("unexpected error on %s", request.path)
        if request.path.startswith("/api/"):
            return error_response("internal error; the server log has the details", 500)
        return "Internal Server Error", 500


# --- parameters -----------------------------------------------------------------------------------

def _number(name: str, low: float, high: float, *, required: bool = True) -> float | None:
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        if required:
            raise InputError(f"`{name}` is required: a number from {low} to {high}",
                             parameter=name)
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"`{name}` was {raw!r} but must be a number from {low} to {high}",
                         parameter=name) from None
    if not (math.isfinite(value) and low <= value <= high):
        raise InputError(f"`{name}` was {raw!r} but must be a number from {low} to {high}",
                         parameter=name)
    return value


def _whole(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return default
    if not re.fullmatch(r"\s*\d{1,6}\s*", raw) or not low <= int(raw) <= high:
        raise InputError(f"`{name}` was {raw!r} but must be a whole number from {low} to {high}",
                         parameter=name)
    return int(raw)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(name: str) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise InputError(f"`{name}` was {raw!r} but must be 1 or 0 (true or false)",
                         parameter=name)
    return value in _TRUE


def _kinds() -> list[str] | None:
    values = [v for raw in request.args.getlist("kind") for v in raw.split(",") if v.strip()]
    return sorted({parse_kind(v) for v in values}) or None


def _services() -> list[str] | None:
    values = [v for raw in request.args.getlist("service") for v in SERVICE_SEPARATORS.split(raw)
              if v.strip()]
    return sorted(parse_services(values)) or None


def _open_at() -> datetime | None:
    """``open_at`` as an aware time in the default zone (a ZoneInfo, which opening_hours needs:
    a fixed UTC offset such as ``+08:00`` is converted to the same instant there)."""
    raw = request.args.get("open_at")
    if raw is None or not raw.strip():
        return None
    when = local_time(raw)
    try:
        when = when.astimezone(ZoneInfo(settings.timezone))
        when + timedelta(days=8)  # opening hours look ahead; keep clear of year 9999
    except OverflowError:
        raise InputError(f"`open_at` was {raw!r}, too far from today", parameter="open_at") \
            from None
    return when


def _bbox() -> tuple[float, float, float, float] | None:
    raw = request.args.get("bbox")
    if raw is None or not raw.strip():
        return None
    message = (f"`bbox` was {raw!r} but must be west,south,east,north in degrees "
               "(EPSG:4326) with west < east and south < north")
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError:
        raise InputError(message, parameter="bbox") from None
    if not (all(map(math.isfinite, (west, south, east, north))) and -180 <= west < east <= 180
            and -90 <= south < north <= 90):
        raise InputError(message, parameter="bbox")
    return west, south, east, north


def _mode(snap: Snapshot) -> str:
    modes = list(snap.finders)
    raw = request.args.get("mode")
    if raw is None or not raw.strip():
        if not modes:
            raise InputError("this server has no road network; start it with NETWORKS set",
                             parameter="mode")
        return "walk" if "walk" in modes else modes[0]
    if raw not in snap.finders:
        why = "this server has no network for it" if raw in MODES else "no such travel mode"
        raise InputError(f"`mode` was {raw!r} but must be one of {modes} ({why})",
                         parameter="mode")
    return raw


def _allowed(names: set[str]) -> None:
    unknown = sorted(set(request.args) - names)
    if unknown:
        raise InputError(f"unknown parameter(s) {unknown}; allowed: {sorted(names)}",
                         parameter=unknown[0])


# --- reading stations -----------------------------------------------------------------------------

def _feature(snap: Snapshot, station: Station, when) -> dict:
    feature = snap.features[station.id]
    return {**feature, "properties": {**feature["properties"], "open": station.is_open(when)}}


@bp.get("/stations")
def stations():
    """All open stations as a GeoJSON FeatureCollection, filtered by kind, service, time, bbox."""
    _allowed({"kind", "service", "open_at", "bbox"})
    kinds, services, when, bbox = _kinds(), _services(), _open_at(), _bbox()
    snap = snapshot()
    wanted = set(services or ())
    out = []
    for s in snap.stations:
        if kinds and s.kind not in kinds or not wanted <= s.services:
            continue
        if bbox and not (bbox[0] <= s.lon <= bbox[2] and bbox[1] <= s.lat <= bbox[3]):
            continue
        feature = _feature(snap, s, when)
        if when is not None and not feature["properties"]["open"]:
            continue
        out.append(feature)
    return jsonify({"type": "FeatureCollection", "features": out})


@bp.get("/stations/<station_id>")
def station(station_id: str):
    """One station as a GeoJSON Feature."""
    snap = snapshot()
    found = snap.by_id.get(station_id)
    if found is None:
        engine().registry.get(station_id)  # 404 unless it was added a moment ago elsewhere
        snap = engine().refresh()
        found = snap.by_id.get(station_id)
        if found is None:
            raise NotFoundError(f"no station with id {station_id!r}")
    return jsonify(_feature(snap, found, None))


@bp.get("/nearest")
def nearest():
    """The k nearest stations by network distance from a point, with filters and routes."""
    _allowed({"lat", "lon", "mode", "kind", "service", "open_at", "open_now", "k", "route"})
    lat = _number("lat", -90, 90)
    lon = _number("lon", -180, 180)
    k = _whole("k", settings.default_k, 1, settings.max_k)
    kinds, services, when = _kinds(), _services(), _open_at()
    open_now, route = _flag("open_now"), _flag("route")
    if open_now and when is not None:
        raise InputError("give `open_at` or `open_now`, not both", parameter="open_now")
    snap = snapshot()
    mode = _mode(snap)
    where, hits = engine().nearest(snap, mode, lon, lat, k=k, kinds=kinds, services=services,
                                   open_at=when, open_only=open_now or when is not None,
                                   route=route)
    results = []
    for hit in hits:
        item = hit.as_dict()
        item["links"] = snap.links[hit.station.id]
        results.append(item)
    return jsonify({"mode": mode, "results": results,
                    "snapped": {"lon": where.lon, "lat": where.lat,
                                "distance_m": round(where.distance_m, 1)}})


@bp.get("/networks")
def networks():
    """The travel modes this server has, with their size and bounds."""
    return jsonify({"networks": [
        {"mode": mode, "nodes": net.n_nodes, "edges": net.n_edges, "source": net.source,
         "bounds": [float(net.lon.min()), float(net.lat.min()), float(net.lon.max()),
                    float(net.lat.max())] if net.n_nodes else None}
        for mode, net in engine().networks.items()]})


@bp.get("/networks/<mode>/lines")
def network_lines(mode: str):
    """The network's streets as a simplified GeoJSON MultiLineString Feature (for a basemap)."""
    if mode not in engine().networks:
        raise NotFoundError(f"no {mode!r} network here; there are {list(engine().networks)}")
    return _send_blob(engine().lines(mode))


def _send_blob(blob: Blob, *, mimetype: str = "application/geo+json",
               cache_control: str = "public, max-age=3600"):
    if request.if_none_match and blob.etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        gzipped = "gzip" in (request.headers.get("Accept-Encoding") or "")
        response = current_app.response_class(blob.gzipped if gzipped else blob.raw,
                                              mimetype=mimetype)
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(blob.etag)
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = cache_control
    return response


# --- reports --------------------------------------------------------------------------------------

def _body() -> dict:
    if not request.is_json:
        raise InputError("send a JSON object with Content-Type: application/json",
                         parameter="body")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object", parameter="body")
    return body


@bp.post("/reports")
def add_report():
    """A worker reports a problem with a station (closed, full, moved, missing service, other)."""
    body = _body()
    unknown = sorted(set(body) - {"station_id", "kind", "text", "lon", "lat"})
    if unknown:
        raise InputError(f"unknown field(s) {unknown}", parameter=unknown[0])
    report = engine().reports.add(body.get("station_id"), body.get("kind"), body.get("text", ""),
                                  lon=body.get("lon"), lat=body.get("lat"))
    return jsonify(_jsonable(report)), 201


# --- planner sign-in ------------------------------------------------------------------------------

_failures: dict[str, list[float]] = {}
_failures_lock = threading.Lock()
#: Failed sign-ins allowed per client address within the window (seconds).
MAX_FAILURES, FAILURE_WINDOW_S = 10, 300.0


def _fingerprint(password: str) -> str:
    return hashlib.sha256(("yizhan-planner:" + password).encode("utf-8")).hexdigest()


def _planner_password() -> str | None:
    password = current_app.config.get("PLANNER_PASSWORD")
    return None if password in (None, "") else str(password)


def is_planner() -> bool:
    """Whether this session signed in with the current planner password."""
    password = _planner_password()
    mark = session.get("planner")
    return bool(password and isinstance(mark, str)
                and hmac.compare_digest(mark, _fingerprint(password)[:32]))


def planner_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_planner():
            return error_response("planners only: sign in with POST /api/login first", 401)
        return view(*args, **kwargs)

    return wrapped


@bp.get("/session")
def session_state():
    """Whether planner sign-in is enabled and whether this session is signed in."""
    return jsonify({"planner": is_planner(), "enabled": _planner_password() is not None})


@bp.post("/login")
def login():
    """Sign in as a planner: ``{"password": ...}`` against PLANNER_PASSWORD; sets the cookie."""
    password = _planner_password()
    if password is None:
        return error_response("planner sign-in is disabled on this server (set "
                              "YIZHAN_PLANNER_PASSWORD)", 403)
    client = request.remote_addr or "?"
    now = time.monotonic()
    with _failures_lock:
        recent = [t for t in _failures.get(client, []) if now - t < FAILURE_WINDOW_S]
        _failures[client] = recent
        if len(recent) >= MAX_FAILURES:
            return error_response("too many failed sign-ins; wait a few minutes", 429)
    given = _body().get("password")
    if not isinstance(given, str):
        raise InputError("`password` is required", parameter="password")
    if not hmac.compare_digest(_fingerprint(given), _fingerprint(password)):
        with _failures_lock:
            _failures.setdefault(client, []).append(now)
        return error_response("wrong password", 401, "password")
    session.clear()
    session["planner"] = _fingerprint(password)[:32]
    session.permanent = True
    return jsonify({"planner": True})


@bp.post("/logout")
def logout():
    session.clear()
    return jsonify({"planner": False})


@bp.get("/reports")
@planner_required
def list_reports():
    """Problem reports, newest first (planners only); ``station_id`` and ``limit`` optional."""
    _allowed({"station_id", "limit"})
    limit = _whole("limit", 500, 1, 5000)
    items = engine().reports.list(station_id=request.args.get("station_id") or None, limit=limit)
    return jsonify({"reports": [_jsonable(r) for r in items]})


# --- planner edits --------------------------------------------------------------------------------

_TEXT_FIELDS = {"name": 200, "address": 500, "phone": 60, "operator": 200, "notes": 2000}
_FIELDS = {"id", "kind", "lon", "lat", "services", "hours", "capacity", "access", *_TEXT_FIELDS}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}")


def _station_from_body(body: dict, base: Station | None) -> Station:
    """A validated station from a JSON body; fields missing from a PATCH keep ``base``'s values."""
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise InputError(f"unknown field(s) {unknown}; allowed: {sorted(_FIELDS)}",
                         parameter=unknown[0])
    data = base.to_record() if base is not None else {}
    for name, longest in _TEXT_FIELDS.items():
        if name in body:
            value = "" if body[name] is None else body[name]
            if not isinstance(value, str) or len(value) > longest:
                raise InputError(f"`{name}` must be text of at most {longest} characters",
                                 parameter=name)
            data[name] = value.strip()
    if not data.get("name"):
        raise InputError("`name` is required", parameter="name")
    if "kind" in body or base is None:
        if not isinstance(body.get("kind"), str):
            raise InputError("`kind` is required: driver_home, sanitation_station or "
                             "outdoor_rest_point", parameter="kind")
        data["kind"] = parse_kind(body["kind"])
    for name, bound in (("lon", 180), ("lat", 90)):
        if name in body or base is None:
            value = body.get(name)
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value) or not -bound <= value <= bound):
                raise InputError(f"`{name}` was {value!r} but must be a number from {-bound} to "
                                 f"{bound} (EPSG:4326 degrees)", parameter=name)
            data[name] = float(value)
    if "services" in body:
        value = body["services"]
        if value is not None and not isinstance(value, (str, list)):
            raise InputError("`services` must be a list of service ids or a text like "
                             "'休息、厕所'", parameter="services")
        try:
            data["services"] = sorted(parse_services(value))
        except InputError as exc:
            raise InputError(str(exc), parameter="services") from None
    if "hours" in body:
        if body["hours"] is not None and not isinstance(body["hours"], str):
            raise InputError("`hours` must be text such as '24/7' or 'Mo-Fr 08:30-18:00'",
                             parameter="hours")
        data["hours"] = normalize_hours(body["hours"])
    elif base is None:
        data["hours"] = ""
    if "capacity" in body:
        value = body["capacity"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= 100000):
            raise InputError(f"`capacity` was {value!r} but must be a whole number of people "
                             "(or null when unknown)", parameter="capacity")
        data["capacity"] = value
    if "access" in body:
        if body["access"] is not None and not isinstance(body["access"], str):
            raise InputError("`access` must be public or workers_only", parameter="access")
        data["access"] = parse_access(body["access"])
    if base is None:
        given = body.get("id")
        if given is None:
            data["id"] = stable_id(data["kind"], data["name"], data["lon"], data["lat"])
        elif not isinstance(given, str) or not _ID.fullmatch(given):
            raise InputError("`id` must be 1 to 64 letters, digits or _ . : - (or leave it out "
                             "for a stable one)", parameter="id")
        else:
            data["id"] = given
    elif "id" in body and body["id"] != base.id:
        raise InputError("`id` cannot be changed", parameter="id")
    return Station.from_record(data)


@bp.post("/stations")
@planner_required
def create_station():
    """Add a station (planners only)."""
    station = _station_from_body(_body(), None)
    if station.id in {s.id for s in engine().registry.stations()}:
        return error_response(f"a station with id {station.id!r} exists; PATCH it instead",
                              409, "id")
    engine().registry.upsert([station], source=SOURCE)
    snap = engine().refresh()
    return jsonify(_feature(snap, snap.by_id[station.id], None)), 201


@bp.patch("/stations/<station_id>")
@planner_required
def edit_station(station_id: str):
    """Change or move a station (planners only); a deleted one comes back."""
    base = engine().registry.get(station_id)
    station = _station_from_body(_body(), base)
    engine().registry.upsert([station], source=SOURCE)
    snap = engine().refresh()
    return jsonify(_feature(snap, snap.by_id[station.id], None))


@bp.delete("/stations/<station_id>")
@planner_required
def delete_station(station_id: str):
    """Close a station (soft delete, kept in the history; planners only)."""
    engine().registry.delete(station_id, source=SOURCE)
    engine().refresh()
    return jsonify({"deleted": station_id})


@bp.get("/stations/<station_id>/history")
@planner_required
def station_history(station_id: str):
    """Every change to a station, oldest first (planners only)."""
    items = engine().registry.history(station_id)
    if not items:
        raise NotFoundError(f"no station with id {station_id!r} has any history")
    return jsonify({"station_id": station_id, "history": [_jsonable(h) for h in items]})


def _jsonable(record: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}


# --- coverage and siting (the planner view) -------------------------------------------------------

#: Largest travel budget, minutes; most new stations per plan; most points on a coverage curve.
MAX_MINUTES, MAX_ADD, MAX_CURVE = 120.0, 50, 20
#: H3 resolutions offered for coverage cells (5: about 250 km², 11: about 2,000 m²).
H3_RANGE = (5, 11)


def _value(name: str, value, *, whole: bool, low: float, high: float,
           above_low: bool = False) -> float | int | None:
    """A number from JSON (int/float, never bool) or a query string; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = "a whole number" if whole else "a number"
    bounds = f"above {low:g} and up to {high:g}" if above_low else f"from {low:g} to {high:g}"
    message = f"`{name}` was {value!r} but must be {kind} {bounds}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(message, parameter=name)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 40:
            raise InputError(message[:80] + "…", parameter=name)
        try:
            value = float(text)
        except ValueError:
            raise InputError(message, parameter=name) from None
    value = float(value)
    ok = math.isfinite(value) and (low < value if above_low else low <= value) and value <= high
    if not ok or (whole and value != int(value)):
        raise InputError(message, parameter=name)
    return int(value) if whole else value


def _group_list(values) -> list[str] | None:
    """Worker group ids from a list or comma-separated text (ids or Chinese/English labels)."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputError("`group` must be a worker group id or a list of them: "
                         + ", ".join(DEFAULT_GROUPS), parameter="group")
    parts = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
    return sorted({parse_group(v) for v in parts}) or None


def _at() -> datetime | None:
    """``at``: ``HH:MM`` today, or an ISO time, in the stations' zone (Asia/Shanghai)."""
    raw = request.args.get("at")
    if raw is None or not raw.strip():
        return None
    when = parse_at(raw[:64])
    if not 1970 <= when.year <= 2200:
        raise InputError(f"`at` was {raw!r}, too far from today", parameter="at")
    return when.astimezone(ZoneInfo(settings.timezone))


@bp.get("/coverage")
def coverage_view():
    """Covered and uncovered workers per group (and at a time), H3 cells and gap areas."""
    _allowed({"group", "at", "minutes", "h3_res"})
    groups = _group_list(request.args.getlist("group") or None)
    when = _at()
    minutes = _value("minutes", request.args.get("minutes"), whole=False, low=0,
                     high=MAX_MINUTES, above_low=True)
    res = _value("h3_res", request.args.get("h3_res"), whole=True, low=H3_RANGE[0],
                 high=H3_RANGE[1])
    blob = engine().coverage(snapshot(), minutes=minutes, at=when,
                             h3_res=settings.h3_res if res is None else res, groups=groups)
    return _send_blob(blob, mimetype="application/json", cache_control="no-cache")


_PLAN_FIELDS = {"kind", "add", "target", "minutes", "group", "curve"}


def _plan_params(values: dict) -> dict:
    """Checked siting parameters from a JSON body or the query string."""
    unknown = sorted(set(values) - _PLAN_FIELDS)
    if unknown:
        raise InputError(f"unknown field(s) {unknown}; allowed: {sorted(_PLAN_FIELDS)}",
                         parameter=unknown[0])
    kind = values.get("kind")
    if not isinstance(kind, str) or not kind.strip():
        raise InputError("`kind` is required: the kind of the new stations, one of "
                         + ", ".join(KINDS), parameter="kind")
    add = _value("add", values.get("add"), whole=True, low=1, high=MAX_ADD)
    target = _value("target", values.get("target"), whole=False, low=0, high=1,
                    above_low=True)
    if (add is None) == (target is None):
        raise InputError("give exactly one of `add` (how many new stations, 1 to "
                         f"{MAX_ADD}) or `target` (the share of workers to reach, 0 to 1)",
                         parameter="add")
    return {"kind": parse_kind(kind[:100]), "add": add, "target": target,
            "minutes": _value("minutes", values.get("minutes"), whole=False, low=0,
                              high=MAX_MINUTES, above_low=True),
            "groups": _group_list(values.get("group")),
            "curve": _value("curve", values.get("curve"), whole=True, low=1, high=MAX_CURVE)}


def _version_text(snap: Snapshot) -> str:
    return "-".join(str(v) for v in snap.version)


@bp.post("/plan")
def plan_view():
    """Where new stations should go (anyone may run it: it changes nothing)."""
    params = _plan_params(_body())
    snap = snapshot()
    answer, result = engine().plan(snap, **params)
    downloads = None
    if result is not None:
        query = {"kind": params["kind"], "group": answer["groups"], "v": _version_text(snap)}
        query |= {k: params[k] for k in ("add", "target", "minutes", "curve")
                  if params[k] is not None}
        downloads = {fmt: url_for("api.proposal", fmt=fmt, **query) for fmt in PROPOSAL_FORMATS}
    return jsonify({**answer, "downloads": downloads})


_MIMETYPES = {"geojson": "application/geo+json", "csv": "text/csv; charset=utf-8",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/plan/proposal.<fmt>")
def proposal(fmt: str):
    """The proposal of a siting run as a GeoJSON, CSV or XLSX file (the run's parameters in the
    query; ``v`` the registry version it was made at)."""
    if fmt not in PROPOSAL_FORMATS:
        raise NotFoundError(f"no proposal format {fmt[:20]!r}; use {list(PROPOSAL_FORMATS)}")
    values = {k: request.args.getlist(k) if k == "group" else request.args.get(k)
              for k in request.args if k != "v"}
    params = _plan_params(values)
    snap = snapshot()
    made_at = request.args.get("v")
    if made_at is not None and made_at != _version_text(snap):
        return error_response("the stations changed since this plan was made; run the plan "
                              "again to download it", 409, "v")
    answer, result = engine().plan(snap, **params)
    if result is None:
        return error_response("there is nothing to download: " + answer["note"], 409)
    count = len(result.sites)
    response = current_app.response_class(proposal_file(result, fmt), mimetype=_MIMETYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="yizhan-plan-{params["kind"]}-{count}.{fmt}"')
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the description ------------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    from app.openapi import spec

    return jsonify(spec())
