"""Links that open a phone's map apps at a station (WGS-84 in, GCJ-02/BD-09 where the app wants)."""

from __future__ import annotations

from urllib.parse import quote

from geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from geo.stations import Station


def nav_links(station: Station) -> dict[str, str]:
    """Links that open a phone's map apps at the station.

    Amap and Baidu come first: their web links (``uri.amap.com``, ``api.map.baidu.com``) open
    inside WeChat's browser and hand over to the app where it is installed, where a custom
    scheme or ``geo:`` is blocked. Amap takes GCJ-02 (``lon,lat``), Baidu BD-09 (``lat,lon`` with
    ``coord_type=bd09ll``); both convert only inside China. ``apple`` opens Apple Maps on an
    iPhone (GCJ-02 in China, where Apple's map data is AutoNavi's); ``geo`` is the RFC 5870 URI
    in WGS-84 for Android's map apps.
    """
    lon, lat = station.lon, station.lat
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    b_lon, b_lat = wgs84_to_bd09(lon, lat)
    name = quote(station.name, safe="")
    return {
        "amap": (f"https://uri.amap.com/marker?position={g_lon:.6f},{g_lat:.6f}&name={name}"
                 "&src=yizhan&coordinate=gaode&callnative=1"),
        "baidu": (f"https://api.map.baidu.com/marker?location={b_lat:.6f},{b_lon:.6f}"
                  f"&title={name}&content={quote(station.address or station.name, safe='')}"
                  "&output=html&coord_type=bd09ll&src=yizhan"),
        "apple": f"https://maps.apple.com/?ll={g_lat:.6f},{g_lon:.6f}&q={name}",
        "geo": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({name})",
    }
