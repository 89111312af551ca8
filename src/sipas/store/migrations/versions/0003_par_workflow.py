"""PAR workflow: campaign stage and framework, units, assignments, evidence, richer scores;
the audit log made append-only by triggers.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _campaign_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["campaign_id"],
        ["par_campaigns.id"],
        name=f"fk_{table}_campaign_id_par_campaigns",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("par_campaigns") as batch:
        batch.add_column(sa.Column("framework", sa.JSON, nullable=True))
        batch.add_column(sa.Column("deadline", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("stage", sa.String(16), nullable=False, server_default="self"))
        batch.add_column(sa.Column("previous_code", sa.String(80), nullable=True))
    with op.batch_alter_table("par_scores") as batch:
        batch.alter_column("points", existing_type=sa.Float, nullable=True)
        batch.add_column(sa.Column("value", sa.JSON, nullable=True))
        batch.add_column(
            sa.Column("applicable", sa.Boolean, nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("note", sa.Text, nullable=True))
        batch.add_column(sa.Column("reason", sa.Text, nullable=True))
        batch.add_column(sa.Column("actor", sa.String(120), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "par_units",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(120), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_par_units"),
        sa.UniqueConstraint("campaign_id", "unit_code", name="uq_par_units_campaign_id_unit_code"),
        _campaign_fk("par_units"),
    )
    op.create_table(
        "par_assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("user_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("node_code", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_par_assignments"),
        sa.UniqueConstraint(
            "campaign_id",
            "user_name",
            "role",
            "unit_code",
            "node_code",
            name="uq_par_assignments_scope",
        ),
        _campaign_fk("par_assignments"),
    )
    op.create_table(
        "par_evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("node_code", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(120), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_by", sa.String(120), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_par_evidence"),
        sa.UniqueConstraint(
            "campaign_id",
            "unit_code",
            "node_code",
            "sha256",
            name="uq_par_evidence_campaign_id_unit_code_node_code_sha256",
        ),
        _campaign_fk("par_evidence"),
    )
    _append_only_audit()


def _append_only_audit() -> None:
    """The database itself refuses to change or delete an audit row."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.drop_table("par_evidence")
    op.drop_table("par_assignments")
    op.drop_table("par_units")
    with op.batch_alter_table("par_scores") as batch:
        for column in ("updated_at", "actor", "reason", "note", "applicable", "value"):
            batch.drop_column(column)
        batch.alter_column("points", existing_type=sa.Float, nullable=False)
    with op.batch_alter_table("par_campaigns") as batch:
        for column in ("previous_code", "stage", "deadline", "framework"):
            batch.drop_column(column)
