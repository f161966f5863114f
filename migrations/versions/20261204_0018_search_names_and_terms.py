"""search names index and terms

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:30:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# On SQLite only; PostgreSQL has the names' own tsvector (0017) and finds the words a prefix
# starts in its GIN index's ordered entries.
#
# The entries' names alone, in an FTS5 table of their own: asked in `search_fts` for two words
# frequent in texts and seldom together in names, FTS5 read every entry holding both to find
# none whose names did (13-19 ms at 100,000 entries).
NAMES_FTS = """
CREATE VIRTUAL TABLE search_fts_names USING fts5(
    name_terms,
    content='search_entries', content_rowid='id',
    tokenize="unicode61 remove_diacritics 0 categories 'L* N* M* Co'"
)
"""
# Every token the index holds, so that a search can ask for the words a prefix starts: FTS5
# merges the entries of all of them into one list before it yields the first match (6-16 ms for
# a frequent word at 100,000 entries), where for the words named it walks from the newest and
# stops. Tokens are letters, digits and marks only (app/search/text.py), so each is a JSON
# string as it stands. A token of deleted entries stays: it names a word no entry holds.
TERMS = "CREATE TABLE search_fts_terms (term TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID"


def _tokens_of(row: str) -> str:
    """The tokens of `row`'s names and texts as a table, one a row (`value`), empty ones too."""
    return (
        f"json_each('[\"' || replace(trim({row}.name_terms || ' ' || {row}.text_terms), ' ', "
        "'\",\"') || '\"]')"
    )


# Only this module's own names are written into the SQL.
_NEW_TOKENS = f"SELECT value FROM {_tokens_of('new')} WHERE value != ''"  # noqa: S608
TRIGGERS = {
    "search_entries_names_ai": """
    CREATE TRIGGER search_entries_names_ai AFTER INSERT ON search_entries BEGIN
        INSERT INTO search_fts_names(rowid, name_terms) VALUES (new.id, new.name_terms);
        INSERT OR IGNORE INTO search_fts_terms(term) {new_tokens};
    END
    """,
    "search_entries_names_ad": """
    CREATE TRIGGER search_entries_names_ad AFTER DELETE ON search_entries BEGIN
        INSERT INTO search_fts_names(search_fts_names, rowid, name_terms)
        VALUES ('delete', old.id, old.name_terms);
    END
    """,
    "search_entries_names_au": """
    CREATE TRIGGER search_entries_names_au AFTER UPDATE ON search_entries BEGIN
        INSERT INTO search_fts_names(search_fts_names, rowid, name_terms)
        VALUES ('delete', old.id, old.name_terms);
        INSERT INTO search_fts_names(rowid, name_terms) VALUES (new.id, new.name_terms);
        INSERT OR IGNORE INTO search_fts_terms(term) {new_tokens};
    END
    """,
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(NAMES_FTS)
    op.execute(TERMS)
    for trigger in TRIGGERS.values():
        op.execute(trigger.format(new_tokens=_NEW_TOKENS))
    op.execute("INSERT INTO search_fts_names(search_fts_names) VALUES ('rebuild')")
    op.execute(
        "INSERT OR IGNORE INTO search_fts_terms(term) SELECT value "  # noqa: S608
        f"FROM search_entries, {_tokens_of('search_entries')} WHERE value != ''"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE search_fts_terms")
    op.execute("DROP TABLE search_fts_names")
