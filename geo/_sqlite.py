"""SQLite connection hooks of the registry's engine: pragmas, and a damaged file named."""

from __future__ import annotations

import contextlib
import os

from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.engine.interfaces import DBAPIConnection

from geo import settings
from geo.errors import DatabaseDamaged


def _sqlite_damaged(context: ExceptionContext) -> None:
    """A statement on an SQLite file that is damaged or no database (result codes
    SQLITE_CORRUPT 11, SQLITE_NOTADB 26) raises :class:`DatabaseDamaged`: the file, what to do."""
    code = getattr(context.original_exception, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (11, 26) and context.engine is not None:
        raise DatabaseDamaged(_sqlite_path(context.engine), context.original_exception)


def _sqlite_path(engine: Engine) -> str:
    """The SQLite file of ``engine``, absolute (as the message names it)."""
    database = engine.url.database
    return os.path.abspath(database) if database else str(engine.url)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(settings.db_busy_timeout_s * 1000)}")
    # a read-only file keeps its mode; writes then fail as unavailable (503)
    with contextlib.suppress(Exception):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
