"""District polygons for coverage by district."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from geo.errors import InputError

if TYPE_CHECKING:
    from geopandas import GeoDataFrame


def read_districts(path: str | os.PathLike[str]) -> GeoDataFrame:
    """District polygons from a GeoJSON, GeoPackage or Shapefile with a ``name`` column.

    Returns a GeoDataFrame in EPSG:4326.

    Raises
    ------
    InputError
        ``parameter="districts"``: the file cannot be read, or it has no ``name`` column.
    """
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own errors for every unreadable file
        raise InputError(f"cannot read the districts file {path}: {exc}",
                         parameter="districts") from exc
    if "name" not in frame.columns:
        names = [c for c in ("名称", "区县", "NAME", "Name") if c in frame.columns]
        if not names:
            raise InputError(f"the districts file {path} has no `name` column (columns: "
                             f"{[c for c in frame.columns if c != 'geometry']})",
                             parameter="districts")
        frame = frame.rename(columns={names[0]: "name"})
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    return frame
