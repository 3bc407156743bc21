"""Worker density: points with weights, polygons with counts, aggregation to H3 cells.

A demand table is a :class:`pandas.DataFrame` with columns ``lon``, ``lat`` (EPSG:4326 degrees),
``weight`` (workers) and ``group`` (a worker group id, see :mod:`geo.groups`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import h3
import numpy as np
import pandas as pd

from geo import coords, settings
from geo.errors import DataFileError, InputError, Problem
from geo.groups import DEFAULT_GROUPS, WorkerGroup
from geo.network import Network

#: Accepted headers (folded: lower case, no spaces) for demand files.
_HEADERS = {
    "lon": "lon", "lng": "lon", "longitude": "lon", "经度": "lon", "x": "lon",
    "lat": "lat", "latitude": "lat", "纬度": "lat", "y": "lat",
    "weight": "weight", "workers": "weight", "count": "weight", "人数": "weight", "数量": "weight",
    "权重": "weight", "劳动者人数": "weight",
    "group": "group", "群体": "group", "劳动者群体": "group", "类别": "group",
    "name": "name", "名称": "name", "district": "district", "区": "district", "区县": "district",
}
_GROUP_ALIASES = {
    "外卖骑手": "delivery_rider", "快递员": "delivery_rider", "外卖骑手/快递员": "delivery_rider",
    "骑手": "delivery_rider", "环卫工人": "sanitation_worker", "环卫工": "sanitation_worker",
    "货车司机": "truck_driver", "网约车司机": "ride_hailing_driver",
}

COLUMNS = ["lon", "lat", "weight", "group"]


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


def read_demand(path: str | Path, *, crs: str = "wgs84", group: str | None = None,
                network: Network | None = None,
                groups: dict[str, WorkerGroup] | None = None) -> pd.DataFrame:
    """Read worker density from a file.

    Parameters
    ----------
    path
        CSV (UTF-8 or GBK), XLSX, GeoJSON or GeoPackage. Points need ``lon``/``lat`` (or a point
        geometry), ``weight`` (人数) and ``group`` (群体) unless ``group`` is given. Polygons carry a
        count in ``weight`` that is spread over the streets of ``network`` inside them by street
        length (:func:`spread_polygons`).
    crs
        ``wgs84``, ``gcj02`` or ``bd09`` for the coordinates in the file.
    group
        The group of every row, when the file has no group column.

    Raises
    ------
    DataFileError
        Listing every bad row with file, Excel row and column.
    """
    from geo.io.stations import read_table

    path = Path(path)
    groups = groups or DEFAULT_GROUPS
    if path.suffix.lower() in (".geojson", ".json", ".gpkg"):
        import geopandas as gpd

        try:
            gdf = gpd.read_file(path)
        except Exception as exc:
            raise DataFileError([Problem(str(path), None, None, f"cannot read it: {exc}")]) from exc
        if len(gdf) and not (gdf.geometry.geom_type == "Point").all():
            if network is None:
                raise InputError(f"{path} holds polygons: give a network to spread their counts "
                                 "over the streets", parameter="network")
            gdf = gdf.rename(columns={c: _HEADERS.get(_fold(c), c) for c in gdf.columns})
            if "group" not in gdf and group is None:
                raise DataFileError([Problem(str(path), None, "group", "no group column")])
            if "group" not in gdf:
                gdf["group"] = group
            gdf["group"] = [parse_group(g, groups) for g in gdf["group"]]
            return spread_polygons(gdf, network)
    frame, first_row = read_table(path)
    frame = frame.rename(columns={c: _HEADERS.get(_fold(c), c) for c in frame.columns})
    name = str(path)
    missing = [c for c in ("lon", "lat", "weight") if c not in frame]
    if "group" not in frame and group is None:
        missing.append("group")
    if missing:
        raise DataFileError([Problem(name, None, None, "missing column(s) " + ", ".join(missing)
                                     + " (Chinese headers: 经度, 纬度, 人数, 群体)")])
    problems, rows = [], []
    for offset, rec in enumerate(frame.to_dict("records")):
        row = first_row + offset
        values = {k: str(v).strip() for k, v in rec.items()}
        if not any(values.values()):
            continue
        parsed = {}
        for column in ("lon", "lat", "weight"):
            try:
                parsed[column] = float(values[column])
            except ValueError:
                problems.append(Problem(name, row, column, f"{values[column]!r} is not a number"))
        if "lon" in parsed and not -180 <= parsed["lon"] <= 180:
            problems.append(Problem(name, row, "lon", f"longitude {parsed['lon']} out of range"))
        if "lat" in parsed and not -90 <= parsed["lat"] <= 90:
            problems.append(Problem(name, row, "lat", f"latitude {parsed['lat']} out of range"))
        if "weight" in parsed and not parsed["weight"] >= 0:
            problems.append(Problem(name, row, "weight", "the number of workers must be ≥ 0"))
        try:
            parsed["group"] = parse_group(values.get("group") or group or "", groups)
        except InputError as exc:
            problems.append(Problem(name, row, "group", str(exc)))
        rows.append(parsed)
    if problems:
        raise DataFileError(problems)
    demand = pd.DataFrame(rows, columns=COLUMNS)
    lon, lat = coords.to_wgs84(demand["lon"].to_numpy(), demand["lat"].to_numpy(), crs)
    return demand.assign(lon=lon, lat=lat)


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
