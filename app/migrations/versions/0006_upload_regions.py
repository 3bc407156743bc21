"""Uploads per region: ``input_uploads`` gains ``region``, the region of a deployment an upload
of worker counts or districts is for (NULL: a server of one region, as every upload made
before).

Revision ID: 0006_upload_regions
Revises: 0005_organisations
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

from app.migrate import drop_columns, ensure_table

revision = "0006_upload_regions"
down_revision = "0005_organisations"
branch_labels = None
depends_on = None

_meta = MetaData()
#: The columns this revision adds (``ensure_table`` adds those missing to the table there).
input_uploads = Table(
    "input_uploads", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region", String(64)),
)


def upgrade() -> None:
    ensure_table(input_uploads)


def downgrade() -> None:
    """Drop ``region``: every upload stays (an older release uses them as one server's)."""
    drop_columns(input_uploads, "region")
