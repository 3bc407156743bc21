"""Station lists in and out of the registry from the planner view: upload, preview, mapping,
apply, and export (the blueprint of :mod:`app.office_files`' uploads).

- ``POST /api/imports?name=驿站.xlsx``: the file as the body (``Content-Type:
  application/octet-stream``, which no cross-site form can send, like every write's JSON) of at
  most ``IMPORT_MAX_BYTES`` (20 MiB; larger is a 413 in the planner's language). Answers the
  preview with the mapping remembered for the file's headers.
- ``POST /api/imports/{upload_id}/preview``: the file read with a column mapping, a default kind,
  a coordinate system and the monthly sync: a page of rows with every problem in its cell, the
  points where they land, whether another coordinate system fits them better, and what applying
  would add, update, leave and close.
- ``POST /api/imports/{upload_id}/apply``: all or nothing (:meth:`geo.registry.Registry.upsert`,
  closing in the same write), recorded in the history as ``import <file>`` by the planner.
- ``GET /api/export/stations.{csv,xlsx}``: the registry, or what the filters show, in Chinese or
  English, WGS-84, GCJ-02 or BD-09; every text a spreadsheet would run is written as text.

All are for planners, and limited per client like the analyses (``ANALYSIS_RATE_LIMIT``);
reading a file holds the process's analysis slot (a 503 with Retry-After while another runs).
"""

from __future__ import annotations

import math
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app import office_files as files
from app import org_gate
from app.auth import actor, planner_required
from app.handlers import error_response
from app.lang import catalogue, say_message
from app.openapi import operation
from app.pages import pick_lang
from app.schemas import office_io as m
from app.state import state
from geo.errors import DataFileError, InputError, Message, Problem, message_of
from geo.io.stations import COLUMNS, ZH_HEADERS, write_stations
from geo.stations import local_time

bp = Blueprint("office_io", __name__)

#: Default of ``IMPORT_MAX_BYTES``: the largest station list a planner may upload.
IMPORT_MAX_BYTES = 20 * 1024 * 1024
#: How many problems and map points an answer carries at most.
MAX_PROBLEMS, MAX_POINTS, MAX_CLOSING = 1000, 5000, 500
UPLOAD_MEDIA = "application/octet-stream"
EXPORT_MEDIA = {"csv": "text/csv",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
UPLOAD_ID = {"type": "string", "pattern": "^[a-z0-9]{24}$"}
BUSY = (None, "Another analysis or import is reading in this server process: retry after "
              "Retry-After seconds.")


def init_app(app) -> None:
    app.config.setdefault("IMPORT_MAX_BYTES", IMPORT_MAX_BYTES)
    app.extensions["import-mappings"] = files.Mappings(app.extensions["yizhan"].registry.engine)
    app.register_blueprint(bp, url_prefix="/api")


def _api(lang: str, key: str, **params) -> str:
    return catalogue(lang)["api"][key].format(**params)


def _region() -> str:
    cfg = current_app.config
    given = cfg.get("BOUNDS") or cfg.get("REGION")
    if given:
        return str(given)
    return "china" if state().area is not None else "any"


def _data_dir() -> Path:
    """Where uploads wait: ``IMPORT_DIR``, default ``<DATA_DIR>/imports``."""
    cfg = current_app.config
    return Path(cfg.get("IMPORT_DIR") or Path(cfg["DATA_DIR"]) / "imports")


# --- upload --------------------------------------------------------------------------------------

@bp.post("/imports")
@planner_required
@operation(query=m.UploadQuery, upload=UPLOAD_MEDIA, answers={
    201: (m.Preview, "Kept; read with the mapping remembered for its headers."),
    400: (m.ImportProblems, "Not a file the reader takes (type, encoding, no table), or not "
                            "sent as application/octet-stream; every problem named."),
    413: (None, "Larger than IMPORT_MAX_BYTES (20 MiB by default)."), 503: BUSY})
def upload(query: m.UploadQuery):
    """Upload a station list to preview (CSV in UTF-8, GBK or UTF-16, XLSX, GeoJSON, GPKG).

    The file is the request body, `Content-Type: application/octet-stream`; `name` gives its
    name and type. Nothing is written to the registry until it is applied.
    """
    lang = query.lang or pick_lang()
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    if request.mimetype != UPLOAD_MEDIA:
        return error_response(_api(lang, "import_media", media=UPLOAD_MEDIA), 400, "body")
    too_large = error_response(_api(lang, "import_too_large", mb=_mb(limit)), 413, "body")
    if request.content_length is not None and request.content_length > limit:
        return too_large
    request.max_content_length = limit
    try:
        data = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return too_large
    if not data:
        return error_response(_api(lang, "import_empty"), 400, "body")
    saved = files.save_upload(_data_dir(), data, query.name, actor())
    try:
        with state()._analysis_slot():
            table = files.raw_table(saved)
            columns = current_app.extensions["import-mappings"].get(table.header)
            answer = _preview(saved, m.PreviewBody(columns=columns), lang,
                              remembered=bool(columns))
    except DataFileError as exc:
        files.remove_upload(saved)
        return _problems_response(exc.problems, lang, 400)
    except BaseException:
        files.remove_upload(saved)
        raise
    return jsonify(answer), 201


def _mb(limit: int) -> str:
    return f"{limit / 1024 / 1024:g}"


# --- preview -------------------------------------------------------------------------------------

@bp.post("/imports/<upload_id>/preview")
@planner_required
@operation(body=m.PreviewBody, path={"upload_id": UPLOAD_ID}, answers={
    200: (m.Preview, "How the file reads with these choices."),
    400: (m.ImportProblems, "A bad choice, named; or the file cannot be read at all."),
    404: (None, "No such upload of this planner (applied, or older than a day)."),
    503: BUSY})
def preview(upload_id: str, body: m.PreviewBody):
    """Read an uploaded station list with a column mapping, a default kind, a coordinate system
    and the sync: a page of rows with their problems, where the points land, what applying
    would change."""
    lang = pick_lang()
    saved = files.get_upload(_data_dir(), upload_id, actor())
    try:
        with state()._analysis_slot():
            return jsonify(_preview(saved, body, lang))
    except DataFileError as exc:
        return _problems_response(exc.problems, lang, 400)


def _preview(saved: files.Upload, body: m.PreviewBody, lang: str, *,
             remembered: bool = False) -> dict:
    table = files.raw_table(saved)
    columns = {h: f for h, f in body.columns.items() if h in table.header}
    missing = files.fields_needed(table, columns, body.kind)
    reading = None if missing else org_gate.in_area(files.read_upload(
        saved, crs=body.crs, region=_region(), columns=columns, kind=body.kind),
        state().registry.stations())  # rows outside the planner's organisation: problems
    problems = reading.result.problems if reading else []
    index = {h: i for i, h in enumerate(table.header)}
    by_row: dict[int, dict[str, str]] = {}
    for p in problems:
        if p.row is not None:
            at = index.get(p.column or "", 0 if p.column is None else -1)
            if at >= 0:
                cell = by_row.setdefault(p.row, {})
                cell[str(at)] = "；".join(filter(None, [cell.get(str(at)), _said(p, lang)]))
    rows = [r for r in table.rows if r[0] in by_row] if body.only_problems else table.rows
    pages = max(1, math.ceil(len(rows) / body.per_page))
    page = min(body.page, pages)
    shown = rows[(page - 1) * body.per_page: page * body.per_page]
    stations = reading.result.stations if reading else []
    existing = state().registry.stations() if reading else []
    changes, hint = None, None
    if reading and not problems:
        d = files.diff(stations, existing, sync=body.sync)
        changes = {"added": len(d.added), "updated": len(d.updated),
                   "unchanged": len(d.unchanged), "closed": len(d.closing),
                   "closing": [{"id": s.id, "name": s.name, "operator": s.operator}
                               for s in d.closing[:MAX_CLOSING]]}
    if reading:
        hint = files.crs_hint(reading, existing, state().networks)
        if hint:
            hint["message"] = _api(lang, "import_crs_hint", chosen=_crs_name(reading.crs, lang),
                                   metres=f"{hint['metres']:.0f}",
                                   better=_crs_name(hint["crs"], lang),
                                   better_metres=f"{hint['better_metres']:.0f}",
                                   against=_api(lang, "import_against_" + hint["against"]))
    warnings = [_api(lang, "import_ignored_columns", columns="、".join(
        h for h in table.header if h.strip() and not files.field_of(h, columns)))] if any(
        h.strip() and not files.field_of(h, columns) for h in table.header) else []
    if body.sync and reading and not any(s.operator for s in stations):
        warnings.append(_api(lang, "import_sync_no_operator"))
    for w in getattr(reading.result, "warnings", []) if reading else []:
        warnings.append(say_message(getattr(w, "message", w), lang))
    return {
        "upload_id": saved.id, "file": saved.file, "format": table.format,
        "rows": len(table.rows), "valid": len(stations),
        "invalid_rows": len({p.row for p in problems}),
        "headers": [{"header": h, "field": files.field_of(h, columns),
                     "known": files.field_of(h, {}) is not None} for h in table.header],
        "fields": [{"field": f, "label": _field_label(f, lang),
                    "required": f in files.REQUIRED} for f in COLUMNS],
        "missing": missing, "columns": columns, "remembered": remembered,
        "problems": [_problem(p, lang) for p in problems[:MAX_PROBLEMS]],
        "problem_count": len(problems), "warnings": warnings,
        "page": page, "pages": pages,
        "page_rows": [{"row": r, "cells": cells, "problems": by_row.get(r, {})}
                      for r, cells in shown],
        "points": [[round(s.lon, 7), round(s.lat, 7)]
                   for s in files.evenly(stations, MAX_POINTS)],
        "crs": reading.crs if reading else body.crs or "wgs84", "crs_hint": hint,
        "changes": changes,
    }


def _field_label(field: str, lang: str) -> str:
    return ZH_HEADERS[field] if lang == "zh" else field


def _crs_name(crs: str, lang: str) -> str:
    return catalogue(lang)["plan"]["crs_" + crs]


def _said(p: Problem, lang: str) -> str:
    return say_message(p.message, lang)


def _problem(p: Problem, lang: str) -> dict:
    key = p.message.key if isinstance(p.message, Message) else None
    return {"row": p.row, "column": p.column, "message": _said(p, lang), "key": key}


def _problems_response(problems: list[Problem], lang: str, status: int, parameter="file"):
    first = problems[0] if problems else None
    text = _said(first, lang) if first else ""
    if len(problems) > 1:
        text = _api(lang, "import_problems", n=len(problems), first=text)
    return error_response(text, status, parameter, problem_count=len(problems),
                          problems=[_problem(p, lang) for p in problems[:MAX_PROBLEMS]])


# --- apply ---------------------------------------------------------------------------------------

@bp.post("/imports/<upload_id>/apply")
@planner_required
@operation(body=m.ApplyBody, path={"upload_id": UPLOAD_ID}, answers={
    200: (m.ApplyResult, "Written, all of it; the upload is gone."),
    404: (None, "No such upload of this planner (applied, or older than a day)."),
    409: (m.ImportProblems, "The file has problems (or no column for a required field): "
                            "nothing was written."),
    503: BUSY})
def apply(upload_id: str, body: m.ApplyBody):
    """Write an uploaded station list into the registry, all or nothing; with `sync`, close the
    stations of its operators it no longer holds in the same write. The history records the
    file and the planner."""
    lang = pick_lang()
    saved = files.get_upload(_data_dir(), upload_id, actor())
    try:
        with state()._analysis_slot():
            table = files.raw_table(saved)
            columns = {h: f for h, f in body.columns.items() if h in table.header}
            missing = files.fields_needed(table, columns, body.kind)
            if missing:
                return _problems_response([Problem(saved.file, None, None, _api(
                    lang, "import_missing", fields="、".join(
                        _field_label(f, lang) for f in missing)))], lang, 409, "columns")
            reading = org_gate.in_area(files.read_upload(
                saved, crs=body.crs, region=_region(), columns=columns, kind=body.kind),
                state().registry.stations())
    except DataFileError as exc:
        return _problems_response(exc.problems, lang, 409)
    if reading.result.problems:
        return _problems_response(reading.result.problems, lang, 409)
    stations = reading.result.stations
    closing = [s.id for s in files.diff(stations, org_gate.inside(state().registry.stations()),
                                        sync=body.sync).closing]
    source, who = f"import {saved.file}", actor()
    summary = state().registry.upsert(stations, source=source, actor=who, close=closing)
    if columns:
        current_app.extensions["import-mappings"].remember(table.header, columns, who)
    files.remove_upload(saved)
    return jsonify({"file": saved.file, "added": len(summary.created),
                    "updated": len(summary.updated), "unchanged": len(summary.unchanged),
                    "closed": len(summary.closed), "source": source, "actor": who})


# --- export --------------------------------------------------------------------------------------

@bp.get("/export/stations.<fmt>")
@planner_required
@operation(query=m.ExportQuery, path={"fmt": {"type": "string", "enum": list(EXPORT_MEDIA)}},
           media=" ".join(EXPORT_MEDIA.values()), answers={
               200: (None, "The file (Content-Disposition names it)."),
               404: (None, "No such format: csv or xlsx.")})
def export(fmt: str, query: m.ExportQuery):
    """The registry's stations, or those the filters keep, as a spreadsheet union offices open:
    Chinese headers and words (or English), in WGS-84, GCJ-02 or BD-09; a CSV in UTF-8 with a
    BOM, GBK or GB18030. It imports again to the same stations."""
    lang = query.lang or pick_lang()
    if fmt not in EXPORT_MEDIA:
        return error_response(f"no format {fmt!r}: csv or xlsx", 404)
    if query.encoding and fmt != "csv":
        return error_response(_api(lang, "export_encoding_csv"), 400, "encoding")
    stations = state().registry.stations(kinds=query.kind or None)
    needle = (query.q or "").strip().casefold()
    if needle:
        stations = [s for s in stations if needle in " ".join(
            (s.name, s.id, s.address, s.operator)).casefold()]
    crs = query.crs or "wgs84"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"stations.{fmt}"
        try:
            write_stations(stations, path, crs=crs, lang=query.lang or "zh",
                           encoding=query.encoding or "utf-8")
        except InputError as exc:
            return error_response(say_message(message_of(exc), lang), 400,
                                  exc.parameter or "stations")
        data = path.read_bytes()
    stamp = datetime.now(local_time(None).tzinfo).strftime("%Y%m%d")
    name = f"{'驿站' if lang == 'zh' else 'stations'}-{stamp}-{crs}.{fmt}"
    response = current_app.response_class(data, mimetype=EXPORT_MEDIA[fmt])
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"stations-{stamp}.{fmt}\"; filename*=UTF-8''{quote(name)}")
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = ["bp", "init_app"]
