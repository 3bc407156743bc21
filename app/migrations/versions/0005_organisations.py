"""Organisations and their areas: the new tables ``organisations`` (a tree of union offices,
each with its area as GeoJSON text in EPSG:4326) and ``org_members`` (the organisation of an
account). Each is added only when missing: the store creates its tables when it opens a
database. Accounts made before belong to no organisation and serve the whole deployment, as
before.

Revision ID: 0005_organisations
Revises: 0004_accounts_uploads_mappings
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text

from app.migrate import drop_tables, ensure_table

revision = "0005_organisations"
down_revision = "0004_accounts_uploads_mappings"
branch_labels = None
depends_on = None

_meta = MetaData()
organisations = Table(
    "organisations", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("parent_id", Integer, ForeignKey("organisations.id"), index=True),
    Column("level", String(16), nullable=False),
    Column("area", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
org_members = Table(
    "org_members", _meta,
    Column("user_id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("organisations.id", ondelete="CASCADE"),
           nullable=False, index=True),
)


def upgrade() -> None:
    for table in (organisations, org_members):
        ensure_table(table)


def downgrade() -> None:
    """Drop ``org_members`` and ``organisations``: every account stays, and serves the whole
    deployment again, as accounts did before organisations."""
    drop_tables(org_members, organisations)
