"""Analyses as jobs, rate limits shared by every worker, every worker's words on a report, and
the throttle's next allowed time.

``analysis_jobs``, ``rate_limits`` and ``report_entries`` are new tables; ``signin_failures``
gains ``next_allowed_at`` (NULL for rows written before: worked out from ``failures`` and
``last_at``). Each is added only when missing: the stores create their tables when they open a
database, and a release between the wave-2 one and revisions added the column when it opened one.

Revision ID: 0002_jobs_limits_entries
Revises: 0001_wave2
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from app.migrate import drop_columns, drop_tables, ensure_table

revision = "0002_jobs_limits_entries"
down_revision = "0001_wave2"
branch_labels = None
depends_on = None

_meta = MetaData()
Table("reports", _meta, Column("id", Integer, primary_key=True))  # for the foreign key only
report_entries = Table(
    "report_entries", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", Integer, ForeignKey("reports.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("at", DateTime(timezone=True), nullable=False),
)
analysis_jobs = Table(
    "analysis_jobs", _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("owner", String(64), nullable=False, index=True),
    Column("analysis", String(16), nullable=False),
    Column("worker", String(32), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("cancel", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("failure", Text),
    Column("failure_status", Integer),
    Column("result", LargeBinary),
)
rate_limits = Table(
    "rate_limits", _meta,
    Column("key", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("hits", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)
signin_failures = Table(
    "signin_failures", _meta,
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False, index=True),
    Column("next_allowed_at", DateTime(timezone=True)),
)


def upgrade() -> None:
    for table in (report_entries, analysis_jobs, rate_limits, signin_failures):
        ensure_table(table)


def downgrade() -> None:
    """Drop the new tables (their jobs, rate-limit counts and report entries) and the
    throttle's ``next_allowed_at``; every sign-in failure row stays."""
    drop_tables(report_entries, analysis_jobs, rate_limits)
    drop_columns(signin_failures, "next_allowed_at")
