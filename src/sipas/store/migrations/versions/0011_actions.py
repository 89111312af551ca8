"""Remediation plans: actions a province records against a weakness, kept across years.

Revision ID: 0011
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("province_code", sa.String(4), nullable=False),
        sa.Column("province_key", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("index_kind", sa.String(16), nullable=False),
        sa.Column("framework_id", sa.String(80), nullable=False),
        sa.Column("source", sa.String(120), nullable=True),
        sa.Column("indicator", sa.String(80), nullable=False),
        sa.Column("target", sa.Text, nullable=True),
        sa.Column("task", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text, nullable=True),
        sa.Column("evidence_url", sa.String(500), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_actions"),
    )
    op.create_index("ix_actions_province_code_year", "actions", ["province_code", "year"])


def downgrade() -> None:
    op.drop_index("ix_actions_province_code_year", table_name="actions")
    op.drop_table("actions")
