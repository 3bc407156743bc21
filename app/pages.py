"""The web pages: the worker finder ``/``, a station page ``/s/<id>``, the planner view ``/plan``
(coverage by group and hour, gap areas, siting, reports, station editing), the simple station
editor ``/planner``, and ``/healthz``.

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

from geo.groups import DEFAULT_GROUPS
from geo.network import MODES
from geo.feedback import REPORT_KINDS
from geo.stations import KINDS, SERVICES
from geo.style import GROUP_COLOURS, KIND_COLOURS, KIND_SHORT

bp = Blueprint("pages", __name__)

LANGS = ("zh", "en")

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


#: Short worker group labels for chips: id -> (中文, English); full labels come from geo.groups.
GROUP_SHORT = {"delivery_rider": ("外卖骑手", "Riders"),
               "sanitation_worker": ("环卫工人", "Sanitation"),
               "truck_driver": ("货车司机", "Truckers"),
               "ride_hailing_driver": ("网约车司机", "Ride-hail")}

#: Travel budgets offered in the planner view, minutes.
BUDGET_CHOICES = [2, 3, 4, 5, 8, 10, 15, 20, 30]

#: The planner view's own strings (on top of STRINGS).
PLAN_STRINGS = {
    "zh": {
        "title": "规划视图 · 驿站", "page": "规划视图", "find": "找驿站",
        "tab_coverage": "覆盖", "tab_gaps": "缺口", "tab_siting": "选址", "tab_reports": "反馈",
        "tab_stations": "站点",
        "group": "劳动者群体", "budget": "出行时间预算", "budget_own": "各群体标准（{list}）",
        "demo_budget": "演示区域只有约 1.5 公里见方：预算默认为 4 分钟，以便看出缺口。",
        "hour": "时段", "any_time": "不限时段", "hour_hint": "拖动滑块，只计该时段开放的驿站",
        "at_hour": "{h} 时", "shift": "班次",
        "covered": "已覆盖", "uncovered": "未覆盖", "share": "覆盖率", "workers": "{n} 人",
        "covered_of": "{c} / {t} 人在预算内有驿站", "off_network": "{n} 人远离路网",
        "lowest": "班次内最低：{h} 仅 {s}", "by": "{mode} · {m}",
        "mode_walk_long": "步行", "mode_ebike_long": "电动车", "mode_drive_long": "驾车",
        "legend": "每格覆盖率", "legend_more": "颜色越深，人数越多", "legend_stations": "现有驿站",
        "legend_closed": "此时段关闭", "legend_proposed": "建议新址", "legend_gap": "缺口区域",
        "travel": "到最近驿站约 {t}", "travel_range": "到最近驿站 {a}–{b}",
        "unreachable": "无可达驿站", "cell": "{g} · {n}",
        "gaps_title": "缺口区域（按未覆盖人数排序）", "gaps_at": "{h} 的缺口",
        "gaps_none": "没有缺口：这个群体的劳动者在预算内都有驿站。",
        "gaps_other": "其他群体另有 {n} 个缺口。", "gap_cells": "{n} 格",
        "gap_also": "另有{list} 人",
        "gap_nearest": "中心到最近驿站 {t}", "gap_zoom": "在地图上查看",
        "siting_intro": "在缺口里选出新站的位置，现有驿站保留。",
        "kind_new": "新站类型", "how": "目标", "by_add": "新增 N 个", "by_target": "达到覆盖率",
        "add_n": "新增站点数", "target": "目标覆盖率 %", "minutes": "出行时间预算（分钟）",
        "minutes_own": "留空：各群体标准", "groups_for": "服务的群体", "no_group": "请至少选择一个群体",
        "run": "开始选址", "running": "正在计算…", "optimal": "已证明最优",
        "not_optimal": "近似解：与最优差距 ≤ {p}", "took": "{n} 个候选点 · 用时 {s} 秒",
        "before_after": "选址前后的覆盖率", "gain": "+{n} 人", "proposed": "建议新址",
        "site": "新址 {n}", "site_gain": "新覆盖 {n} 人", "downloads": "下载方案",
        "curve": "每多建一个站，覆盖率（所选群体合计）", "curve_x": "新站数", "none_needed":
            "所选群体中能覆盖的劳动者都已覆盖，无需新增。",
        "target_met": "已达到目标覆盖率，无需新增站点。",
        "fewer": "只需 {n} 个新站，就能覆盖所有可覆盖的劳动者。",
        "reports_title": "劳动者报告的问题（最新在前）", "reports_none": "暂无报告。",
        "signin_title": "规划人员登录", "signin_why": "登录后可以查看劳动者的报告、编辑站点。",
        "signin_disabled": "此服务器未开放规划人员登录（需设置 YIZHAN_PLANNER_PASSWORD）。",
        "password": "密码", "sign_in": "登录", "sign_out": "退出登录", "wrong": "密码错误",
        "signed_in": "已登录", "find_station": "查找站点", "new_station": "新建站点",
        "edit_station": "编辑站点", "name": "站点名称", "lon": "经度 (WGS-84)", "lat": "纬度 (WGS-84)",
        "save": "保存", "close_station": "关闭站点", "cancel": "取消",
        "pick_on_map": "在地图上点选位置", "picking": "点击地图放置站点…",
        "move_hint": "拖动地图上的标记，或点“在地图上点选位置”，即可移动站点；保存后生效。",
        "moved": "位置已改，保存后生效", "saved": "已保存，覆盖已重新计算", "created": "已新建站点",
        "closed_toast": "站点已关闭", "confirm_close": "确定关闭这个站点吗？（修改记录中仍可查到）",
        "history": "修改记录", "station_reports": "劳动者报告",
        "none": "暂无", "act_create": "新建", "act_update": "修改", "act_delete": "关闭",
        "act_restore": "恢复", "loading": "正在计算覆盖…", "no_demand": "没有劳动者分布数据：{e}",
        "retry": "重试", "stations_n": "{n} 个站点", "station_closed_now": "此时段关闭",
        "open_at": "{h} 开放", "edit": "编辑", "zoom": "定位",
    },
    "en": {
        "title": "Planner view · Yizhan", "page": "Planner view", "find": "Find a station",
        "tab_coverage": "Coverage", "tab_gaps": "Gaps", "tab_siting": "Siting",
        "tab_reports": "Reports", "tab_stations": "Stations",
        "group": "Worker group", "budget": "Travel budget",
        "budget_own": "Each group's own ({list})",
        "demo_budget": "The demo region is only about 1.5 km across: the budget starts at 4 "
                       "minutes so that the gaps show.",
        "hour": "Hour", "any_time": "Any time", "hour_hint": "Drag: only stations open then count",
        "at_hour": "{h}:00", "shift": "Shift",
        "covered": "Covered", "uncovered": "Not covered", "share": "Share covered",
        "workers": "{n} workers", "covered_of": "{c} of {t} workers have a station in reach",
        "off_network": "{n} workers off the network", "lowest": "Lowest on shift: {s} at {h}",
        "by": "{mode} · {m}", "mode_walk_long": "on foot", "mode_ebike_long": "by e-bike",
        "mode_drive_long": "by car",
        "legend": "Share covered per cell", "legend_more": "Darker: more workers",
        "legend_stations": "Stations", "legend_closed": "Closed at this hour",
        "legend_proposed": "Proposed", "legend_gap": "Gap area",
        "travel": "About {t} to the nearest station",
        "travel_range": "{a}–{b} to the nearest station",
        "unreachable": "No station in reach", "cell": "{g} · {n}",
        "gaps_title": "Gap areas, by workers not covered", "gaps_at": "Gaps at {h}",
        "gaps_none": "No gaps: every worker of this group has a station within the budget.",
        "gaps_other": "Other groups have {n} more gap areas.", "gap_cells": "{n} cells",
        "gap_also": "also {list}",
        "gap_nearest": "{t} from the centre to a station", "gap_zoom": "Show on the map",
        "siting_intro": "Choose sites for new stations in the gaps; the existing ones stay.",
        "kind_new": "Kind of new station", "how": "Goal", "by_add": "Add N",
        "by_target": "Reach a share",
        "add_n": "New stations", "target": "Target share %", "minutes": "Travel budget (minutes)",
        "minutes_own": "Empty: each group's own", "groups_for": "Groups served",
        "no_group": "Choose at least one group",
        "run": "Run siting", "running": "Computing…", "optimal": "Proven optimal",
        "not_optimal": "Approximate: within {p} of the optimum", "took": "{n} candidates · {s} s",
        "before_after": "Coverage before and after", "gain": "+{n} workers",
        "proposed": "Proposed sites",
        "site": "New site {n}", "site_gain": "{n} workers newly covered", "downloads": "Download",
        "curve": "Share covered with each extra station (groups together)",
        "curve_x": "new stations",
        "none_needed": "Every worker these groups can reach is covered already; no new station "
                       "is needed.",
        "target_met": "The target share is met already; no new station is needed.",
        "fewer": "{n} new stations already cover every worker they can reach.",
        "reports_title": "Problems workers reported, newest first",
        "reports_none": "No reports yet.",
        "signin_title": "Planner sign-in",
        "signin_why": "Sign in to read workers' reports and edit stations.",
        "signin_disabled": "Planner sign-in is disabled on this server (set "
                           "YIZHAN_PLANNER_PASSWORD).",
        "password": "Password", "sign_in": "Sign in", "sign_out": "Sign out",
        "wrong": "Wrong password", "signed_in": "Signed in", "find_station": "Find a station",
        "new_station": "New station", "edit_station": "Edit station", "name": "Name",
        "lon": "Longitude (WGS-84)", "lat": "Latitude (WGS-84)", "save": "Save",
        "close_station": "Close station", "cancel": "Cancel", "pick_on_map": "Pick on the map",
        "picking": "Click the map to place the station…",
        "move_hint": "Drag the marker on the map, or “Pick on the map”, to move the station; "
                     "it moves when you save.",
        "moved": "Moved; save to keep it", "saved": "Saved; coverage recomputed",
        "created": "Station created", "closed_toast": "Station closed",
        "confirm_close": "Close this station? (It stays in the history.)",
        "history": "History", "station_reports": "Reports from workers", "none": "None",
        "act_create": "created", "act_update": "changed", "act_delete": "closed",
        "act_restore": "restored", "loading": "Computing coverage…",
        "no_demand": "No worker data: {e}", "retry": "Try again", "stations_n": "{n} stations",
        "station_closed_now": "Closed at this hour", "open_at": "open at {h}", "edit": "Edit",
        "zoom": "Show",
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
                      "color": KIND_COLOURS[k]}
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


def _render(template: str, lang: str, *, strings: dict | None = None,
            extra_config: dict | None = None, **context):
    other = "en" if lang == "zh" else "zh"
    args = request.args.to_dict()
    args["lang"] = other
    switch = request.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in args.items())
    config = page_config(lang)
    if strings:
        config["strings"] = {**config["strings"], **strings}
    config.update(extra_config or {})
    return render_template(template, lang=lang, t=config["strings"], other_lang=other,
                           switch_url=switch, config=config, **context)


def plan_config(lang: str) -> dict:
    """What the planner view needs beyond :func:`page_config`: worker groups, budgets, kinds."""
    engine = current_app.extensions["yizhan"]
    groups = {}
    for gid, g in DEFAULT_GROUPS.items():
        groups[gid] = {"label": g.zh if lang == "zh" else g.en[:1].upper() + g.en[1:],
                       "short": _label(GROUP_SHORT.get(gid, (g.zh, g.en)), lang),
                       "color": GROUP_COLOURS.get(gid, "#475467"), "mode": g.mode,
                       "budget": g.budget_min, "kinds": list(g.kinds),
                       "shiftHours": [h for h in range(24) if g.works_at(h)],
                       "network": g.mode in engine.networks}
    # key order does not survive the page (Jinja's tojson sorts keys): the orders go separately
    return {"groups": groups, "groupOrder": list(DEFAULT_GROUPS), "kindOrder": list(KINDS),
            "budgets": BUDGET_CHOICES,
            "defaultMinutes": 4 if demo_info() is not None else None,
            "kindsLong": {k: _label(v, lang) for k, v in KINDS.items()}}


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
                   kind_color=KIND_COLOURS[station.kind], is_open=station.is_open(),
                   hours=format_hours(station.hours, lang))


@bp.get("/planner")
def planner():
    """Planner sign-in and a simple station editor (the full planner view is /plan)."""
    return _render("planner.html", pick_lang())


@bp.get("/plan")
def plan():
    """The planner view: coverage per worker group and hour as H3 cells, gap areas, siting runs,
    workers' reports and station editing (after sign-in)."""
    lang = pick_lang()
    return _render("plan.html", lang, strings=PLAN_STRINGS[lang], extra_config=plan_config(lang))


@bp.get("/healthz")
def healthz():
    engine = current_app.extensions["yizhan"]
    snap = engine.current()
    return jsonify({"ok": True, "stations": len(snap.stations), "networks": list(engine.networks)})


@bp.get("/static/vendor/leaflet/<path:filename>")
def leaflet(filename: str):
    """Leaflet's files from the xstatic-leaflet package (never a CDN)."""
    return send_from_directory(xleaflet.BASE_DIR, filename, max_age=86400)
