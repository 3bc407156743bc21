"""Coordinate systems of Chinese map apps, great-circle distance and local metric projections.

Chinese map services do not publish WGS-84 (EPSG:4326) coordinates:

- ``"wgs84"``: GPS / OpenStreetMap longitude and latitude, EPSG:4326 degrees.
- ``"gcj02"``: the "Mars" datum required by Chinese law (Amap/Gaode, Tencent, Apple and Google
  maps inside China). It is WGS-84 shifted by a published obfuscation formula, by up to several
  hundred metres, and only inside China.
- ``"bd09"``: Baidu Maps, a further shift of GCJ-02 (applied everywhere).

The forward formulas are the standard published ones (as in the widely used ``eviltransform`` and
``coordtransform`` libraries). They have no closed-form inverse; the inverses here start from the
usual one-shot approximation (error up to a few metres) and refine it by fixed-point iteration until
it changes by less than ``1e-10`` degrees (about 0.01 mm), so round trips agree to far below 0.01 m.

Every transform accepts floats or numpy arrays (broadcast together) and returns two floats or two
arrays of the broadcast shape. A NaN coordinate stays NaN (the GCJ-02 functions treat a point with
one as outside China).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo import settings
from geo.errors import InputError, Message

if TYPE_CHECKING:  # pyproj is imported when a projection is first asked for
    from pyproj import Transformer

__all__ = [
    "CRS",
    "CRS_NAMES",
    "Area",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "deployment_area",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "haversine_m",
    "local_crs",
    "project",
    "to_wgs84",
    "unit_vectors",
    "unproject",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Names of the geographic coordinate systems this module converts between.
CRS = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[CRS, ...] = ("wgs84", "gcj02", "bd09")

#: A float or an array of floats; transforms return the same kind they were given.
Coord = float | NDArray[np.float64]
#: Array input (numpy arrays of one dimension or more, lists of floats): a transform of it
#: returns arrays.
_ArrayIn = NDArray[Any] | Sequence[float]
_Arrays = tuple[NDArray[np.float64], NDArray[np.float64]]

# GCJ-02 constants: Krasovsky 1940 ellipsoid semi-major axis (m) and first eccentricity squared.
_A = 6378245.0
_EE = 0.00669342162296594323
# BD-09 constant.
_X_PI = np.pi * 3000.0 / 180.0
# Rough bounding box of China used by the standard algorithm (degrees).
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

#: Iterated inverses stop when no coordinate changes by this much, degrees (~0.01 mm).
_INVERSE_TOL_DEG = 1e-10
#: ... or after this many refinement steps.
_INVERSE_MAX_ITER = 30

#: Mean Earth radius (IUGG R1), metres.
_EARTH_RADIUS_M = 6371008.8


# --------------------------------------------------------------------------------------------------
# helpers


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon_a, lat_a


def _out(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[Coord, Coord]:
    """Return floats for 0-d input, arrays otherwise."""
    if lon.ndim == 0:
        return float(lon), float(lat)
    return lon, lat


def _in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (
        (lon >= _CHINA_LON[0])
        & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _iterate_inverse(
    forward: Callable[[NDArray[np.float64], NDArray[np.float64]], tuple],
    target_lon: NDArray[np.float64],
    target_lat: NDArray[np.float64],
    guess_lon: NDArray[np.float64],
    guess_lat: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Refine ``guess`` until ``forward(guess) == target``, by ``guess -= forward(guess) - target``.

    The forward shifts vary slowly with position (their derivative is far below 1), so this
    fixed-point iteration converges by several digits per step.
    """
    lon = np.array(guess_lon, dtype=float, copy=True)
    lat = np.array(guess_lat, dtype=float, copy=True)
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = forward(lon, lat)
        d_lon = f_lon - target_lon
        d_lat = f_lat - target_lat
        lon = lon - d_lon
        lat = lat - d_lat
        # NaN compares False, so NaN points count as converged and stay NaN.
        moving = (np.abs(d_lon) >= _INVERSE_TOL_DEG) | (np.abs(d_lat) >= _INVERSE_TOL_DEG)
        if not np.any(moving):
            break
    return lon, lat


# --------------------------------------------------------------------------------------------------
# GCJ-02


def _gcj_delta(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """GCJ-02 minus WGS-84 at a WGS-84 point, degrees (zero outside China)."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat = d_lat + common
    d_lon = d_lon + common
    d_lat = d_lat + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon = d_lon + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat = d_lat + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y / 30.0 * np.pi)) * 2 / 3
    d_lon = d_lon + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2 / 3

    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)

    inside = _in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def _wgs_to_gcj(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    d_lon, d_lat = _gcj_delta(lon, lat)
    return lon + d_lon, lat + d_lat


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lon: _ArrayIn, lat: ArrayLike) -> _Arrays: ...
@overload
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]: ...
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]:
    """Convert WGS-84 to GCJ-02 (the datum of Amap/Gaode and Tencent maps).

    Parameters
    ----------
    lon, lat
        WGS-84 (EPSG:4326) longitude and latitude in degrees; floats or arrays that broadcast.

    Returns
    -------
    lon, lat
        GCJ-02 longitude and latitude in degrees, as floats for scalar input, else arrays.
        Points outside the rough bounding box of China (lon 72.004–137.8347, lat
        0.8293–55.8271) are returned unchanged.
    """
    return _out(*_wgs_to_gcj(*_as_arrays(lon, lat)))


@overload
def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lon: _ArrayIn, lat: ArrayLike) -> _Arrays: ...
@overload
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]: ...
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]:
    """Convert GCJ-02 to WGS-84, iterated so that ``wgs84_to_gcj02`` of the result gives the input.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees; floats or arrays that broadcast.

    Returns
    -------
    lon, lat
        WGS-84 (EPSG:4326) longitude and latitude in degrees, as floats for scalar input, else
        arrays. Round trips through :func:`wgs84_to_gcj02` agree to well below 0.01 m. Points
        outside China are returned unchanged.
    """
    g_lon, g_lat = _as_arrays(lon, lat)
    # One-shot inverse: subtract the shift evaluated at the GCJ-02 point (error up to ~metres).
    d_lon, d_lat = _gcj_delta(g_lon, g_lat)
    return _out(*_iterate_inverse(_wgs_to_gcj, g_lon, g_lat, g_lon - d_lon, g_lat - d_lat))


# --------------------------------------------------------------------------------------------------
# BD-09


def _gcj_to_bd(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_one_shot(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


@overload
def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_bd09(lon: _ArrayIn, lat: ArrayLike) -> _Arrays: ...
@overload
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]: ...
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]:
    """Convert GCJ-02 to BD-09 (the datum of Baidu Maps).

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees; floats or arrays that broadcast.

    Returns
    -------
    lon, lat
        BD-09 longitude and latitude in degrees, as floats for scalar input, else arrays.
        Baidu applies this shift everywhere, not only inside China.
    """
    return _out(*_gcj_to_bd(*_as_arrays(lon, lat)))


@overload
def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_gcj02(lon: _ArrayIn, lat: ArrayLike) -> _Arrays: ...
@overload
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]: ...
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]:
    """Convert BD-09 to GCJ-02, iterated so that ``gcj02_to_bd09`` of the result matches the input.

    Parameters
    ----------
    lon, lat
        BD-09 (Baidu) longitude and latitude in degrees; floats or arrays that broadcast.

    Returns
    -------
    lon, lat
        GCJ-02 longitude and latitude in degrees, as floats for scalar input, else arrays.
        The usual closed-form inverse is off by up to about a metre; the result here round-trips
        through :func:`gcj02_to_bd09` to well below 0.01 m.
    """
    b_lon, b_lat = _as_arrays(lon, lat)
    guess = _bd_to_gcj_one_shot(b_lon, b_lat)
    return _out(*_iterate_inverse(_gcj_to_bd, b_lon, b_lat, *guess))


@overload
def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_bd09(lon: _ArrayIn, lat: ArrayLike) -> _Arrays: ...
@overload
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]: ...
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]:
    """Convert WGS-84 to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat
        WGS-84 (EPSG:4326) longitude and latitude in degrees; floats or arrays that broadcast.

    Returns
    -------
    lon, lat
        BD-09 (Baidu) longitude and latitude in degrees, as floats for scalar input, else arrays.
    """
    return _out(*_gcj_to_bd(*_wgs_to_gcj(*_as_arrays(lon, lat))))


@overload
def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_wgs84(lon: _ArrayIn, lat: ArrayLike) -> _Arrays: ...
@overload
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]: ...
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Coord, Coord]:
    """Convert BD-09 to WGS-84 (via GCJ-02), with both steps iterated.

    Parameters
    ----------
    lon, lat
        BD-09 (Baidu) longitude and latitude in degrees; floats or arrays that broadcast.

    Returns
    -------
    lon, lat
        WGS-84 (EPSG:4326) longitude and latitude in degrees, as floats for scalar input, else
        arrays. Round trips through :func:`wgs84_to_bd09` agree to well below 0.01 m.
    """
    g_lon, g_lat = bd09_to_gcj02(*_as_arrays(lon, lat))
    return gcj02_to_wgs84(g_lon, g_lat)


# --------------------------------------------------------------------------------------------------
# dispatch by name

_Transform = Callable[[ArrayLike, ArrayLike], tuple[Coord, Coord]]
_TO_WGS84: dict[str, _Transform] = {
    "wgs84": lambda lon, lat: _out(*_as_arrays(lon, lat)),
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS84: dict[str, _Transform] = {
    "wgs84": lambda lon, lat: _out(*_as_arrays(lon, lat)),
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def _check_crs(crs: str) -> None:
    if crs not in CRS_NAMES:
        raise InputError(
            f"`crs` was {crs!r} but must be one of {list(CRS_NAMES)}: use 'wgs84' for GPS/OSM, "
            f"'gcj02' for Amap/Gaode or Tencent, 'bd09' for Baidu",
            parameter="crs",
        )


@overload
def to_wgs84(lon: float, lat: float, crs: CRS) -> tuple[float, float]: ...
@overload
def to_wgs84(lon: _ArrayIn, lat: ArrayLike, crs: CRS) -> _Arrays: ...
@overload
def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CRS) -> tuple[Coord, Coord]: ...
def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CRS) -> tuple[Coord, Coord]:
    """Convert coordinates given in the named system to WGS-84.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees in system ``crs``; floats or arrays that broadcast.
    crs
        ``"wgs84"`` (returned as is), ``"gcj02"`` or ``"bd09"``.

    Returns
    -------
    lon, lat
        WGS-84 (EPSG:4326) longitude and latitude in degrees.

    Raises
    ------
    geo.errors.InputError
        If ``crs`` is not one of :data:`CRS_NAMES`.
    """
    _check_crs(crs)
    with np.errstate(over="ignore", invalid="ignore"):  # absurd input gives inf/NaN, quietly
        return _TO_WGS84[crs](lon, lat)


@overload
def from_wgs84(lon: float, lat: float, crs: CRS) -> tuple[float, float]: ...
@overload
def from_wgs84(lon: _ArrayIn, lat: ArrayLike, crs: CRS) -> _Arrays: ...
@overload
def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CRS) -> tuple[Coord, Coord]: ...
def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CRS) -> tuple[Coord, Coord]:
    """Convert WGS-84 coordinates to the named system.

    Parameters
    ----------
    lon, lat
        WGS-84 (EPSG:4326) longitude and latitude in degrees; floats or arrays that broadcast.
    crs
        ``"wgs84"`` (returned as is), ``"gcj02"`` or ``"bd09"``.

    Returns
    -------
    lon, lat
        Longitude and latitude in degrees in system ``crs``.

    Raises
    ------
    geo.errors.InputError
        If ``crs`` is not one of :data:`CRS_NAMES`.
    """
    _check_crs(crs)
    with np.errstate(over="ignore", invalid="ignore"):  # absurd input gives inf/NaN, quietly
        return _FROM_WGS84[crs](lon, lat)


# --------------------------------------------------------------------------------------------------
# distance


@overload
def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float: ...
@overload
def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Coord: ...
def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Coord:
    """Great-circle distance on a sphere of radius 6371008.8 m (the mean Earth radius).

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Two points in degrees (EPSG:4326, or any one lon/lat system for both); floats or arrays
        that broadcast.

    Returns
    -------
    float or numpy.ndarray
        Distance in metres: a float for scalar input, else an array of the broadcast shape.
    """
    lon1_r, lat1_r, lon2_r, lat2_r = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    h = (
        np.sin((lat2_r - lat1_r) / 2.0) ** 2
        + np.cos(lat1_r) * np.cos(lat2_r) * np.sin((lon2_r - lon1_r) / 2.0) ** 2
    )
    d = 2.0 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def unit_vectors(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """Points as (n, 3) Earth-centred coordinates on the sphere of :func:`haversine_m`, metres.

    The straight-line (chord) distance between two of them is never more than their
    great-circle distance, and within 0.01 % of it up to 100 km: a box or tree search in these
    coordinates with radius ``r`` finds every pair within ``r`` metres along the Earth.
    """
    lon_r = np.radians(np.asarray(lon, dtype=float))
    lat_r = np.radians(np.asarray(lat, dtype=float))
    cos_lat = np.cos(lat_r)
    return _EARTH_RADIUS_M * np.column_stack(
        (cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)))


# --------------------------------------------------------------------------------------------------
# the deployment's region

#: Regions a deployment may name: (west, south, east, north), EPSG:4326 degrees.
REGIONS: dict[str, tuple[float, float, float, float]] = {
    "china": (73.4, 3.8, 135.1, 53.6),  # Pamir to the Wusuli, Zengmu Ansha to Mohe
}
#: Region names that turn the check off.
ANY_REGION = ("any", "none", "world")


@dataclass(frozen=True)
class Area:
    """The area a deployment's stations lie in: a name and (west, south, east, north) in
    EPSG:4326 degrees."""

    name: str
    bounds: tuple[float, float, float, float]

    def contains(self, lon: float, lat: float) -> bool:
        west, south, east, north = self.bounds
        return west <= lon <= east and south <= lat <= north

    def describe(self) -> str:
        """``China (73.4…135.1° lon, 3.8…53.6° lat)``."""
        west, south, east, north = self.bounds
        label = "China" if self.name == "china" else "the region"
        return f"{label} ({west:g}…{east:g}° lon, {south:g}…{north:g}° lat)"

    def outside(self, lon: float, lat: float) -> str | None:
        """None when the point is inside, else what to say: likely swapped, or where to set
        the region."""
        if self.contains(lon, lat):
            return None
        params = {"lon": lon, "lat": lat, "area": self.describe()}
        where = f"longitude {lon}, latitude {lat} is outside {self.describe()}"
        if self.contains(lat, lon):
            return Message(f"{where}: are longitude and latitude swapped?",
                           "outside_region_swapped", **params)
        return Message(f"{where}; check the coordinates, or set the bounds of this deployment "
                       "(--bounds, $YIZHAN_BOUNDS)", "outside_region", **params)


def deployment_area(region: str | None = None) -> Area | None:
    """The deployment's area: ``region``, else ``$YIZHAN_BOUNDS`` (formerly ``$YIZHAN_REGION``,
    still read), else :data:`geo.settings.bounds`; None for ``any`` (no check).

    Parameters
    ----------
    region
        ``china``, ``any`` or a box ``west,south,east,north`` in EPSG:4326 degrees.

    Raises
    ------
    InputError
        For another name or a box that is not four numbers in range, west < east, south < north
        (parameter ``region``).
    """
    text = (region or os.environ.get(settings.bounds_env_var)
            or os.environ.get(settings.bounds_env_var_deprecated) or settings.bounds)
    key = str(text).strip().lower()
    if key in ANY_REGION:
        return None
    if key in REGIONS:
        return Area(key, REGIONS[key])
    try:
        west, south, east, north = (float(v) for v in key.split(","))
    except ValueError:
        raise InputError(f"`region` was {text!r} but must be one of "
                         f"{[*REGIONS, ANY_REGION[0]]} or a box west,south,east,north in "
                         "degrees such as 103.9,30.5,104.2,30.8", parameter="region") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(f"`region` box {text!r} must have -180 ≤ west < east ≤ 180 and "
                         "-90 ≤ south < north ≤ 90 (degrees, EPSG:4326)", parameter="region")
    return Area("box", (west, south, east, north))


# --------------------------------------------------------------------------------------------------
# local metric projection


def local_crs(lon: float, lat: float) -> str:
    """The UTM zone (WGS-84 datum) containing a point, as an EPSG code string.

    Standard 6-degree zones; the Norway and Svalbard exceptions are not applied.

    Parameters
    ----------
    lon, lat
        WGS-84 (EPSG:4326) longitude and latitude in degrees.

    Returns
    -------
    str
        ``"EPSG:326zz"`` north of the equator (including on it), ``"EPSG:327zz"`` south of it,
        with ``zz`` the zone number 01–60; e.g. ``"EPSG:32650"`` for Beijing. Its unit is metres.

    Raises
    ------
    geo.errors.InputError
        If ``lon`` is not in [-180, 180] or ``lat`` not in [-90, 90] (this also rejects NaN).
    """
    if not -180.0 <= lon <= 180.0:
        raise InputError(
            f"`lon` was {lon!r} but must be in [-180, 180] degrees (EPSG:4326); "
            "check that lon and lat are not swapped",
            parameter="lon",
        )
    if not -90.0 <= lat <= 90.0:
        raise InputError(
            f"`lat` was {lat!r} but must be in [-90, 90] degrees (EPSG:4326); "
            "check that lon and lat are not swapped",
            parameter="lat",
        )
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


@lru_cache(maxsize=32)
def _cached_transformer(src: str, dst: str) -> Transformer:
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def _transformer(crs: str, *, inverse: bool) -> Transformer:
    """Cached EPSG:4326 -> ``crs`` transformer (``crs`` -> EPSG:4326 if ``inverse``), x/y order."""
    from pyproj.exceptions import CRSError

    try:
        if inverse:
            return _cached_transformer(crs, "EPSG:4326")
        return _cached_transformer("EPSG:4326", crs)
    except CRSError as exc:
        raise InputError(
            f"`crs` was {crs!r} but must be a CRS pyproj knows, such as 'EPSG:32650' "
            f"(see local_crs): {exc}",
            parameter="crs",
        ) from exc


@overload
def project(lon: float, lat: float, crs: str) -> tuple[float, float]: ...
@overload
def project(lon: NDArray[Any], lat: NDArray[Any], crs: str) -> _Arrays: ...
@overload
def project(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Coord, Coord]: ...
def project(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Coord, Coord]:
    """Project WGS-84 lon/lat to a projected CRS.

    Parameters
    ----------
    lon, lat
        WGS-84 (EPSG:4326) longitude and latitude in degrees; floats or arrays.
    crs
        Target CRS as pyproj accepts it, usually :func:`local_crs` of the study area.

    Returns
    -------
    x, y
        Easting and northing in the units of ``crs`` (metres for UTM), floats for scalar input.

    Raises
    ------
    geo.errors.InputError
        If pyproj does not recognise ``crs``.
    """
    x, y = _transformer(crs, inverse=False).transform(lon, lat)
    return x, y


@overload
def unproject(x: float, y: float, crs: str) -> tuple[float, float]: ...
@overload
def unproject(x: NDArray[Any], y: NDArray[Any], crs: str) -> _Arrays: ...
@overload
def unproject(x: ArrayLike, y: ArrayLike, crs: str) -> tuple[Coord, Coord]: ...
def unproject(x: ArrayLike, y: ArrayLike, crs: str) -> tuple[Coord, Coord]:
    """Convert projected coordinates back to WGS-84 lon/lat.

    Parameters
    ----------
    x, y
        Easting and northing in ``crs`` units (metres for UTM); floats or arrays.
    crs
        Source CRS as pyproj accepts it, e.g. ``"EPSG:32650"``.

    Returns
    -------
    lon, lat
        WGS-84 (EPSG:4326) longitude and latitude in degrees, floats for scalar input.

    Raises
    ------
    geo.errors.InputError
        If pyproj does not recognise ``crs``.
    """
    lon, lat = _transformer(crs, inverse=True).transform(x, y)
    return lon, lat
