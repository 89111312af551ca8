"""Quality flags keep their code's values, so that they render in either language.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("response_flags") as batch:
        batch.add_column(sa.Column("message_values", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("response_flags") as batch:
        batch.drop_column("message_values")
