"""agreement parties in list order

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 13:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    # The stored value itself, copied as is, so the copy compares equal on either engine.
    op.execute(
        "UPDATE agreement_parties SET created_at = ("
        "SELECT agreements.created_at FROM agreements "
        "WHERE agreements.id = agreement_parties.agreement_id)"
    )
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.alter_column(
            "created_at", existing_type=app.core.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.drop_index("ix_agreement_parties_country_role_agreement_id")
        batch_op.create_index(
            "ix_agreement_parties_country_created_at_agreement_id",
            ["country", "created_at", "agreement_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_agreement_parties_country_role_created_at_agreement_id",
            ["country", "role", "created_at", "agreement_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_agreement_parties_country_role_created_at_agreement_id")
        batch_op.drop_index("ix_agreement_parties_country_created_at_agreement_id")
        batch_op.create_index(
            "ix_agreement_parties_country_role_agreement_id",
            ["country", "role", "agreement_id"],
            unique=False,
        )
        batch_op.drop_column("created_at")
