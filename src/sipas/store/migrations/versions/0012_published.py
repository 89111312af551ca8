"""Published results imported from the ministry's tables.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("index_id", sa.String(80), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("node", sa.String(200), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("rank", sa.Integer, nullable=True),
        sa.Column("group_name", sa.String(20), nullable=True),
        sa.Column("change", sa.Float, nullable=True),
        sa.Column("rank_change", sa.Integer, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("report", sa.String(40), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("imported_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_published_results"),
        sa.UniqueConstraint(
            "index_id",
            "year",
            "unit",
            "node",
            "report",
            "origin",
            name="uq_published_results_index_id_year_unit_node_report_origin",
        ),
    )
    op.create_index("ix_published_results_index_id_year", "published_results", ["index_id", "year"])


def downgrade() -> None:
    op.drop_index("ix_published_results_index_id_year", table_name="published_results")
    op.drop_table("published_results")
