"""The deployment's own station kinds and service words added in the planner view
(:mod:`geo.catalogue`): the new table ``catalogue_entries``, made only when missing (the store
creates it when it opens a database).

Revision ID: 0003_catalogue
Revises: 0002_jobs_limits_entries
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table

from app.migrate import drop_tables, ensure_table

revision = "0003_catalogue"
down_revision = "0002_jobs_limits_entries"
branch_labels = None
depends_on = None

_meta = MetaData()
catalogue_entries = Table(
    "catalogue_entries", _meta,
    Column("section", String(16), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("spec", JSON, nullable=False),
    Column("rev", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
)


def upgrade() -> None:
    ensure_table(catalogue_entries)


def downgrade() -> None:
    """Drop ``catalogue_entries`` (the kinds and service words added in the planner view)."""
    drop_tables(catalogue_entries)
