"""Sign-in throttling by account and by client address, and sessions that the server can end.

The failure count moves from the users table to ``login_throttle`` (one row per account name as
typed and per client address, so an unknown name is throttled exactly as a known one);
``users.session_epoch`` is carried by every session cookie and raised to end all of a user's
sessions (logout, password change, deactivation).

Revision ID: 0010
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"))
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.drop_column("session_epoch")
    op.drop_table("login_throttle")
