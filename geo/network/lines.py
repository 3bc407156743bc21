"""The streets of a network as GeoJSON lines (EPSG:4326), for a basemap drawn without tiles."""

from __future__ import annotations

import itertools

import numpy as np

from geo.coords import unproject
from geo.network.graph import Network


def network_lines(net: Network, *, tolerance_m: float = 1.5) -> dict:
    """The network's streets as one GeoJSON MultiLineString Feature (EPSG:4326), for a basemap.

    Directed edges become undirected segments, merged through nodes of degree two into polylines
    (:func:`shapely.line_merge`) and simplified (Douglas-Peucker, ``tolerance_m`` metres, in the
    network's metric CRS). Coordinates are rounded to 6 decimals (about 0.1 m).
    """
    import shapely

    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    a, b = np.minimum(rows, net.indices), np.maximum(rows, net.indices)
    pairs = np.unique(np.column_stack([a, b]), axis=0)
    coordinates: list[list[list[float]]] = []
    if len(pairs):
        ends = pairs.ravel()
        segments = shapely.linestrings(np.column_stack([net.x[ends], net.y[ends]]),
                                       indices=np.repeat(np.arange(len(pairs)), 2))
        merged = shapely.line_merge(shapely.multilinestrings(segments))
        lines = shapely.get_parts(shapely.simplify(merged, tolerance_m, preserve_topology=False))
        lines = lines[~shapely.is_empty(lines)]
        xy, index = shapely.get_coordinates(lines, return_index=True)
        lon, lat = unproject(xy[:, 0], xy[:, 1], net.crs)
        points = np.column_stack([np.round(lon, 6), np.round(lat, 6)]).tolist()
        starts = np.searchsorted(index, np.arange(len(lines) + 1)).tolist()
        coordinates = [points[s:e] for s, e in itertools.pairwise(starts) if e - s >= 2]
    return {"type": "Feature", "properties": {"mode": net.mode, "source": net.source},
            "geometry": {"type": "MultiLineString", "coordinates": coordinates}}
