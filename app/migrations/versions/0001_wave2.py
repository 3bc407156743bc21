"""The schema of the wave-2 release: stations, their history and staged imports; planner
accounts, sessions and the sign-in throttle; workers' reports.

The baseline. On a database made before revisions existed, it adds what that database lacks
(tables, and columns added by releases since: ``version``, ``actor``, the reports' counts and
states), as those releases did when they opened one; on an empty database it creates them all.

Revision ID: 0001_wave2
Revises:
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from app.migrate import ensure_table

revision = "0001_wave2"
down_revision = None
branch_labels = None
depends_on = None

# the tables as the wave-2 release defined them (a copy: the models go on changing)
_meta = MetaData()
_STATION_COLUMNS = [
    ("id", String(64), {"primary_key": True}),
    ("name", Text, {"nullable": False}),
    ("kind", String(32), {"nullable": False, "index": True}),
    ("lon", Float, {"nullable": False}),
    ("lat", Float, {"nullable": False}),
    ("address", Text, {"nullable": False}),
    ("services", JSON, {"nullable": False}),
    ("hours", Text, {"nullable": False}),
    ("timezone", String(64), {"nullable": False}),
    ("capacity", Integer, {}),
    ("access", String(16), {"nullable": False}),
    ("phone", Text, {"nullable": False}),
    ("operator", Text, {"nullable": False}),
    ("notes", Text, {"nullable": False}),
    ("created_at", DateTime(timezone=True), {"nullable": False}),
    ("updated_at", DateTime(timezone=True), {"nullable": False}),
    ("deleted_at", DateTime(timezone=True), {}),
    ("version", Integer, {"nullable": False, "server_default": "1"}),
]
stations = Table("stations", _meta, *(Column(n, t, **kw) for n, t, kw in _STATION_COLUMNS))
_HISTORY_COLUMNS = [
    ("station_id", String(64), {"nullable": False}),
    ("at", DateTime(timezone=True), {"nullable": False}),
    ("action", String(16), {"nullable": False}),
    ("source", Text, {"nullable": False}),
    ("actor", Text, {"nullable": False, "server_default": ""}),
    ("before", JSON, {}),
    ("after", JSON, {}),
]
history = Table(
    "station_history", _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    *(Column(n, t, index=n == "station_id", **kw) for n, t, kw in _HISTORY_COLUMNS))
staged_stations = Table(
    "staged_stations", _meta,
    Column("import_id", String(32), primary_key=True),
    *(Column(n, t, primary_key=kw.get("primary_key", False),
             nullable=kw.get("nullable", True) and not kw.get("primary_key", False))
      for n, t, kw in _STATION_COLUMNS))
staged_history = Table(
    "staged_history", _meta,
    Column("import_id", String(32), primary_key=True),
    Column("ord", Integer, primary_key=True),
    *(Column(n, t, nullable=kw.get("nullable", True)) for n, t, kw in _HISTORY_COLUMNS))
users = Table(
    "users", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
)
sessions = Table(
    "sessions", _meta,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
signin_failures = Table(
    "signin_failures", _meta,
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False, index=True),
)
reports = Table(
    "reports", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False, server_default="1"),
    Column("last_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("handled_at", DateTime(timezone=True)),
)


def upgrade() -> None:
    for table in _meta.sorted_tables:
        ensure_table(table)


def downgrade() -> None:
    raise NotImplementedError("restore the backup taken before the upgrade (yizhan db restore)")
