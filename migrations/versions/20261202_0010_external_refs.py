"""external refs for bulk imports

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("agreements", "laws", "parliamentarians")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "external_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
                )
            )
            batch_op.create_index(f"ix_{table}_external_ref", ["external_ref"], unique=True)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_external_ref")
            batch_op.drop_column("external_ref")
