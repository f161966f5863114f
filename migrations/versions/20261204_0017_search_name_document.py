"""search name document column

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 04:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# On PostgreSQL only: SQLite's FTS5 table finds words in one column by its own query syntax.
# Searches rank the entries whose names hold every word first. Asked of `document`'s weights,
# PostgreSQL's planner could not tell how many entries that is (its statistics count words,
# not weights), and would walk the whole index for a word common in texts and rare in names;
# a column of the names alone has statistics of its own.
def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "ALTER TABLE search_entries ADD COLUMN name_document tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, name_terms)) STORED"
    )
    op.execute(
        "CREATE INDEX ix_search_entries_name_document ON search_entries USING gin (name_document)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX ix_search_entries_name_document")
    op.execute("ALTER TABLE search_entries DROP COLUMN name_document")
