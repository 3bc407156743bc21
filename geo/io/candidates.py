"""Candidate sites for new stations from a table the office brings (banks, petrol stations, …)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from geo import coords
from geo.io import tables

#: The columns of a candidate table: id, name, lon, lat (EPSG:4326 degrees), cost, capacity, source.
CANDIDATE_COLUMNS = ["id", "name", "lon", "lat", "cost", "capacity", "source"]


def _schema(crs: str) -> tables.Schema:
    return tables.Schema("candidate sites", (
        tables.Column("id", ("编号", "站点编号", "候选编号"), tables.identifier, default=""),
        tables.Column("name", ("名称", "站点名称", "候选点名称"), default=""),
        tables.LON, tables.LAT,
        tables.Column("cost", ("成本", "费用", "造价"), tables.at_least(0, "the cost", zh="成本"),
                      default=1.0),
        tables.Column("capacity", ("容量", "可容纳人数"),
                      tables.at_least(0, "the capacity", zh="容量"), default=np.nan),
    ), checks=(tables.lonlat_check(crs),))


def read_candidates(path: str | os.PathLike[str], *, crs: str = "wgs84") -> pd.DataFrame:
    """Candidate sites from CSV/XLSX/GeoJSON/GeoPackage.

    Parameters
    ----------
    path
        A table with ``lon, lat`` (经度, 纬度) or point geometry, and optionally ``id`` (编号;
        default ``cand-<row>``), ``name`` (名称), ``cost`` (成本; default 1) and ``capacity``
        (容量, workers; default none).
    crs
        ``wgs84``, ``gcj02`` or ``bd09`` for the coordinates in the file.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CANDIDATE_COLUMNS`, ``lon``/``lat`` in EPSG:4326
        degrees, ``source`` ``"file"``.

    Raises
    ------
    DataFileError
        Listing every bad row and every repeated id with file, Excel row and column.
    """
    crs = tables.check_crs(crs)
    parsed = tables.read(path, _schema(crs))
    rows = [{**r.values, "id": r.values["id"] or f"cand-{r.row}", "source": "file"}
            for r in parsed.records]
    keyed = ((r.row, row["id"]) for r, row in zip(parsed.records, rows, strict=True))
    tables.duplicates(parsed, keyed)
    parsed.raise_problems()
    out = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
    lon, lat = coords.to_wgs84(out["lon"].to_numpy(float), out["lat"].to_numpy(float), crs)
    return out.assign(lon=lon, lat=lat, cost=out["cost"].astype(float),
                      capacity=out["capacity"].astype(float))
