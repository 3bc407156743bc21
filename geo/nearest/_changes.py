"""A finder's stations after some of them changed: the new list, and which of the old stations
each new one is (so that what was computed for an unchanged station is reused, not redone)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from geo.stations import Station

#: Above this share of the stations changed at once, a finder is built afresh rather than
#: updated (placing most of the stations again costs as much as placing all of them).
REBUILD_SHARE = 0.05


def apply_changes(stations: Sequence[Station], changed: Iterable[Station],
                  removed: Iterable[str], *, ids: np.ndarray | None = None,
                  in_order: bool = False) -> tuple[list[Station], np.ndarray, np.ndarray]:
    """The stations after ``changed`` (new, or replacing the station of the same id) and
    ``removed`` (ids; an unknown id is ignored).

    A replaced station keeps its place, a removed one leaves it. New stations go where an
    id-ordered list (as :meth:`geo.registry.Registry.stations` gives it) puts them, or at the
    end when ``stations`` are not in id order. A station both changed and removed is removed.

    Parameters
    ----------
    ids
        The ids of ``stations`` as a numpy array of text, when known already (:func:`id_array`).
    in_order
        True when ``stations`` are known to be in id order (:func:`in_id_order`: a list this
        function made from one in id order is in id order too); else it is looked at.

    Returns
    -------
    stations : list of Station
        The new list.
    kept : numpy.ndarray
        Per new station, the index of the same station (equal in every field) in ``stations``,
        or -1 where it is new or changed.
    ids : numpy.ndarray
        The new list's ids (:func:`id_array`).
    """
    ids = id_array(stations) if ids is None else ids
    gone = set(removed)
    update = {s.id: s for s in changed if s.id not in gone}
    in_order = in_order or in_id_order(ids)
    where = positions(ids, list(update) + sorted(gone), in_order)
    kept = np.arange(len(stations), dtype=np.int64)
    new_list = list(stations)
    added = []
    for station, i in zip(update.values(), where, strict=False):
        if i < 0:
            added.append(station)
        elif not (station is stations[i] or station == stations[i]):
            new_list[i], kept[i] = station, -1
    drop = [i for i in where[len(update):] if i >= 0]
    if not added and not drop:
        return new_list, kept, ids
    stay = np.ones(len(stations), bool)
    stay[drop] = False
    added.sort(key=lambda s: s.id)
    new_ids = np.array([s.id for s in added], dtype=str)
    ids = ids.astype(np.promote_types(ids.dtype, new_ids.dtype))  # no id cut short
    at = (np.searchsorted(ids, new_ids) if in_order
          else np.full(len(added), len(stations), np.int64))
    rows = np.flatnonzero(stay)
    order = np.insert(rows, np.searchsorted(rows, at), -1 - np.arange(len(added)))
    merged = [new_list[i] if i >= 0 else added[-1 - i] for i in order.tolist()]
    merged_ids = np.insert(ids[rows], np.searchsorted(rows, at), new_ids)
    old = order >= 0
    new_kept = np.full(len(order), -1, np.int64)
    new_kept[old] = kept[order[old]]
    return merged, new_kept, merged_ids


def id_array(stations: Sequence[Station]) -> np.ndarray:
    """The stations' ids as a numpy array of text (compared as Python compares text)."""
    return np.array([s.id for s in stations], dtype=str)


def in_id_order(ids: np.ndarray) -> bool:
    """Whether ``ids`` (:func:`id_array`) are in increasing order."""
    return len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1]))


def positions(ids: np.ndarray, wanted: list[str], in_order: bool) -> list[int]:
    """The index of each of ``wanted`` in ``ids``, -1 where absent."""
    if not wanted:
        return []
    if not in_order:
        index = {sid: i for i, sid in enumerate(ids.tolist())}
        return [index.get(sid, -1) for sid in wanted]
    asked = np.array(wanted, dtype=str)
    if asked.dtype.itemsize <= ids.dtype.itemsize:  # the few asked made as long, not every id
        at = np.searchsorted(ids, asked.astype(ids.dtype))
    else:
        at = np.searchsorted(ids.astype(asked.dtype), asked)
    return [int(i) if i < len(ids) and ids[i] == sid else -1
            for i, sid in zip(at.tolist(), wanted, strict=True)]
