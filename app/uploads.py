"""Worker counts and districts from the browser: ``/api/inputs``.

A planner uploads the office's worker counts (points with counts, or polygons with counts that
are spread over the streets) or its district boundaries; the file is read by the same readers as
the command line's before anything is kept (every problem named by file, row and column; with any
problem nothing is written), then kept with who and when (:mod:`app.inputs`) and used by coverage
and siting from the next analysis on: an analysis already running keeps the inputs it started
with. An earlier upload can be made the one in use again.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, jsonify, request

from app import auth
from app.account_pages import localized
from app.handlers import error_response
from app.inputs import (
    INPUT_KINDS,
    MAX_UPLOAD_BYTES,
    check_filename,
    check_kind,
    read_upload,
    summary_of,
)
from app.lang import catalogue
from app.openapi import operation
from app.pages import pick_lang
from app.schemas import accounts as a
from app.schemas.requests import RegionQuery
from app.state import state
from geo.errors import DataFileError, InputError, Message, Problem, YizhanError
from geo.workflow import base_network

bp = Blueprint("uploads", __name__, url_prefix="/api")
bp.register_error_handler(YizhanError, localized)

KIND = {"kind": {"type": "string", "enum": list(INPUT_KINDS)}}
RESTORE = {**KIND, "upload_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
#: The largest JSON body of an upload: the file in base64, and room for the file name.
MAX_BODY = (MAX_UPLOAD_BYTES + 2) // 3 * 4 + 4096


def _too_large():
    mb = MAX_UPLOAD_BYTES / 1024 / 1024
    text = catalogue(pick_lang())["api"]["upload_too_large"].format(mb=f"{mb:g}")
    return error_response(text, 413, "file")


@bp.before_request
def _bound_body():
    """An upload's body may be larger than other requests' (:data:`MAX_BODY`); larger still is
    a 413 that says the limit, before the body is read."""
    if request.endpoint == "uploads.upload":
        request.max_content_length = MAX_BODY
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _too_large()
    return None


@bp.get("/inputs")
@auth.requires("inputs")
@operation(query=RegionQuery,
           answers={200: (a.Inputs, "Per kind, the upload in use and the earlier ones.")})
def list_inputs(query: RegionQuery):
    """The worker counts and districts uploaded: who, when, which is in use (on a server of
    several regions, the region's: each region uses its own)."""
    store, app_state = state().inputs, state()
    region = app_state.upload_region
    current = store.current_ids(region)
    out = {}
    for kind in INPUT_KINDS:
        uploads = store.uploads(kind, region=region)
        entries = [u.as_dict(u.id == current[kind]) for u in uploads]
        in_use = next((e for e in entries if e["current"]), None)
        if in_use is None and current[kind] is not None:
            in_use = store.get(kind, current[kind], region=region).as_dict(True)
        path = app_state.demand_path if kind == "demand" else None
        out[kind] = {"kind": kind, "current": in_use, "uploads": entries,
                     "fallback": path.name if path is not None and path.is_file() else None}
    return jsonify({**out, "max_bytes": MAX_UPLOAD_BYTES, "region": region})


@bp.post("/inputs/<kind>")
@auth.requires("inputs")
@operation(body=a.InputUpload, path=KIND, answers={
    201: (a.InputEntry, "Read, kept and in use from the next analysis on."),
    400: (a.FileProblems, "The file has problems (each with file, row and column), or a bad "
                          "field: nothing was kept."),
    413: (None, f"The file is larger than {MAX_UPLOAD_BYTES} bytes.")})
def upload(kind: str, body: a.InputUpload):
    """Upload worker counts (CSV, XLSX, GeoJSON or GeoPackage: points with lon, lat, weight,
    group, or polygons with weight and group) or district boundaries (GeoJSON or GeoPackage
    polygons with a name), base64 in JSON. All or nothing: a file with any problem is not kept.
    On a server of several regions, for the region given (`region`): each uses its own.
    """
    kind = check_kind(kind)
    filename = check_filename(kind, body.filename)
    try:
        content = base64.b64decode(body.content, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("`content` is not base64; send the file's bytes base64-encoded",
                         parameter="content") from None
    if len(content) > MAX_UPLOAD_BYTES:
        return _too_large()
    app_state = state()
    network = base_network(app_state.networks) if kind == "demand" and app_state.networks \
        else None
    value = read_upload(kind, filename, content, network=network)
    if kind == "demand" and len(value) == 0:
        raise DataFileError([Problem(filename, None, None, Message(
            "the file holds no worker counts", "demand_none"))])
    kept = app_state.inputs.add(kind, filename, content, summary_of(kind, value),
                                by=auth.actor(), region=app_state.upload_region)
    app_state.use_input(kind, kept.id, value)
    answer = jsonify(kept.as_dict(True))
    answer.status_code = 201
    return answer


@bp.post("/inputs/<kind>/<int:upload_id>/restore")
@auth.requires("inputs")
@operation(body=a.RestoreBody, path=RESTORE,
           answers={200: (a.InputEntry, "In use again from the next analysis on.")})
def restore(kind: str, upload_id: int, body: a.RestoreBody):
    """Make an earlier upload the one in use again (who and when are kept)."""
    kind = check_kind(kind)
    app_state = state()
    kept = app_state.inputs.restore(kind, upload_id, by=auth.actor(),
                                    region=app_state.upload_region)
    app_state.use_input(kind, kept.id)
    return jsonify(kept.as_dict(True))
