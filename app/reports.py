"""Problem reports from workers about a station (closed, full, moved, a missing service …).

Reports live in the same database as the station registry (:class:`geo.registry.Registry`), in a
``reports`` table with its own metadata, so adding them changes nothing in the registry's schema.
Planners read them to fix the registry and mark them handled; workers only ever add. The same
problem reported again at the same station while a report of it is open (within
:data:`app.settings.report_fold_hours`) counts one more on that report (``count``) rather than
adding a row, so a station many workers find closed is one item with a count, not a flood.

Each worker's words and position are kept apart: the first worker's in the report's own ``text``,
``lon`` and ``lat``, each later one's as a row of ``report_entries`` (report id, text, lon, lat,
time), at most :data:`app.settings.report_entries_max` per report, first included. Beyond that a
report still counts, and the worker is told their words could not be kept (:class:`Receipt`).
Entries and positions are for planners only: a worker learns what became of their own report
(:class:`Receipt`), never anything of another's. Free text follows the text policy
(:func:`geo.text.clean`): characters no text may hold are removed and named, never refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from app import settings
from geo.errors import InputError, NotFoundError
from geo.registry import Registry, add_missing_columns
from geo.text import clean, forbidden

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

#: The words and position of each worker whose report counted on an open one (the first worker's
#: stay in ``reports``); created beside ``reports`` when a database lacks it.
report_entries_table = Table(
    "report_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", Integer, ForeignKey("reports.id"), nullable=False, index=True),
    Column("text", Text, nullable=False, default=""),
    Column("lon", Float),
    Column("lat", Float),
    Column("at", DateTime(timezone=True), nullable=False),
)

#: Reports whose entries are read in one query (a bound on the ``IN`` list).
_ENTRIES_CHUNK = 500


@dataclass(frozen=True)
class Receipt:
    """What storing one worker's report did.

    Attributes
    ----------
    report_id
        The report it made or counted on (for planners and tests: the API does not send it).
    station_id, kind
        As the worker sent them.
    folded
        It counted on an open report of the same problem at the same station.
    kept
        The worker's words and position were kept; False when they sent some but the open report
        held :data:`app.settings.report_entries_max` entries already.
    removed
        The characters the text policy removed from the worker's text (:func:`geo.text.clean`).
    """

    report_id: int
    station_id: str
    kind: str
    folded: bool
    kept: bool = True
    removed: tuple[str, ...] = ()


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
            lat: float | None = None) -> Receipt:
        """Store one worker's report: a new report, or one more on the open report of the same
        problem at the same station (its words and position then an entry of that report).

        Parameters
        ----------
        station_id
            A station of the registry (not deleted).
        kind
            One of :data:`REPORT_KINDS`.
        text
            Free text, at most :data:`MAX_TEXT` characters; characters the text policy refuses
            are removed (and named in the receipt's ``removed``).
        lon, lat
            Where the worker was, EPSG:4326 degrees (optional, both or neither).

        Returns
        -------
        Receipt
            What became of this report; nothing of other workers' reports but the report id.

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
        self._check_station(station_id)
        text, removed = clean(text, multiline=True)
        entry = {"text": text.strip(), "lon": None if lon is None else float(lon),
                 "lat": None if lat is None else float(lat), "at": datetime.now(UTC)}
        receipt = {"station_id": station_id, "kind": kind, "removed": tuple(removed)}
        folded = self._fold(station_id, kind, entry)
        if folded is not None:
            report_id, kept = folded
            return Receipt(report_id, folded=True, kept=kept, **receipt)
        row = {"station_id": station_id, "kind": kind, "text": entry["text"],
               "lon": entry["lon"], "lat": entry["lat"], "created_at": entry["at"], "count": 1,
               "last_at": entry["at"], "status": "open", "handled_at": None}
        with self.registry.transaction() as conn:
            new_id = conn.execute(insert(reports_table).values(**row)).inserted_primary_key[0]
        return Receipt(int(new_id), folded=False, **receipt)

    def _check_station(self, station_id: str) -> None:
        """An InputError naming ``station_id`` unless it is an open station's id."""
        missing = InputError(f"`station_id` was {station_id!r} but no open station has that id",
                             parameter="station_id")
        if forbidden(station_id):  # no id holds these (and a lone surrogate cannot be sent on)
            raise missing
        try:
            self.registry.get(station_id)
        except LookupError:
            raise missing from None

    def _fold(self, station_id: str, kind: str, entry: dict) -> tuple[int, bool] | None:
        """Count a repeated report on the open one of the same station and kind made within
        :data:`app.settings.report_fold_hours`, keeping its words and position (``entry``) as an
        entry of that report while it holds fewer than :data:`app.settings.report_entries_max`.

        Returns the report's id and whether the entry was kept (True when there was nothing to
        keep), or None when there is no open report to count on."""
        since = entry["at"] - timedelta(hours=settings.report_fold_hours)
        table = reports_table.c
        with self.registry.transaction() as conn:
            row = conn.execute(select(table.id).where(
                table.station_id == station_id, table.kind == kind, table.status == "open",
                table.created_at >= since).order_by(table.id.desc()).limit(1)).first()
            if row is None:
                return None
            # the update first: it holds the report's row, so two workers counting at once
            # keep the bound on entries (PostgreSQL's row lock; SQLite writes one at a time)
            done = conn.execute(update(reports_table).where(
                table.id == row.id, table.status == "open").values(
                    count=table.count + 1, last_at=entry["at"]))
            if done.rowcount != 1:  # handled a moment ago: a new report then
                return None
            if not entry["text"] and entry["lon"] is None:
                return row.id, True
            held = 1 + conn.execute(select(func.count()).select_from(report_entries_table).where(
                report_entries_table.c.report_id == row.id)).scalar_one()
            if held >= settings.report_entries_max:
                return row.id, False
            conn.execute(insert(report_entries_table).values(report_id=row.id, **entry))
        return row.id, True

    def set_status(self, report_id: int, status: str) -> dict:
        """Mark a report ``handled`` (or ``open`` again); the report as changed, with its
        entries (see :meth:`list`).

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
            (report,) = _with_entries(conn, [dict(row._mapping)])
        return report

    def list(self, *, station_id: str | None = None, status: str | None = None,
             limit: int = 500) -> list[dict]:
        """Reports, newest first, optionally of one station or one status only (for planners).

        Each report is its row (``text``, ``lon`` and ``lat`` are the first worker's) with
        ``entries``: every worker's words and position, first to last, as dicts of ``text``,
        ``lon``, ``lat`` (EPSG:4326 degrees or None) and ``at``. The first worker's is an entry
        when they wrote something or gave a position (in a database older than entries, the
        ``text`` it holds, however many reports it folded)."""
        query = select(reports_table).order_by(reports_table.c.id.desc()).limit(limit)
        if station_id is not None:
            query = query.where(reports_table.c.station_id == station_id)
        if status is not None:
            query = query.where(reports_table.c.status == status)
        with self.engine.connect() as conn:
            return _with_entries(conn, [dict(r._mapping) for r in conn.execute(query)])


def _with_entries(conn: Connection, reports: Iterable[dict]) -> list[dict]:
    """``reports`` (rows of ``reports``) each with its ``entries``, first to last."""
    reports = list(reports)
    later: dict[int, list[dict]] = {}
    entries = report_entries_table.c
    ids = [r["id"] for r in reports]
    for start in range(0, len(ids), _ENTRIES_CHUNK):
        query = (select(entries.report_id, entries.text, entries.lon, entries.lat, entries.at)
                 .where(entries.report_id.in_(ids[start:start + _ENTRIES_CHUNK]))
                 .order_by(entries.id))
        for row in conn.execute(query):
            later.setdefault(row.report_id, []).append(
                {"text": row.text, "lon": row.lon, "lat": row.lat, "at": row.at})
    for report in reports:
        first = ([{"text": report["text"] or "", "lon": report["lon"], "lat": report["lat"],
                   "at": report["created_at"]}]
                 if report["text"] or report["lon"] is not None else [])
        report["entries"] = first + later.get(report["id"], [])
    return reports
