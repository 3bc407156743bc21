"""The JSON API under ``/api``: stations, nearest stations, problem reports, planner edits,
coverage and siting for the planner view.

Views only call :mod:`geo` and serialize: :func:`app.openapi.operation` hands each its query
and body already checked by the models of :mod:`app.schemas`, the same models that write
``/api/openapi.json``. Every bad parameter is a 400 naming it (``{"error": ..., "parameter":
...}``, see :mod:`app.handlers` for every error's answer). Coordinates are WGS-84
(EPSG:4326) degrees, distances metres, durations seconds.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
from flask import Blueprint, current_app, g, jsonify, request, url_for

from app import schemas as s
from app import settings as app_settings
from app.auth import actor, is_planner, planner_required  # noqa: F401 - is_planner for views
from app.errors import VersionRequired
from app.handlers import BUSY_RETRY_S, error_response, yizhan_error
from app.jobs import JobFailed
from app.lang import catalogue
from app.openapi import IF_MATCH, json_object, operation, spec
from app.org_gate import analysis_scope, sees_station
from app.pages import pick_lang
from app.snapshot import Blob, Snapshot, key_etag
from app.state import CHOSEN, state
from app.traffic import give_way
from geo import settings
from geo.coords import to_wgs84
from geo.errors import InputError, NotFoundError, OffNetworkError, YizhanError
from geo.output.plan import PROPOSAL_FORMATS, proposal_file
from geo.registry import Versioned
from geo.stations import Station, local_time, stable_id
from geo.text import shown

bp = Blueprint("api", __name__)

#: Planner source recorded in the station history (the user name goes in as its actor).
SOURCE = "planner"


def snapshot() -> Snapshot:
    """The current stations of this app (:meth:`app.state.AppState.current`)."""
    return state().current()


# --- parameters (checked by the models of app.schemas, see app.openapi.operation) ----------------

def _mode(snap: Snapshot, mode: str | None) -> str:
    modes = list(snap.finders)
    if mode is None:
        if not modes:
            raise InputError("this server has no road network; start it with NETWORKS set",
                             parameter="mode")
        return "walk" if "walk" in modes else modes[0]
    if mode not in snap.finders:
        raise InputError(f"`mode` was {mode!r} but must be one of {modes} (this server has no "
                         "network for it)", parameter="mode")
    return mode


# --- reading stations -----------------------------------------------------------------------------

def _feature(snap: Snapshot, station: Station, when) -> dict:
    feature = snap.features[station.id]
    return {**feature, "properties": {**feature["properties"], "open": station.is_open(when)}}


@bp.get("/stations")
@operation(query=s.StationsQuery, answers={
    200: (s.StationCollection, "The stations (gzip with Accept-Encoding: gzip)."),
    304: (None, "Not modified (If-None-Match).")})
def stations(query: s.StationsQuery):
    """Stations as GeoJSON.

    Every station in service as a FeatureCollection (EPSG:4326 points), filtered by kind,
    service, opening time and box (`bbox`, for the part of the map a phone shows). The `open`
    flags are for `open_at`, else for the current minute. The ETag names the registry version,
    the query and that minute: revalidate (`Cache-Control: no-cache`) and a matching
    If-None-Match gets a 304.
    """
    snap = snapshot()
    given = query.open_at is not None
    at = query.open_at if given else local_time(None).replace(second=0, microsecond=0)
    key = ("stations", snap.version, tuple(query.kind or ()), tuple(query.service or ()),
           query.bbox, given, at.isoformat())
    unchanged = _not_modified(key_etag(key), "no-cache")
    if unchanged is not None:
        return unchanged
    blob = state().answer(key, lambda: _stations_answer(snap, query, at, open_only=given))
    return _send_blob(blob, mimetype="application/json", cache_control="no-cache")


def _stations_answer(snap: Snapshot, query: s.StationsQuery, at: datetime, *,
                     open_only: bool) -> dict:
    """The FeatureCollection of the snapshot's stations that ``query`` asks for, ``open`` at
    ``at`` (only the open ones with ``open_only``)."""
    wanted, bbox, kinds = set(query.service or ()), query.bbox, query.kind
    out = []
    for st in snap.stations:
        if (kinds and st.kind not in kinds) or not wanted <= st.services:
            continue
        if bbox and not (bbox[0] <= st.lon <= bbox[2] and bbox[1] <= st.lat <= bbox[3]):
            continue
        feature = _feature(snap, st, at)
        if open_only and not feature["properties"]["open"]:
            continue
        out.append(feature)
    return {"type": "FeatureCollection", "features": out}


@bp.get("/stations/<station_id>")
@operation(answers={200: (s.StationFeature, "The station, with its `version` (and as ETag)."),
                    404: (None, "No station with that id.")})
def station(station_id: str):
    """One station as a GeoJSON Feature, with its version.

    Read from the registry itself, so the version is the one a change must start from: send it
    back in If-Match (or as `version`) with PATCH or DELETE.
    """
    return _versioned_answer(state().registry.get_versioned(station_id))


def _versioned_answer(entry: Versioned, status: int = 200):
    response = jsonify(snapshot().versioned_feature(entry))
    response.status_code = status
    response.set_etag(str(entry.version))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/nearest")
@operation(query=s.NearestQuery, answers={
    200: (s.Nearest, "Up to k stations, nearest first."),
    422: (s.OffNetwork, "The point is off the network (`distance_m` from it).")})
def nearest(query: s.NearestQuery):
    """The k nearest stations by network distance.

    Filters apply before the k are counted; with `route`, each answer carries its route.
    """
    snap = snapshot()
    mode = _mode(snap, query.mode)
    _near_the_network(mode, query.lon, query.lat)
    when = query.open_at
    where, hits = state().nearest(snap, mode, query.lon, query.lat, k=query.k, kinds=query.kind,
                                   services=query.service, open_at=when,
                                   open_only=bool(query.open_now) or when is not None,
                                   route=bool(query.route))
    results = []
    for hit in hits:
        item = hit.as_dict()
        item["links"] = snap.links[hit.station.id]
        results.append(item)
    left_out = [{"id": st.id, "name": st.name} for st in snap.finders[mode].off_network]
    return _json({"mode": mode, "results": results,
                  "snapped": {"lon": where.lon, "lat": where.lat,
                              "distance_m": round(where.distance_m, 1)},
                  "off_network": left_out})


#: What Flask's JSON provider does itself, orjson leaves to it (dates as HTTP dates).
_ORJSON = (orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_PASSTHROUGH_DATETIME
           | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_APPEND_NEWLINE)


def _json(body: dict):
    """``jsonify(body)``, the same bytes, by orjson: a route-carrying answer is ~5 kB of
    coordinates, which the standard encoder takes ~0.07 ms of a ~0.5 ms request to write."""
    provider = current_app.json
    return current_app.response_class(orjson.dumps(body, default=provider.default, option=_ORJSON),
                                      mimetype=provider.mimetype)


#: Per app state and travel mode: the network's box, west, south, east, north (EPSG:4326).
_AREAS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _near_the_network(mode: str, lon: float, lat: float) -> None:
    """A point far outside the network's box is off network (422) before it is snapped: a
    metric projection of the region cannot hold points a continent away (they come out
    infinite)."""
    boxes = _AREAS.setdefault(state(), {})
    if mode not in boxes:
        net = state().networks[mode]
        boxes[mode] = (float(net.lon.min()), float(net.lat.min()), float(net.lon.max()),
                       float(net.lat.max())) if net.n_nodes else None
    box = boxes[mode]
    if box is None:
        return
    near_lon, near_lat = min(max(lon, box[0]), box[2]), min(max(lat, box[1]), box[3])
    phi1, phi2 = math.radians(lat), math.radians(near_lat)
    half = (math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2)
            * math.sin(math.radians(near_lon - lon) / 2) ** 2)
    distance = 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(half)))
    if distance > max(settings.max_snap_m, 50_000):  # beyond any doubt, else the snap decides
        raise OffNetworkError(
            f"the point ({lon:.6f}, {lat:.6f}) is {distance:.0f} m from the area of the {mode} "
            f"network, more than the {settings.max_snap_m:.0f} m allowed: it lies off this "
            "network", distance_m=distance)


@bp.get("/networks")
@operation(query=s.RegionQuery, answers={200: (s.Networks, "Modes with nodes, edges, source and "
                                                           + "bounds.")})
def networks(query: s.RegionQuery):
    """The travel modes this server has, with their size and bounds."""
    return jsonify({"networks": [
        {"mode": mode, "nodes": net.n_nodes, "edges": net.n_edges, "source": net.source,
         "bounds": [float(net.lon.min()), float(net.lat.min()), float(net.lon.max()),
                    float(net.lat.max())] if net.n_nodes else None}
        for mode, net in state().networks.items()]})


@bp.get("/networks/<mode>/lines")
@operation(query=s.RegionQuery, media="application/geo+json", answers={
    200: (s.StreetLines, "A GeoJSON Feature (gzip with Accept-Encoding: gzip)."),
    304: (None, "Not modified (If-None-Match)."), 404: (None, "No such network here.")})
def network_lines(mode: str, query: s.RegionQuery):
    """The streets of a network as a simplified GeoJSON MultiLineString.

    A basemap that needs no tiles.
    """
    if mode not in state().networks:
        raise NotFoundError(f"no {mode[:20]!r} network here; there are {list(state().networks)}")
    return _send_blob(state().lines(mode))


@bp.get("/basemap")
@operation(query=s.RegionQuery, media="application/geo+json", answers={
    200: (s.Basemap, "A GeoJSON FeatureCollection (gzip with Accept-Encoding: gzip)."),
    304: (None, "Not modified (If-None-Match)."),
    404: (None, "No basemap here: draw /api/networks/{mode}/lines.")})
def basemap(query: s.RegionQuery):
    """The basemap layers built from the OpenStreetMap extract: green areas, water, roads by
    class (motorway … footway) and label points for main streets, rivers and parks.

    Drawn by the page itself, so the map needs no tile service.
    """
    return _send_blob(state().basemap())


def _send_blob(blob: Blob, *, mimetype: str = "application/geo+json",
               cache_control: str = "public, max-age=3600"):
    unchanged = _not_modified(blob.etag, cache_control)
    if unchanged is not None:
        return unchanged
    gzipped = _accepts_gzip()
    response = current_app.response_class(blob.gzipped if gzipped else blob.raw,
                                          mimetype=mimetype)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    return _cache_headers(response, blob.etag, cache_control)


def _accepts_gzip() -> bool:
    """Whether the client accepts gzip (``Accept-Encoding``, a ``q=0`` refusal honoured)."""
    return request.accept_encodings["gzip"] > 0


def _not_modified(etag: str, cache_control: str):
    """A 304 when the request's If-None-Match holds ``etag``, else None."""
    if not (request.if_none_match and etag in request.if_none_match):
        return None
    return _cache_headers(current_app.response_class(status=304), etag, cache_control)


def _cache_headers(response, etag: str, cache_control: str):
    response.set_etag(etag)
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = cache_control
    return response


# --- reports --------------------------------------------------------------------------------------

@bp.post("/reports")
@operation(body=s.ReportBody, answers={
    201: (s.ReportReceipt, "Received: a new report, or one more on the open report of the same "
                           + "problem at this station (the same status either way).")})
def add_report(body: s.ReportBody):
    """Report a problem with a station (closed, full, moved, missing service, other).

    Anyone may report, a few times a minute per client (429 beyond, see app.limits). The answer
    is 201 whether the report is new or counts on an open one, and says nothing of any other
    worker's report (no id, count, text or position): those are for planners
    (`GET /api/reports`). `notes` says when characters were removed from `text`, or when the
    open report holds as many workers' words as it keeps and this one's could not be kept.
    """
    receipt = state().reports.add(body.station_id, body.kind, body.text, lon=body.lon,
                                  lat=body.lat)
    texts = catalogue(pick_lang())["api"]
    notes = []
    if receipt.removed:
        notes.append({"code": "text_cleaned", "message": texts["report_text_cleaned"].format(
            chars=", ".join(shown(c) for c in receipt.removed))})
    if not receipt.kept:
        notes.append({"code": "not_kept", "message": texts["report_not_kept"].format(
            n=app_settings.report_entries_max)})
    return jsonify({"received": True, "station_id": receipt.station_id, "kind": receipt.kind,
                    "counted_on_open_report": receipt.folded, "notes": notes}), 201


def _report(report: dict) -> dict:
    """A report as planners read it: times as ISO 8601, its entries' too."""
    return {**_jsonable(report), "entries": [_jsonable(e) for e in report["entries"]]}


@bp.get("/reports")
@planner_required
@operation(query=s.ReportsQuery, answers={200: (s.Reports, "Reports, with each worker's words "
                                                           + "and position.")})
def list_reports(query: s.ReportsQuery):
    """Problem reports, newest first, each with every worker's words and position (planners
    only)."""
    items = state().reports.list(station_id=query.station_id, status=query.status,
                                 limit=query.limit)
    return jsonify({"reports": [_report(r) for r in items if sees_station(r["station_id"])]})


@bp.patch("/reports/<int:report_id>")
@planner_required
@operation(body=s.ReportPatch, answers={200: (s.Report, "The report as changed."),
                                        404: (None, "No report with that id.")})
def edit_report(report_id: int, body: s.ReportPatch):
    """Mark a report handled, or open again (planners only)."""
    if report_id > s.MAX_SERIAL:
        raise NotFoundError(f"no report with id {report_id}")
    return jsonify(_report(state().reports.set_status(report_id, body.status)))


# --- planner edits --------------------------------------------------------------------------------

def _station(body: s.StationFields, base: Station | None) -> Station:
    """The station a body describes; fields missing from a PATCH keep ``base``'s values."""
    given = body.model_dump(exclude_unset=True)
    crs = given.pop("crs", "wgs84")
    if crs != "wgs84" and ("lon" in given or "lat" in given):
        if "lon" not in given or "lat" not in given:
            raise InputError("`crs` converts a position: give both `lon` and `lat`",
                             parameter="crs")
        lon, lat = to_wgs84(given["lon"], given["lat"], crs)
        given["lon"], given["lat"] = round(float(lon), 7), round(float(lat), 7)
    data = base.to_record() if base is not None else {"hours": ""}
    data |= {k: v for k, v in given.items() if k not in ("id", "version")}
    if base is None:
        data["id"] = given.get("id") or stable_id(data["kind"], data["name"], data["lon"],
                                                  data["lat"])
    elif given.get("id", base.id) != base.id:
        raise InputError("`id` cannot be changed", parameter="id")
    station = Station.from_record(data)
    area = state().area
    outside = area.outside(station.lon, station.lat) if area and ("lon" in given
                                                                   or "lat" in given) else None
    if outside:  # the server's bounds: YIZHAN_BOUNDS, else China when its networks are
        raise InputError(outside.replace("--bounds, ", ""), parameter="lon")
    return station


@bp.post("/stations")
@planner_required
@operation(body=s.StationCreate, answers={
    201: (s.StationFeature, "The new station, at version 1 (ETag)."),
    409: (None, "A station with this id exists (the database's key decides).")})
def create_station(body: s.StationCreate):
    """Add a station (planners only)."""
    station = _station(body, None)
    give_way()
    version = state().registry.create(station, source=SOURCE, actor=actor())
    state().refresh()
    return _versioned_answer(Versioned(station, version), 201)


_CONFLICTS = {
    409: (s.StaleVersion, "The station changed since that version: the answer has it as it is "
                          + "now, its version, and who changed it and when."),
    428: (None, "No version given: send If-Match (the ETag of GET /api/stations/{station_id}) "
                + "or `version`."),
}


@bp.patch("/stations/<station_id>")
@planner_required
@operation(body=s.StationPatch, headers={"If-Match": IF_MATCH}, answers={
    200: (s.StationFeature, "The station as changed, with its new version (ETag)."),
    **_CONFLICTS})
def edit_station(station_id: str, body: s.StationPatch):
    """Edit or move a station (planners only).

    The change must say which version it starts from (If-Match or `version`): when someone else
    changed the station since, nothing is written and the answer is 409 with their change.
    """
    base = state().registry.get_versioned(station_id)
    station = _station(body, base.station)
    expected = _expected_version(body.version)
    give_way()
    version = state().registry.update(station, version=expected, source=SOURCE,
                                         actor=actor())
    state().refresh()
    return _versioned_answer(Versioned(station, version))


@bp.delete("/stations/<station_id>")
@planner_required
@operation(headers={"If-Match": IF_MATCH}, answers={200: (s.Deleted, "Closed."), **_CONFLICTS})
def delete_station(station_id: str):
    """Close a station: a soft delete kept in the history (planners only).

    As for PATCH, the version closed is in If-Match (or a JSON body `{"version": …}`).
    """
    given = s.parse_body(s.DeleteBody, json_object()) if request.content_length else None
    give_way()
    state().registry.delete(station_id, source=SOURCE, actor=actor(),
                             version=_expected_version(given.version if given else None))
    state().refresh()
    return jsonify({"deleted": station_id})


def _expected_version(in_body: int | None) -> int:
    """The version a change starts from: If-Match (``"3"``) or the body's ``version``."""
    header = request.headers.get("If-Match")
    if header is None:
        if in_body is None:
            raise VersionRequired(
                "say which version of the station you changed: send If-Match with the ETag of "
                "GET /api/stations/{station_id} (e.g. If-Match: \"3\"), or `version` in the body")
        return in_body
    text = header.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit() and len(text) <= 10
            and 1 <= int(text) <= s.MAX_SERIAL):
        raise InputError(f"`If-Match` was {header[:40]!r} but must be a station version such as "
                         '"3" (the ETag of GET /api/stations/{station_id})', parameter="If-Match")
    if in_body is not None and in_body != int(text):
        raise InputError(f"If-Match says version {text} but `version` says {in_body}; send one",
                         parameter="version")
    return int(text)


@bp.get("/stations/<station_id>/history")
@planner_required
@operation(answers={200: (s.History, "The history.")})
def station_history(station_id: str):
    """Every change to a station, oldest first (planners only)."""
    items = state().registry.history(station_id)
    if not items:
        raise NotFoundError(f"no station with id {station_id!r} has any history")
    return jsonify({"station_id": station_id, "history": [_jsonable(h) for h in items]})


def _jsonable(record: dict) -> dict:
    """Times as ISO 8601 with their offset (the registry keeps UTC; SQLite forgets the zone)."""
    return {k: (v if v.tzinfo else v.replace(tzinfo=UTC)).isoformat()
            if isinstance(v, datetime) else v for k, v in record.items()}


# --- coverage and siting (the planner view) -------------------------------------------------------

_DEMAND_ERRORS = {
    404: (None, "The server has no worker demand file (DATA_DIR/demand.csv or YIZHAN_DEMAND), or "
                + "no network for any of its groups."),
    409: (s.DemandProblems, "The server's demand file has problems (file, row, column each)."),
}


#: What the analyses answer when this process is computing one already (see app.state).
_BUSY = {503: (None, "分析正在进行，请稍后再试: another coverage or siting run is computing in "
                     + "this server process; retry after Retry-After seconds.")}


@bp.get("/coverage")
@planner_required
@operation(query=s.CoverageQuery, answers={
    200: (s.Coverage, "Coverage."), 304: (None, "Not modified (If-None-Match)."),
    **_DEMAND_ERRORS, **_BUSY})
def coverage_view(query: s.CoverageQuery):
    """Covered workers per group, H3 cells and gap areas.

    geo.workflow.run_coverage on the server's networks, stations and worker demand file: a
    worker is covered when a station of a kind their group uses is within the group's travel
    budget on the group's network (and, with `at`, open then). Every demand point is measured
    where it is; `cells` pools them into H3 cells. Kept per registry version, so repeated calls
    are fast. A planner of an organisation counts the workers inside its area only (`area`
    names it). Planners only; one analysis computes at a time per server process (503 else) and
    each client may ask a limited number per minute (429).
    """
    return _send_blob(_coverage(query, scope=analysis_scope()), mimetype="application/json",
                      cache_control="no-cache")


def _coverage(params: s.CoverageQuery | s.CoverageParams, progress=None, scope=None) -> Blob:
    """The coverage answer for ``params`` (GET /api/coverage, and its job), in ``scope``."""
    return state().coverage(snapshot(), minutes=params.minutes, at=params.at,
                            h3_res=params.h3_res, groups=params.group, progress=progress,
                            scope=scope)


def _version_text(snap: Snapshot) -> str:
    return "-".join(str(v) for v in snap.version)


@bp.post("/plan")
@planner_required
@operation(body=s.PlanParams, answers={
    200: (s.Plan, "The proposal."), **_BUSY, **_DEMAND_ERRORS})
def plan_view(body: s.PlanParams):
    """Where new stations should go (a siting run).

    The flow of `yizhan plan` without --candidates: candidate sites are road nodes spread over
    the uncovered workers of the groups that use `kind`, the existing stations are kept, and
    geo.siting.planning.plan solves maximal covering (`add`) or set covering (`target`, a
    share of the chosen groups' workers together, 0.9 or 90) exactly with HiGHS within the
    server's time limit (10 s by default). With `at`, only the stations open then count (the
    hour the planner looks at). A planner of an organisation plans for the workers inside its
    area, with new sites inside it (`area` names it). When the target is met already the
    answer says so (`already_met`, `note`) with no sites. Planners only (it changes nothing,
    but it is heavy): one analysis computes at a time per server process (503 else), and each
    client may ask a limited number per minute (429).
    """
    return jsonify(_plan(body, scope=analysis_scope()))


def _plan(body: s.PlanParams, progress=None, scope=None) -> dict:
    """The answer of POST /api/plan for ``body`` (and of its job) in ``scope``, with its download
    links."""
    snap = snapshot()
    params = body.plan_args()
    answer, result = state().plan(snap, **params, progress=progress, scope=scope)
    downloads = None
    if result is not None:
        query = {"kind": params["kind"], "group": answer["groups"], "v": _version_text(snap)}
        if body.region is not None:
            query["region"] = body.region
        query |= {k: params[k] for k in ("add", "target", "minutes", "curve")
                  if params[k] is not None}
        if params["at"] is not None:
            query["at"] = params["at"].isoformat()
        downloads = {fmt: url_for("api.proposal", fmt=fmt, **query) for fmt in PROPOSAL_FORMATS}
    return {**answer, "downloads": downloads}


_MIMETYPES = {"geojson": "application/geo+json", "csv": "text/csv; charset=utf-8",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/plan/proposal.<fmt>")
@planner_required
@operation(query=s.ProposalQuery, media=" ".join(m.split(";")[0] for m in _MIMETYPES.values()),
           answers={200: (None, "The file (Content-Disposition: attachment)."),
                    404: (None, "No such format."),
                    409: (None, "The stations changed since `v`, or there is nothing to "
                                + "download."),
                    **_BUSY})
def proposal(fmt: str, query: s.ProposalQuery):
    """A siting run's proposal as a file.

    The parameters of POST /api/plan in the query (as in its `downloads` links) and `v`, the
    registry version the plan was made at. The run is kept in memory, or run again (the same
    answer). GeoJSON points (EPSG:4326); CSV in UTF-8 with a BOM for Excel; XLSX. `lang=zh`
    gives Chinese headers (排名, 编号, 名称, 经度, 纬度, 来源, 成本, 新覆盖人数 …).
    """
    if fmt not in PROPOSAL_FORMATS:
        raise NotFoundError(f"no proposal format {fmt[:20]!r}; use {list(PROPOSAL_FORMATS)}")
    snap = snapshot()
    if query.v is not None and query.v != _version_text(snap):
        return error_response("the stations changed since this plan was made; run the plan "
                              "again to download it", 409, "v")
    params = query.plan_args()
    answer, result = state().plan(snap, **params, scope=analysis_scope())
    if result is None:
        return error_response("there is nothing to download: " + answer["note"], 409)
    count = len(result.sites)
    response = current_app.response_class(proposal_file(result, fmt, lang=query.lang),
                                          mimetype=_MIMETYPES[fmt])
    suffix = "-zh" if query.lang == "zh" else ""
    response.headers["Content-Disposition"] = (
        f'attachment; filename="yizhan-plan-{params["kind"]}-{count}{suffix}.{fmt}"')
    response.headers["Cache-Control"] = "no-store"
    return response


# --- coverage and siting as jobs (app.jobs) -------------------------------------------------------

_JOB = {202: (s.Job, "Accepted: the job, queued in this server process (Location: GET "
                     + "/api/jobs/{job_id}, to poll)."),
        503: (None, "The job queue of this server process is full: retry after Retry-After "
                    + "seconds (the message is in the planner's language).")}
_JOB_PATH = {"job_id": {"type": "string", "minLength": 1, "maxLength": 64}}


def _submit(analysis: str, make: Callable[[Callable[[str], None]], bytes]):
    """Queue ``make(progress)`` (the answer as JSON bytes) as the signed-in planner's job; 202
    with the job. It runs in this process's job thread, in a request context like this one (so
    its answer, links included, is the synchronous endpoint's); an error of the hierarchy ends it
    ``failed`` with the answer that endpoint would have given."""
    app, root, lang = current_app._get_current_object(), request.root_url, pick_lang()
    region = g.get(CHOSEN)  # the region asked for (app.deployment), for the job's context too

    def work(progress: Callable[[str], None]) -> bytes:
        with app.test_request_context("/api/jobs", base_url=root):
            setattr(g, CHOSEN, region)
            try:
                return make(progress)
            except YizhanError as exc:
                answer = yizhan_error(exc)
                raise JobFailed(answer.get_json(), answer.status_code) from exc

    full = catalogue(lang)["api"]["job_queue_full"].format(n=app_settings.job_queue_max,
                                                          s=BUSY_RETRY_S)
    view = state().jobs.submit(actor(), analysis, work, full=full)
    response = _json(view.as_json(None))
    response.status_code = 202
    response.headers["Location"] = url_for("api.job", job_id=view.id)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/jobs/coverage")
@planner_required
@operation(body=s.CoverageParams, answers=_JOB)
def coverage_job(body: s.CoverageParams):
    """Coverage as a job: GET /api/coverage for a whole city, with progress and a cancel.

    The parameters of GET /api/coverage in a JSON body. The job waits in its server process's
    queue (one analysis computes at a time per process), then runs; GET /api/jobs/{job_id}
    tells its stage, progress and queue position, and its result when done. Planners only;
    each client may ask a limited number per minute (429).
    """
    scope = analysis_scope()
    return _submit("coverage", lambda progress: _coverage(body, progress, scope).raw)


@bp.post("/jobs/plan")
@planner_required
@operation(body=s.PlanParams, answers=_JOB)
def plan_job(body: s.PlanParams):
    """A siting run as a job: POST /api/plan for a whole city, with progress and a cancel.

    The body of POST /api/plan. As for coverage jobs: queued per server process, polled with
    GET /api/jobs/{job_id}, cancelled with DELETE. Planners only; each client may ask a
    limited number per minute (429).
    """
    scope = analysis_scope()
    return _submit("plan", lambda progress: _json(_plan(body, progress, scope)).get_data())


@bp.get("/jobs/<job_id>")
@planner_required
@operation(path=_JOB_PATH, answers={
    200: (s.Job, "The job: state, stage, progress, queue position, and the result once done."),
    404: (None, "No such job of the signed-in planner (another planner's job is not theirs "
                + "to see), or it was deleted after app.settings.job_keep_s.")})
def job(job_id: str):
    """A coverage or siting job of the signed-in planner.

    Any server process answers (jobs are kept in the registry database). Poll it every second
    or two: `queue_position` while it waits, `stage` and `progress` while it runs, `result`
    (the synchronous endpoint's answer) when done, `failure` (that endpoint's error answer)
    when it failed.
    """
    jobs, owner = state().jobs, actor()
    view = jobs.get(owner, job_id)
    response = _json(view.as_json(jobs.result(owner, job_id) if view.state == "done" else None))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/jobs/<job_id>")
@planner_required
@operation(path=_JOB_PATH, answers={
    200: (s.Job, "The job: `cancelled` when it was queued, `cancelling` while the running "
                 + "analysis reaches its next step; a finished job stays as it was."),
    404: (None, "No such job of the signed-in planner.")})
def cancel_job(job_id: str):
    """Cancel a coverage or siting job of the signed-in planner.

    A queued job is cancelled at once; a running one stops at the next step of its analysis
    (the job's state becomes `cancelled`) and frees its process for the next job. Any server
    process takes the cancel.
    """
    response = _json(state().jobs.cancel(actor(), job_id).as_json(None))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the description ------------------------------------------------------------------------------

@bp.get("/openapi.json")
@operation(answers={200: (None, "OpenAPI 3.1.")})
def openapi():
    """This document."""
    return jsonify(spec(current_app))
