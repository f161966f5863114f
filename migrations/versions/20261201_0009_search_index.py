"""search index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:05:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_TYPES = (
    "agreement",
    "law",
    "field_visit",
    "activity",
    "recommendation",
    "parliamentarian",
)

# Tokens are made in Python (app/search/text.py) and separated by spaces; the tokenizer only
# splits them there, keeping the marks of Thai, Khmer and other scripts in their words.
SQLITE_FTS = """
CREATE VIRTUAL TABLE search_fts USING fts5(
    name_terms, text_terms,
    content='search_entries', content_rowid='id',
    tokenize="unicode61 remove_diacritics 0 categories 'L* N* M* Co'"
)
"""
SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
        INSERT INTO search_fts(rowid, name_terms, text_terms)
        VALUES (new.id, new.name_terms, new.text_terms);
    END
    """,
    """
    CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
        INSERT INTO search_fts(search_fts, rowid, name_terms, text_terms)
        VALUES ('delete', old.id, old.name_terms, old.text_terms);
    END
    """,
    """
    CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
        INSERT INTO search_fts(search_fts, rowid, name_terms, text_terms)
        VALUES ('delete', old.id, old.name_terms, old.text_terms);
        INSERT INTO search_fts(rowid, name_terms, text_terms)
        VALUES (new.id, new.name_terms, new.text_terms);
    END
    """,
)
# The expression app/search/service.py matches and ranks by, so the planner uses this index.
POSTGRES_INDEX = """
CREATE INDEX ix_search_entries_document ON search_entries USING gin (
    (setweight(to_tsvector('simple'::regconfig, name_terms), 'A')
     || to_tsvector('simple'::regconfig, text_terms))
)
"""


def upgrade() -> None:
    op.create_table(
        "search_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "record_type",
            sa.Enum(*SEARCH_TYPES, name="searchtype", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("part", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "audience",
            sa.Enum(
                "record", "owner", "secretariat", name="audience", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("names", sa.Text(), nullable=False),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("name_terms", sa.Text(), nullable=False),
        sa.Column("text_terms", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entries")),
    )
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_search_entries_record_id_record_type", ["record_id", "record_type"], unique=False
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_FTS)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        op.execute(POSTGRES_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_entries_ai", "search_entries_ad", "search_entries_au"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE search_fts")
    else:
        op.execute("DROP INDEX ix_search_entries_document")
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_search_entries_record_id_record_type")
    op.drop_table("search_entries")
