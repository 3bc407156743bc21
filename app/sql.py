"""Small SQL steps the application's own tables share (the sign-in throttle, the limit counts)."""

from __future__ import annotations

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

#: INSERT … ON CONFLICT DO NOTHING, where the dialect has it.
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def insert_new(conn: Connection, table: Table, values: dict) -> bool:
    """Insert a row unless one with its primary key is there already; whether this call did
    (not another writer first). Atomic on SQLite and PostgreSQL; elsewhere a savepoint."""
    dialect = conn.dialect.name
    if dialect in _INSERTS:
        key = next(iter(table.primary_key.columns))
        return conn.execute(_INSERTS[dialect](table).values(**values).on_conflict_do_nothing()
                            .returning(key)).first() is not None
    try:
        with conn.begin_nested():
            conn.execute(insert(table).values(**values))
    except IntegrityError:
        return False
    return True
