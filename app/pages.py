"""The web pages: the worker finder ``/``, a station page ``/s/<id>``, the planner's station editor
``/planner``, the planner view placeholder ``/plan``, and ``/healthz``.

Pages are Chinese by default and English with ``?lang=en`` or an Accept-Language that prefers
English. Station data reaches the page only through the JSON API (rendered with ``textContent``)
or through Jinja's autoescaping (``/s/<id>``). Leaflet comes from the ``xstatic-leaflet`` package,
served by the app itself: a page makes no request to any other host unless ``TILES`` names a tile
service.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import xstatic.pkg.leaflet as xleaflet
from flask import Blueprint, current_app, jsonify, render_template, request, send_from_directory

from geo.network import MODES
from geo.reports import REPORT_KINDS
from geo.stations import KINDS, SERVICES

bp = Blueprint("pages", __name__)

LANGS = ("zh", "en")

#: Short kind labels for the filter chips: id -> (中文, English).
KIND_SHORT = {"driver_home": ("司机之家", "Driver homes"),
              "sanitation_station": ("环卫驿站", "Sanitation"),
              "outdoor_rest_point": ("户外驿站", "Rest points")}

#: Marker colours of the three kinds (also in app.css).
KIND_COLORS = {"driver_home": "#6d28d9", "sanitation_station": "#0f766e",
               "outdoor_rest_point": "#ea580c"}

#: The services offered as quick filters in the finder, most asked for first.
QUICK_SERVICES = ["toilet", "drinking_water", "food_heating", "rest", "phone_charging",
                  "ebike_charging", "heating", "cooling", "shower", "parking", "first_aid",
                  "wifi", "meals", "oxygen", "accessible", "laundry", "reading"]

#: Basemap tile services: URL template (Leaflet), subdomains, attribution, hosts for the CSP.
TILE_SERVICES = {
    "osm": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "subdomains": "abc",
            "attribution": "© OpenStreetMap contributors", "maxZoom": 19,
            "hosts": "https://tile.openstreetmap.org"},
    "tianditu": {"url": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                         "&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                         "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"),
                 "labels": ("https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                            "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"),
                 "subdomains": "01234567", "attribution": "© 天地图 Tianditu", "maxZoom": 18,
                 "hosts": "https://*.tianditu.gov.cn"},
    "amap": {"url": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                     "&style=8&x={x}&y={y}&z={z}"),
             "subdomains": "1234", "attribution": "© 高德地图 AutoNavi", "maxZoom": 18,
             "gcj02": True, "hosts": "https://*.is.autonavi.com"},
}

STRINGS = {
    "zh": {
        "title": "驿站 · 找最近的歇脚点",
        "app": "驿站",
        "tagline": "户外劳动者爱心驿站",
        "switch_lang": "English",
        "demo": "演示数据：站点为演示用途，不是真实的工会驿站",
        "locate": "定位我",
        "locating": "正在定位…",
        "locate_failed": "无法获取你的位置，请在地图上点选你所在的位置",
        "hint": "点击地图上你所在的位置，或点“定位我”，查找最近的驿站",
        "searching": "正在查找…",
        "nearest": "离你最近的驿站",
        "none_found": "附近没有符合条件的驿站，试试减少筛选条件",
        "no_kinds": "请至少选择一种站点类型",
        "off_network": "这里离道路太远（{d}），请点选靠近道路的位置",
        "error": "出错了，请稍后再试",
        "mode_walk": "步行", "mode_ebike": "电动车", "mode_drive": "驾车",
        "open_now": "正在开放", "services": "服务", "filters": "筛选",
        "services_title": "需要的服务", "done": "完成", "clear_filters": "清除",
        "open": "开放中", "closed": "已关闭", "unknown": "时间未知",
        "m": "{n} 米", "km": "{n} 公里", "min": "{n} 分钟",
        "back": "返回列表", "address": "地址", "hours": "开放时间", "phone": "电话",
        "capacity": "可容纳", "people": "{n} 人", "kind": "类型",
        "navigate": "导航前往", "nav_geo": "手机地图", "nav_amap": "高德地图",
        "nav_baidu": "百度地图", "route_shown": "路线已在地图上显示",
        "report": "报告问题", "report_title": "这个驿站有什么问题？",
        "report_text": "补充说明（选填）", "send": "提交", "cancel": "取消",
        "report_thanks": "谢谢！规划人员会尽快核实。", "report_pick": "请选择一个问题",
        "share": "分享此驿站", "show_on_map": "在地图上查看", "you": "你的位置",
        "from_you": "距你", "planners": "规划人员入口", "map": "地图",
        "layers": "站点类型", "expand": "展开或收起列表", "walk_to": "{t} · {d}",
        "hours_unknown": "开放时间未知",
        "not_found": "没有找到这个驿站",
    },
    "en": {
        "title": "Yizhan · find a rest station",
        "app": "Yizhan",
        "tagline": "Rest stations for outdoor workers",
        "switch_lang": "中文",
        "demo": "Demo data: not real union stations",
        "locate": "Locate me",
        "locating": "Finding you…",
        "locate_failed": "Could not get your location; tap where you are on the map",
        "hint": "Tap where you are on the map, or “Locate me”, to find the nearest stations",
        "searching": "Searching…",
        "nearest": "Nearest stations",
        "none_found": "No station nearby matches; try fewer filters",
        "no_kinds": "Choose at least one kind of station",
        "off_network": "This point is too far from a road ({d}); tap closer to a street",
        "error": "Something went wrong; try again",
        "mode_walk": "Walk", "mode_ebike": "E-bike", "mode_drive": "Drive",
        "open_now": "Open now", "services": "Services", "filters": "Filters",
        "services_title": "Services I need", "done": "Done", "clear_filters": "Clear",
        "open": "Open", "closed": "Closed", "unknown": "Hours unknown",
        "m": "{n} m", "km": "{n} km", "min": "{n} min",
        "back": "Back to list", "address": "Address", "hours": "Hours", "phone": "Phone",
        "capacity": "Capacity", "people": "{n} people", "kind": "Kind",
        "navigate": "Navigate", "nav_geo": "Phone maps", "nav_amap": "Amap",
        "nav_baidu": "Baidu Maps", "route_shown": "The route is shown on the map",
        "report": "Report a problem", "report_title": "What is wrong with this station?",
        "report_text": "Details (optional)", "send": "Send", "cancel": "Cancel",
        "report_thanks": "Thank you! A planner will check it.",
        "report_pick": "Choose a problem",
        "share": "Share this station", "show_on_map": "Show on the map", "you": "You are here",
        "from_you": "from you", "planners": "For planners", "map": "Map",
        "layers": "Station kinds", "expand": "Expand or collapse the list", "walk_to": "{t} · {d}",
        "hours_unknown": "Hours unknown",
        "not_found": "No such station",
    },
}


_DAYS_ZH = {"Mo": "周一", "Tu": "周二", "We": "周三", "Th": "周四", "Fr": "周五", "Sa": "周六",
            "Su": "周日", "PH": "节假日"}


def format_hours(hours: str, lang: str) -> str:
    """OSM opening hours made readable (the same as ``fmtHours`` in static/js/common.js)."""
    if not hours:
        return STRINGS[lang]["hours_unknown"]
    if hours == "24/7":
        return "全天 24 小时" if lang == "zh" else "24 hours, every day"
    if lang != "zh":
        return hours.replace("; ", " · ")
    day = "Mo|Tu|We|Th|Fr|Sa|Su"
    text = re.sub(rf"\b({day})-({day})\b", lambda m: f"{_DAYS_ZH[m[1]]}至{_DAYS_ZH[m[2]]}", hours)
    text = re.sub(rf"\b({day}|PH)\b", lambda m: _DAYS_ZH[m[1]], text)
    return re.sub(r"\boff\b", "休息", text).replace(",", "、").replace("; ", "；")


def pick_lang() -> str:
    """``?lang=`` if given, else the browser's preference between Chinese and English (zh)."""
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS, default="zh") or "zh"


def _label(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def tile_config() -> dict | None:
    """The basemap tiles for the page (None: draw the network's streets instead)."""
    name = current_app.config["TILES"]
    if name == "none":
        return None
    service = dict(TILE_SERVICES[name])
    key = quote(str(current_app.config.get("TIANDITU_KEY") or ""), safe="")
    for field in ("url", "labels"):
        if field in service:
            service[field] = service[field].replace("{key}", key)
    service.pop("hosts")
    return {"name": name, **service}


def demo_info() -> dict | None:
    """The demo manifest's label and source when the data dir holds a demo region."""
    path = Path(current_app.config["DATA_DIR"]) / "demo.json"
    if not path.is_file():
        return None
    import json

    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {"label": "演示数据 demo data", "source": ""}
    return {"label": manifest.get("label", "演示数据 demo data"),
            "source": manifest.get("source", "")}


def page_config(lang: str) -> dict:
    """What the page scripts need: labels, colours, modes, tiles, bounds, the demo flag."""
    engine = current_app.extensions["yizhan"]
    modes = [m for m in MODES if m in engine.networks]
    return {
        "lang": lang,
        "strings": STRINGS[lang],
        "kinds": {k: {"label": _label(v, lang), "short": _label(KIND_SHORT[k], lang),
                      "color": KIND_COLORS[k]}
                  for k, v in KINDS.items()},
        "services": {k: _label(v, lang) for k, v in SERVICES.items()},
        "quickServices": QUICK_SERVICES,
        "reportKinds": {k: _label(v, lang) for k, v in REPORT_KINDS.items()},
        "modes": modes,
        "basemapMode": "walk" if "walk" in modes else (modes[0] if modes else None),
        "tiles": tile_config(),
        "bounds": engine.bounds(),
        "demo": demo_info(),
    }


def _render(template: str, lang: str, **context):
    other = "en" if lang == "zh" else "zh"
    args = request.args.to_dict()
    args["lang"] = other
    switch = request.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in args.items())
    return render_template(template, lang=lang, t=STRINGS[lang], other_lang=other,
                           switch_url=switch, config=page_config(lang), **context)


@bp.get("/")
def finder():
    """The worker finder: map, nearest stations, routes, station cards, problem reports."""
    return _render("finder.html", pick_lang())


@bp.get("/s/<station_id>")
def station_page(station_id: str):
    """One station's card as a plain page (a link to share), with navigation links."""
    lang = pick_lang()
    snap = current_app.extensions["yizhan"].current()
    station = snap.by_id.get(station_id)
    if station is None:
        return _render("station.html", lang, station=None, links=None, services=[],
                       kind_label="", kind_color=""), 404
    return _render("station.html", lang, station=station, links=snap.links[station.id],
                   services=[_label(SERVICES[s], lang) for s in sorted(station.services)],
                   kind_label=_label(KINDS[station.kind], lang),
                   kind_color=KIND_COLORS[station.kind], is_open=station.is_open(),
                   hours=format_hours(station.hours, lang))


@bp.get("/planner")
def planner():
    """Planner sign-in and a simple station editor (the full planner view is /plan)."""
    return _render("planner.html", pick_lang())


@bp.get("/plan")
def plan():
    """Placeholder for the planner view (coverage, gaps, siting) that comes later."""
    return _render("plan.html", pick_lang())


@bp.get("/healthz")
def healthz():
    engine = current_app.extensions["yizhan"]
    snap = engine.current()
    return jsonify({"ok": True, "stations": len(snap.stations), "networks": list(engine.networks)})


@bp.get("/static/vendor/leaflet/<path:filename>")
def leaflet(filename: str):
    """Leaflet's files from the xstatic-leaflet package (never a CDN)."""
    return send_from_directory(xleaflet.BASE_DIR, filename, max_age=86400)
