"""agreement parties changed since

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    # The stored value itself, copied as is, so the copy compares equal on either engine.
    op.execute(
        "UPDATE agreement_parties SET updated_at = ("
        "SELECT agreements.updated_at FROM agreements "
        "WHERE agreements.id = agreement_parties.agreement_id)"
    )
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=app.core.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            "ix_agreement_parties_country_updated_at_created_at_agreement_id",
            ["country", "updated_at", "created_at", "agreement_id"],
            unique=False,
        )
        # The index of the list's order again, holding updated_at too.
        batch_op.drop_index("ix_agreement_parties_country_created_at_agreement_id")
        batch_op.create_index(
            "ix_agreement_parties_country_created_at_agreement_id_updated_at",
            ["country", "created_at", "agreement_id", "updated_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_agreement_parties_country_created_at_agreement_id_updated_at")
        batch_op.create_index(
            "ix_agreement_parties_country_created_at_agreement_id",
            ["country", "created_at", "agreement_id"],
            unique=False,
        )
        batch_op.drop_index("ix_agreement_parties_country_updated_at_created_at_agreement_id")
        batch_op.drop_column("updated_at")
