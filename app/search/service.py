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
from app.search.models import FTS_TABLE, Audience, SearchEntry, SearchType
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


def _document() -> sa.ColumnElement[Any]:
    """The tsvector migration 0009 indexes, written as it is there."""
    simple: sa.ColumnElement[Any] = sa.literal_column("'simple'::regconfig")
    return sa.func.setweight(
        sa.func.to_tsvector(simple, col(SearchEntry.name_terms)), sa.literal_column("'A'")
    ).op("||")(sa.func.to_tsvector(simple, col(SearchEntry.text_terms)))


def _matches(session: Session, terms: list[Term]) -> sa.Subquery:
    """The ids of the entries that match, with their score: the higher, the better."""
    if session.get_bind().dialect.name == "sqlite":
        fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
        table: sa.ColumnElement[Any] = sa.literal_column(FTS_TABLE)
        # BM25 is lower for better matches, and only works where FTS5 reads its own table.
        statement = sa.select(
            fts.c.rowid.label("entry_id"),
            (-sa.func.bm25(table, NAME_WEIGHT, 1.0)).label("score"),
        ).where(table.op("MATCH")(_fts_query(terms)))
    else:
        query = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), _tsquery(terms))
        document = _document()
        statement = sa.select(
            col(SearchEntry.id).label("entry_id"),
            # As a double, the score the cursor carries compares equal to itself.
            sa.cast(sa.func.ts_rank(document, query), sa.Double()).label("score"),
        ).where(document.op("@@")(query))
    return statement.subquery("matched")


def _findable(principal: Principal, kinds: Iterable[RecordKind[Any]]) -> sa.ColumnElement[bool]:
    """Entries of records the caller may find (not deleted), and of parts it may read."""
    conditions = []
    for kind in kinds:
        model = kind.model
        if principal.is_secretariat:
            audience: sa.ColumnElement[bool] = sa.true()
        else:
            audience = sa.or_(
                col(SearchEntry.audience) == Audience.record,
                sa.and_(
                    col(SearchEntry.audience) == Audience.owner,
                    col(model.organisation_id) == principal.organisation.id,
                ),
            )
        found = sa.exists().where(
            col(model.id) == col(SearchEntry.record_id),
            col(model.deleted_at).is_(None),
            kind.visible(principal),
            audience,
        )
        conditions.append(sa.and_(col(SearchEntry.record_type) == kind.name, found))
    return sa.or_(*conditions)


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
    matched = _matches(session, terms)
    score = matched.c.score
    hits = (
        sa.select(
            col(SearchEntry.record_type),
            col(SearchEntry.record_id),
            col(SearchEntry.title),
            col(SearchEntry.names),
            col(SearchEntry.texts),
            score,
            sa.func.row_number()
            .over(
                partition_by=(col(SearchEntry.record_type), col(SearchEntry.record_id)),
                order_by=(score.desc(), col(SearchEntry.id)),
            )
            .label("rank_in_record"),
        )
        .select_from(matched.join(SearchEntry, col(SearchEntry.id) == matched.c.entry_id))
        .where(_findable(principal, [KINDS[name] for name in types or SearchType]))
        .subquery("hits")
    )
    statement = sa.select(hits).where(hits.c.rank_in_record == 1)
    if params.cursor is not None:
        after_score, after_id = decode_values(params.cursor, [float, uuid.UUID])
        statement = statement.where(
            sa.or_(
                hits.c.score < after_score,
                sa.and_(hits.c.score == after_score, hits.c.record_id > after_id),
            )
        )
    statement = statement.order_by(hits.c.score.desc(), hits.c.record_id).limit(params.limit + 1)
    rows = session.execute(statement).all()
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
