"""Standalone HTML maps (folium) that work with no internet: Leaflet is copied next to the file
from the ``xstatic-leaflet`` package instead of folium's CDN defaults, and the road network itself
is drawn as the basemap.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import folium
import numpy as np
from branca.element import Figure, MacroElement
from jinja2 import Template

from geo.network import Network
from geo.regions import OSM_ATTRIBUTION
from geo.stations import KINDS, SERVICES, Station
from geo.style import KIND_COLOURS

#: Marker colours per station kind (also used by the web app).
#: Most edges drawn as the basemap; larger networks are drawn without it.
MAX_BASEMAP_EDGES = 60_000


def leaflet_dir() -> Path:
    """The directory of Leaflet's files inside the xstatic-leaflet package."""
    import xstatic.pkg.leaflet as leaflet

    return Path(leaflet.BASE_DIR)


def _page(m: folium.Map) -> Figure:
    """The page a map is drawn in (folium puts every map in a branca Figure), where the
    ``header`` and ``html`` parts take styles, scripts and overlays."""
    root = m.get_root()
    if not isinstance(root, Figure):  # pragma: no cover - folium.Map always has a Figure root
        raise TypeError(f"the map's root is a {type(root).__name__}, not a branca Figure")
    return root


def offline_map(bounds: tuple[float, float, float, float], *, title: str = "",
                inline: bool = False) -> folium.Map:
    """A folium map fitted to ``bounds`` (W, S, E, N in degrees) that loads only local Leaflet.

    Save it with :func:`save_map`, which puts the Leaflet files beside the HTML file; with
    ``inline=True`` Leaflet is embedded in the page itself, so the map also shows inline in a
    notebook with no internet.
    """
    west, south, east, north = bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None,
                   control_scale=True, prefer_canvas=True, zoom_start=15)
    if inline:
        m.default_js, m.default_css = [], []
        source = leaflet_dir()
        _page(m).header.add_child(folium.Element(
            f"<style>{(source / 'leaflet.css').read_text('utf-8')}</style>"
            f"<script>{(source / 'leaflet.js').read_text('utf-8')}</script>"))
    else:
        m.default_js = [("leaflet", "leaflet/leaflet.js")]
        m.default_css = [("leaflet_css", "leaflet/leaflet.css")]
    # folium builds popups with jQuery's $(html); this one-line stand-in avoids loading jQuery
    _page(m).header.add_child(folium.Element(
        "<script>window.$ = window.$ || function (html) { var t = document.createElement("
        "'template'); t.innerHTML = html.trim(); return [t.content.firstChild]; };</script>"))
    m.fit_bounds([[south, west], [north, east]])
    attribution = json.dumps(OSM_ATTRIBUTION, ensure_ascii=False)
    _on_map(m, f"map.attributionControl.addAttribution({attribution});")
    if title:
        _page(m).html.add_child(folium.Element(
            '<div style="position:fixed;top:10px;left:50px;z-index:1000;background:#fff;'
            'padding:6px 10px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);'
            'font:14px system-ui,\'PingFang SC\',\'Noto Sans CJK SC\',sans-serif">'
            f"{html.escape(title)}</div>"))
    return m


def add_network(m: folium.Map, net: Network, *, name: str = "道路 roads") -> None:
    """Draw the network's streets (each undirected pair once) as a light basemap layer."""
    if net.n_edges > MAX_BASEMAP_EDGES:
        return
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    cols = net.indices
    keep = rows < cols
    lines = [[[float(net.lon[u]), float(net.lat[u])], [float(net.lon[v]), float(net.lat[v])]]
             for u, v in zip(rows[keep].tolist(), cols[keep].tolist(), strict=True)]
    feature = {"type": "Feature", "properties": {},
               "geometry": {"type": "MultiLineString", "coordinates": lines}}
    folium.GeoJson(feature, name=name, style_function=lambda _: {
        "color": "#9e9e9e", "weight": 1, "opacity": 0.7}, interactive=False).add_to(m)


#: How the basemap layers draw on a folium map (as the web app draws them): fill colour and
#: width at zoom 16 per road class, colours of green areas and water.
BASEMAP_ROADS = {"motorway": ("#ffb45c", 8), "trunk": ("#ffc96b", 7.5), "primary": ("#ffe7a0", 6.5),
                 "secondary": ("#ffffff", 5.5), "tertiary": ("#ffffff", 4.5),
                 "residential": ("#ffffff", 3), "service": ("#ffffff", 1.8),
                 "footway": ("#c9bfae", 1)}
BASEMAP_GREEN = {"park": "#c6e7b4", "grass": "#d4ecc4", "wood": "#b5dca0", "pitch": "#bfe6c6"}
BASEMAP_WATER = "#9ecbf4"
BASEMAP_LAND = "#f3f1ec"
#: Label classes written on folium maps (the main streets, rivers and parks).
BASEMAP_LABELS = ("motorway", "trunk", "primary", "water", "park")


def add_basemap(m: folium.Map, collection: dict, *, name: str = "底图 basemap") -> None:
    """Draw basemap layers (:func:`geo.basemap.read_basemap`) as one layer: green areas, water,
    roads by class (white with a grey casing, main roads yellow), and the names of main streets,
    rivers and parks (as the web app draws them, at fixed widths)."""
    layer = folium.FeatureGroup(name=name, control=False)
    _page(m).header.add_child(folium.Element(
        f"<style>.leaflet-container.leaflet-container{{background:{BASEMAP_LAND}}}"
        ".yz-label{font:600 12px system-ui,'PingFang SC','Noto Sans CJK SC',sans-serif;"
        "color:#4a3b22;white-space:nowrap;transform:translate(-50%,-50%);"
        "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}"
        ".yz-far .yz-label{display:none}</style>"))
    # names only from zoom 14 on, where they no longer cover each other
    _on_map(m, "function yzFar() { map.getContainer().classList.toggle('yz-far', "
               "map.getZoom() < 14); } map.on('zoomend', yzFar); yzFar();")
    features = collection.get("features", [])

    def of(kind: str, cls: str | None = None) -> list[dict]:
        return [f for f in features if f["properties"]["layer"] == kind
                and (cls is None or f["properties"]["class"] == cls)]

    for feature in of("green"):
        colour = BASEMAP_GREEN.get(feature["properties"]["class"], BASEMAP_GREEN["park"])
        folium.GeoJson(feature, style_function=lambda _, c=colour: {
            "stroke": False, "fillColor": c, "fillOpacity": 1}, interactive=False).add_to(layer)
    for feature in of("water"):
        area = feature["properties"]["class"] == "area"
        folium.GeoJson(feature, style_function=lambda _, a=area: {
            "stroke": not a, "color": BASEMAP_WATER, "weight": 3, "fillColor": BASEMAP_WATER,
            "fillOpacity": 1 if a else 0}, interactive=False).add_to(layer)
    for cls in reversed(BASEMAP_ROADS):  # the least important below
        for feature in of("road", cls):
            colour, width = BASEMAP_ROADS[cls]
            folium.GeoJson(feature, style_function=lambda _, w=width: {
                "color": "#d4cdbf", "weight": w * 0.6 + 1.5}, interactive=False).add_to(layer)
            folium.GeoJson(feature, style_function=lambda _, c=colour, w=width: {
                "color": c, "weight": w * 0.6}, interactive=False).add_to(layer)
    taken: set[str] = set()
    for feature in sorted(of("label"), key=lambda f: -f["properties"].get("size", 0)):
        p = feature["properties"]
        if p["class"] not in BASEMAP_LABELS or p["name"] in taken:
            continue
        taken.add(p["name"])  # each name once: a static map cannot hide overlapping labels
        lon, lat = feature["geometry"]["coordinates"]
        turn = f"rotate({p.get('angle') or 0}deg)"
        folium.Marker([lat, lon], interactive=False, icon=folium.DivIcon(
            icon_size=(0, 0), class_name="yz-label-anchor",
            html=f'<div class="yz-label" style="transform:translate(-50%,-50%) {turn}">'
                 f"{html.escape(p['name'])}</div>")).add_to(layer)
    layer.add_to(m)


class _MapScript(MacroElement):
    """JavaScript run once the map exists, with the map as ``map``."""

    _template = Template("""{% macro script(this, kwargs) %}
(function (map) { {{ this.code }} })({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self, code: str):
        super().__init__()
        self.code = code


def _on_map(m: folium.Map, code: str) -> None:
    m.add_child(_MapScript(code))


def station_popup(station: Station) -> str:
    """Popup HTML for a station; every value escaped (the kept service words too)."""
    zh, en = KINDS[station.kind]
    # the words the station's list wrote that name no known service follow, as written
    services = "、".join([*(SERVICES[s][0] for s in sorted(station.services)),
                         *station.other_services])
    parts = [f"<b>{html.escape(station.name)}</b>", f"{zh} {en}",
             f"开放时间 hours: {html.escape(station.hours or '未知 unknown')}",
             f"服务 services: {html.escape(services)}"]
    if station.capacity is not None:
        parts.append(f"容量 capacity: {station.capacity}")
    if station.address:
        parts.append(html.escape(station.address))
    return "<br>".join(parts)


def add_stations(m: folium.Map, stations: Iterable[Station], *, name: str = "驿站 stations",
                 radius: int = 7, colour: str | None = None,
                 popup_extra: Callable[[Station], str] | None = None) -> None:
    """Stations as circle markers coloured by kind, one layer."""
    layer = folium.FeatureGroup(name=name)
    for s in stations:
        popup = station_popup(s) + (popup_extra(s) if popup_extra else "")
        folium.CircleMarker([s.lat, s.lon], radius=radius, color="#fff", weight=2,
                            fill=True, fill_opacity=0.95,
                            fill_color=colour or KIND_COLOURS[s.kind],
                            popup=folium.Popup(popup, max_width=300),
                            tooltip=html.escape(s.name)).add_to(layer)
    layer.add_to(m)


def finish(m: folium.Map) -> folium.Map:
    """Add the layer switcher (once all layers are on the map)."""
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map and copy Leaflet beside it (``leaflet/``), so it opens offline."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    m.save(str(path))
    target = path.parent / "leaflet"
    target.mkdir(exist_ok=True)
    source = leaflet_dir()
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copyfile(source / name, target / name)
    shutil.copytree(source / "images", target / "images", dirs_exist_ok=True)
    return path
