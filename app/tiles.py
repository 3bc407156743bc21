"""Basemap tiles: the one list of tile choices (``yizhan serve --tiles``, ``YIZHAN_TILES``, the
pages' configuration and the Content-Security-Policy all read it here).

``none`` (the default) draws the network's streets and the offline basemap the app serves itself,
so a page works with no internet; the others fetch tiles from their host.
"""

from __future__ import annotations

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

#: Every ``TILES`` value: ``none`` and the services above.
TILE_CHOICES: tuple[str, ...] = ("none", *TILE_SERVICES)
