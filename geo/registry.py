"""The station registry: a database of stations with their full change history.

SQLAlchemy; an SQLite file by default, PostgreSQL by URL (``postgresql+psycopg://…``). The URL comes
from the argument, else the environment variable ``YIZHAN_DB``, else ``yizhan.sqlite`` in the user
data directory (platformdirs). Every write is all or nothing; every change to a station is kept in
``station_history`` (when, what, who, before, after); deletion is soft. A new database gets its
tables when opened; an existing one is brought to a later release's schema by the application's
migrations (``yizhan db upgrade``, docs/upgrades.md), not here.

A large write (over :data:`geo.settings.import_batch_rows` stations) goes into staging tables in
batches, each a short transaction, and one short transaction moves them into ``stations`` and
``station_history`` together; stations others changed meanwhile are worked out again first (for
up to :data:`geo.settings.import_wait_s`). Until then the registry is as before, to every reader
and after a crash (a dead import's staging rows are cleared later). SQLite runs in WAL mode with
a busy timeout of :data:`geo.settings.db_busy_timeout_s`, so a worker's report waits for such a
step; a database that cannot be written (read-only, locked longer) is
:class:`DatabaseUnavailable`, a damaged file :class:`DatabaseDamaged`.

Every station carries a ``version``: 1 when created, one more on every change (an edit, an import
that changes it, a close, a restore). Edits that say which version they started from
(:meth:`Registry.update`, :meth:`Registry.delete` with ``version=``) are compare-and-swap in the
database (``UPDATE … WHERE id = ? AND version = ?``), so two planners, in one process or in
several, never overwrite each other unknowingly: the second gets
:class:`geo.errors.StaleVersionError`.
:meth:`Registry.create` leaves the uniqueness of an id to the database's primary key.
"""

from __future__ import annotations

import getpass
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    DefaultClause,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError, OperationalError

from geo import settings
from geo._sqlite import _sqlite_damaged, _sqlite_path, _sqlite_pragmas
from geo.errors import (
    ConflictError,
    DatabaseDamaged,
    DatabaseUnavailable,
    InputError,
    NotFoundError,
    StaleVersionError,
)
from geo.stations import KINDS, Station

metadata = MetaData()

stations_table = Table(
    "stations", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(32), nullable=False, index=True),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("address", Text, nullable=False, default=""),
    Column("services", JSON, nullable=False),
    Column("hours", Text, nullable=False, default=""),
    Column("timezone", String(64), nullable=False),
    Column("capacity", Integer),
    Column("access", String(16), nullable=False, default="public"),
    Column("phone", Text, nullable=False, default=""),
    Column("operator", Text, nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, default=1, server_default="1"),
)

history_table = Table(
    "station_history", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("station_id", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(16), nullable=False),  # create | update | delete | restore
    Column("source", Text, nullable=False, default=""),
    Column("actor", Text, nullable=False, default="", server_default=""),  # who: a user name
    Column("before", JSON),
    Column("after", JSON),
)

#: Stations of an import not yet in ``stations`` (see :meth:`Registry.upsert`): ``import_id``
#: names the import, the other columns are those of ``stations``.
staged_stations_table = Table(
    "staged_stations", metadata,
    Column("import_id", String(32), primary_key=True),
    *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
      for c in stations_table.columns),
)

#: Their history entries, in the order ``seq`` will give them.
staged_history_table = Table(
    "staged_history", metadata,
    Column("import_id", String(32), primary_key=True),
    Column("ord", Integer, primary_key=True),
    *(Column(c.name, c.type, nullable=c.nullable) for c in history_table.columns
      if c.name != "seq"),
)

_FIELDS = [c.name for c in stations_table.columns
           if c.name not in ("created_at", "updated_at", "deleted_at", "version")]
_STATION_COLUMNS = [c.name for c in stations_table.columns]
_HISTORY_COLUMNS = [c.name for c in history_table.columns if c.name != "seq"]
#: Seconds after which the staging rows of an import are taken for those of a dead one.
_STALE_IMPORT_S = 24 * 3600


def default_data_dir() -> Path:
    """The user data directory for yizhan (platformdirs), e.g. ``~/.local/share/yizhan``."""
    return Path(platformdirs.user_data_dir("yizhan", appauthor=False))


def resolve_url(url: str | None = None) -> str:
    """The database URL: ``url``, else ``$YIZHAN_DB``, else the SQLite file in the user data dir.

    A plain file path is taken as an SQLite file.
    """
    url = url or os.environ.get(settings.db_env_var)
    if not url:
        url = str(default_data_dir() / "yizhan.sqlite")
    if "://" not in url:
        path = Path(url).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    return url


@dataclass(frozen=True)
class WriteSummary:
    """What a write did: station ids created, updated, unchanged (and closed, when asked)."""

    created: list[str]
    updated: list[str]
    unchanged: list[str]
    closed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": len(self.created), "updated": len(self.updated),
                "unchanged": len(self.unchanged)}


def default_actor() -> str:
    """Who writes when no one is named: the operating system user (``"cli"`` if unknown)."""
    try:
        return getpass.getuser() or "cli"
    except (OSError, KeyError, ImportError):
        return "cli"


@dataclass(frozen=True)
class Versioned:
    """A station with its version (1 when created, one more on every change)."""

    station: Station
    version: int


def _now() -> datetime:
    return datetime.now(UTC)


def _row_to_station(row: Row[Any]) -> Station:
    data = {k: row._mapping[k] for k in _FIELDS}
    return Station.from_record(data)


class Registry:
    """Stations in a database.

    Parameters
    ----------
    url
        SQLAlchemy URL or SQLite file path; see :func:`resolve_url`.
    """

    def __init__(self, url: str | None = None):
        self.url = resolve_url(url)
        try:
            self.engine: Engine = create_engine(self.url, future=True)
        except Exception as exc:
            raise InputError(f"cannot use database {self.url!r}: {exc}", parameter="db") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "handle_error", _sqlite_damaged)
        try:
            metadata.create_all(self.engine)
        except OperationalError as exc:
            raise DatabaseUnavailable(self.url, exc.orig or exc) from exc

    def check(self) -> None:
        """Read the whole SQLite file once (``PRAGMA quick_check``): a damaged one raises
        :class:`DatabaseDamaged` (the file, how to recover) now, not at the first request that
        reads its broken part. Nothing to check on PostgreSQL."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as conn:
            found = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check(1)")]
        if found != ["ok"]:
            raise DatabaseDamaged(_sqlite_path(self.engine), found[0] if found else "")

    def __repr__(self) -> str:
        return f"Registry({self.engine.url.render_as_string(hide_password=True)!r})"

    # --- reading ---

    def stations(self, *, kinds: Iterable[str] | None = None, include_deleted: bool = False,
                 bbox: tuple[float, float, float, float] | None = None) -> list[Station]:
        """All stations (not deleted ones unless asked), ordered by id.

        ``bbox`` (west, south, east, north; EPSG:4326 degrees, edges included): only the
        stations inside it, selected by the database (a province's cities from one national
        registry).
        """
        query = select(stations_table).order_by(stations_table.c.id)
        if bbox is not None:
            west, south, east, north = bbox
            query = query.where(stations_table.c.lon.between(west, east),
                                stations_table.c.lat.between(south, north))
        if not include_deleted:
            query = query.where(stations_table.c.deleted_at.is_(None))
        if kinds:
            kinds = list(kinds)
            unknown = set(kinds) - set(KINDS)
            if unknown:
                raise InputError(f"`kind` was {sorted(unknown)} but must be among {sorted(KINDS)}",
                                 parameter="kind")
            query = query.where(stations_table.c.kind.in_(kinds))
        with self.engine.connect() as conn:
            return [_row_to_station(r) for r in conn.execute(query)]

    def get(self, station_id: str) -> Station:
        """One station by id; :class:`NotFoundError` when there is none (or it was deleted)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(stations_table).where(
                stations_table.c.id == station_id, stations_table.c.deleted_at.is_(None))).first()
        if row is None:
            raise NotFoundError(f"no station with id {station_id!r}")
        return _row_to_station(row)

    def get_versioned(self, station_id: str) -> Versioned:
        """One station with its version; :class:`NotFoundError` when there is none (or it was
        deleted)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(stations_table).where(
                stations_table.c.id == station_id, stations_table.c.deleted_at.is_(None))).first()
        if row is None:
            raise NotFoundError(f"no station with id {station_id!r}")
        return Versioned(_row_to_station(row), int(row.version))

    def last_change(self, station_id: str) -> dict | None:
        """The newest history entry of a station: ``{at, action, by}``, where ``by`` is the
        person (``actor``) when the history records one, else the ``source``; None without
        history."""
        with self.engine.connect() as conn:
            row = conn.execute(select(history_table).where(
                history_table.c.station_id == station_id)
                .order_by(history_table.c.seq.desc()).limit(1)).first()
        if row is None:
            return None
        entry = row._mapping
        return {"at": entry["at"], "action": entry["action"],
                "by": entry.get("actor") or entry["source"]}

    def version(self) -> tuple[int, int]:
        """A value that changes whenever any station changes (last history entry and count, read
        by one statement: never a mix of before and after a write)."""
        with self.engine.connect() as conn:
            last, count = conn.execute(select(func.max(history_table.c.seq),
                                              func.count()).select_from(history_table)).one()
        return int(last or 0), int(count or 0)

    def history(self, station_id: str | None = None) -> list[dict]:
        """Change history, oldest first: ``{station_id, at, action, source, actor, before,
        after}``."""
        query = select(history_table).order_by(history_table.c.seq)
        if station_id is not None:
            query = query.where(history_table.c.station_id == station_id)
        with self.engine.connect() as conn:
            return [{k: v for k, v in r._mapping.items() if k != "seq"}
                    for r in conn.execute(query)]

    # --- writing ---

    @contextmanager
    def transaction(self) -> Iterator:
        """A connection in a write transaction (committed at the end of the ``with``); a database
        that cannot be written (read-only, locked past the busy timeout, away) raises
        :class:`DatabaseUnavailable`."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise DatabaseUnavailable(self.url, exc.orig or exc) from exc

    def upsert(self, stations: Iterable[Station], *, source: str = "",
               actor: str | None = None,
               on_wait: Callable[[float], None] | None = None,
               close: Iterable[str] = ()) -> WriteSummary:
        """Insert new stations and update changed ones by id, all or nothing.

        ``close``: ids of open stations to close in the same write (a list's stations it no
        longer holds); unknown or closed ones are ignored.

        Deleted stations that come back are restored. Unchanged stations are left alone (no
        history entry). ``source`` says how (``"import a.csv"``), ``actor`` who (a user name;
        default :func:`default_actor`). Up to :data:`geo.settings.import_batch_rows` stations
        are written in one transaction; more are staged in batches and moved in at once (see
        the module's notes), so that other writers wait for short steps only.

        When other writers (a planner saving) change stations of a staged write meanwhile,
        those stations are worked out again and the write tried again, for up to
        :data:`geo.settings.import_wait_s` seconds; ``on_wait`` (if given) is called each time
        with the seconds waited so far, so a surface can say that it waits. After that,
        :class:`DatabaseUnavailable` and nothing written.
        """
        actor = actor or default_actor()
        stations = list(stations)
        closing = sorted(set(close) - {s.id for s in stations})
        closing_arg = (closing,) if closing else ()  # _changes' own signature otherwise
        if len(stations) + len(closing) <= settings.import_batch_rows:
            with self.transaction() as conn:
                summary, rows, log = self._changes(conn, stations, source, actor, *closing_arg)
                created = set(summary.created)
                for row in rows:
                    if row["id"] in created:
                        conn.execute(insert(stations_table).values(**row))
                    else:
                        conn.execute(update(stations_table).where(
                            stations_table.c.id == row["id"]).values(**row))
                for entry in log:
                    self._log(conn, *entry.values())
            return summary
        return self._staged_upsert(stations, source, actor, on_wait, closing)

    def _changes(self, conn: Connection, stations: list[Station], source: str, actor: str,
                 close: Iterable[str] = ()) -> tuple[WriteSummary, list[dict], list[dict]]:
        """What writing ``stations`` and closing ``close`` changes: the summary, the rows to
        write (whole, with their times) and the history entries, in order."""
        created: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        rows: list[dict] = []
        log: list[dict] = []
        now = _now()
        existing: dict[str, Row[Any]] = {}
        ids = [s.id for s in stations] + list(close)
        for chunk in range(0, len(ids), 500):
            for found in conn.execute(select(stations_table).where(
                    stations_table.c.id.in_(ids[chunk:chunk + 500]))):
                existing[found.id] = found
        for station in stations:
            after = _record(station)
            row = existing.get(station.id)
            if row is None:
                rows.append({**after, "created_at": now, "updated_at": now, "deleted_at": None,
                             "version": 1})
                log.append(_entry(station.id, now, "create", source, None, after, actor))
                created.append(station.id)
                continue
            stored = row._mapping
            before = {k: stored[k] for k in _FIELDS}  # as written by _record: no need to check
            if before == after and row.deleted_at is None:
                unchanged.append(station.id)
                continue
            action = "restore" if row.deleted_at is not None else "update"
            rows.append({**after, "created_at": row.created_at, "updated_at": now,
                         "deleted_at": None, "version": int(row.version) + 1})
            log.append(_entry(station.id, now, action, source, before, after, actor))
            updated.append(station.id)
        closed = [i for i in close if i in existing and existing[i].deleted_at is None]
        for row in (existing[i] for i in closed):
            before = {k: row._mapping[k] for k in _FIELDS}
            rows.append({**before, "created_at": row.created_at, "updated_at": now,
                         "deleted_at": now, "version": int(row.version) + 1})
            log.append(_entry(row.id, now, "delete", source, before, None, actor))
        return WriteSummary(created, updated, unchanged, closed), rows, log

    def _staged_upsert(self, stations: list[Station], source: str, actor: str,
                       on_wait: Callable[[float], None] | None,
                       close: list[str]) -> WriteSummary:
        """:meth:`upsert` for many stations: staged in batches, then moved in at once. The
        stations of the import that other writers changed meanwhile (only those) are worked out
        again, until :data:`geo.settings.import_wait_s`; then nothing is written."""
        self._clear_stale_imports()
        import_id = f"{int(time.time()):x}-{secrets.token_hex(6)}"
        by_id = {s.id: s for s in stations}
        outcome: dict[str, str] = {}  # id -> created | updated | … closed, in the list's order
        started, retries = time.monotonic(), 0
        try:
            version = self._stage(import_id, stations, source, actor, outcome, self.version(),
                                  close)
            while changed := self._move_in(import_id, version, set(by_id) | set(close)):
                waited = time.monotonic() - started
                if waited > settings.import_wait_s:
                    raise DatabaseUnavailable(self.url, f"other writes kept changing the "
                                              f"stations of this import for {waited:.0f} s "
                                              "(geo.settings.import_wait_s); nothing was "
                                              "imported: import again when the editing stops")
                if on_wait is not None:
                    on_wait(waited)
                if retries:  # twice in a row: let the other writer get on first
                    time.sleep(settings.import_retry_pause_s)
                retries += 1
                new_version = self.version()
                with self.engine.connect() as conn:  # read after new_version: it covers it all
                    since = self._changed_since(conn, version)
                every = set(by_id) | set(close)
                again = every if since is None else (changed | since) & every
                self._unstage(import_id, again)
                version = self._stage(import_id, [s for i, s in by_id.items() if i in again],
                                      source, actor, outcome, new_version,
                                      [i for i in close if i in again])
        finally:
            self._clear_import(import_id)
        return WriteSummary(*([i for i, how in outcome.items() if how == kind]
                              for kind in ("created", "updated", "unchanged", "closed")))

    def _stage(self, import_id: str, stations: list[Station], source: str, actor: str,
               outcome: dict[str, str], version: tuple[int, int],
               close: Iterable[str] = ()) -> tuple[int, int]:
        """Stage what writing ``stations`` changes (worked out after the registry was at
        ``version``, which it returns) under ``import_id``; each one's outcome in ``outcome``."""
        batch = max(1, int(settings.import_batch_rows))
        with self.engine.connect() as conn:
            summary, rows, log = self._changes(conn, stations, source, actor,
                                               *((close,) if close else ()))
            first = conn.execute(select(func.max(staged_history_table.c.ord)).where(
                staged_history_table.c.import_id == import_id)).scalar()
        for kind in ("created", "updated", "unchanged", "closed"):
            outcome.update(dict.fromkeys(getattr(summary, kind), kind))
        first = -1 if first is None else int(first)
        for start in range(0, len(rows), batch):
            with self.transaction() as conn:
                conn.execute(insert(staged_stations_table), [
                    {**row, "import_id": import_id} for row in rows[start:start + batch]])
        for start in range(0, len(log), batch):
            with self.transaction() as conn:
                conn.execute(insert(staged_history_table), [
                    {**entry, "import_id": import_id, "ord": first + 1 + start + i}
                    for i, entry in enumerate(log[start:start + batch])])
        return version

    def _unstage(self, import_id: str, ids: set[str]) -> None:
        """Drop the staged rows and history entries of ``ids`` from one import."""
        for start in range(0, len(ids), 500):
            chunk = sorted(ids)[start:start + 500]
            with self.transaction() as conn:
                conn.execute(delete(staged_stations_table).where(
                    staged_stations_table.c.import_id == import_id,
                    staged_stations_table.c.id.in_(chunk)))
                conn.execute(delete(staged_history_table).where(
                    staged_history_table.c.import_id == import_id,
                    staged_history_table.c.station_id.in_(chunk)))

    @staticmethod
    def _changed_since(conn: Connection, version: tuple[int, int]) -> set[str] | None:
        """The stations changed since the registry was at ``version`` (their history grew);
        None when the history did not only grow (then everything is worked out again)."""
        last, count = version
        changed = conn.execute(select(history_table.c.station_id).where(
            history_table.c.seq > last)).scalars().all()
        total = conn.execute(select(func.count()).select_from(history_table)).scalar() or 0
        return set(changed) if int(total) - count == len(changed) else None

    def _move_in(self, import_id: str, version: tuple[int, int], ids: set[str]) -> set[str]:
        """Move one import's staged rows into the registry in one transaction, unless other
        writes changed some of its stations (``ids``) since ``version``: then nothing moves
        and those stations are returned (an empty set: moved)."""
        staged = select(staged_stations_table.c.id).where(
            staged_stations_table.c.import_id == import_id)
        with self.transaction() as conn:
            # the first statement writes, so the transaction holds the write lock from here on
            conn.execute(delete(stations_table).where(stations_table.c.id.in_(staged)))
            since = self._changed_since(conn, version)
            clash = set(ids) if since is None else since & ids
            if clash:
                conn.rollback()  # changed meanwhile: nothing moved, worked out again
                return clash
            conn.execute(insert(stations_table).from_select(
                _STATION_COLUMNS, select(*(staged_stations_table.c[c] for c in _STATION_COLUMNS))
                .where(staged_stations_table.c.import_id == import_id)))
            conn.execute(insert(history_table).from_select(
                _HISTORY_COLUMNS, select(*(staged_history_table.c[c] for c in _HISTORY_COLUMNS))
                .where(staged_history_table.c.import_id == import_id)
                .order_by(staged_history_table.c.ord)))
        return set()

    def _clear_import(self, import_id: str) -> None:
        """Drop one import's staging rows, in batches (each a short transaction)."""
        for table in (staged_stations_table, staged_history_table):
            with self.transaction() as conn:
                conn.execute(delete(table).where(table.c.import_id == import_id))

    def _clear_stale_imports(self) -> None:
        """Drop the staging rows of imports that died (started more than a day ago)."""
        cutoff = f"{int(time.time()) - _STALE_IMPORT_S:x}"
        with self.engine.connect() as conn:
            ids = {r[0] for r in conn.execute(select(staged_stations_table.c.import_id)
                                              .distinct())}
            ids |= {r[0] for r in conn.execute(select(staged_history_table.c.import_id)
                                               .distinct())}
        for import_id in ids:
            stamp = import_id.split("-")[0]
            if len(stamp) < len(cutoff) or (len(stamp) == len(cutoff) and stamp < cutoff):
                self._clear_import(import_id)

    def create(self, station: Station, *, source: str = "", actor: str | None = None) -> int:
        """Add one new station (or bring back a closed one with that id); its version.

        The database's primary key decides whether the id is taken, so of several callers
        creating one id at the same time (threads or processes) exactly one succeeds.

        Raises
        ------
        ConflictError
            When an open station has this id.
        """
        actor = actor or default_actor()
        after = _record(station)
        now = _now()
        try:
            with self.transaction() as conn:
                conn.execute(insert(stations_table).values(
                    **after, created_at=now, updated_at=now, deleted_at=None, version=1))
                self._log(conn, station.id, now, "create", source, None, after, actor)
            return 1
        except IntegrityError:
            pass  # the id is taken: by a closed station (restore it) or an open one (conflict)
        with self.transaction() as conn:
            row = conn.execute(select(stations_table).where(
                stations_table.c.id == station.id)).first()
            if row is not None and row.deleted_at is not None:
                done = conn.execute(
                    update(stations_table).where(stations_table.c.id == station.id,
                                                 stations_table.c.version == row.version,
                                                 stations_table.c.deleted_at.is_not(None))
                    .values(**after, updated_at=now, deleted_at=None,
                            version=row.version + 1))
                if done.rowcount == 1:
                    self._log(conn, station.id, now, "restore", source,
                              _record(_row_to_station(row)), after, actor)
                    return int(row.version) + 1
        raise ConflictError(f"a station with id {station.id!r} exists", parameter="id")

    def update(self, station: Station, *, version: int, source: str = "",
               actor: str | None = None) -> int:
        """Replace an open station by ``station`` (same id) if it is still at ``version``;
        the new version.

        Compare-and-swap in the database: of two writers that read the same version, one wins
        and the other gets :class:`StaleVersionError` (also across processes). An unchanged
        station keeps its version and writes no history.

        Raises
        ------
        NotFoundError
            When there is no open station with this id.
        StaleVersionError
            When the station has changed since ``version`` (its current state attached).
        """
        current = self.get_versioned(station.id)
        if current.version != version:
            raise self._stale(station.id, version)
        before, after = _record(current.station), _record(station)
        if before == after:
            return version
        actor = actor or default_actor()
        now = _now()
        with self.transaction() as conn:
            done = conn.execute(
                update(stations_table).where(stations_table.c.id == station.id,
                                             stations_table.c.version == version,
                                             stations_table.c.deleted_at.is_(None))
                .values(**after, updated_at=now, version=version + 1))
            if done.rowcount == 1:
                self._log(conn, station.id, now, "update", source, before, after, actor)
                return version + 1
        raise self._stale(station.id, version)

    def delete(self, station_id: str, *, source: str = "", actor: str | None = None,
               version: int | None = None) -> None:
        """Soft-delete a station: it disappears from :meth:`stations` but stays in the history.

        With ``version``, only if the station is still at that version (compare-and-swap, as
        :meth:`update`); else :class:`StaleVersionError`.
        """
        actor = actor or default_actor()
        now = _now()
        with self.transaction() as conn:
            row = conn.execute(select(stations_table).where(
                stations_table.c.id == station_id, stations_table.c.deleted_at.is_(None))).first()
            if row is None:
                raise NotFoundError(f"no station with id {station_id!r}")
            expected = row.version if version is None else version
            done = conn.execute(update(stations_table).where(
                stations_table.c.id == station_id, stations_table.c.version == expected,
                stations_table.c.deleted_at.is_(None))
                .values(deleted_at=now, updated_at=now, version=stations_table.c.version + 1))
            if done.rowcount == 1:
                self._log(conn, station_id, now, "delete", source,
                          _record(_row_to_station(row)), None, actor)
                return
        raise self._stale(station_id, expected)

    def _stale(self, station_id: str, version: int) -> StaleVersionError | NotFoundError:
        """The error for a write that expected ``version``: the station as it is now, or
        NotFoundError when it was closed meanwhile."""
        try:
            current = self.get_versioned(station_id)
        except NotFoundError:
            return NotFoundError(f"no station with id {station_id!r} (it was closed)")
        change = self.last_change(station_id) or {}
        return StaleVersionError(
            f"station {station_id!r} changed since version {version}: it is at version "
            f"{current.version} now", station=current.station, version=current.version,
            changed_by=change.get("by"), changed_at=change.get("at"))

    @staticmethod
    def _log(conn: Connection, station_id: str, at: datetime, action: str, source: str,
             before: dict | None, after: dict | None, actor: str = "") -> None:
        conn.execute(insert(history_table).values(
            **_entry(station_id, at, action, source, before, after, actor)))


def _entry(station_id: str, at: datetime, action: str, source: str, before: dict | None,
           after: dict | None, actor: str = "") -> dict:
    return {"station_id": station_id, "at": at, "action": action, "source": source,
            "before": before, "after": after, "actor": actor}  # the order of _log's arguments


def _record(station: Station) -> dict:
    record = station.to_record()
    # the words a list wrote that name no service ride after the ids (Station.from_record)
    record["services"] = record["services"] + record["other_services"]
    return {k: record[k] for k in _FIELDS}


def add_missing_columns(engine: Engine, meta: MetaData) -> list[str]:
    """Add the columns of ``meta``'s tables that an existing database lacks (``ALTER TABLE …
    ADD COLUMN``, with the column's server default); returns them as ``table.column``.

    Only for columns a later version added: nullable, or with a ``server_default``.
    """
    added = []
    present = inspect(engine)
    tables = set(present.get_table_names())
    for table in meta.sorted_tables:
        if table.name not in tables:
            continue
        have = {c["name"] for c in present.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            ddl = f"{column.name} {column.type.compile(dialect=engine.dialect)}"
            if isinstance(column.server_default, DefaultClause):
                default = column.server_default.arg
                if isinstance(default, str):
                    ddl += " DEFAULT '" + default.replace("'", "''") + "'"
            if not column.nullable:
                ddl += " NOT NULL"
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}"))
            added.append(f"{table.name}.{column.name}")
    return added
