"""Many points at once: each point's k nearest stations combined from the label tables of its
edge's two ends (:mod:`geo.nearest._tables`) and the stations on its own edge, and the one table
:meth:`geo.nearest.StationFinder.nearest_many` answers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from geo.nearest._access import StationAccess
from geo.nearest._tables import LabelTables
from geo.network.placement import Placement, place
from geo.stations import Station

if TYPE_CHECKING:
    import pandas as pd


def to_points(tables: LabelTables, access: StationAccess, lon: ArrayLike, lat: ArrayLike,
              chosen: np.ndarray, k: int, weight: str, placement: Placement | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Placement]:
    """The k nearest of the stations ``chosen`` for every point (EPSG:4326), without the
    points' own legs: metres, seconds and station index arrays of shape ``(points, k)`` (-1 and
    ``inf`` past the last found), and the points' placement. With ``weight="time"`` the k are
    the quickest and the order is by time."""
    from geo.network.search import merge_labels

    if placement is None:  # place the points while the tables are searched (two cores)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            searched = pool.submit(tables.labels, chosen, k, weight)
            placement = place(access.network, lon, lat)
            key, carried, label, _ = searched.result()
    else:
        key, carried, label, _ = tables.labels(chosen, k, weight)
    first, second = ((placement.out_m, placement.out_s) if weight == "length"
                     else (placement.out_s, placement.out_m))
    res_key, res_carried, station, _ = merge_labels(key, carried, label, placement.out_node,
                                                    first, second, k)
    allowed = np.zeros(len(access.leg_m), bool)
    allowed[chosen] = True
    for p in np.flatnonzero(np.isin(placement.segment, access.segments)).tolist():
        ids, m, s = access.direct(int(placement.segment[p]), float(placement.t[p]), allowed)
        if len(ids):
            merge_direct(res_key[p], res_carried[p], station[p], ids,
                         m if weight == "length" else s, s if weight == "length" else m)
    if weight == "length":
        return res_key, res_carried, station, placement
    return res_carried, res_key, station, placement


def merge_direct(keys: np.ndarray, carried: np.ndarray, station: np.ndarray, ids: np.ndarray,
                 direct_key: np.ndarray, direct_carried: np.ndarray) -> None:
    """Merge stations reached along the point's own segment (``ids`` at ``direct_key``, carrying
    ``direct_carried``) into one point's row sorted by key, in place."""
    best = {int(i): (float(a), float(b))
            for a, b, i in zip(keys, carried, station, strict=True) if i >= 0}
    for i, a, b in zip(ids.tolist(), direct_key.tolist(), direct_carried.tolist(), strict=True):
        if i not in best or a < best[i][0]:
            best[i] = (a, b)
    ordered = sorted(best.items(), key=lambda item: item[1][0])[:len(keys)]
    keys[:], carried[:], station[:] = np.inf, np.inf, -1
    for r, (i, (a, b)) in enumerate(ordered):
        keys[r], carried[r], station[r] = a, b, i


def hits_frame(stations: list[Station], ids: list, station: np.ndarray, metres: np.ndarray,
               seconds: np.ndarray, legs: np.ndarray, *, speed: float, when: datetime | None,
               max_snap_m: float) -> pd.DataFrame:
    """The answer of :meth:`~geo.nearest.StationFinder.nearest_many` as a DataFrame, built
    column by column: ``legs`` are the points' straight legs (metres), ``speed`` the access
    speed (m/s)."""
    import pandas as pd

    off = ~(legs <= max_snap_m)
    found = (station >= 0) & ~off[:, None]
    empty = ~off & (station[:, 0] < 0)
    hit_p, hit_r = np.nonzero(found)
    lone = np.flatnonzero(off | empty)
    point = np.concatenate([hit_p, lone])
    rank = np.concatenate([hit_r + 1.0, np.full(len(lone), np.nan)])
    order = np.lexsort((np.nan_to_num(rank, nan=0.0), point))
    point, rank = point[order], rank[order]
    which = np.concatenate([station[hit_p, hit_r], np.full(len(lone), -1)])[order]
    dist = np.concatenate([metres[hit_p, hit_r] + legs[hit_p], np.full(len(lone), np.nan)])
    dur = np.concatenate([seconds[hit_p, hit_r] + legs[hit_p] / speed,
                          np.full(len(lone), np.nan)])
    status = np.concatenate([np.full(len(hit_p), "ok", dtype=object),
                             np.where(off[lone], "off_network", "no_station").astype(object)])
    used = np.unique(which[which >= 0])
    opens = np.full(len(stations) + 1, None, dtype=object)
    for i in used.tolist():
        opens[i] = stations[i].is_open(when)
    sid = np.array([s.id for s in stations] + [None], dtype=object)
    name = np.array([s.name for s in stations] + [None], dtype=object)
    kind = np.array([s.kind for s in stations] + [None], dtype=object)
    point_ids = np.asarray(ids, dtype=object)
    return pd.DataFrame({
        "point_id": point_ids[point], "rank": rank if np.isnan(rank).any() else rank.astype(int),
        "station_id": sid[which], "name": name[which], "kind": kind[which],
        "distance_m": np.round(dist[order], 1), "duration_s": np.round(dur[order], 1),
        "open": opens[which], "status": status[order]})
