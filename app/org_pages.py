"""The organisations' pages: the province's figures (统计报表) as a dashboard (``/figures``), as
JSON (``/api/figures``) and as a Chinese XLSX (``/api/figures.xlsx``); the organisations
(``/api/orgs``) and an organisation's area replaced by administrators of it or of an organisation
above: as a GeoJSON body (``PUT /api/orgs/<name>/area``) or as a GeoPackage or GeoJSON file
(``PUT /api/orgs/<name>/area/file``, base64 in JSON, read by :mod:`app.org_areas`).

Each signed-in account sees the figures of its organisation and of those below it (an account
without an organisation: of all); who may read and change what is decided by
:func:`app.auth.may`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from pydantic import Field

from app import auth
from app import schemas as s
from app.account_pages import localized
from app.figures import figures
from app.handlers import error_response
from app.lang import catalogue
from app.openapi import operation
from app.org_areas import AREA_FORMATS, MAX_AREA_BYTES, MAX_AREA_FILENAME, read_area_upload
from app.orgs import Org
from app.pages import page_config, pick_lang
from app.schemas.accounts import FileProblems
from app.state import state
from geo.errors import InputError, NotFoundError, YizhanError
from geo.output.figures import figures_xlsx

bp = Blueprint("org_pages", __name__)
bp.register_error_handler(YizhanError, localized)

#: The largest JSON body of an area file: the file in base64, and room for its name.
MAX_AREA_BODY = (MAX_AREA_BYTES + 2) // 3 * 4 + 4096

#: The dashboard's own words.
TEXTS = {
    "zh": {"title": "驿站统计报表", "download": "下载 Excel 报表", "by_level": "分级汇总",
           "by_org": "各组织", "sign_in": "请先在规划页面登录", "none": "暂无组织",
           "month": "统计月份", "vs": "对比", "back": "返回规划",
           "areas": "组织与管辖范围", "area_file": "上传范围 (GPKG / GeoJSON)",
           "area_done": "已更新范围", "area_sending": "正在上传 {name}…", "no_area": "无自有范围",
           "area_too_large": "文件太大：最多 {mb} MB", "area_failed": "{name} 未能更新范围："},
    "en": {"title": "Station figures", "download": "Download the Excel report",
           "by_level": "By level", "by_org": "By organisation",
           "sign_in": "Sign in on the planning page first", "none": "No organisations yet",
           "month": "Month", "vs": "against", "back": "Back to planning",
           "areas": "Organisations and their areas",
           "area_file": "Upload an area (GPKG / GeoJSON)", "area_done": "Area updated",
           "area_sending": "Uploading {name}…", "no_area": "no area of its own",
           "area_too_large": "The file is too large: at most {mb} MB",
           "area_failed": "{name} did not update the area:"},
}

NAME = {"name": {"type": "string", "minLength": 1, "maxLength": 100}}


class AreaBody(s.Body):
    """An organisation's area: a GeoJSON (Multi)Polygon, Feature or FeatureCollection of
    polygons in EPSG:4326."""

    area: dict[str, Any]


class AreaFile(s.Body):
    """An organisation's area as a file, base64-encoded in JSON: a GeoPackage (any CRS it
    names, reprojected to EPSG:4326) or a GeoJSON file of polygons."""

    filename: Annotated[str, s.Plain] = Field(
        min_length=1, max_length=MAX_AREA_FILENAME, strict=True,
        description="The file's name; its ending says the format: " + ", ".join(AREA_FORMATS)
                    + ".")
    content: str = Field(max_length=(MAX_AREA_BYTES + 2) // 3 * 4, strict=True,
                         description=f"The file, base64; at most {MAX_AREA_BYTES} bytes "
                                     "(413 beyond).")


def _too_large():
    mb = MAX_AREA_BYTES / 1024 / 1024
    return error_response(catalogue(pick_lang())["api"]["upload_too_large"].format(mb=f"{mb:g}"),
                          413, "file")


@bp.before_request
def _bound_body():
    """An area file's body may be larger than other requests' (:data:`MAX_AREA_BODY`); larger
    still is a 413 that says the limit, before the body is read."""
    if request.endpoint == "org_pages.put_area_file":
        request.max_content_length = MAX_AREA_BODY
        if request.content_length is not None and request.content_length > MAX_AREA_BODY:
            return _too_large()
    return None


def _top() -> Org | None:
    return auth.org_of(auth.current_user())


def _doc() -> dict:
    from app.deployment import states

    return figures(states(current_app), auth.orgs(), state().reports, top=_top())


@bp.get("/figures")
def figures_page():
    """The figures dashboard (signed in: the figures of one's organisation and those below)."""
    lang = pick_lang()
    other = "en" if lang == "zh" else "zh"
    config = page_config(lang, "plan")
    config.pop("regions", None)  # the figures span every region: no region to pick
    config["figures"] = TEXTS[lang]
    config["area_max_bytes"] = MAX_AREA_BYTES
    return render_template("figures.html", lang=lang, t=config["strings"], f=TEXTS[lang],
                           other_lang=other, switch_url=f"{request.path}?lang={other}",
                           config=config)


@bp.get("/api/figures")
@auth.requires("read")
@operation(answers={200: (None, "Per organisation and per level: stations by kind and per "
                                "10,000 workers, 24-hour stations, coverage at 10:00 and "
                                "04:00, gap areas, reports, openings and closings.")})
def figures_json():
    """The figures of the signed-in account's organisation and those below it."""
    return jsonify(_doc())


@bp.get("/api/figures.xlsx")
@auth.requires("read")
@operation(media="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           answers={200: (None, "The figures as a Chinese XLSX (汇总表, 分级汇总).")})
def figures_download():
    """The figures as the XLSX an office sends upward."""
    doc = _doc()
    name = f"yizhan-figures-{doc['month']}.xlsx"
    return Response(figures_xlsx(doc), mimetype="application/vnd.openxmlformats-officedocument"
                    ".spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.get("/api/orgs")
@auth.requires("read")
@operation(answers={200: (None, "The organisations: one's own and those below it.")})
def list_orgs():
    """The organisations the signed-in account's organisation holds (all, without one)."""
    orgs, top = auth.orgs(), _top()
    names = {o.id: o.name for o in orgs.all()}
    shown = [o.as_dict(names.get(o.parent_id)) for o in orgs.all()
             if top is None or orgs.within(o.id, top.id)]
    return jsonify({"orgs": shown, "mine": None if top is None else top.name})


@bp.get("/api/orgs/<name>/area")
@auth.requires("read")
@operation(path=NAME, answers={
    200: (None, "The area as a GeoJSON Feature (EPSG:4326; its own and those below it; null "
                "geometry when none has one), properties `name` and `level`."),
    404: (None, "No such organisation within yours.")})
def get_area(name: str):
    """The area of an organisation: one's own or one below it (any, without one), as the
    planner map outlines it."""
    from shapely.geometry import mapping

    org = _managed_org(name, "read")
    area = auth.orgs().area(org.id)
    return jsonify({"type": "Feature", "properties": {"name": org.name, "level": org.level},
                    "geometry": None if area is None else mapping(area)})


def _polygons(area: dict[str, Any]) -> Any:
    from shapely.geometry import shape
    from shapely.ops import unary_union

    if area.get("type") == "FeatureCollection":
        parts = [f.get("geometry") for f in area.get("features") or [] if isinstance(f, dict)]
    elif area.get("type") == "Feature":
        parts = [area.get("geometry")]
    else:
        parts = [area]
    try:
        shapes = [shape(p) for p in parts if isinstance(p, dict)]
    except Exception as exc:  # shapely says what it could not read
        raise InputError(f"`area` is not GeoJSON: {exc}", parameter="area") from exc
    return unary_union([g for g in shapes if g.geom_type.endswith("Polygon")] or shapes)


def _managed_org(name: str, action: str = "areas") -> Org:
    """The organisation ``name`` if the signed-in user may do ``action`` to it
    (:func:`app.auth.may`: it or one above it is theirs; ``areas``: replace its area), else 404
    (one outside theirs is not shown to exist)."""
    try:
        org = auth.orgs().get(name)
    except (NotFoundError, InputError):
        org = None
    if org is None or not auth.may(auth.current_user(), action, org=org):
        raise NotFoundError(f"no organisation named {name[:100]!r} within yours; GET /api/orgs "
                            "lists them")
    return org


@bp.put("/api/orgs/<name>/area")
@auth.requires("areas")
@operation(body=AreaBody, path=NAME, answers={200: (None, "The organisation, area replaced."),
                                              404: (None, "No such organisation you manage.")})
def put_area(name: str, body: AreaBody):
    """Replace an organisation's area (administrators of it or of one above it)."""
    org = _managed_org(name)
    current_app.logger.info("area of %s replaced by %s", org.name, auth.actor())
    org = auth.orgs().set_area(org.name, _polygons(body.area))
    return jsonify(org.as_dict())


@bp.put("/api/orgs/<name>/area/file")
@auth.requires("areas")
@operation(body=AreaFile, path=NAME, answers={
    200: (None, "The organisation, area replaced."),
    400: (FileProblems, "The file has problems (each naming the file and, for a feature, its "
                        "number), or a bad field: nothing was changed."),
    404: (None, "No such organisation you manage."),
    413: (None, f"The file is larger than {MAX_AREA_BYTES} bytes.")})
def put_area_file(name: str, body: AreaFile):
    """Replace an organisation's area with the polygons of a GeoPackage or GeoJSON file,
    base64 in JSON (administrators of it or of one above it). The file's CRS is reprojected to
    EPSG:4326; a GeoPackage without one, or any feature that is not a polygon, is refused with
    every problem named, and the area stays as it was."""
    org = _managed_org(name)
    try:
        content = base64.b64decode(body.content, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("`content` is not base64; send the file's bytes base64-encoded",
                         parameter="content") from None
    if len(content) > MAX_AREA_BYTES:
        return _too_large()
    area = read_area_upload(body.filename, content)
    current_app.logger.info("area of %s replaced from %s by %s", org.name, body.filename,
                            auth.actor())
    org = auth.orgs().set_area(org.name, area)
    return jsonify(org.as_dict())
