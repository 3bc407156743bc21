"""What changed in a station registry since one of its versions: read from the history, so that
a process holding the stations of an older version updates only those that changed
(:meth:`geo.registry.Registry.version`, :meth:`geo.registry.Registry.history`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, select

from geo.registry import Registry, _row_to_station, history_table, stations_table
from geo.stations import Station

#: Ids per ``IN (…)`` query (well under SQLite's limit of bound parameters).
_CHUNK = 500


@dataclass(frozen=True)
class Changes:
    """The stations changed since a version.

    Attributes
    ----------
    version
        The registry's version when read (:meth:`geo.registry.Registry.version`).
    changed
        The stations created or changed since (as they are now, ordered by id).
    removed
        Ids of the stations deleted since (sorted).
    """

    version: tuple[int, int]
    changed: list[Station]
    removed: list[str]


def _statements():
    """The two statements :func:`changes_since` runs (made once: building a statement costs
    more than running it)."""
    history = history_table.c
    total = select(func.count().label("total")).select_from(history_table).subquery()
    # One statement, so that a write committed meanwhile is either all in it or not at all:
    # the entries after ``last`` and how many there are in all (a row of NULLs with it when
    # none is after ``last``).
    newer = (select(total.c.total, history.seq, history.station_id)
             .select_from(total.outerjoin(history_table, history.seq > bindparam("last"))))
    open_of = select(stations_table).where(
        stations_table.c.id.in_(bindparam("ids", expanding=True)),
        stations_table.c.deleted_at.is_(None))
    return newer, open_of


_NEWER, _OPEN_OF = _statements()


def changes_since(registry: Registry, version: tuple[int, int], *, limit: int | None = None
                  ) -> Changes | None:
    """The stations that changed in ``registry`` since it was at ``version``.

    Parameters
    ----------
    registry
        The registry.
    version
        A value :meth:`geo.registry.Registry.version` returned earlier.
    limit
        At most this many stations read; more changed: None.

    Returns
    -------
    Changes or None
        None when the history did not only grow since ``version`` (entries went missing or
        appeared out of order: the caller reads every station again), or more than ``limit``
        stations changed. A station changed again while this is read may come newer than
        :attr:`Changes.version`: it is read again from there next time, so applying it twice
        is harmless.
    """
    last, count = version
    with registry.engine.connect() as conn:
        found = conn.execute(_NEWER, {"last": last}).all()
        rows = [(seq, station_id) for _, seq, station_id in found if seq is not None]
        if int(found[0][0]) - len(rows) != count:  # entries up to `last` went or came
            return None
        if not rows:
            return Changes((last, count), [], [])
        ids = sorted({station_id for _, station_id in rows})
        if limit is not None and len(ids) > limit:
            return None
        changed: list[Station] = []
        for start in range(0, len(ids), _CHUNK):
            changed += [_row_to_station(r)
                        for r in conn.execute(_OPEN_OF, {"ids": ids[start:start + _CHUNK]})]
    version_now = (max(seq for seq, _ in rows), count + len(rows))
    changed.sort(key=lambda s: s.id)
    present = {s.id for s in changed}
    return Changes(version_now, changed, [i for i in ids if i not in present])


def stations_at(stations: list[Station], history: list[dict], when: datetime) -> list[Station]:
    """The open stations as they were at ``when``: ``stations`` (the open ones now) with every
    change of ``history`` (:meth:`geo.registry.Registry.history`, oldest first) made at or after
    ``when`` undone, newest first — a creation or reopening removed, a closing reopened, an edit
    taken back — so a registry whose history began late still gives its stations before then.

    Returns the stations ordered by id.
    """
    records: dict[str, dict | None] = {s.id: s.to_record() for s in stations}
    for entry in reversed(history):
        at = entry["at"] if entry["at"].tzinfo else entry["at"].replace(tzinfo=UTC)
        if at < when:
            continue
        if entry["action"] in ("create", "restore"):  # it was not open before
            records[entry["station_id"]] = None
        elif entry.get("before"):  # an edit or a closing: as it was
            records[entry["station_id"]] = entry["before"]
    return [Station.from_record(records[sid]) for sid in sorted(records)  # type: ignore[arg-type]
            if records[sid] is not None]
