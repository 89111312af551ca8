"""Initial tables: surveys and responses, PAR campaigns and scores, audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("framework_id", sa.String(80), nullable=False),
        sa.Column("framework_version", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("geography", sa.String(8), nullable=False),
        sa.Column("reference_date", sa.Date, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_surveys"),
        sa.UniqueConstraint("code", name="uq_surveys_code"),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, nullable=False),
        sa.Column("respondent_key", sa.String(80), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False),
        sa.Column("province_key", sa.String(20), nullable=False),
        sa.Column("commune", sa.String(40), nullable=False),
        sa.Column("village", sa.String(40), nullable=False),
        sa.Column("stratum", sa.String(40), nullable=False),
        sa.Column("psu", sa.String(40), nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("interview_date", sa.Date, nullable=True),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_responses"),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name="fk_responses_survey_id_surveys",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "survey_id", "respondent_key", name="uq_responses_survey_id_respondent_key"
        ),
    )
    op.create_index(
        "ix_responses_survey_id_province_code", "responses", ["survey_id", "province_code"]
    )
    op.create_table(
        "par_campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("framework_id", sa.String(80), nullable=False),
        sa.Column("framework_version", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("geography", sa.String(8), nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_par_campaigns"),
        sa.UniqueConstraint("code", name="uq_par_campaigns_code"),
    )
    op.create_table(
        "par_scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("node_code", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_par_scores"),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["par_campaigns.id"],
            name="fk_par_scores_campaign_id_par_campaigns",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "campaign_id",
            "unit_code",
            "node_code",
            "stage",
            name="uq_par_scores_campaign_id_unit_code_node_code_stage",
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("entity", sa.String(80), nullable=False),
        sa.Column("entity_id", sa.String(120), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )


def downgrade() -> None:
    for table in ("audit_log", "par_scores", "par_campaigns", "responses", "surveys"):
        op.drop_table(table)
