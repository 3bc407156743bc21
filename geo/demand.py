"""Worker density: points with weights, polygons with counts, aggregation to H3 cells.

A demand table is a :class:`pandas.DataFrame` with columns ``lon``, ``lat`` (EPSG:4326 degrees),
``weight`` (workers) and ``group`` (a worker group id, see :mod:`geo.groups`). Reading demand
files is :func:`geo.io.demand.read_demand` (also importable from here).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import h3
import numpy as np
import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS, WorkerGroup
from geo.io.demand import COLUMNS, read_demand  # noqa: F401 - reading demand files lives there
from geo.network import Network

_GROUP_ALIASES = {
    "外卖骑手": "delivery_rider", "快递员": "delivery_rider", "外卖骑手/快递员": "delivery_rider",
    "骑手": "delivery_rider", "环卫工人": "sanitation_worker", "环卫工": "sanitation_worker",
    "货车司机": "truck_driver", "网约车司机": "ride_hailing_driver",
}


def _fold(text) -> str:
    return re.sub(r"[\s_\-]+", "", str(text)).lower().lstrip("\ufeff")


def parse_group(value: str, groups: dict[str, WorkerGroup] | None = None) -> str:
    """A group id from an id or a Chinese/English label."""
    groups = groups or DEFAULT_GROUPS
    text = str(value).strip()
    if text in groups:
        return text
    for gid, group in groups.items():
        if _fold(text) in (_fold(gid), _fold(group.zh), _fold(group.en)):
            return gid
    if text in _GROUP_ALIASES:
        return _GROUP_ALIASES[text]
    raise InputError(f"unknown worker group {value!r}; use one of "
                     + ", ".join(f"{g} ({grp.zh})" for g, grp in groups.items()), parameter="group")


def spread_polygons(polygons, network: Network) -> pd.DataFrame:
    """Spread each polygon's ``weight`` over the network nodes inside it, by street length.

    Every node gets half of the length of each edge it touches; a polygon's count is divided in
    proportion. A polygon with no street inside puts its count at its representative point.
    """
    import geopandas as gpd

    polygons = polygons.to_crs(4326) if polygons.crs is not None else polygons
    rows = np.repeat(np.arange(network.n_nodes), np.diff(network.indptr))
    street = np.bincount(rows, weights=network.length / 2, minlength=network.n_nodes)
    street += np.bincount(network.indices, weights=network.length / 2, minlength=network.n_nodes)
    nodes = gpd.GeoDataFrame({"node": np.arange(network.n_nodes)},
                             geometry=gpd.points_from_xy(network.lon, network.lat), crs=4326)
    joined = gpd.sjoin(nodes, polygons[["geometry"]].reset_index(names="poly"),
                       predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")]  # a node on a shared border: once
    out = []
    for poly, part in joined.groupby("poly"):
        lengths = street[part["node"].to_numpy()]
        share = lengths / lengths.sum() if lengths.sum() > 0 else np.full(len(part), 1 / len(part))
        weight = float(polygons.loc[poly, "weight"])
        out.append(pd.DataFrame({"lon": network.lon[part["node"]], "lat": network.lat[part["node"]],
                                 "weight": weight * share, "group": polygons.loc[poly, "group"]}))
    covered = set(joined["poly"])
    for poly, rec in polygons.iterrows():
        if poly not in covered:
            point = rec.geometry.representative_point()
            out.append(pd.DataFrame({"lon": [point.x], "lat": [point.y],
                                     "weight": [float(rec["weight"])], "group": [rec["group"]]}))
    return pd.concat(out, ignore_index=True)[COLUMNS] if out else pd.DataFrame(columns=COLUMNS)


def to_h3(demand: pd.DataFrame, res: int | None = None) -> pd.DataFrame:
    """Aggregate demand to H3 cells: one row per (cell, group) at the weighted mean position.

    Returns columns ``cell, group, lon, lat, weight``.
    """
    res = settings.h3_res if res is None else res
    if not 0 <= int(res) <= 15:
        raise InputError(f"`h3_res` was {res!r} but must be 0..15", parameter="h3_res")
    cells = [h3.latlng_to_cell(y, x, int(res)) for x, y in zip(demand["lon"], demand["lat"])]
    frame = demand.assign(cell=cells, wx=demand["lon"] * demand["weight"],
                          wy=demand["lat"] * demand["weight"])
    agg = frame.groupby(["cell", "group"], sort=True).agg(weight=("weight", "sum"), wx=("wx", "sum"),
                                                          wy=("wy", "sum"), n=("lon", "size"),
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
