"""Property tests (hypothesis): coordinate round trips, opening hours in Chinese and OSM syntax,
and nearest stations against the networkx reference on random points of the Helsinki demo.

(Generated rows of a station import: tests/geo/io/test_station_limits.py.)"""

import math

import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import coords
from geo.errors import InputError, OffNetworkError
from geo.stations import format_hours_zh, normalize_hours

#: Round trips through the iterated inverses agree to this, metres (the module promises far
#: below 0.01 m).
ROUND_TRIP_M = 0.01

china_lon = st.floats(73.6, 134.7)
china_lat = st.floats(18.2, 53.5)
any_lon = st.floats(-180, 180)
any_lat = st.floats(-89.9, 89.9)


@given(china_lon, china_lat)
def test_wgs84_gcj02_bd09_round_trips_in_china(lon, lat):
    g = coords.wgs84_to_gcj02(lon, lat)
    b = coords.gcj02_to_bd09(*g)
    assert coords.haversine_m(*coords.gcj02_to_wgs84(*g), lon, lat) < ROUND_TRIP_M
    assert coords.haversine_m(*coords.bd09_to_gcj02(*b), *g) < ROUND_TRIP_M
    assert coords.haversine_m(*coords.bd09_to_wgs84(*b), lon, lat) < ROUND_TRIP_M
    for crs in coords.CRS_NAMES:
        there = coords.from_wgs84(lon, lat, crs)
        assert coords.haversine_m(*coords.to_wgs84(*there, crs), lon, lat) < ROUND_TRIP_M
    # the shifts are what they are known to be: GCJ-02 some hundred metres, BD-09 more
    assert 1 < coords.haversine_m(*g, lon, lat) < 1000
    assert coords.haversine_m(*b, *g) < 1500


@given(any_lon, any_lat)
def test_gcj02_is_wgs84_outside_china_and_bd09_round_trips_everywhere(lon, lat):
    assume(not (72 <= lon <= 138 and 0.8 <= lat <= 56))
    assert coords.wgs84_to_gcj02(lon, lat) == (lon, lat)
    b = coords.wgs84_to_bd09(lon, lat)
    assume(abs(b[1]) < 89)  # BD-09's shift near the poles leaves the range
    assert coords.haversine_m(*coords.bd09_to_wgs84(*b), lon, lat) < ROUND_TRIP_M


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True,
                                                                  allow_infinity=True))
def test_any_float_pair_converts_without_an_exception(lon, lat):
    for crs in coords.CRS_NAMES:
        coords.to_wgs84(lon, lat, crs)
        coords.from_wgs84(lon, lat, crs)


# --- opening hours -------------------------------------------------------------------------------

DAYS = "一二三四五六日"
hour = st.integers(0, 23)
minute = st.sampled_from([0, 15, 30, 45])


@st.composite
def chinese_hours(draw):
    """Hours as a union office types them: 全天, 8:30-18:00, 周一至周五 8:30-18:00, 每天 …"""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["全天", "24小时", "全天24小时", "7×24小时"]))
    h1, h2 = sorted(draw(st.lists(hour, min_size=2, max_size=2, unique=True)))
    m1, m2 = draw(minute), draw(minute)
    sep = draw(st.sampled_from(["-", "～", "至", "—", "~"]))
    times = f"{h1}:{m1:02d}{sep}{h2}:{m2:02d}"
    d1, d2 = sorted(draw(st.lists(st.integers(0, 6), min_size=2, max_size=2, unique=True)))
    days = draw(st.sampled_from(["", "每天 ", "工作日 ", "周末 ", f"周{DAYS[d1]}至周{DAYS[d2]} ",
                                 f"星期{DAYS[d1]}到星期{DAYS[d2]} "]))
    return days + times


@given(chinese_hours())
def test_chinese_hours_read_as_osm_and_write_back(text):
    osm = normalize_hours(text)
    assert osm and not any("\u4e00" <= c <= "\u9fff" for c in osm)
    assert normalize_hours(osm) == osm
    zh = format_hours_zh(osm)
    assert normalize_hours(zh) == osm


@hsettings(max_examples=300)
@given(st.text(max_size=60))
def test_any_text_is_hours_or_an_input_error(text):
    try:
        osm = normalize_hours(text)
    except InputError as exc:
        assert exc.parameter == "hours"
        return
    assert normalize_hours(format_hours_zh(osm)) == osm


# --- nearest stations against networkx -----------------------------------------------------------

@pytest.fixture(scope="module")
def walk_finder(demo, demo_stations):
    from geo.nearest import StationFinder

    return StationFinder(demo.network("walk"), demo_stations)


@hsettings(max_examples=4, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(x=st.floats(0.05, 0.95), y=st.floats(0.05, 0.95), k=st.integers(1, 5),
       kinds=st.sampled_from([None, ["sanitation_station"], ["outdoor_rest_point",
                                                              "driver_home"]]))
def test_nearest_agrees_with_networkx_on_random_points(walk_finder, x, y, k, kinds):
    from tests.reference import networkx_nearest

    net = walk_finder.network
    lon = float(net.lon.min() + x * (net.lon.max() - net.lon.min()))
    lat = float(net.lat.min() + y * (net.lat.max() - net.lat.min()))
    try:
        hits = walk_finder.nearest(lon, lat, k=k, kinds=kinds)
    except OffNetworkError:
        assume(False)
    expected = networkx_nearest(walk_finder, lon, lat, k=k, kinds=kinds)
    assert [h.distance_m for h in hits] == pytest.approx([d for d, _ in expected], abs=1e-6)
    for hit, (dist, sid) in zip(hits, expected, strict=True):
        assert hit.station.id == sid or math.isclose(hit.distance_m, dist, abs_tol=1e-6)
