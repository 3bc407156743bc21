"""The database's schema across releases: Alembic revisions, upgrading, backups.

Every table of the registry database (the stations and their history in :mod:`geo.registry`;
accounts, sessions, the sign-in throttle, reports, jobs and rate limits in ``app``) is described
by the revisions in ``app/migrations/versions``, one environment for all of them (it lives in
``app`` because it reads the app's tables too, which :mod:`geo` may not import). The database
records its revision in ``alembic_version``; :func:`upgrade` brings it to the newest (``yizhan db
upgrade``; ``yizhan serve`` does it at start after a backup). A database made before revisions
existed has none: it is checked first (a yizhan registry: it has ``stations``, or it is empty)
and the baseline revision makes sure it has every table and column of the wave-2 release, as
those releases added them when opened, before the later revisions run.

SQLite files are backed up with SQLite's online backup (:func:`backup`, :func:`restore`), which
is safe while the app runs; on PostgreSQL take a ``pg_dump`` (see ``docs/upgrades.md``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, create_engine, event, func, inspect, select
from sqlalchemy import table as named_table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from geo._sqlite import _sqlite_damaged, _sqlite_path
from geo.errors import DatabaseDamaged, InputError, Message
from geo.registry import resolve_url

#: The folder of the migration environment (package data).
MIGRATIONS = Path(__file__).with_name("migrations")
#: The revision that describes the schema of the wave-2 release.
BASELINE = "0001_wave2"


def metadatas() -> list[MetaData]:
    """Every MetaData whose tables live in the registry database (the models the revisions must
    describe: ``tests/app/test_db_migrations.py`` fails on a table or column without one)."""
    # here, not at the top: the stores load the web app's settings, which `yizhan db current`
    # and the migration scripts do without until they compare
    from app import accounts, inputs, jobs, limit_store, office_files, orgs, reports, throttle
    from geo import catalogue, registry

    return [registry.metadata, accounts.metadata, throttle.metadata, reports.metadata,
            jobs.metadata, limit_store.metadata, catalogue.metadata, inputs.metadata,
            office_files.metadata, orgs.metadata]


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this release knows."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None  # the versions folder ships with the package
    return found


@dataclass(frozen=True)
class Status:
    """Where a database stands: its revision (None: none recorded), the newest one, and whether
    it holds any table."""

    revision: str | None
    head: str
    empty: bool

    @property
    def behind(self) -> bool:
        """An upgrade has something to do."""
        return self.revision != self.head


@contextmanager
def _engine(url: str | None) -> Iterator[Engine]:
    engine = create_engine(resolve_url(url), future=True)
    if engine.dialect.name == "sqlite":  # a damaged file: DatabaseDamaged, as the registry says
        event.listen(engine, "handle_error", _sqlite_damaged)
    try:
        yield engine
    finally:
        engine.dispose()


def check_intact(url: str | None = None) -> None:
    """Read a whole SQLite file once (``PRAGMA quick_check``) before a revision is written into
    it: a damaged one raises :class:`DatabaseDamaged` (the file, how to recover) and is left as
    it was. Nothing to check on PostgreSQL or for a file not made yet."""
    with _engine(url) as engine:
        if engine.dialect.name != "sqlite" or not Path(_sqlite_path(engine)).exists():
            return
        with engine.connect() as conn:
            found = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check(1)")]
        if found != ["ok"]:
            raise DatabaseDamaged(_sqlite_path(engine), found[0] if found else "")


def status(url: str | None = None) -> Status:
    """The revision of the database at ``url`` (as :func:`geo.registry.resolve_url` reads it)."""
    with _engine(url) as engine, engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        tables = inspect(conn).get_table_names()
    return Status(revision, head(), not tables)


def upgrade(url: str | None = None, *, to: str = "head") -> tuple[str | None, str]:
    """Bring the database at ``url`` to revision ``to`` (the newest by default); returns the
    revisions before and after.

    Raises
    ------
    InputError
        When the database has tables but no ``stations`` and no revision: not a yizhan
        registry (``parameter="db"``).
    """
    with _engine(url) as engine:
        with engine.connect() as conn:
            before = MigrationContext.configure(conn).get_current_revision()
            tables = set(inspect(conn).get_table_names())
        if before is None and tables and "stations" not in tables:
            shown = ", ".join(sorted(tables)[:8])
            raise InputError(f"`db` {engine.url.render_as_string(hide_password=True)!r} has "
                             f"tables ({shown}) but no stations: it is not a yizhan registry; "
                             "give the registry's URL or file", parameter="db")
        with engine.begin() as conn:
            if before is None and tables and to == "head" and not missing(conn):
                command.stamp(_config(conn), "head")  # made by this release: only recorded
            else:
                command.upgrade(_config(conn), to)
        with engine.connect() as conn:
            after = MigrationContext.configure(conn).get_current_revision()
    return before, after or ""


def revisions() -> list[str]:
    """Every revision this release knows, oldest first (one line of history)."""
    script = ScriptDirectory.from_config(_config())
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def resolve_revision(wanted: str, *, db: str = "DB") -> str:
    """The revision ``wanted`` names: its id, or the start of one id only (``0004``).

    Raises
    ------
    InputError
        ``parameter="revision"``, a :class:`~geo.errors.Message` (``db_unknown_revision``)
        listing the revisions and naming ``yizhan db current`` (``db``: the database to name).
    """
    known = revisions()
    found = [r for r in known if r == wanted] or [r for r in known if wanted and
                                                   r.startswith(wanted)]
    if len(found) == 1:
        return found[0]
    listed = ", ".join(known)
    raise InputError(Message(
        f"`revision` {wanted!r} is not a schema revision of this release; its revisions are "
        f"{listed}: `yizhan db current --db {db}` shows the database's", "db_unknown_revision",
        wanted=wanted, revisions=listed, db=db), parameter="revision")


@dataclass(frozen=True)
class Downgrade:
    """What a downgrade did: the revisions before and after, each table it dropped with the
    rows it held, and the columns it dropped from the tables kept (``table.column``)."""

    before: str
    after: str
    tables: dict[str, int]
    columns: list[str]


def _downgrade_target(conn: Connection, to: str, shown: str) -> tuple[str, str]:
    """The database's revision and the one ``to`` names, refused unless ``to`` is it or one
    before it (:class:`InputError`, ``parameter="revision"`` or ``"db"``)."""
    target = resolve_revision(to, db=shown)
    current = MigrationContext.configure(conn).get_current_revision()
    known = revisions()
    if current is None:
        raise InputError(Message(
            f"the database {shown} has no schema revision recorded: there is nothing to go back "
            f"from (`yizhan db current --db {shown}` says where it stands)", "db_no_revision",
            db=shown), parameter="db")
    if current not in known:
        raise InputError(Message(
            f"the database {shown} is at schema revision {current}, which this release does "
            f"not know (its newest is {known[-1]}): a newer release wrote it; use that release",
            "db_ahead", db=shown, revision=current, head=known[-1]), parameter="db")
    if known.index(target) > known.index(current):
        raise InputError(Message(
            f"`revision` {target} is newer than the database's revision {current}: a downgrade "
            f"goes back only; `yizhan db upgrade --db {shown}` goes forward", "db_not_older",
            target=target, revision=current, db=shown), parameter="revision")
    return current, target


def _existing(url: str | None) -> None:
    """An SQLite file that is not there is refused (opening it would make an empty one)."""
    resolved = resolve_url(url)
    if (resolved.startswith("sqlite:///") and resolved != "sqlite:///:memory:"
            and not Path(resolved.removeprefix("sqlite:///")).is_file()):
        raise InputError(f"`db` {resolved.removeprefix('sqlite:///')!r} does not exist: there "
                         "is nothing to go back from", parameter="db")


def check_downgrade(url: str | None = None, *, to: str) -> tuple[str, str]:
    """The database's revision and the revision ``to`` names, when :func:`downgrade` may take
    it there (the same refusals, before anything is written or backed up)."""
    _existing(url)
    with _engine(url) as engine, engine.connect() as conn:
        return _downgrade_target(conn, to, engine.url.render_as_string(hide_password=True))


def _whole_transaction(engine: Engine) -> None:
    """SQLite: every statement of a downgrade in one transaction (pysqlite would commit each
    table dropped before the first row is copied), and foreign keys off while a table is copied
    without a column (dropping the old ``users`` must delete no session)."""
    def connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    event.listen(engine, "connect", connect)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))


def _contents(conn: Connection) -> dict[str, tuple[int, set[str]]]:
    """Per table, its rows and its columns."""
    present = inspect(conn)
    return {name: (conn.scalar(select(func.count()).select_from(named_table(name))) or 0,
                   {c["name"] for c in present.get_columns(name)})
            for name in present.get_table_names()}


def downgrade(url: str | None = None, *, to: str) -> Downgrade:
    """Take the database at ``url`` back to revision ``to`` (an id, or the start of one), for an
    older release: each newer revision's ``downgrade()`` drops the tables and columns it added;
    the rows of every table kept stay as they are. All or nothing, in one transaction.

    Raises
    ------
    InputError
        ``to`` is not a revision of this release or is newer than the database's
        (``parameter="revision"``); the database has no revision, or one this release does not
        know (``parameter="db"``).
    """
    _existing(url)
    with _engine(url) as engine:
        if engine.dialect.name == "sqlite":
            _whole_transaction(engine)
        with engine.begin() as conn:
            before, target = _downgrade_target(
                conn, to, engine.url.render_as_string(hide_password=True))
            if before == target:
                return Downgrade(before, target, {}, [])
            was = _contents(conn)
            command.downgrade(_config(conn), target)
            now = {name: columns for name, (_, columns) in _contents(conn).items()}
    tables = {name: rows for name, (rows, _) in was.items() if name not in now}
    columns = sorted(f"{name}.{c}" for name, (_, had) in was.items() if name in now
                     for c in had - now[name])
    return Downgrade(before, target, tables, columns)


def revision_columns() -> dict[str, set[str]]:
    """Per table, the columns the revisions give it: the newest schema as the revisions
    describe it (read from their own table copies, without loading the app's models)."""
    columns: dict[str, set[str]] = {}
    for script in ScriptDirectory.from_config(_config()).walk_revisions():
        for value in vars(script.module).values():
            if isinstance(value, Table):
                columns.setdefault(value.name, set()).update(c.name for c in value.columns)
    return columns


def require_current(url: str | None = None) -> None:
    """Refuse a database behind this release's schema, before a command reads it: one with an
    older revision recorded, or one made before revisions whose tables lack columns of this
    release (the wave-2 release's ``users`` has no ``must_change``). A new, empty database, or
    one this release's stores made (no revision, no column missing), is used as it is; one
    that cannot be read is left to the command (which says what is wrong with it).

    Raises
    ------
    InputError
        ``parameter="db"``, a :class:`~geo.errors.Message` (``db_behind``, ``db_ahead``) that
        says to run ``yizhan db upgrade``.
    """
    resolved = resolve_url(url)
    if resolved.startswith("sqlite:///") and resolved != "sqlite:///:memory:" and not Path(
            resolved.removeprefix("sqlite:///")).is_file():
        return  # a new file: the command makes it as this release does
    try:
        with _engine(url) as engine, engine.connect() as conn:
            shown = engine.url.render_as_string(hide_password=True)
            revision = MigrationContext.configure(conn).get_current_revision()
            present = inspect(conn)
            tables = present.get_table_names()
            newest = head()
            if not tables or revision == newest:
                return
            if revision is None:
                known = revision_columns()
                lacking = sorted(f"{t}.{c}" for t in tables if t in known
                                 for c in known[t] - {col["name"]
                                                      for col in present.get_columns(t)})
                if not lacking:
                    return
    except SQLAlchemyError:
        return
    script = ScriptDirectory.from_config(_config())
    if revision is not None and script.get_revision(revision) is None:
        raise InputError(Message(
            f"the database {shown} is at schema revision {revision}, which this release does "
            f"not know (its newest is {newest}): a newer release wrote it; use that release",
            "db_ahead", db=shown, revision=revision, head=newest), parameter="db")
    raise InputError(Message(
        f"the database {shown} is at schema revision {revision or 'none'} but this release "
        f"needs {newest}: run `yizhan db upgrade --db {shown}` first (it backs up an SQLite "
        "file before it changes anything), then run this command again", "db_behind",
        db=shown, revision=revision or "none", revision_zh=revision or "无", head=newest),
        parameter="db")


def differences(conn: Connection) -> list:
    """What the models (:func:`metadatas`) have that the database at ``conn`` lacks or has
    otherwise, as Alembic's autogenerate compares them (tables the models do not know are left
    out: they are not the registry's)."""
    from alembic.autogenerate import compare_metadata

    found = compare_metadata(MigrationContext.configure(conn), metadatas())
    return [d for d in found if not (isinstance(d, tuple) and d[0] == "remove_table")]


def missing(conn: Connection) -> bool:
    """The database lacks a table, column or index of the models, or has one of another type."""
    return bool(differences(conn))


def matches_models(url: str | None = None) -> bool:
    """The database at ``url`` has every table and column of this release's models (as one this
    release made, before it recorded a revision)."""
    with _engine(url) as engine, engine.connect() as conn:
        return not missing(conn)


# --- what revisions use ---

def ensure_table(table: Table) -> list[str]:
    """In a revision: create ``table`` (a copy of the model as that revision knows it, on a
    MetaData of the revision's own) when the database lacks it, else add the columns it lacks
    (nullable, or with a ``server_default``); returns what was added (``table``,
    ``table.column``).

    Idempotent, because the stores create a missing table when they open a database, and
    releases before revisions added columns when they opened one.
    """
    bind = op.get_bind()
    present = inspect(bind)
    if not present.has_table(table.name):
        table.create(bind)
        return [table.name]
    have = {c["name"] for c in present.get_columns(table.name)}
    added = []
    for column in table.columns:
        if column.name not in have:
            op.add_column(table.name, column._copy())
            added.append(f"{table.name}.{column.name}")
    return added


def drop_tables(*tables: Table) -> list[str]:
    """In a revision's ``downgrade()``: drop the tables its ``upgrade()`` made, those present,
    in the order given (a table that refers to another before that one); returns their names.
    """
    present = inspect(op.get_bind())
    dropped = [t.name for t in tables if present.has_table(t.name)]
    for name in dropped:
        op.drop_table(name)
    return dropped


def drop_columns(table: Table, *names: str) -> list[str]:
    """In a revision's ``downgrade()``: drop the columns ``names`` its ``upgrade()`` added to
    ``table``, those present (``op.batch_alter_table``: on SQLite the table is copied without
    them, every row, index and constraint of the others kept); returns ``table.column`` each.
    """
    have = {c["name"] for c in inspect(op.get_bind()).get_columns(table.name)}
    gone = [name for name in names if name in have]
    if gone:
        with op.batch_alter_table(table.name) as batch:
            for name in gone:
                batch.drop_column(name)
    return [f"{table.name}.{name}" for name in gone]


# --- backups (SQLite) ---

def sqlite_file(url: str | None) -> Path:
    """The SQLite file of ``url``; :class:`InputError` for another database, with what to use
    instead."""
    resolved = resolve_url(url)
    if not resolved.startswith("sqlite:///") or resolved == "sqlite:///:memory:":
        raise InputError("`db` is not an SQLite file: back up PostgreSQL with pg_dump and restore "
                         "with pg_restore (docs/upgrades.md)", parameter="db")
    return Path(resolved.removeprefix("sqlite:///"))


def default_backup(path: Path, *, label: str = "backup") -> Path:
    """A new file name beside ``path``: ``yizhan.backup-20250101-093000.sqlite``."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{label}-{stamp}{path.suffix or '.sqlite'}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.{label}-{stamp}-{n}{path.suffix or '.sqlite'}")
    return target


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into ``target`` (a consistent copy while others
    write; pages copied in one step)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup(url: str | None, target: Path | None = None) -> Path:
    """Copy the SQLite registry at ``url`` to ``target`` (default :func:`default_backup`) with
    SQLite's online backup, safe while the app runs; returns the file written.

    Raises
    ------
    InputError
        For PostgreSQL (use ``pg_dump``), a missing file, or a ``target`` that exists.
    """
    path = sqlite_file(url)
    if not path.is_file():
        raise InputError(f"`db` {str(path)!r} does not exist: there is nothing to back up",
                         parameter="db")
    target = target or default_backup(path)
    if target.exists():
        raise InputError(f"`backup` {str(target)!r} exists: give a new file name (a backup "
                         "never overwrites)", parameter="backup")
    _copy(path, target)
    return target


def check_backup(path: Path) -> None:
    """A readable, undamaged SQLite file with a ``stations`` table, else :class:`InputError`."""
    if not path.is_file():
        raise InputError(f"`backup` {str(path)!r} does not exist", parameter="backup")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = [r[0] for r in conn.execute("PRAGMA quick_check(1)")]
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"`backup` {str(path)!r} is not an SQLite database ({exc})",
                         parameter="backup") from exc
    if found != ["ok"]:
        raise DatabaseDamaged(str(path), found[0] if found else "")
    if "stations" not in tables:
        raise InputError(f"`backup` {str(path)!r} has no stations table: not a yizhan "
                         "registry backup", parameter="backup")


def restore(source: Path, url: str | None) -> Path | None:
    """Put the backup ``source`` in place of the SQLite registry at ``url`` (SQLite's online
    backup, so open connections see the whole of it at once); the database it replaces is
    kept first as a backup of its own, whose path is returned (None when there was none).

    Raises
    ------
    InputError
        For PostgreSQL (use ``pg_restore``), or a ``source`` that is not a registry backup.
    """
    path = sqlite_file(url)
    check_backup(source)
    kept = backup(url, default_backup(path, label="replaced")) if path.is_file() else None
    _copy(source, path)
    return kept
