"""One-time survey invitations: token hash, sample design values, draft, submission time.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_invitations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("respondent_key", sa.String(80), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False),
        sa.Column("commune", sa.String(40), nullable=False),
        sa.Column("village", sa.String(40), nullable=False),
        sa.Column("stratum", sa.String(40), nullable=False),
        sa.Column("psu", sa.String(40), nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draft", sa.JSON, nullable=True),
        sa.Column("draft_saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_survey_invitations"),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name="fk_survey_invitations_survey_id_surveys",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("token_hash", name="uq_survey_invitations_token_hash"),
        sa.UniqueConstraint(
            "survey_id", "respondent_key", name="uq_survey_invitations_survey_id_respondent_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("survey_invitations")
