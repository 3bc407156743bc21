"""The organisations' pages: the province's figures (统计报表) as a dashboard (``/figures``), as
JSON (``/api/figures``) and as a Chinese XLSX (``/api/figures.xlsx``); the organisations
(``/api/orgs``) and an organisation's area uploaded as GeoJSON (``PUT /api/orgs/<name>/area``,
administrators of it or of an organisation above).

Each signed-in account sees the figures of its organisation and of those below it (an account
without an organisation: of all); who may read and change what is decided by
:func:`app.auth.may`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from app import auth
from app import schemas as s
from app.figures import figures
from app.openapi import operation
from app.orgs import Org
from app.pages import page_config, pick_lang
from app.state import state
from geo.errors import InputError, NotFoundError
from geo.output.figures import figures_xlsx

bp = Blueprint("org_pages", __name__)

#: The dashboard's own words.
TEXTS = {
    "zh": {"title": "驿站统计报表", "download": "下载 Excel 报表", "by_level": "分级汇总",
           "by_org": "各组织", "sign_in": "请先在规划页面登录", "none": "暂无组织",
           "month": "统计月份", "vs": "对比", "back": "返回规划",
           "areas": "组织与管辖范围", "area_file": "上传范围 (GeoJSON)", "area_done": "已更新范围",
           "no_area": "无自有范围"},
    "en": {"title": "Station figures", "download": "Download the Excel report",
           "by_level": "By level", "by_org": "By organisation",
           "sign_in": "Sign in on the planning page first", "none": "No organisations yet",
           "month": "Month", "vs": "against", "back": "Back to planning",
           "areas": "Organisations and their areas", "area_file": "Upload an area (GeoJSON)",
           "area_done": "Area updated", "no_area": "no area of its own"},
}

NAME = {"name": {"type": "string", "minLength": 1, "maxLength": 100}}


class AreaBody(s.Body):
    """An organisation's area: a GeoJSON (Multi)Polygon, Feature or FeatureCollection of
    polygons in EPSG:4326."""

    area: dict[str, Any]


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


@bp.put("/api/orgs/<name>/area")
@auth.requires("accounts")
@operation(body=AreaBody, path=NAME, answers={200: (None, "The organisation, area replaced."),
                                              404: (None, "No such organisation you manage.")})
def put_area(name: str, body: AreaBody):
    """Replace an organisation's area (administrators of it or of one above it)."""
    orgs, top = auth.orgs(), _top()
    try:
        org = orgs.get(name)
    except (NotFoundError, InputError):
        org = None
    if org is None or (top is not None and not orgs.within(org.id, top.id)):
        raise NotFoundError(f"no organisation named {name!r} that you manage; GET /api/orgs "
                            "lists them")
    current_app.logger.info("area of %s replaced by %s", org.name, auth.actor())
    org = orgs.set_area(org.name, _polygons(body.area))
    return jsonify(org.as_dict())
