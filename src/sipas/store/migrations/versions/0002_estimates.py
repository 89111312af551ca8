"""Estimation runs and their estimates.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "estimation_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(120), nullable=False),
        sa.Column("survey_id", sa.Integer, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("framework_id", sa.String(80), nullable=False),
        sa.Column("framework_version", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("method", sa.String(80), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("derived", sa.Boolean, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_estimation_runs"),
        sa.UniqueConstraint("code", name="uq_estimation_runs_code"),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name="fk_estimation_runs_survey_id_surveys",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "estimates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("partition", sa.String(120), nullable=False),
        sa.Column("cell", sa.String(200), nullable=False),
        sa.Column("indicator", sa.String(80), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("estimate", sa.Float, nullable=True),
        sa.Column("se", sa.Float, nullable=True),
        sa.Column("ci_low", sa.Float, nullable=True),
        sa.Column("ci_high", sa.Float, nullable=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("deff", sa.Float, nullable=True),
        sa.Column("cv", sa.Float, nullable=True),
        sa.Column("n_eff", sa.Float, nullable=True),
        sa.Column("unstable", sa.Boolean, nullable=False),
        sa.Column("se_method", sa.String(80), nullable=False),
        sa.Column("rank", sa.Integer, nullable=True),
        sa.Column("rank_low", sa.Integer, nullable=True),
        sa.Column("rank_high", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_estimates"),
        sa.UniqueConstraint(
            "run_id",
            "partition",
            "cell",
            "indicator",
            name="uq_estimates_run_id_partition_cell_indicator",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["estimation_runs.id"],
            name="fk_estimates_run_id_estimation_runs",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("estimates")
    op.drop_table("estimation_runs")
