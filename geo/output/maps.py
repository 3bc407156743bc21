"""Standalone HTML maps (folium) that work with no internet: Leaflet is copied next to the file
from the ``xstatic-leaflet`` package instead of folium's CDN defaults, and the road network itself
is drawn as the basemap.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import folium
import numpy as np

from geo.network import Network
from geo.stations import KINDS, SERVICES, Station
from geo.style import KIND_COLOURS

#: Marker colours per station kind (also used by the web app).
#: Most edges drawn as the basemap; larger networks are drawn without it.
MAX_BASEMAP_EDGES = 60_000


def leaflet_dir() -> Path:
    """The directory of Leaflet's files inside the xstatic-leaflet package."""
    import xstatic.pkg.leaflet as leaflet

    return Path(leaflet.BASE_DIR)


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
        m.get_root().header.add_child(folium.Element(
            f"<style>{(source / 'leaflet.css').read_text('utf-8')}</style>"
            f"<script>{(source / 'leaflet.js').read_text('utf-8')}</script>"))
    else:
        m.default_js = [("leaflet", "leaflet/leaflet.js")]
        m.default_css = [("leaflet_css", "leaflet/leaflet.css")]
    # folium builds popups with jQuery's $(html); this one-line stand-in avoids loading jQuery
    m.get_root().header.add_child(folium.Element(
        "<script>window.$ = window.$ || function (html) { var t = document.createElement("
        "'template'); t.innerHTML = html.trim(); return [t.content.firstChild]; };</script>"))
    m.fit_bounds([[south, west], [north, east]])
    if title:
        m.get_root().html.add_child(folium.Element(
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
             for u, v in zip(rows[keep].tolist(), cols[keep].tolist())]
    feature = {"type": "Feature", "properties": {},
               "geometry": {"type": "MultiLineString", "coordinates": lines}}
    folium.GeoJson(feature, name=name, style_function=lambda _: {
        "color": "#9e9e9e", "weight": 1, "opacity": 0.7}, interactive=False).add_to(m)


def station_popup(station: Station) -> str:
    """Popup HTML for a station; every value escaped."""
    zh, en = KINDS[station.kind]
    services = "、".join(SERVICES[s][0] for s in sorted(station.services))
    parts = [f"<b>{html.escape(station.name)}</b>", f"{zh} {en}",
             f"开放时间 hours: {html.escape(station.hours or '未知 unknown')}",
             f"服务 services: {html.escape(services)}"]
    if station.capacity is not None:
        parts.append(f"容量 capacity: {station.capacity}")
    if station.address:
        parts.append(html.escape(station.address))
    return "<br>".join(parts)


def add_stations(m: folium.Map, stations, *, name: str = "驿站 stations", radius: int = 7,
                 colour: str | None = None, popup_extra=None) -> None:
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


def save_map(m: folium.Map, path: str | Path) -> Path:
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
