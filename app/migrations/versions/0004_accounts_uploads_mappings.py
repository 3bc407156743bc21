"""Accounts managed from the browser, the office's uploaded inputs, and remembered import
mappings: ``users`` gains ``must_change`` (an administrator's one-time password; 0 for every
account before), and the new tables ``account_log``, ``input_uploads`` (worker counts and
districts uploaded, with who and when) and ``import_mappings`` (the columns a header set was
mapped to). Each is added only when missing: the stores create their tables when they open a
database.

Revision ID: 0004_accounts_uploads_mappings
Revises: 0003_catalogue
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from app.migrate import drop_columns, drop_tables, ensure_table

revision = "0004_accounts_uploads_mappings"
down_revision = "0003_catalogue"
branch_labels = None
depends_on = None

_meta = MetaData()
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
    Column("must_change", Boolean, nullable=False, server_default="0"),
)
account_log = Table(
    "account_log", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", Text, nullable=False),
    Column("action", String(16), nullable=False),
    Column("target", String(64), nullable=False, index=True),
    Column("detail", Text, nullable=False, server_default="{}"),
)
input_uploads = Table(
    "input_uploads", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False, index=True),
    Column("filename", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("summary", Text, nullable=False),
    Column("uploaded_by", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("used_by", Text, nullable=False),
    Column("used_since", DateTime(timezone=True), nullable=False, index=True),
)
import_mappings = Table(
    "import_mappings", _meta,
    Column("headers", String(64), primary_key=True),
    Column("columns", JSON, nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


def upgrade() -> None:
    for table in (users, account_log, input_uploads, import_mappings):
        ensure_table(table)


def downgrade() -> None:
    """Drop the new tables (the account log, uploaded inputs, remembered mappings) and
    ``users.must_change``; every account stays, with its password."""
    drop_tables(account_log, input_uploads, import_mappings)
    drop_columns(users, "must_change")
