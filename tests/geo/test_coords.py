"""Tests for geo.coords: WGS-84 / GCJ-02 / BD-09 conversion, distance and UTM projection."""

from __future__ import annotations

import numpy as np
import pytest

from geo import coords
from geo.coords import (
    CRS_NAMES,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    local_crs,
    project,
    to_wgs84,
    unproject,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.errors import InputError

HELSINKI = (24.94, 60.17)
BEIJING = (116.404, 39.915)
SYDNEY = (151.21, -33.87)

# Published reference values: (input lon, lat) -> (output lon, lat), all in degrees.
# googollee/eviltransform, python/test.py and go/transform_test.go (TESTS, given there as lat, lng):
# forward WGS-84 -> GCJ-02 for Shanghai, Shenzhen and Beijing.
EVILTRANSFORM_WGS_GCJ = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
]
# wandergis/coordtransform, test/app.js (the README example), all from (116.404, 39.915).
COORDTRANSFORM_FORWARD = [
    (wgs84_to_gcj02, (116.41024449916938, 39.91640428150164)),
    (gcj02_to_bd09, (116.41036949371029, 39.92133699351021)),
]
# The same file's inverses, computed there with the one-shot formulas (ours iterate, so they
# differ by a few centimetres here).
COORDTRANSFORM_INVERSE = [
    (gcj02_to_wgs84, (116.39775550083061, 39.91359571849836)),
    (bd09_to_gcj02, (116.39762729119315, 39.90865673957631)),
]
# hujiulong/gcoord, test/unit/crs/{WGS84,GCJ02}.spec.js, all from (123, 45).
GCOORD = [
    (wgs84_to_gcj02, (123.00607541, 45.00197815)),
    (wgs84_to_bd09, (123.0124491, 45.0083293)),
    (gcj02_to_bd09, (123.00636499, 45.00636899)),
    (gcj02_to_wgs84, (122.99395597, 44.99804071)),  # gcoord's own inverse; ours agrees to ~2 cm
]


def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """A 30 x 40 grid of points over mainland China and Hainan, degrees, as 2-D arrays."""
    return np.meshgrid(np.linspace(73.5, 135.0, 40), np.linspace(18.0, 53.5, 30))


def one_shot_gcj02_to_wgs84(lon, lat):
    """The common non-iterated inverse: subtract the shift evaluated at the GCJ-02 point."""
    f_lon, f_lat = wgs84_to_gcj02(lon, lat)
    return 2 * np.asarray(lon) - f_lon, 2 * np.asarray(lat) - f_lat


def one_shot_bd09_to_gcj02(lon, lat):
    """The published closed-form BD-09 -> GCJ-02 (as in coordtransform and eviltransform)."""
    x_pi = np.pi * 3000.0 / 180.0
    x, y = np.asarray(lon) - 0.0065, np.asarray(lat) - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * x_pi)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * x_pi)
    return z * np.cos(theta), z * np.sin(theta)


# reference ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform(wgs, gcj):
    assert haversine_m(*wgs84_to_gcj02(*wgs), *gcj) < 0.5
    assert haversine_m(*gcj02_to_wgs84(*gcj), *wgs) < 0.5


@pytest.mark.parametrize(("func", "expected"), COORDTRANSFORM_FORWARD)
def test_forward_matches_coordtransform(func, expected):
    assert haversine_m(*func(*BEIJING), *expected) < 0.001


@pytest.mark.parametrize(("func", "expected"), COORDTRANSFORM_INVERSE)
def test_inverse_close_to_coordtransform_one_shot(func, expected):
    assert haversine_m(*func(*BEIJING), *expected) < 0.5


@pytest.mark.parametrize(("func", "expected"), GCOORD)
def test_matches_gcoord(func, expected):
    assert haversine_m(*func(123.0, 45.0), *expected) < 0.5


def test_tiananmen_pair_from_brief():
    # Tiananmen WGS-84 -> GCJ-02 as commonly quoted to 6 decimals (original source not traced);
    # the algorithm gives a point 0.8 m from it, so this is a 1 m sanity check only.
    assert haversine_m(*wgs84_to_gcj02(116.391275, 39.906217), 116.397524, 39.907614) < 1.0


def test_gcj02_to_bd09_shift_size():
    # Baidu's shift near Beijing is about 0.0064 deg east and 0.0063 deg north (~780 m).
    lon, lat = gcj02_to_bd09(*BEIJING)
    assert lon - BEIJING[0] == pytest.approx(0.00637, abs=1e-4)
    assert lat - BEIJING[1] == pytest.approx(0.00634, abs=1e-4)


# round trips --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        (wgs84_to_gcj02, gcj02_to_wgs84),
        (gcj02_to_wgs84, wgs84_to_gcj02),
        (gcj02_to_bd09, bd09_to_gcj02),
        (bd09_to_gcj02, gcj02_to_bd09),
        (wgs84_to_bd09, bd09_to_wgs84),
        (bd09_to_wgs84, wgs84_to_bd09),
    ],
)
def test_round_trip_grid_within_1cm(forward, inverse):
    lon, lat = china_grid()
    back_lon, back_lat = inverse(*forward(lon, lat))
    assert back_lon.shape == lon.shape == back_lat.shape
    assert np.max(haversine_m(lon, lat, back_lon, back_lat)) < 0.01


@pytest.mark.parametrize("crs", CRS_NAMES)
@pytest.mark.parametrize("point", [BEIJING, (121.47, 31.23), (113.26, 23.13), (87.62, 43.82)])
def test_round_trip_scalar_by_name(crs, point):
    lon, lat = to_wgs84(*from_wgs84(*point, crs), crs)
    assert isinstance(lon, float) and isinstance(lat, float)
    assert haversine_m(lon, lat, *point) < 0.01
    lon, lat = from_wgs84(*to_wgs84(*point, crs), crs)
    assert haversine_m(lon, lat, *point) < 0.01


def test_iterated_gcj02_inverse_beats_one_shot():
    wgs_lon, wgs_lat = china_grid()
    gcj_lon, gcj_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    one_shot = haversine_m(*one_shot_gcj02_to_wgs84(gcj_lon, gcj_lat), wgs_lon, wgs_lat)
    iterated = haversine_m(*gcj02_to_wgs84(gcj_lon, gcj_lat), wgs_lon, wgs_lat)
    assert np.max(one_shot) > 0.5  # the one-shot inverse is off by metres in places
    assert np.max(iterated) < 0.01
    assert np.all(iterated <= one_shot + 1e-6)


def test_iterated_bd09_inverse_beats_one_shot():
    gcj_lon, gcj_lat = china_grid()
    bd_lon, bd_lat = gcj02_to_bd09(gcj_lon, gcj_lat)
    one_shot = haversine_m(*one_shot_bd09_to_gcj02(bd_lon, bd_lat), gcj_lon, gcj_lat)
    iterated = haversine_m(*bd09_to_gcj02(bd_lon, bd_lat), gcj_lon, gcj_lat)
    assert np.max(one_shot) > 0.1
    assert np.max(iterated) < 0.01
    # and the closed form is where the iteration starts: they agree to about a metre
    gap = haversine_m(*one_shot_bd09_to_gcj02(bd_lon, bd_lat), *bd09_to_gcj02(bd_lon, bd_lat))
    assert np.max(gap) < 2


# shapes -------------------------------------------------------------------------------------------


def test_scalar_in_floats_out():
    lon, lat = wgs84_to_gcj02(*BEIJING)
    assert type(lon) is float and type(lat) is float


def test_arrays_keep_shape_and_broadcast():
    lons = np.array([116.0, 116.5, 117.0])
    lon, lat = wgs84_to_bd09(lons, 39.9)
    assert lon.shape == lat.shape == (3,)
    for i, x in enumerate(lons):
        assert (lon[i], lat[i]) == pytest.approx(wgs84_to_bd09(x, 39.9), abs=1e-12)


@pytest.mark.parametrize("func", [gcj02_to_wgs84, bd09_to_wgs84, wgs84_to_bd09])
def test_nan_stays_nan(func):
    lon, lat = func(np.array([116.4, np.nan, 116.4]), np.array([39.9, 39.9, np.nan]))
    assert np.isfinite(lon[0]) and np.isfinite(lat[0])
    assert np.isnan(lon[1]) and np.isnan(lat[2])


# outside China ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "func", [wgs84_to_gcj02, gcj02_to_wgs84, lambda lon, lat: to_wgs84(lon, lat, "gcj02")]
)
def test_outside_china_unchanged(func):
    assert func(*HELSINKI) == HELSINKI


def test_mixed_inside_and_outside():
    lons, lats = np.array([HELSINKI[0], BEIJING[0]]), np.array([HELSINKI[1], BEIJING[1]])
    lon, lat = wgs84_to_gcj02(lons, lats)
    assert (lon[0], lat[0]) == HELSINKI
    assert haversine_m(lon[1], lat[1], *BEIJING) > 100


# dispatch -----------------------------------------------------------------------------------------


def test_wgs84_by_name_is_identity():
    assert to_wgs84(*BEIJING, "wgs84") == BEIJING
    assert from_wgs84(*BEIJING, "wgs84") == BEIJING


@pytest.mark.parametrize("func", [to_wgs84, from_wgs84])
@pytest.mark.parametrize("bad", ["WGS84", "epsg:4326", "gcj-02", ""])
def test_unknown_crs_raises(func, bad):
    with pytest.raises(InputError, match=rf"`crs` was {bad!r} but must be one of") as info:
        func(*BEIJING, bad)
    assert info.value.parameter == "crs"
    assert isinstance(info.value, ValueError)


# distance -----------------------------------------------------------------------------------------


def test_haversine_known_distances():
    assert haversine_m(*BEIJING, *BEIJING) == 0.0
    # one degree of latitude on the mean sphere
    assert haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(6371008.8 * np.pi / 180)
    # Beijing - Shanghai is about 1068 km
    beijing_shanghai = haversine_m(116.4074, 39.9042, 121.4737, 31.2304)
    assert beijing_shanghai == pytest.approx(1_068_000, rel=0.005)


def test_haversine_vectorised():
    d = haversine_m(np.zeros(3), np.zeros(3), np.array([0.0, 1.0, 2.0]), 0.0)
    assert d.shape == (3,)
    assert d[2] == pytest.approx(2 * d[1])


# UTM ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        (HELSINKI, "EPSG:32635"),
        (BEIJING, "EPSG:32650"),
        (SYDNEY, "EPSG:32756"),
        ((-180.0, 10.0), "EPSG:32601"),
        ((180.0, 10.0), "EPSG:32660"),
        ((3.0, 0.0), "EPSG:32631"),
    ],
)
def test_local_crs(point, expected):
    assert local_crs(*point) == expected


@pytest.mark.parametrize(
    ("point", "parameter"),
    [((39.9, 116.4), "lat"), ((200.0, 10.0), "lon"), ((float("nan"), 10.0), "lon")],
)
def test_local_crs_rejects_bad_degrees(point, parameter):
    with pytest.raises(InputError, match=rf"`{parameter}` was .* but must be in") as info:
        local_crs(*point)
    assert info.value.parameter == parameter


@pytest.mark.parametrize("point", [HELSINKI, BEIJING, SYDNEY])
def test_project_unproject_round_trip(point):
    crs = local_crs(*point)
    x, y = project(*point, crs)
    assert 100_000 < x < 900_000  # inside the zone's false-easting range, metres
    lon, lat = unproject(x, y, crs)
    assert haversine_m(lon, lat, *point) < 1e-6


def test_project_arrays_and_distance_in_metres():
    crs = local_crs(*BEIJING)
    lons = np.array([116.40, 116.41])
    lats = np.array([39.91, 39.92])
    x, y = project(lons, lats, crs)
    assert x.shape == (2,)
    # near the central meridian the UTM distance agrees with the great circle to ~0.1 %
    assert np.hypot(x[1] - x[0], y[1] - y[0]) == pytest.approx(
        haversine_m(lons[0], lats[0], lons[1], lats[1]), rel=2e-3
    )
    back_lon, back_lat = unproject(x, y, crs)
    np.testing.assert_allclose(back_lon, lons, atol=1e-9)
    np.testing.assert_allclose(back_lat, lats, atol=1e-9)


def test_transformers_are_cached():
    coords._cached_transformer.cache_clear()
    project(*BEIJING, "EPSG:32650")
    project(*BEIJING, "EPSG:32650")
    assert coords._cached_transformer.cache_info().hits >= 1


@pytest.mark.parametrize("func", [project, unproject])
def test_project_unknown_crs_raises(func):
    with pytest.raises(InputError, match=r"`crs` was 'EPSG:999999' but must be a CRS pyproj"):
        func(1.0, 2.0, "EPSG:999999")
