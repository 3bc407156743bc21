"""District polygons for coverage by district."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from geo.errors import DataFileError, InputError, Message, Problem

if TYPE_CHECKING:
    from geopandas import GeoDataFrame


def read_districts(path: str | os.PathLike[str]) -> GeoDataFrame:
    """District polygons from a GeoJSON, GeoPackage or Shapefile with a ``name`` column.

    Returns a GeoDataFrame in EPSG:4326, one row per feature, each a named polygon or
    multipolygon.

    Raises
    ------
    InputError
        ``parameter="districts"``: the file cannot be read, or it has no ``name`` column
        (``名称``, ``区县``, ``NAME`` and ``Name`` are read as one).
    DataFileError
        Every feature without a name, without a geometry or whose geometry is not a polygon
        (row: the feature, counted from 1 as a GIS shows them; column ``name`` or
        ``geometry``), and a file without features; each a keyed
        :class:`~geo.errors.Message`.
    """
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own errors for every unreadable file
        raise InputError(f"cannot read the districts file {path}: {exc}",
                         parameter="districts") from exc
    if len(frame) == 0:
        raise DataFileError(district_problems(frame, str(path)))
    if "name" not in frame.columns:
        names = [c for c in ("名称", "区县", "NAME", "Name") if c in frame.columns]
        if not names:
            raise InputError(f"the districts file {path} has no `name` column (columns: "
                             f"{[c for c in frame.columns if c != 'geometry']})",
                             parameter="districts")
        frame = frame.rename(columns={names[0]: "name"})
    problems = district_problems(frame, str(path))
    if problems:
        raise DataFileError(problems)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    return frame


def district_problems(frame: GeoDataFrame, file: str) -> list[Problem]:
    """What is wrong with each feature of a districts frame (with a ``name`` column): no name,
    no geometry, a geometry other than a polygon; none at all. Rows count features from 1."""
    if len(frame) == 0:
        return [Problem(file, None, None, Message("the file holds no districts",
                                                  "districts_none"))]
    problems = []
    for i, (name, geometry) in enumerate(zip(frame["name"], frame.geometry, strict=True)):
        row = i + 1  # features are counted from 1, as a GIS shows them
        if name is None or not str(name).strip() or str(name) == "nan":
            problems.append(Problem(file, row, "name", Message(
                "the district has no name", "district_no_name")))
        if geometry is None or geometry.is_empty:
            problems.append(Problem(file, row, "geometry", Message(
                "the district has no geometry", "district_no_geometry")))
        elif geometry.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(file, row, "geometry", Message(
                f"the district is a {geometry.geom_type}, not a polygon",
                "district_not_polygon", kind=geometry.geom_type)))
    return problems
