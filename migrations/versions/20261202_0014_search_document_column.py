"""search document column

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 13:30:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# On PostgreSQL only: SQLite's FTS5 table keeps its own index and ranks from it. Ranking read
# the expression index's tsvector by parsing every matched entry's tokens again; stored, it is
# read as it is. PostgreSQL computes the column itself, so every writer of entries fills it.
DOCUMENT = (
    "setweight(to_tsvector('simple'::regconfig, name_terms), 'A') "
    "|| to_tsvector('simple'::regconfig, text_terms)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX ix_search_entries_document")
    op.execute(
        f"ALTER TABLE search_entries ADD COLUMN document tsvector "
        f"GENERATED ALWAYS AS ({DOCUMENT}) STORED"
    )
    op.execute("CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX ix_search_entries_document")
    op.execute("ALTER TABLE search_entries DROP COLUMN document")
    op.execute(
        f"CREATE INDEX ix_search_entries_document ON search_entries USING gin (({DOCUMENT}))"
    )
