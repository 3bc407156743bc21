"""A finder's stations after some of them changed: the new list, and which of the old stations
each new one is (so that what was computed for an unchanged station is reused, not redone)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from geo.stations import Station

#: Above this share of the stations changed at once, a finder is built afresh rather than
#: updated (placing most of the stations again costs as much as placing all of them).
REBUILD_SHARE = 0.05


def apply_changes(stations: Sequence[Station], changed: Iterable[Station],
                  removed: Iterable[str]) -> tuple[list[Station], np.ndarray]:
    """The stations after ``changed`` (new, or replacing the station of the same id) and
    ``removed`` (ids; an unknown id is ignored).

    A replaced station keeps its place, a removed one leaves it. New stations go where an
    id-ordered list (as :meth:`geo.registry.Registry.stations` gives it) puts them, or at the
    end when ``stations`` are not in id order. A station both changed and removed is removed.

    Returns
    -------
    stations : list of Station
        The new list.
    kept : numpy.ndarray
        Per new station, the index of the same station (equal in every field) in ``stations``,
        or -1 where it is new or changed.
    """
    gone = set(removed)
    update: dict[str, Station] = {}
    for station in changed:
        if station.id not in gone:
            update[station.id] = station
    ids = [s.id for s in stations]
    in_order = all(a < b for a, b in pairwise(ids))
    new_list: list[Station] = []
    kept: list[int] = []
    for i, station in enumerate(stations):
        if station.id in gone:
            continue
        now = update.pop(station.id, station)
        new_list.append(now)
        kept.append(i if now == station else -1)
    added = sorted(update.values(), key=lambda s: s.id)
    if not in_order:
        return new_list + added, np.array(kept + [-1] * len(added), np.int64)
    merged: list[Station] = []
    merged_kept: list[int] = []
    j = 0
    for station, index in zip(new_list, kept, strict=True):
        while j < len(added) and added[j].id < station.id:
            merged.append(added[j])
            merged_kept.append(-1)
            j += 1
        merged.append(station)
        merged_kept.append(index)
    merged += added[j:]
    merged_kept += [-1] * (len(added) - j)
    return merged, np.array(merged_kept, np.int64)
