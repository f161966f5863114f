"""One full-text search across the oversight records, on SQLite FTS5 or PostgreSQL alike.

Both engines read tokens this package makes (see `text`), so they find the same records, and
rank them alike: first the records with a part whose names (a title, a name) hold every word,
then the others, each the most recently written first. A record is found once, by its
first-ranked part that the caller may find: its own text, or a testimony, which only those who
may read it find.

The order is one an index walks: the entries in the order they were written, newest first,
sifted by the engine's word index, so that a page is found by reading about as many entries as
it shows, however many match. A score of each match (BM25, ts_rank) had to be computed for
every match before the first page could be known: seconds for a frequent word at 100,000
records.
"""

import heapq
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import Session, col, select

from app.activities import service as activities
from app.agreements import service as agreements
from app.core.errors import InvalidInputError
from app.core.pagination import MAX_LIMIT, PageParams, decode_values, encode_cursor
from app.field_visits import service as field_visits
from app.identity.service import Principal
from app.laws import service as laws
from app.members import service as members
from app.recommendations import service as recommendations
from app.records.service import RecordKind
from app.search import index
from app.search.models import (
    DOCUMENT_COLUMN,
    FTS_TABLE,
    NAME_DOCUMENT_COLUMN,
    NAMES_FTS_TABLE,
    TERMS_TABLE,
    Audience,
    SearchEntry,
    SearchType,
)
from app.search.text import Term, query_terms, snippet

KINDS: dict[SearchType, RecordKind[Any]] = {
    SearchType.agreement: agreements.KIND,
    SearchType.law: laws.KIND,
    SearchType.field_visit: field_visits.KIND,
    SearchType.activity: activities.KIND,
    SearchType.recommendation: recommendations.KIND,
    SearchType.parliamentarian: members.KIND,
}


class Tier(IntEnum):
    """Where a part holds every word; the hits of one tier come before those of the next."""

    names = 1
    texts = 2


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


# A prefix that starts more of the index's words than this is asked of FTS5 as a prefix.
MOST_WORDS_OF_A_PREFIX = 32
# Above every character a word of the index holds, so that a word starts with a prefix when it
# falls between the prefix and the prefix followed by it.
_ABOVE_EVERY_WORD_CHARACTER = "\U0010ffff"
# SQLite's record of the words its index holds (migration 0018).
_TERMS = sa.table(TERMS_TABLE, sa.column("term", sa.Text))
_WORDS_STARTING = (
    sa.select(_TERMS.c.term)
    .where(_TERMS.c.term >= sa.bindparam("prefix"), _TERMS.c.term < sa.bindparam("above"))
    .order_by(_TERMS.c.term)
    .limit(MOST_WORDS_OF_A_PREFIX + 1)
)


def _fts_terms(connection: sa.Connection, terms: list[Term]) -> list[str] | None:
    """Each term as FTS5 is asked for it: a quoted phrase (tokens never hold quotes), a prefix
    as the words of the index it starts, or None if a prefix starts none, so nothing matches.

    FTS5 merges the entries of every word a prefix starts into one list before it yields the
    first, all of them however few are asked for (6-16 ms for a frequent word at 100,000
    entries); the words named, it walks from the newest entry and stops (0.1-0.7 ms).
    """
    asked: list[str] = []
    for term in terms:
        phrase = '"' + " ".join(term.tokens) + '"'
        if not term.prefix:
            asked.append(phrase)
            continue
        [prefix] = term.tokens
        bounds = {"prefix": prefix, "above": prefix + _ABOVE_EVERY_WORD_CHARACTER}
        words = list(connection.execute(_WORDS_STARTING, bounds).scalars())
        if not words:
            return None
        if len(words) > MOST_WORDS_OF_A_PREFIX:
            asked.append(phrase + "*")
        else:
            asked.append("(" + " OR ".join(f'"{word}"' for word in words) + ")")
    return asked


def _fts_query(asked: list[str], tier: Tier | None) -> str:
    """FTS5's query for terms asked as in `_fts_terms`, all of them: in the names (of the
    names' own table), in the texts but not all in the names, or anywhere (`tier` None)."""
    every = " AND ".join(asked)
    if tier is None or tier is Tier.names:
        return every
    return f"({every}) NOT name_terms : ({every})"


def _tsquery(terms: list[Term]) -> str:
    """to_tsquery's syntax: tokens are letters, digits and marks only, never its operators."""
    return " & ".join(
        "(" + " <-> ".join(term.tokens) + ")"
        if len(term.tokens) > 1
        else term.tokens[0] + (":*" if term.prefix else "")
        for term in terms
    )


# SQLite's indexes, FTS5's tables: their rows are the entries' ids. The names tier is found in
# the names' own (migration 0018), the others in the table of names and texts.
_FTS = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
_NAMES_FTS = sa.table(NAMES_FTS_TABLE, sa.column("rowid", sa.Integer))


def _fts_of(tier: Tier | None) -> sa.TableClause:
    return _NAMES_FTS if tier is Tier.names else _FTS


# The words a statement is run with, by name: statements are built once for many searches.
_FTS_QUERY = {Tier.names: "fts_in_names", Tier.texts: "fts_in_texts", None: "fts_anywhere"}
_WORDS = "words"


def _words(connection: sa.Connection, on_sqlite: bool, terms: list[Term]) -> dict[str, str] | None:
    """The values of the words' parameters on the engine, or None if nothing can match."""
    if not on_sqlite:
        return {_WORDS: _tsquery(terms)}
    asked = _fts_terms(connection, terms)
    if asked is None:
        return None
    return {name: _fts_query(asked, tier) for tier, name in _FTS_QUERY.items()}


def _fts_match(tier: Tier | None) -> sa.ColumnElement[bool]:
    return sa.literal_column(_fts_of(tier).name).op("MATCH")(
        sa.bindparam(_FTS_QUERY[tier], type_=sa.Text)
    )


def _matches(
    on_sqlite: bool, entry: type[SearchEntry], tier: Tier | None, *, planned: bool = False
) -> sa.ColumnElement[bool]:
    """Whether an entry (of the table or an alias of it) holds the words as `tier` says;
    `planned` where the words should choose how PostgreSQL finds the entries."""
    if on_sqlite:
        # An FTS5 table, looked up by the entry's id; named as the one a page reads from, so
        # only `rowid` says which is meant.
        fts = _fts_of(tier)
        return (
            sa.exists().where(fts.c.rowid == col(entry.id), _fts_match(tier)).correlate_except(fts)
        )
    # The tsvectors PostgreSQL keeps of each entry (migrations 0014 and 0017).
    name = sa.inspect(entry).selectable.name
    # Where they choose the plan, written into the statement, not sent apart: psycopg prepares
    # a statement run five times, and PostgreSQL then plans it once for any words, walking the
    # whole index for rare ones. Elsewhere sent apart, so that the statement is prepared.
    words = sa.bindparam(_WORDS, type_=sa.Text, literal_execute=planned)
    query = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), words)
    in_names = sa.literal_column(f"{name}.{NAME_DOCUMENT_COLUMN}").op("@@")(query)
    if tier is Tier.names:
        return in_names
    anywhere = sa.literal_column(f"{name}.{DOCUMENT_COLUMN}").op("@@")(query)
    return anywhere if tier is None else sa.and_(anywhere, ~in_names)


def _exists(statement: sa.Select[Any]) -> sa.ColumnElement[bool]:
    """Whether `statement` finds a row, asked one row at a time.

    EXISTS under an OR is planned by PostgreSQL for as many rows as could match, not for the
    page: it hashed every visible record of a kind (40 ms at 100,000) to check 51 of them. A
    scalar subquery is always asked per row.
    """
    return statement.limit(1).scalar_subquery().is_not(None)


def _readable_part(
    principal: Principal, entry: type[SearchEntry], kinds: Iterable[RecordKind[Any]]
) -> sa.ColumnElement[bool]:
    """Entries of parts the caller may read, should it find their record."""
    if principal.is_secretariat:
        return sa.true()
    owned = [
        sa.and_(
            col(entry.record_type) == kind.name,
            _exists(
                sa.select(sa.literal(1)).where(
                    col(kind.model.id) == col(entry.record_id),
                    col(kind.model.organisation_id) == principal.organisation.id,
                )
            ),
        )
        for kind in kinds
    ]
    return sa.or_(
        col(entry.audience) == Audience.record,
        sa.and_(col(entry.audience) == Audience.owner, sa.or_(*owned)),
    )


def _findable_record(
    principal: Principal, entry: type[SearchEntry], kinds: Iterable[RecordKind[Any]]
) -> sa.ColumnElement[bool]:
    """Entries of records the caller may find: not deleted, and visible to it."""
    return sa.or_(
        *(
            sa.and_(
                col(entry.record_type) == kind.name,
                _exists(
                    sa.select(sa.literal(1)).where(
                        col(kind.model.id) == col(entry.record_id),
                        col(kind.model.deleted_at).is_(None),
                        kind.visible(principal),
                    )
                ),
            )
            for kind in kinds
        )
    )


# The newest matches read at first, per hit asked for; then twice as many each time the caller
# may find too few of them. The caller's checks cost a lookup of the record for each match
# they are asked of: asked of all 2,658 matches of a word at 100,000 records before the newest
# 51 were picked, they were most of a 32 ms statement.
CANDIDATES_PER_HIT = 2

# Statements built once: building one and its cache key cost more than running it. Those of
# hits are a caller's: they are kept by all that what a caller may read depends on (its
# organisation, written into them, whether it is the secretariat's, its role and scopes), and
# made anew for all callers once there are too many.
_CANDIDATES: dict[tuple[Any, ...], sa.Select[Any]] = {}
_HITS: dict[tuple[Any, ...], sa.Select[Any]] = {}
_HITS_KEPT = 512


def _candidates(
    on_sqlite: bool, kinds: list[RecordKind[Any]], tier: Tier, seeking: bool
) -> sa.Select[Any]:
    """The ids of the newest `:candidates_<tier>` entries of `tier` (written before
    `:after_<tier>`, when `seeking`), newest first, for the words of `_words`."""
    key = (on_sqlite, tuple(kind.name for kind in kinds), tier, seeking)
    statement = _CANDIDATES.get(key)
    if statement is not None:
        return statement
    entry = SearchEntry
    newest_first: sa.ColumnElement[Any] | Mapped[Any]
    if on_sqlite:
        # FTS5 gives its matches in the order of their rowids, and stops when it has enough.
        fts = _fts_of(tier)
        newest_first = fts.c.rowid
        statement = sa.select(fts.c.rowid).where(_fts_match(tier))
        if len(kinds) < len(KINDS):
            statement = statement.join(entry, col(entry.id) == fts.c.rowid)
    else:
        # PostgreSQL walks the primary key backwards where many match, or sorts the few the
        # GIN index finds; its statistics of each tsvector tell it which.
        newest_first = col(entry.id)
        statement = sa.select(col(entry.id)).where(_matches(on_sqlite, entry, tier, planned=True))
    if len(kinds) < len(KINDS):
        statement = statement.where(col(entry.record_type).in_([kind.name for kind in kinds]))
    # Every value written in, as the words are (see `_matches`): planned for a LIMIT it does
    # not know, PostgreSQL sorts every match of a frequent word rather than walking to enough.
    if seeking:
        after = sa.bindparam(f"after_{tier.name}", type_=sa.BigInteger, literal_execute=True)
        statement = statement.where(newest_first < after)
    count = sa.bindparam(f"candidates_{tier.name}", type_=sa.Integer, literal_execute=True)
    statement = _CANDIDATES[key] = statement.order_by(newest_first.desc()).limit(count)
    return statement


def _hits(
    on_sqlite: bool,
    principal: Principal,
    kinds: list[RecordKind[Any]],
    tiers: tuple[Tier, ...],
) -> sa.Select[Any]:
    """The entries of `:ids_<tier>` for each of `tiers` that are hits for the caller, by tier
    and newest first, at most `:wanted`.

    A hit is an entry of a part the caller may read, of a record it may find, that no other
    such entry of its record outranks (one of an earlier tier, or of its tier and written
    later), for the words of `_words`: the record's first part. An entry of a record found on
    an earlier page is outranked by the one found there, so no record comes twice.
    """
    key = (
        on_sqlite,
        principal.organisation.id,
        principal.is_secretariat,
        principal.role,
        principal.scopes,
        tuple(kind.name for kind in kinds),
        tiers,
    )
    statement = _HITS.get(key)
    if statement is not None:
        return statement
    entry = SearchEntry
    sibling = aliased(SearchEntry, name="sibling")
    later = col(sibling.id) > col(entry.id)
    in_names = _matches(on_sqlite, sibling, Tier.names)

    def among(tier: Tier) -> sa.ColumnElement[bool]:
        ids = f"ids_{tier.name}"
        if on_sqlite:
            return col(entry.id).in_(sa.bindparam(ids, expanding=True))
        # An array on PostgreSQL: the statement's text is the same however many there are.
        return col(entry.id) == sa.any_(sa.bindparam(ids, type_=sa.ARRAY(sa.BigInteger)))

    def outranked(tier: Tier) -> sa.ColumnElement[bool]:
        return sa.exists().where(
            col(sibling.record_type) == col(entry.record_type),
            col(sibling.record_id) == col(entry.record_id),
            col(sibling.id) != col(entry.id),
            _readable_part(principal, sibling, kinds),
            sa.and_(later, in_names)
            if tier is Tier.names
            else sa.or_(sa.and_(later, _matches(on_sqlite, sibling, None)), in_names),
        )

    by_tier: list[sa.ColumnElement[Any]] = []
    if len(tiers) == 1:
        tier_of: sa.ColumnElement[Any] = sa.literal_column(str(int(tiers[0])))
    else:
        tier_of = sa.case((among(tiers[0]), int(tiers[0])), else_=int(tiers[1]))
        # Not a constant: `ORDER BY 2` would be by the second column.
        by_tier = [tier_of]
    columns: list[Any] = [
        tier_of.label("tier"),
        col(entry.id).label("entry_id"),
        col(entry.record_type).label("record_type"),
        col(entry.record_id).label("record_id"),
        col(entry.title),
        col(entry.names),
        col(entry.texts),
    ]
    if len(_HITS) >= _HITS_KEPT:
        # At once, as requests in other threads may be reading it.
        _HITS.clear()
    statement = _HITS[key] = (
        sa.select(*columns)
        .where(
            sa.or_(*(sa.and_(among(tier), ~outranked(tier)) for tier in tiers)),
            _readable_part(principal, entry, kinds),
            _findable_record(principal, entry, kinds),
        )
        .order_by(*by_tier, col(entry.id).desc())
        .limit(sa.bindparam("wanted"))
    )
    return statement


def _decode_cursor(cursor: str) -> tuple[Tier, int]:
    raw_tier, after = decode_values(cursor, [int, int])
    try:
        return Tier(raw_tier), after
    except ValueError as exc:
        raise InvalidInputError("The cursor is not valid; start again without it.") from exc


def search(
    session: Session,
    *,
    principal: Principal,
    q: str,
    types: Sequence[SearchType],
    params: PageParams,
) -> Hits:
    """A page of the records the words of `q` find, in the order the module describes."""
    terms = query_terms(q)
    if not terms:
        # Punctuation alone holds no word, so it finds nothing.
        return Hits(items=[], next_cursor=None)
    kinds = [KINDS[name] for name in types or SearchType]
    first_tier, after = Tier.names, None
    if params.cursor is not None:
        first_tier, after = _decode_cursor(params.cursor)
    wanted = params.limit + 1
    on_sqlite = session.get_bind().dialect.name == "sqlite"
    # Core statements of plain rows: the session's ORM layer would only pass them through.
    connection = session.connection()
    words = _words(connection, on_sqlite, terms)
    if words is None:
        return Hits(items=[], next_cursor=None)
    # What is left to read of each tier: the entry its next candidates were written before
    # (None, from the newest), and how many of them to read.
    left = {
        tier: (after if tier == first_tier else None, wanted * CANDIDATES_PER_HIT)
        for tier in Tier
        if tier >= first_tier
    }
    found: list[Any] = []
    while left and len(found) < wanted:
        # The candidates of each tier in turn, until they are enough to fill the page: those
        # of a later tier are read only if the page may need them, since a tier that matches
        # few entries can be slow to read when the engine expected many.
        values: dict[str, Any] = dict(words)
        read: dict[Tier, list[int]] = {}
        for tier, (before, count) in left.items():
            values |= {f"after_{tier.name}": before, f"candidates_{tier.name}": count}
            statement = _candidates(on_sqlite, kinds, tier, seeking=before is not None)
            read[tier] = list(connection.execute(statement, values).scalars())
            if sum(map(len, read.values())) >= wanted - len(found):
                break
        hits: dict[Tier, list[Any]] = {tier: [] for tier in read}
        with_ids = tuple(tier for tier, ids in read.items() if ids)
        if with_ids:
            values = words | {f"ids_{tier.name}": read[tier] for tier in with_ids}
            values["wanted"] = wanted - len(found)
            for row in connection.execute(_hits(on_sqlite, principal, kinds, with_ids), values):
                hits[Tier(row.tier)].append(row)
        for tier in read:
            found += hits[tier][: wanted - len(found)]
            if len(found) == wanted:
                break
            count = left[tier][1]
            if len(read[tier]) < count:
                # Every entry of the tier has been read: the next tier's hits come next, if
                # its candidates were read.
                del left[tier]
                continue
            # Hits of this tier may be among those not read yet: they come before the next's.
            left[tier] = (min(read[tier]), count * 2)
            break
    page = found[: params.limit]
    next_cursor = None
    if len(found) > params.limit:
        next_cursor = encode_cursor([page[-1].tier, page[-1].entry_id])
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


def _in_order_of_change(
    session: Session, name: SearchType
) -> Iterator[tuple[Any, SearchType, Any]]:
    """The records of a kind that are not deleted, the least recently written first, each with
    the time it was written and its kind's name."""
    model = KINDS[name].model
    last: Any = None
    while True:
        statement = select(model).where(col(model.deleted_at).is_(None))
        if last is not None:
            updated_at, record_id = last
            statement = statement.where(
                sa.or_(
                    col(model.updated_at) > updated_at,
                    sa.and_(col(model.updated_at) == updated_at, col(model.id) > record_id),
                )
            )
        batch = session.exec(
            statement.order_by(col(model.updated_at), col(model.id)).limit(MAX_LIMIT)
        ).all()
        yield from ((row.updated_at, name, row) for row in batch)
        if len(batch) < MAX_LIMIT:
            return
        last = (batch[-1].updated_at, batch[-1].id)
        for row in batch:
            session.expunge(row)


def reindex(session: Session) -> int:
    """Make the index anew from the records as they are; how many records it now holds.

    For a database with records written before the index existed, or whose index is in doubt
    (restored from a backup of the records alone). The records are indexed in the order they
    were last written, as they would have been had the index been kept all along, since
    searches rank newer entries first. One transaction: searches meanwhile see the old index
    until it commits.
    """
    session.execute(sa.delete(SearchEntry).execution_options(synchronize_session=False))
    indexed = 0
    streams = [_in_order_of_change(session, name) for name in KINDS]
    for _, name, row in heapq.merge(*streams, key=lambda item: item[:2]):
        search = KINDS[name].search
        assert search is not None  # noqa: S101 - every searched kind says how
        index.write(session, name, row.id, search(row))
        indexed += 1
    session.commit()
    return indexed


def index_if_empty(session: Session) -> int:
    """Index the records of a database whose index is empty, as one upgraded from before the
    index existed is; how many records it indexed (none when the index held entries)."""
    if session.exec(select(SearchEntry.record_id).limit(1)).first() is not None:
        return 0
    return reindex(session)
