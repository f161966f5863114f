"""One full-text search across the oversight records, on SQLite FTS5 or PostgreSQL alike.

Both engines read tokens this package makes (see `text`), so they find the same records; each
ranks by its own measure (BM25, ts_rank), with names and titles weighing ten times the rest. A
record is found once, by its best-ranked part that the caller may find: its own text, or a
testimony, which only those who may read it find.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.activities import service as activities
from app.agreements import service as agreements
from app.core.pagination import MAX_LIMIT, PageParams, decode_values, encode_cursor
from app.field_visits import service as field_visits
from app.identity.service import Principal
from app.laws import service as laws
from app.members import service as members
from app.recommendations import service as recommendations
from app.records.service import RecordKind
from app.search import index
from app.search.models import DOCUMENT_COLUMN, FTS_TABLE, Audience, SearchEntry, SearchType
from app.search.text import Term, query_terms, snippet

KINDS: dict[SearchType, RecordKind[Any]] = {
    SearchType.agreement: agreements.KIND,
    SearchType.law: laws.KIND,
    SearchType.field_visit: field_visits.KIND,
    SearchType.activity: activities.KIND,
    SearchType.recommendation: recommendations.KIND,
    SearchType.parliamentarian: members.KIND,
}

NAME_WEIGHT = 10.0


@dataclass(frozen=True, slots=True)
class Hit:
    type: SearchType
    id: uuid.UUID
    title: str
    snippet: str


@dataclass(frozen=True, slots=True)
class Hits:
    items: list[Hit]
    next_cursor: str | None


def _fts_query(terms: list[Term]) -> str:
    """FTS5's query: each term a quoted phrase (tokens never hold quotes), all of them."""
    return " ".join(f'"{" ".join(term.tokens)}"' + ("*" if term.prefix else "") for term in terms)


def _tsquery(terms: list[Term]) -> str:
    """to_tsquery's syntax: tokens are letters, digits and marks only, never its operators."""
    return " & ".join(
        "(" + " <-> ".join(term.tokens) + ")"
        if len(term.tokens) > 1
        else term.tokens[0] + (":*" if term.prefix else "")
        for term in terms
    )


# SQLite's index, FTS5's table: its rows are the entries' ids.
_FTS = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))


def _bm25() -> sa.ColumnElement[float]:
    # BM25 is lower for better matches, and only works where FTS5 reads its own table.
    return -sa.func.bm25(sa.literal_column(FTS_TABLE), NAME_WEIGHT, 1.0)


def _fts_match(terms: list[Term]) -> sa.ColumnElement[bool]:
    return sa.literal_column(FTS_TABLE).op("MATCH")(_fts_query(terms))


def _scored(
    session: Session, terms: list[Term], entry: type[SearchEntry]
) -> tuple[sa.Select[Any], sa.ColumnElement[float]]:
    """The entries (of the table or an alias of it) that match, and their score: the higher,
    the better; to narrow and select from."""
    if session.get_bind().dialect.name == "sqlite":
        matched: sa.Select[Any] = (
            sa.select(col(entry.id).label("entry_id"))
            .select_from(_FTS.join(entry, col(entry.id) == _FTS.c.rowid))
            .where(_fts_match(terms))
        )
        return matched, _bm25()
    # The tsvector PostgreSQL keeps of each entry (migration 0014), read as it is stored.
    name = sa.inspect(entry).selectable.name
    document: sa.ColumnElement[Any] = sa.literal_column(f"{name}.{DOCUMENT_COLUMN}")
    query = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), _tsquery(terms))
    # As a double, the score the cursor carries compares equal to itself.
    score: sa.ColumnElement[float] = sa.cast(sa.func.ts_rank(document, query), sa.Double())
    return sa.select(col(entry.id).label("entry_id")).where(document.op("@@")(query)), score


def _readable_part(
    principal: Principal, entry: type[SearchEntry], kinds: Iterable[RecordKind[Any]]
) -> sa.ColumnElement[bool]:
    """Entries of parts the caller may read, should it find their record."""
    if principal.is_secretariat:
        return sa.true()
    owned = [
        sa.and_(
            col(entry.record_type) == kind.name,
            sa.exists().where(
                col(kind.model.id) == col(entry.record_id),
                col(kind.model.organisation_id) == principal.organisation.id,
            ),
        )
        for kind in kinds
    ]
    return sa.or_(
        col(entry.audience) == Audience.record,
        sa.and_(col(entry.audience) == Audience.owner, sa.or_(*owned)),
    )


def _findable_record(
    principal: Principal,
    record_type: sa.ColumnElement[Any],
    record_id: sa.ColumnElement[Any],
    kinds: Iterable[RecordKind[Any]],
) -> sa.ColumnElement[bool]:
    """Records the caller may find: not deleted, and visible to it."""
    return sa.or_(
        *(
            sa.and_(
                record_type == kind.name,
                sa.exists().where(
                    col(kind.model.id) == record_id,
                    col(kind.model.deleted_at).is_(None),
                    kind.visible(principal),
                ),
            )
            for kind in kinds
        )
    )


# The best entries checked for the caller, per hit asked for. Checking every match costs a
# lookup of its record each, seconds for a frequent word; most of the best are found by most
# callers. Where too few of them are, `search` checks them all.
CANDIDATES_PER_HIT = 4


def _best_in_fts(terms: list[Term], after_score: float | None, candidates: int) -> sa.Subquery:
    """SQLite's matching entries (`entry_id`, `score`) among the first `candidates` by score
    alone, with every entry tied with the last of them, and how many they are (`considered`).

    Read from FTS5's table alone: reading each match's entry (its record, audience, type) cost
    more than its BM25, so only these are read. The entries ranked by score, record and id
    begin with them, so those of them the caller may read are a prefix of those it may read.
    """
    matched = sa.select(_FTS.c.rowid.label("entry_id"), _bm25().label("score")).where(
        _fts_match(terms)
    )
    if after_score is not None:
        matched = matched.where(_bm25() <= after_score)
    # Scored once: SQLite keeps the rows of a CTE read twice, here by the cut and by what it
    # keeps (MATERIALIZED would say so, but only from SQLite 3.35).
    scored = matched.cte("scored")
    cut = (
        sa.select(scored.c.score)
        .order_by(scored.c.score.desc())
        .offset(candidates - 1)
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.select(scored, sa.func.count().over().label("considered"))
        # No cut where fewer matched.
        .where(scored.c.score >= sa.func.coalesce(cut, scored.c.score))
        .subquery("best")
    )


def _page_statement(
    session: Session,
    principal: Principal,
    terms: list[Term],
    kinds: list[RecordKind[Any]],
    after: tuple[float, uuid.UUID] | None,
    wanted: int,
    candidates: int | None,
) -> sa.Select[Any]:
    """The `wanted` best hits after `after`, found among the entries of the parts the caller
    may read that rank among the first `candidates` matches by score (among all of them, when
    None), in the order of the hits.

    A hit is such an entry whose record the caller may find and that no other such entry of its
    record outranks (by score, then id): the record's best part. Any that outranks it and came
    on an earlier page is not among these entries, so it is looked for apart. Where `wanted`
    hits are found among the first matches, they are the first `wanted` hits of all: every other
    entry comes after them. `considered` counts the matches they were found among: `candidates`
    or more when some were left out.
    """
    entry = SearchEntry
    best = None
    # Only the entries say their record's type: the first matches of any type would hold few of
    # those asked for, and the search would rank them all again.
    all_types = len(kinds) == len(KINDS)
    if candidates is not None and all_types and session.get_bind().dialect.name == "sqlite":
        best = _best_in_fts(terms, after[0] if after else None, candidates)
        matched = sa.select(col(entry.id).label("entry_id"), best.c.considered).join(
            best, best.c.entry_id == col(entry.id)
        )
        score: sa.ColumnElement[float] = best.c.score
    else:
        # PostgreSQL reads each match's row for its tsvector: it ranks them as it reads them.
        matched, score = _scored(session, terms, entry)
    matched = matched.add_columns(
        col(entry.record_type).label("record_type"),
        col(entry.record_id).label("record_id"),
        score.label("score"),
    ).where(_readable_part(principal, entry, kinds))
    if not all_types:
        matched = matched.where(col(entry.record_type).in_([kind.name for kind in kinds]))
    if after is not None:
        after_score, after_id = after
        matched = matched.where(
            sa.or_(
                score < after_score, sa.and_(score == after_score, col(entry.record_id) > after_id)
            )
        )
    if candidates is not None:
        matched = matched.order_by(score.desc(), col(entry.record_id), col(entry.id)).limit(
            candidates
        )
    if best is None:
        ranked = matched.subquery("ranked")
        # How many matches the candidates were taken from, before any is refused: all there
        # are when fewer than were asked for.
        matched = sa.select(ranked, sa.func.count().over().label("considered"))
    counted = matched.subquery("candidates")

    sibling = aliased(SearchEntry, name="sibling")
    better, sibling_score = _scored(session, terms, sibling)
    outranked = better.where(
        col(sibling.record_type) == counted.c.record_type,
        col(sibling.record_id) == counted.c.record_id,
        col(sibling.id) != counted.c.entry_id,
        sa.or_(
            sibling_score > counted.c.score,
            sa.and_(sibling_score == counted.c.score, col(sibling.id) < counted.c.entry_id),
        ),
        _readable_part(principal, sibling, kinds),
    ).exists()
    return (
        sa.select(
            counted.c.record_type,
            counted.c.record_id,
            counted.c.score,
            counted.c.considered,
            col(SearchEntry.title),
            col(SearchEntry.names),
            col(SearchEntry.texts),
        )
        .select_from(counted.join(SearchEntry, col(SearchEntry.id) == counted.c.entry_id))
        .where(
            _findable_record(principal, counted.c.record_type, counted.c.record_id, kinds),
            ~outranked,
        )
        .order_by(counted.c.score.desc(), counted.c.record_id)
        .limit(wanted)
    )


def search(
    session: Session,
    *,
    principal: Principal,
    q: str,
    types: Sequence[SearchType],
    params: PageParams,
) -> Hits:
    """A page of the records the words of `q` find, best first."""
    terms = query_terms(q)
    if not terms:
        # Punctuation alone holds no word, so it finds nothing.
        return Hits(items=[], next_cursor=None)
    kinds = [KINDS[name] for name in types or SearchType]
    after = None
    if params.cursor is not None:
        after_score, after_id = decode_values(params.cursor, [float, uuid.UUID])
        after = (after_score, after_id)
    wanted = params.limit + 1
    candidates = wanted * CANDIDATES_PER_HIT
    rows = session.execute(
        _page_statement(session, principal, terms, kinds, after, wanted, candidates)
    ).all()
    if len(rows) < wanted and (not rows or rows[0].considered >= candidates):
        # The caller may find too few of the best matches (or none matched): the page is found
        # among all of them.
        rows = session.execute(
            _page_statement(session, principal, terms, kinds, after, wanted, None)
        ).all()
    page = rows[: params.limit]
    next_cursor = None
    if len(rows) > params.limit:
        next_cursor = encode_cursor([page[-1].score, page[-1].record_id])
    return Hits(
        items=[
            Hit(
                type=row.record_type,
                id=row.record_id,
                title=row.title,
                snippet=snippet([row.texts, row.names], terms),
            )
            for row in page
        ],
        next_cursor=next_cursor,
    )


def reindex(session: Session) -> int:
    """Make the index anew from the records as they are; how many records it now holds.

    For a database with records written before the index existed, or whose index is in doubt
    (restored from a backup of the records alone). One transaction: searches meanwhile see the
    old index until it commits.
    """
    session.execute(sa.delete(SearchEntry).execution_options(synchronize_session=False))
    indexed = 0
    for name, kind in KINDS.items():
        assert kind.search is not None  # noqa: S101 - every searched kind says how
        model = kind.model
        last: Any = None
        while True:
            statement = select(model).where(col(model.deleted_at).is_(None))
            if last is not None:
                statement = statement.where(col(model.id) > last)
            batch = session.exec(statement.order_by(col(model.id)).limit(MAX_LIMIT)).all()
            for row in batch:
                index.write(session, name, row.id, kind.search(row))
            indexed += len(batch)
            if len(batch) < MAX_LIMIT:
                break
            last = batch[-1].id
            session.expunge_all()
    session.commit()
    return indexed


def index_if_empty(session: Session) -> int:
    """Index the records of a database whose index is empty, as one upgraded from before the
    index existed is; how many records it indexed (none when the index held entries)."""
    if session.exec(select(SearchEntry.record_id).limit(1)).first() is not None:
        return 0
    return reindex(session)
