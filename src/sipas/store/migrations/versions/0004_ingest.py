"""Survey data in: import batches, quarantined rows with their reasons, quality flags.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _survey_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["survey_id"], ["surveys.id"], name=f"fk_{table}_survey_id_surveys", ondelete="CASCADE"
    )


def _batch_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["batch_id"],
        ["import_batches.id"],
        name=f"fk_{table}_batch_id_import_batches",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("format", sa.String(200), nullable=False),
        sa.Column("framework_id", sa.String(80), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("quarantined", sa.Integer, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("flagged", sa.Integer, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_batches"),
        _survey_fk("import_batches"),
    )
    op.create_table(
        "quarantined_rows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, nullable=False),
        sa.Column("batch_id", sa.Integer, nullable=False),
        sa.Column("respondent_key", sa.String(200), nullable=True),
        sa.Column("file_row", sa.Integer, nullable=True),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolved_batch_id", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_quarantined_rows"),
        sa.UniqueConstraint("survey_id", "row_hash", name="uq_quarantined_rows_survey_id_row_hash"),
        _survey_fk("quarantined_rows"),
        _batch_fk("quarantined_rows"),
    )
    op.create_index(
        "ix_quarantined_rows_survey_id_respondent_key",
        "quarantined_rows",
        ["survey_id", "respondent_key"],
    )
    op.create_table(
        "response_flags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, nullable=False),
        sa.Column("batch_id", sa.Integer, nullable=False),
        sa.Column("respondent_key", sa.String(80), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_response_flags"),
        sa.UniqueConstraint(
            "survey_id",
            "respondent_key",
            "code",
            name="uq_response_flags_survey_id_respondent_key_code",
        ),
        _survey_fk("response_flags"),
        _batch_fk("response_flags"),
    )


def downgrade() -> None:
    op.drop_table("response_flags")
    op.drop_index("ix_quarantined_rows_survey_id_respondent_key", table_name="quarantined_rows")
    op.drop_table("quarantined_rows")
    op.drop_table("import_batches")
