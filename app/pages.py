"""The web pages: the worker finder ``/``, a station page ``/s/<id>``, the planner view ``/plan``
(coverage by group and hour, gap areas, siting, reports, station editing), ``/planner`` (its old
address, a redirect), the kind colours as CSS ``/theme.css``, and ``/healthz``.

Pages are Chinese by default and English with ``?lang=en`` or an Accept-Language that prefers
English. Every UI string lives in one catalogue per language, ``app/i18n/<lang>.json``: the
templates get a page's strings as ``t``, its scripts (ES modules in ``static/js``) through the
page config, a JSON block in the page. Station data reaches the page only through the JSON API
(rendered with ``textContent``) or through Jinja's autoescaping (``/s/<id>``). Leaflet comes from
the ``xstatic-leaflet`` package, served by the app itself: a page makes no request to any other
host unless ``TILES`` names a tile service.
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import quote

import xstatic.pkg.leaflet as xleaflet
from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from app.lang import LANGS, catalogue
from app.reports import REPORT_KINDS
from app.state import data_dir, state
from app.tiles import TILE_SERVICES
from geo.groups import DEFAULT_GROUPS
from geo.network import MODES
from geo.regions import REGIONS
from geo.stations import KINDS, SERVICES
from geo.style import GROUP_COLOURS, KIND_COLOURS, KIND_ICONS, KIND_SHORT

bp = Blueprint("pages", __name__)


#: The services offered as quick filters in the finder, most asked for first.
QUICK_SERVICES = ["toilet", "drinking_water", "food_heating", "rest", "phone_charging",
                  "ebike_charging", "heating", "cooling", "shower", "parking", "first_aid",
                  "wifi", "meals", "oxygen", "accessible", "laundry", "reading"]

#: Short worker group labels for chips: id -> (中文, English); full labels come from geo.groups.
GROUP_SHORT = {"delivery_rider": ("外卖骑手", "Riders"),
               "sanitation_worker": ("环卫工人", "Sanitation"),
               "truck_driver": ("货车司机", "Truckers"),
               "ride_hailing_driver": ("网约车司机", "Ride-hail")}

#: Travel budgets offered in the planner view, minutes.
BUDGET_CHOICES = [2, 3, 4, 5, 8, 10, 15, 20, 30]

#: The string sections each page gets from the catalogue (app/i18n/<lang>.json); the keys are
#: unique across sections, so one page never sees two meanings of a key.
PAGE_SECTIONS = {"finder": ("common", "finder"), "station": ("common", "finder"),
                 "plan": ("common", "plan"), "figures": ("common", "plan")}

def strings(lang: str, page: str) -> dict[str, str]:
    """The strings one page uses (templates and scripts alike), in one language."""
    sections = catalogue(lang)
    return {k: v for name in PAGE_SECTIONS[page] for k, v in sections[name].items()}


_DAYS_ZH = {"Mo": "周一", "Tu": "周二", "We": "周三", "Th": "周四", "Fr": "周五", "Sa": "周六",
            "Su": "周日", "PH": "节假日"}


def format_hours(hours: str, lang: str) -> str:
    """OSM opening hours made readable (the same as ``fmtHours`` in static/js/i18n.js)."""
    if not hours:
        return catalogue(lang)["common"]["hours_unknown"]
    if hours == "24/7":
        return catalogue(lang)["common"]["hours_always"]
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
    path = data_dir() / "demo.json"
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {"label": "演示数据 demo data", "source": ""}
    return {"label": manifest.get("label", "演示数据 demo data"),
            "source": manifest.get("source", ""), "city": manifest.get("city"),
            "year": manifest.get("year")}


def quick_services() -> list[str]:
    """:data:`QUICK_SERVICES` in the order of the data dir's demo region: the services its
    :attr:`geo.regions.Region.quick_services` names first (heating in Harbin), then the rest."""
    path = data_dir() / "demo.json"
    try:
        known = REGIONS.get(json.loads(path.read_text("utf-8")).get("region"))
    except (OSError, ValueError, AttributeError, TypeError):
        known = None
    first = [s for s in (known.quick_services if known else ()) if s in QUICK_SERVICES]
    return first + [s for s in QUICK_SERVICES if s not in first]


def _small_demo() -> bool:
    """Whether the data dir holds a demo region too small for the groups' own budgets to leave
    gaps (central Helsinki, about 2 km²): the planner view then starts at a 4-minute budget.
    The Chengdu demo (about 70 km²) starts at each group's own budget."""
    path = data_dir() / "demo.json"
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return float(manifest.get("area_km2") or 0.0) < 10.0


def page_config(lang: str, page: str) -> dict:
    """What the page scripts need: strings, labels, colours, modes, tiles, bounds, the demo flag."""
    app_state = state()
    modes = [m for m in MODES if m in app_state.networks]
    return {
        "lang": lang,
        "strings": strings(lang, page),
        "kinds": {k: {"label": _label(v, lang), "short": _label(KIND_SHORT[k], lang),
                      "color": KIND_COLOURS[k], "icon": KIND_ICONS.get(k, "pin")}
                  for k, v in KINDS.items()},
        "services": {k: _label(v, lang) for k, v in SERVICES.items()},
        "quickServices": quick_services(),
        "reportKinds": {k: _label(v, lang) for k, v in REPORT_KINDS.items()},
        "modes": modes,
        "basemapMode": "walk" if "walk" in modes else (modes[0] if modes else None),
        "basemapLayers": app_state.has_basemap(),
        "tiles": tile_config(),
        "bounds": app_state.bounds(),
        "demo": demo_info(),
        **_regions(lang),
    }


def _regions(lang: str) -> dict:
    """A deployment of several regions (:mod:`app.deployment`): the region shown and those
    offered (``region``, ``regions``); nothing for a server of one region."""
    deployment = current_app.extensions.get("yizhan-deployment")
    return {} if deployment is None else deployment.page_config(lang)


def _render(page: str, lang: str, *, extra_config: dict | None = None, **context):
    """Render ``<page>.html`` with its strings as ``t`` and its config (for the scripts)."""
    other = "en" if lang == "zh" else "zh"
    args = request.args.to_dict()
    args["lang"] = other
    switch = request.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in args.items())
    config = page_config(lang, page)
    config.update(extra_config or {})
    return render_template(f"{page}.html", lang=lang, t=config["strings"], other_lang=other,
                           switch_url=switch, config=config, **context)


def plan_config(lang: str) -> dict:
    """What the planner view needs beyond :func:`page_config`: worker groups, budgets, kinds."""
    networks = state().networks
    groups = {}
    for gid, g in DEFAULT_GROUPS.items():
        groups[gid] = {"label": g.zh if lang == "zh" else g.en[:1].upper() + g.en[1:],
                       "short": _label(GROUP_SHORT.get(gid, (g.zh, g.en)), lang),
                       "color": GROUP_COLOURS.get(gid, "#475467"), "mode": g.mode,
                       "budget": g.budget_min, "kinds": list(g.kinds),
                       "shiftHours": [h for h in range(24) if g.works_at(h)],
                       "network": g.mode in networks}
    # key order does not survive the page (Jinja's tojson sorts keys): the orders go separately
    return {"groups": groups, "groupOrder": list(DEFAULT_GROUPS), "kindOrder": list(KINDS),
            "budgets": BUDGET_CHOICES,
            "defaultMinutes": 4 if _small_demo() else None,
            "kindsLong": {k: _label(v, lang) for k, v in KINDS.items()}}


@bp.get("/")
def finder():
    """The worker finder: map, nearest stations, routes, station cards, problem reports."""
    return _render("finder", pick_lang())


@bp.get("/s/<station_id>")
def station_page(station_id: str):
    """One station's card as a plain page (a link to share), with navigation links."""
    lang = pick_lang()
    snap = state().current()
    station = snap.by_id.get(station_id)
    if station is None:
        return _render("station", lang, station=None, links=None, services=[],
                       kind_label="", kind_color=""), 404
    return _render("station", lang, station=station, links=snap.links[station.id],
                   services=[_label(SERVICES[s], lang) for s in sorted(station.services)],
                   kind_label=_label(KINDS[station.kind], lang),
                   kind_color=KIND_COLOURS[station.kind], is_open=station.is_open(),
                   hours=format_hours(station.hours, lang))


@bp.get("/planner")
def planner():
    """The old address of the station editor, now part of the planner view: a redirect to
    ``/plan`` with the same query (``?lang=`` and the view)."""
    query = request.query_string.decode("latin-1")
    return redirect(url_for("pages.plan") + (f"?{query}" if query else ""), code=302)


@bp.get("/plan")
def plan():
    """The planner view: coverage per worker group and hour as H3 cells, gap areas, siting runs,
    workers' reports and station editing (after sign-in)."""
    lang = pick_lang()
    return _render("plan", lang, extra_config=plan_config(lang))


@bp.get("/theme.css")
def theme_css():
    """The kind colours as CSS custom properties (``--driver_home`` ...) from :mod:`geo.style`, so
    that the style sheet, the scripts and the maps share one set of colours; and for each kind
    the rules that paint its chips, pins and dots (a deployment's own kinds too,
    :mod:`geo.catalogue`). Asked again on every page (a kind may have come), 304 when the same."""
    lines = "".join(f"  --{kind}: {colour};\n" for kind, colour in KIND_COLOURS.items())
    rules = "".join(
        f".kind-chip.kind-{k} .kind-swatch, .kind-{k}.result-icon, .pin.kind-{k} .pin-head, "
        f".kind-dot.kind-{k}, .st.kind-{k} .st-dot {{ background: var(--{k}); }}\n"
        for k in KIND_COLOURS)
    css = ":root {\n" + lines + "}\n" + rules
    response = current_app.response_class(css, mimetype="text/css")
    response.cache_control.no_cache = True
    response.set_etag(hashlib.sha1(css.encode("utf-8")).hexdigest()[:16])
    return response.make_conditional(request)


@bp.get("/healthz")
def healthz():
    app_state = state()
    snap = app_state.current()
    return jsonify({"ok": True, "stations": len(snap.stations),
                    "networks": list(app_state.networks)})


@bp.get("/static/vendor/leaflet/<path:filename>")
def leaflet(filename: str):
    """Leaflet's files from the xstatic-leaflet package (never a CDN)."""
    return send_from_directory(xleaflet.BASE_DIR, filename, max_age=86400)
