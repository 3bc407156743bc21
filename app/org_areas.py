"""An organisation's area from a file sent from the browser: a GeoPackage or a GeoJSON file of
polygons, read whole before anything is kept.

The file is read with geopandas (pyogrio) from a private temporary folder, reprojected from its
own coordinate system to EPSG:4326 (a GeoPackage without one is refused: its coordinates could
be degrees or metres of any projection; a GeoJSON file is EPSG:4326 unless it names another),
and each feature is checked by :func:`app.orgs.area_geojson`, the check every other way in
uses. All or nothing: every problem is collected, each naming the file and the feature (counted
from 1, as a GIS shows them), and with any problem nothing is kept.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

from app.orgs import area_geojson
from geo.errors import DataFileError, InputError, Message, Problem, message_of

#: The file endings an area is read from, and the format each names.
AREA_FORMATS = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON"}
#: The largest area file taken, bytes (the request is refused 413 beyond, before it is read).
MAX_AREA_BYTES = 20 * 1024 * 1024
#: Longest file name, characters.
MAX_AREA_FILENAME = 200


def check_area_filename(filename: str) -> str:
    """The file's own name (no folders), ending in one of :data:`AREA_FORMATS`."""
    name = re.split(r"[\\/]", filename.strip())[-1]
    if not name or name in (".", ".."):
        raise InputError("`filename` is empty; send the file's name, e.g. 道里区.gpkg",
                         parameter="filename")
    if Path(name).suffix.lower() not in AREA_FORMATS:
        suffixes = ", ".join(AREA_FORMATS)
        raise InputError(Message(
            f"`filename` {name!r} is not a file of areas this server reads; save it as one of "
            + suffixes, "upload_suffix", name=name, suffixes=suffixes), parameter="filename")
    return name


def read_area_upload(filename: str, content: bytes) -> Any:
    """The union of the polygons of the file ``filename`` whose bytes are ``content``, in
    EPSG:4326: an organisation's area.

    Parameters
    ----------
    filename
        The file's name as the person saw it (checked by :func:`check_area_filename`); its
        ending says the format. Problems name it, never where it was put to be read.
    content
        The file's bytes.

    Raises
    ------
    DataFileError
        Every problem, each naming ``filename`` and, for a feature, its number (row, from 1)
        and column ``geometry``: a file that cannot be read, holds no features, has no
        coordinate system (a GeoPackage), or a feature without a geometry or not a polygon.
    """
    import geopandas as gpd
    from shapely.ops import unary_union

    name = check_area_filename(filename)
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="yizhan-area-") as folder:
        path = Path(folder) / f"area{suffix}"
        path.write_bytes(content)
        try:
            with warnings.catch_warnings():  # a GeoPackage of several layers: its first
                warnings.simplefilter("ignore")
                frame = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises its own errors for every unreadable file
            error = str(exc).replace(str(path), name).replace(folder, "")
            raise DataFileError([Problem(name, None, None, Message(
                f"cannot read it as {AREA_FORMATS[suffix]}: {error}", "cannot_read",
                format=AREA_FORMATS[suffix], error=error))]) from None
    if len(frame) == 0:
        raise DataFileError([Problem(name, None, None, Message(
            "the file holds no features; an area is one or more polygons", "area_none"))])
    if frame.crs is None:
        raise DataFileError([Problem(name, None, None, Message(
            "the file has no coordinate system (CRS), so its coordinates could be degrees or "
            "metres of any projection: save it with its CRS (e.g. EPSG:4326, or the CGCS2000 "
            "zone it was drawn in)", "area_no_crs"))])
    if not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    polygons, problems = _polygons(frame.geometry, name)
    if problems:
        raise DataFileError(problems)
    return unary_union(polygons)


def _polygons(geometries, name: str) -> tuple[list[Any], list[Problem]]:
    """The features' polygons, and a problem for each feature that is not one."""
    polygons, problems = [], []
    for i, geometry in enumerate(geometries):
        row = i + 1  # features are counted from 1, as a GIS shows them
        if geometry is None or geometry.is_empty:
            problems.append(Problem(name, row, "geometry", Message(
                "the feature has no geometry", "area_no_geometry")))
            continue
        try:
            area_geojson(geometry)
        except InputError as exc:
            problems.append(Problem(name, row, "geometry", message_of(exc)))
            continue
        polygons.append(geometry)
    return polygons, problems
