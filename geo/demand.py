"""Worker density: points with weights, polygons with counts, aggregation to H3 cells.

A demand table is a :class:`pandas.DataFrame` with columns ``lon``, ``lat`` (EPSG:4326 degrees),
``weight`` (workers) and ``group`` (a worker group id, see :mod:`geo.groups`). Reading demand
files is :func:`geo.io.demand.read_demand`, group names :func:`geo.groups.parse_group` (both also
importable from here).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import h3
import numpy as np
import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.groups import WorkerGroup, parse_group

# reading demand files, and spreading polygons' counts over the streets, live in geo.io.demand
from geo.io.demand import COLUMNS, read_demand, spread_polygons

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

__all__ = ["COLUMNS", "groups_in", "inside", "parse_group", "read_demand", "spread_polygons",
           "to_h3"]

def inside(demand: pd.DataFrame, area: BaseGeometry) -> pd.DataFrame:
    """The rows of ``demand`` whose point lies in ``area`` (a shapely (multi)polygon in EPSG:4326,
    its edge included): the workers an organisation's analyses count."""
    import shapely

    keep = shapely.intersects_xy(area, demand["lon"].to_numpy(float),
                                 demand["lat"].to_numpy(float))
    return demand[keep].reset_index(drop=True)


def to_h3(demand: pd.DataFrame, res: int | None = None) -> pd.DataFrame:
    """Aggregate demand to H3 cells: one row per (cell, group) at the weighted mean position.

    Returns columns ``cell, group, lon, lat, weight``.
    """
    res = settings.h3_res if res is None else res
    if not 0 <= int(res) <= 15:
        raise InputError(f"`h3_res` was {res!r} but must be 0..15", parameter="h3_res")
    cells = [h3.latlng_to_cell(y, x, int(res))
             for x, y in zip(demand["lon"], demand["lat"], strict=True)]
    frame = demand.assign(cell=cells, wx=demand["lon"] * demand["weight"],
                          wy=demand["lat"] * demand["weight"])
    agg = frame.groupby(["cell", "group"], sort=True).agg(
        weight=("weight", "sum"), wx=("wx", "sum"), wy=("wy", "sum"), n=("lon", "size"),
        mx=("lon", "mean"), my=("lat", "mean"))
    agg = agg.reset_index()
    positive = agg["weight"] > 0
    agg["lon"] = np.where(positive, agg["wx"] / agg["weight"].where(positive, 1), agg["mx"])
    agg["lat"] = np.where(positive, agg["wy"] / agg["weight"].where(positive, 1), agg["my"])
    return agg[["cell", "group", "lon", "lat", "weight"]]


def groups_in(demand: pd.DataFrame, wanted: Iterable[str] | None,
              groups: dict[str, WorkerGroup]) -> list[str]:
    """The groups to analyse: ``wanted`` (validated) or those present in the demand."""
    if wanted:
        chosen = [parse_group(g, groups) for g in wanted]
    else:
        chosen = [g for g in groups if g in set(demand["group"])]
    unknown = sorted(set(demand["group"]) - set(groups))
    if unknown:
        raise InputError(f"the demand names unknown group(s) {unknown}", parameter="group")
    return chosen
