"""agreement parties by agreement

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 02:50:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agreement_parties_agreement_id_position",
            ["agreement_id", "position"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_agreement_parties_agreement_id_position")
