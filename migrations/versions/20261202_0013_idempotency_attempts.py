"""idempotency key attempts and the record each wrote

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 13:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keys claimed before this have no attempt: once abandoned, any retry may take them over.
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("record_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("record_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("record_id")
        batch_op.drop_column("record_type")
        batch_op.drop_column("attempt")
