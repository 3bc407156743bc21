"""Worker demand files: points with a number of workers and their group, or polygons with a count.

A demand table is a :class:`pandas.DataFrame` with columns ``lon``, ``lat`` (EPSG:4326 degrees),
``weight`` (workers) and ``group`` (a worker group id, see :mod:`geo.groups`); see
:mod:`geo.demand` for what is done with it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo import coords
from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS, WorkerGroup, parse_group
from geo.io import tables

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

    from geo.network import Network

#: The columns of a demand table.
COLUMNS = ["lon", "lat", "weight", "group"]


def _schema(crs: str, groups: dict[str, WorkerGroup]) -> tables.Schema:
    choices = ", ".join(f"{g} ({grp.zh})" for g, grp in groups.items())
    return tables.Schema("demand points", (
        tables.LON, tables.LAT,
        tables.Column("weight", ("workers", "count", "人数", "数量", "权重", "劳动者人数"),
                      tables.at_least(0, "the number of workers", zh="劳动者人数"), required=True,
                      if_empty="the number of workers is empty"),
        tables.Column("group", ("群体", "劳动者群体", "类别"),
                      lambda text: parse_group(text, groups), required=True,
                      if_empty=f"the group is empty; use one of {choices}"),
        tables.Column("name", ("名称",), default=""),
        tables.Column("district", ("区", "区县"), default=""),
    ), checks=(tables.lonlat_check(crs),))


def read_demand(path: str | os.PathLike[str], *, crs: str = "wgs84", group: str | None = None,
                network: Network | None = None,
                groups: dict[str, WorkerGroup] | None = None) -> pd.DataFrame:
    """Read worker density from a file.

    Parameters
    ----------
    path
        CSV (UTF-8, GBK or UTF-16), XLSX, GeoJSON or GeoPackage. Points need ``lon``/``lat``
        (经度/纬度, or a point geometry), ``weight`` (人数) and ``group`` (群体) unless ``group``
        is given. Polygons carry a count in ``weight`` that is spread over the streets of
        ``network`` inside them by street length (:func:`spread_polygons`).
    crs
        ``wgs84``, ``gcj02`` or ``bd09`` for the coordinates in the file (points and polygons).
    group
        The group of every row whose group cell is empty, and of every row when the file has
        no group column.
    network
        Needed for polygons only.
    groups
        The worker groups (default :data:`geo.groups.DEFAULT_GROUPS`).

    Returns
    -------
    pandas.DataFrame
        Columns ``lon, lat`` (EPSG:4326 degrees), ``weight`` (workers), ``group`` (id).

    Raises
    ------
    DataFileError
        Listing every bad row with file, Excel row and column as the file names it.
    InputError
        For polygons without a network, or an unknown ``group`` or ``crs``.
    """
    crs = tables.check_crs(crs)
    groups = groups or DEFAULT_GROUPS
    schema = _schema(crs, groups)
    if group is not None:
        schema = schema.with_default("group", parse_group(group, groups))
    table = tables.read_table(path, known=schema.lookup)
    if table.geometry is not None and any(g is not None and g.geom_type != "Point"
                                          for g in table.geometry):
        if network is None:
            raise InputError(f"{path} holds polygons: give a network to spread their counts "
                             "over the streets", parameter="network")
        parsed = tables.parse(table, replace(schema.without("lon", "lat"), points=False))
        for record in parsed.records:
            if record.geometry is None:
                parsed.problem(record.row, tables.GEOMETRY, "the feature has no geometry")
        parsed.raise_problems()
        import geopandas as gpd

        geometry = [r.geometry for r in parsed.records]
        if crs != "wgs84" and geometry:
            import shapely

            geometry = shapely.transform(geometry, lambda xy: np.column_stack(
                coords.to_wgs84(xy[:, 0], xy[:, 1], crs)))
        polygons = gpd.GeoDataFrame(
            {"weight": [r.values["weight"] for r in parsed.records],
             "group": [r.values["group"] for r in parsed.records]},
            geometry=list(geometry), crs=4326)
        return spread_polygons(polygons, network)
    parsed = tables.parse(table, schema)
    parsed.raise_problems()
    demand = pd.DataFrame([{c: r.values[c] for c in COLUMNS} for r in parsed.records],
                          columns=COLUMNS)
    lon, lat = coords.to_wgs84(demand["lon"].to_numpy(float), demand["lat"].to_numpy(float), crs)
    return demand.assign(lon=lon, lat=lat, weight=demand["weight"].astype(float))


def spread_polygons(polygons: GeoDataFrame, network: Network) -> pd.DataFrame:
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
