"""Query points for many nearest-station lookups at once (``yizhan nearest --points``)."""

from __future__ import annotations

import os

import numpy as np

from geo import coords
from geo.io import tables

#: Points: where, and what to call each one in the answer.
SCHEMA_COLUMNS = (
    tables.Column("id", ("point_id", "编号", "点位编号"), tables.identifier),
    tables.Column("name", ("名称", "地点", "点位名称")),
    tables.LON, tables.LAT,
)


def read_points(path: str | os.PathLike[str], crs: str = "wgs84"
                ) -> tuple[list, np.ndarray, np.ndarray]:
    """Query points from CSV/XLSX/GeoJSON/GeoPackage.

    Parameters
    ----------
    path
        A table with ``lon, lat`` (经度, 纬度) or point geometry, and optionally ``id``
        (``point_id``, 编号) or else ``name`` (名称) to name each point.
    crs
        ``wgs84``, ``gcj02`` or ``bd09`` for the coordinates in the file.

    Returns
    -------
    ids, lon, lat
        The id of every point (from the ``id`` column, else the ``name`` column, else 1, 2, …
        in file order) and its position in EPSG:4326 degrees. Empty rows are skipped.

    Raises
    ------
    DataFileError
        Listing every bad row with file, Excel row and column as the file names it.
    """
    crs = tables.check_crs(crs)
    schema = tables.Schema("points", SCHEMA_COLUMNS, checks=(tables.lonlat_check(crs),))
    parsed = tables.read(path, schema)
    parsed.raise_problems()
    records = parsed.records
    label = next((c for c in ("id", "name") if c in parsed.columns), None)
    ids = ([r.values[label] or "" for r in records] if label
           else list(range(1, len(records) + 1)))
    lon = np.array([r.values["lon"] for r in records], dtype=float)
    lat = np.array([r.values["lat"] for r in records], dtype=float)
    lon, lat = coords.to_wgs84(lon, lat, crs)
    return ids, np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
