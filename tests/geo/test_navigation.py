from urllib.parse import parse_qs, urlsplit

import pytest

from geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from geo.navigation import nav_links
from geo.stations import Station

STATION = Station(id="cd-1", name="春熙路 驿站&1", kind="outdoor_rest_point", lon=104.0817,
                  lat=30.6570, address="锦江区春熙路1号")


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_amap_takes_gcj02_lon_lat():
    lon, lat = wgs84_to_gcj02(STATION.lon, STATION.lat)
    query = _query(nav_links(STATION)["amap"])
    got_lon, got_lat = map(float, query["position"].split(","))
    assert got_lon == pytest.approx(lon, abs=1e-6) and got_lat == pytest.approx(lat, abs=1e-6)
    assert query["name"] == STATION.name and query["callnative"] == "1"


def test_baidu_takes_bd09_lat_lon():
    lon, lat = wgs84_to_bd09(STATION.lon, STATION.lat)
    query = _query(nav_links(STATION)["baidu"])
    got_lat, got_lon = map(float, query["location"].split(","))
    assert got_lon == pytest.approx(lon, abs=1e-6) and got_lat == pytest.approx(lat, abs=1e-6)
    assert query["coord_type"] == "bd09ll" and query["content"] == STATION.address


def test_apple_in_gcj02_and_geo_uri_in_wgs84():
    links = nav_links(STATION)
    lon, lat = wgs84_to_gcj02(STATION.lon, STATION.lat)
    assert _query(links["apple"])["ll"] == f"{lat:.6f},{lon:.6f}"
    assert links["geo"].startswith(f"geo:{STATION.lat:.6f},{STATION.lon:.6f}?")


def test_names_are_quoted_so_a_link_cannot_be_broken():
    for url in nav_links(STATION).values():
        assert " " not in url and "&1" not in url.replace("&1&", "")
