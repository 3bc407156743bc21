"""Problem reports from workers about a station (closed, full, moved, a missing service …).

Reports live in the same database as the station registry (:class:`geo.registry.Registry`), in a
``reports`` table with its own metadata, so adding them changes nothing in the registry's schema.
Planners read them to fix the registry and mark them handled; workers only ever add. The same
problem reported again at the same station while a report of it is open (within
:data:`app.settings.report_fold_hours`) counts one more on that report (``count``) rather than
adding a row, so a station many workers find closed is one item with a count, not a flood.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import OperationalError

from app import settings
from geo.errors import InputError, NotFoundError
from geo.registry import Registry, add_missing_columns

#: What a worker can report: id -> (中文, English).
REPORT_KINDS: dict[str, tuple[str, str]] = {
    "closed": ("站点关闭", "station closed"),
    "full": ("站点已满", "station full"),
    "moved": ("位置有误或已搬迁", "wrong place or moved"),
    "missing_service": ("服务缺失", "a service is missing"),
    "other": ("其他问题", "something else"),
}

#: Longest free text kept, characters.
MAX_TEXT = 1000

#: The states of a report: open until a planner has dealt with it.
REPORT_STATUSES = ("open", "handled")

metadata = MetaData()

reports_table = Table(
    "reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("lon", Float),
    Column("lat", Float),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False, default=1, server_default="1"),
    Column("last_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False, default="open", server_default="open"),
    Column("handled_at", DateTime(timezone=True)),
)


class Reports:
    """Problem reports stored beside a registry's stations.

    Parameters
    ----------
    registry
        The registry whose database (engine) holds the reports; the table is created if missing.
    """

    def __init__(self, registry: Registry):
        self.registry = registry
        self.engine = registry.engine
        try:
            metadata.create_all(self.engine)
            add_missing_columns(self.engine, metadata)
        except OperationalError:  # a read-only database: reports wait until it is writable
            pass

    def add(self, station_id: str, kind: str, text: str = "", *, lon: float | None = None,
            lat: float | None = None) -> dict:
        """Store one report and return it as a dict (with its ``id`` and ``created_at``).

        Parameters
        ----------
        station_id
            A station of the registry (not deleted).
        kind
            One of :data:`REPORT_KINDS`.
        text
            Free text, at most :data:`MAX_TEXT` characters.
        lon, lat
            Where the worker was, EPSG:4326 degrees (optional, both or neither).

        Raises
        ------
        InputError
            Naming the field that is wrong (``station_id``, ``kind``, ``text``, ``lon``, ``lat``).
        """
        if not isinstance(station_id, str) or not station_id.strip():
            raise InputError("`station_id` is required: the id of the station reported",
                             parameter="station_id")
        if kind not in REPORT_KINDS:
            raise InputError(f"`kind` was {kind!r} but must be one of {list(REPORT_KINDS)}",
                             parameter="kind")
        if text is None:
            text = ""
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise InputError(f"`text` must be text of at most {MAX_TEXT} characters",
                             parameter="text")
        if (lon is None) != (lat is None):
            raise InputError("give both `lon` and `lat`, or neither",
                             parameter="lat" if lat is None else "lon")
        for name, value, bound in (("lon", lon, 180), ("lat", lat, 90)):
            if value is None:
                continue
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value) or not -bound <= value <= bound):
                raise InputError(f"`{name}` was {value!r} but must be a number from {-bound} to "
                                 f"{bound} (EPSG:4326 degrees)", parameter=name)
        try:
            self.registry.get(station_id)
        except LookupError:
            raise InputError(f"`station_id` was {station_id!r} but no open station has that id",
                             parameter="station_id") from None
        text, now = text.strip(), datetime.now(UTC)
        folded = self._fold(station_id, kind, text, now)
        if folded is not None:
            return folded
        row = {"station_id": station_id, "kind": kind, "text": text,
               "lon": None if lon is None else float(lon),
               "lat": None if lat is None else float(lat),
               "created_at": now, "count": 1, "last_at": now, "status": "open",
               "handled_at": None}
        with self.registry.transaction() as conn:
            new_id = conn.execute(insert(reports_table).values(**row)).inserted_primary_key[0]
        return {"id": int(new_id), **row}

    def _fold(self, station_id: str, kind: str, text: str, now: datetime) -> dict | None:
        """Count a repeated report on the open one of the same station and kind made within
        :data:`app.settings.report_fold_hours` (its text gains ``text`` while it fits); the
        report as it is then, or None when there is none to fold into."""
        since = now - timedelta(hours=settings.report_fold_hours)
        table = reports_table.c
        with self.registry.transaction() as conn:
            row = conn.execute(select(reports_table).where(
                table.station_id == station_id, table.kind == kind, table.status == "open",
                table.created_at >= since).order_by(table.id.desc()).limit(1)).first()
            if row is None:
                return None
            joined = row.text
            if text and text not in joined:
                joined = f"{joined} | {text}" if joined else text
            changes = {"count": table.count + 1, "last_at": now}
            if len(joined) <= MAX_TEXT:
                changes["text"] = joined
            done = conn.execute(update(reports_table).where(
                table.id == row.id, table.status == "open").values(**changes))
            if done.rowcount != 1:  # handled a moment ago: a new report then
                return None
            fresh = conn.execute(select(reports_table).where(table.id == row.id)).first()
        return dict(fresh._mapping)

    def set_status(self, report_id: int, status: str) -> dict:
        """Mark a report ``handled`` (or ``open`` again); the report as changed.

        Raises
        ------
        InputError
            When ``status`` is not one of :data:`REPORT_STATUSES`.
        NotFoundError
            When there is no report with this id.
        """
        if status not in REPORT_STATUSES:
            raise InputError(f"`status` was {status!r} but must be one of "
                             f"{list(REPORT_STATUSES)}", parameter="status")
        table = reports_table.c
        handled_at = datetime.now(UTC) if status == "handled" else None
        with self.registry.transaction() as conn:
            done = conn.execute(update(reports_table).where(table.id == report_id)
                                .values(status=status, handled_at=handled_at))
            if done.rowcount != 1:
                raise NotFoundError(f"no report with id {report_id}")
            row = conn.execute(select(reports_table).where(table.id == report_id)).first()
        return dict(row._mapping)

    def list(self, *, station_id: str | None = None, status: str | None = None,
             limit: int = 500) -> list[dict]:
        """Reports, newest first, optionally of one station or one status only."""
        query = select(reports_table).order_by(reports_table.c.id.desc()).limit(limit)
        if station_id is not None:
            query = query.where(reports_table.c.station_id == station_id)
        if status is not None:
            query = query.where(reports_table.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]
