"""The record lifecycle every oversight record shares, written once.

Visibility decides what a caller can find at all. Each write (create, update, delete, restore)
commits, in one transaction with the record: a full revision snapshot, an audit entry, a
change event numbered in commit order and the record's entries in the search index. Updates
are conditional on the version they read, so of two concurrent writers one wins and the other
is refused.
"""

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit import service as audit
from app.audit.service import Actor
from app.core.db import utcnow
from app.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
)
from app.core.pagination import Page, PageParams, keyset_page
from app.identity.models import Scope
from app.identity.service import Principal
from app.records import idempotency
from app.records.models import (
    BOOKKEEPING_FIELDS,
    ChangeEvent,
    Record,
    RecordAction,
    RecordFilters,
    RecordPublic,
    Revision,
    Visibility,
)
from app.search import index as search_index
from app.search.models import SearchPart

R = TypeVar("R", bound=Record)

# Any constant will do: it names the lock that keeps change events in commit order.
_CHANGE_FEED_LOCK = 0x0CA0C05
_TAKE_CHANGE_FEED_LOCK = sa.select(sa.func.pg_advisory_xact_lock(_CHANGE_FEED_LOCK))


@dataclass(frozen=True, slots=True)
class RecordKind(Generic[R]):
    """A type of record: its name in audit entries and change events, table and public model."""

    name: str
    model: type[R]
    public_model: type[RecordPublic]
    # Unique together and never changed, so pages stay stable while records are written.
    order_key: Sequence[InstrumentedAttribute[Any]] = field(default=())

    # What a file of many of them is called, when not the name with an "s".
    plural: str = ""
    # Takes out of records (in JSON form) what the caller may not see of them, a page at a time.
    redact: "Redactor | None" = None
    # As `redact`, for a record just created, where that skips reads of what it cannot have yet
    # (its assessments); by default `redact`.
    redact_new: "Redactor | None" = None
    # Narrows, for a caller, which records of this kind exist at all, beyond visibility.
    restrict: "Restriction | None" = None
    # Who may learn of a write from its change event, when not the record's visibility.
    shown_as: Callable[[R], Visibility] | None = None
    # Whether the caller may read a revision (by its snapshot), when not every revision.
    revision_shown: Callable[[Principal, dict[str, Any]], bool] | None = None
    # What the search finds the record by; every write replaces its entries in the index.
    search: Callable[[R], list[SearchPart]] | None = None
    # Given records read as rows of their table (as dicts of its columns, a page at a time),
    # adds the fields of the public model kept in other tables. A kind that has it is read
    # that way, without ORM objects; one that has not, as ORM objects.
    read_related: "RelatedReader | None" = None
    # The rows of other tables a new record is written with, by table. A kind that has it is
    # created as plain inserts of its row and these; one that has not, through the ORM's flush
    # (needed where a flush listener or cascade does more than insert the rows).
    child_rows: "Callable[[R], ChildRows] | None" = None

    def key(self) -> Sequence[InstrumentedAttribute[Any]]:
        return self.order_key or (self.model.created_at, self.model.id)  # type: ignore[return-value]

    def snapshot(self, row: R) -> dict[str, Any]:
        """The record in full, in JSON form: what a revision keeps."""
        return self.public_model.model_validate(row).model_dump(mode="json")

    def snapshots_of_rows(self, session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
        """Records read as rows of their table's columns (see `as_rows`) in full, in JSON
        form, as `snapshot` makes them of ORM objects."""
        records = [dict(row._mapping) for row in rows]
        if records and self.read_related is not None:
            self.read_related(session, records)
        # The page validated in one call: SQLModel's `model_validate`, a record at a time,
        # took about 4 ms more for a page of 50 agreements.
        page = _list_of(self.public_model)
        return page.dump_python(page.validate_python(records), mode="json")  # type: ignore[no-any-return]

    def present(
        self,
        session: Session,
        principal: Principal,
        snapshots: list[dict[str, Any]],
        *,
        new: bool = False,
    ) -> list[dict[str, Any]]:
        """Records (or revisions' snapshots) as this caller may read them; `new` ones were
        created by this request."""
        redact = (self.redact_new if new else None) or self.redact
        if redact is None:
            return snapshots
        return redact(session, principal, snapshots)

    def visible(self, principal: Principal) -> sa.ColumnElement[bool]:
        """The records of this kind the caller may find."""
        seen = visible_to(self.model, principal)
        if self.restrict is None:
            return seen
        return sa.and_(seen, self.restrict(principal))


@cache
def _list_of(public_model: type[RecordPublic]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[public_model])  # type: ignore[valid-type]


Redactor = Callable[[Session, Principal, list[dict[str, Any]]], list[dict[str, Any]]]
ChildRows = Sequence[tuple[sa.Table, list[dict[str, Any]]]]
RelatedReader = Callable[[Session, list[dict[str, Any]]], None]
Restriction = Callable[[Principal], sa.ColumnElement[bool]]


# ---- reading --------------------------------------------------------------------------------


def may_see_deleted(principal: Principal) -> bool:
    return principal.is_secretariat and Scope.admin in principal.scopes


def visible_to(
    model: type[Record] | type[ChangeEvent], principal: Principal, organisation_id: Any = None
) -> sa.ColumnElement[bool]:
    """Rows (records, or change events by the visibility they kept) the caller may see; its
    organisation named by `organisation_id` where given (a bound parameter of a statement
    built once), else by its id."""
    if principal.is_secretariat:
        return sa.true()
    return open_or_owned(
        model, principal.organisation.id if organisation_id is None else organisation_id
    )


def open_or_owned(
    model: type[Record] | type[ChangeEvent], organisation_id: Any
) -> sa.ColumnElement[bool]:
    """Rows not restricted, or owned by `organisation_id`: what any caller but the secretariat
    may see. `organisation_id` is a value, or a bound parameter of a statement built once."""
    return sa.or_(
        col(model.visibility) != Visibility.restricted,
        col(model.organisation_id) == organisation_id,
    )


def select_visible(
    kind: RecordKind[R], principal: Principal, filters: RecordFilters
) -> SelectOfScalar[R]:
    """The records of this kind the caller may see, narrowed by the filters all kinds share;
    domain services add their own."""
    model = kind.model
    statement = select(model).where(kind.visible(principal))
    if filters.include_deleted:
        if not may_see_deleted(principal):
            raise PermissionDeniedError("Only secretariat admins can list deleted records.")
    else:
        statement = statement.where(col(model.deleted_at).is_(None))
    if filters.updated_since is not None:
        statement = statement.where(col(model.updated_at) >= filters.updated_since)
    return statement


def find(
    session: Session,
    kind: RecordKind[R],
    principal: Principal,
    where: sa.ColumnElement[bool],
    *,
    deleted: bool = False,
) -> R:
    """The one record `where` names, if the caller may see it; `deleted` looks among deleted ones.

    A record the caller may not see is not found, exactly like one that does not exist.
    """
    statement = select(kind.model).where(_found(kind, principal, where, deleted=deleted))
    row = session.exec(statement).first()
    if row is None:
        raise _not_found(kind)
    return row


def find_snapshot(
    session: Session, kind: RecordKind[Any], principal: Principal, where: sa.ColumnElement[bool]
) -> dict[str, Any]:
    """The record `find` would find, in full in JSON form (as `snapshot` makes it), read as a
    row of its table when its kind reads them."""
    if kind.read_related is None:
        return kind.snapshot(find(session, kind, principal, where))
    record_id = _id_named(kind, where)
    if record_id is not None and kind.restrict is None:
        statement, params = _row_named(kind, principal), {"record_id": record_id}
        if not principal.is_secretariat:
            params["organisation_id"] = principal.organisation.id
        rows = session.execute(statement, params).all()
    else:
        rows = session.execute(_rows_where(kind, _found(kind, principal, where))).all()
    if not rows:
        raise _not_found(kind)
    [snapshot] = kind.snapshots_of_rows(session, rows)
    return snapshot


def _id_named(kind: RecordKind[Any], where: sa.ColumnElement[bool]) -> uuid.UUID | None:
    """The id `where` names, when it is `record_id_is`'s condition for this kind, as it is on
    every record route but those named by other columns."""
    if (
        isinstance(where, BinaryExpression)
        and where.operator is operators.eq
        and isinstance(where.right, BindParameter)
        and isinstance(where.right.value, uuid.UUID)
        and where.left.compare(kind.model.__table__.c.id)
    ):
        return where.right.value
    return None


# A read of one record by id, built once per kind and caller (the secretariat sees every
# record): building its statement and its cache key, every request, cost more than running it.
_ROWS_NAMED: dict[tuple[str, bool], sa.Select[Any]] = {}


def _row_named(kind: RecordKind[Any], principal: Principal) -> sa.Select[Any]:
    """`find`'s statement for the record of id `:record_id`, as a row of its table, for a kind
    with no restriction beyond visibility (`:organisation_id`, unless the secretariat's)."""
    key = (kind.name, principal.is_secretariat)
    statement = _ROWS_NAMED.get(key)
    if statement is None:
        model = kind.model
        seen = visible_to(model, principal, organisation_id=sa.bindparam("organisation_id"))
        named = col(model.id) == sa.bindparam("record_id")
        statement = _ROWS_NAMED[key] = _rows_where(kind, _found_among(kind, named, seen))
    return statement


def as_rows(kind: RecordKind[Any], statement: sa.Select[Any]) -> sa.Select[Any]:
    """The records `statement` selects (by its WHERE clause) as rows of their table's columns."""
    return _rows_where(kind, statement.whereclause)


def _rows_where(kind: RecordKind[Any], condition: sa.ColumnElement[bool] | None) -> sa.Select[Any]:
    columns = sa.select(*kind.model.__table__.columns)
    return columns if condition is None else columns.where(condition)


def _found(
    kind: RecordKind[Any],
    principal: Principal,
    where: sa.ColumnElement[bool],
    *,
    deleted: bool = False,
) -> sa.ColumnElement[bool]:
    return _found_among(kind, where, kind.visible(principal), deleted=deleted)


def _found_among(
    kind: RecordKind[Any],
    where: sa.ColumnElement[bool],
    visible: sa.ColumnElement[bool],
    *,
    deleted: bool = False,
) -> sa.ColumnElement[bool]:
    """`where`, among the records `visible` lets the caller find: those not deleted, or with
    `deleted` those deleted."""
    deleted_at = col(kind.model.deleted_at)
    return sa.and_(where, visible, deleted_at.is_not(None) if deleted else deleted_at.is_(None))


def _not_found(kind: RecordKind[Any]) -> NotFoundError:
    return NotFoundError(f"No {kind.name.replace('_', ' ')} here, or not one you can see.")


def seen_ids(
    session: Session, kind: RecordKind[Any], principal: Principal | None, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `ids` naming records of this kind the caller may find (with no caller, as for
    a script: any not deleted)."""
    wanted = set(ids)
    if not wanted:
        return set()
    model = kind.model
    condition: sa.ColumnElement[bool] = col(model.deleted_at).is_(None)
    if principal is not None:
        condition = sa.and_(condition, kind.visible(principal))
    return set(session.exec(select(model.id).where(col(model.id).in_(wanted), condition)))


def page(
    session: Session, kind: RecordKind[R], statement: SelectOfScalar[R], params: PageParams
) -> Page[R]:
    return keyset_page(session, statement, key=kind.key(), params=params)


def revisions(session: Session, kind: RecordKind[R], row: R, params: PageParams) -> Page[Revision]:
    statement = select(Revision).where(
        Revision.record_type == kind.name, Revision.record_id == row.id
    )
    return keyset_page(
        session,
        statement,
        key=(Revision.version,),  # type: ignore[arg-type]
        params=params,
        descending=True,
    )


# ---- writing --------------------------------------------------------------------------------


def etag(row: Record) -> str:
    return version_tag(row.version)


def version_tag(version: int) -> str:
    """The ETag of a record at `version`."""
    return f'"{version}"'


def check_if_match(row: Record, if_match: str | None) -> None:
    """Refuse a write whose `If-Match` does not name the current version (RFC 9110 13.1.1)."""
    if if_match is None or if_match.strip() == "*":
        return
    # Weak tags never match in If-Match: it asks for the exact representation.
    tags = {tag.strip() for tag in if_match.split(",")}
    if etag(row) not in tags:
        raise PreconditionFailedError(
            f"The record has changed: its version is {row.version}. "
            "Read it again, then retry with its new ETag."
        )


def create(
    session: Session, kind: RecordKind[R], row: R, *, actor: Actor, commit: bool = True
) -> R:
    """Add a new record, owned by the actor's organisation unless it names another.

    With `commit` false the record waits for a later write of the same transaction to commit it,
    so that several records are written all together or not at all.
    """
    if actor.organisation_id is None and row.organisation_id is None:
        raise ValueError("a record needs an owning organisation")
    row.organisation_id = row.organisation_id or actor.organisation_id  # type: ignore[assignment]
    row.created_by = row.updated_by = actor.key
    row.updated_at = row.created_at
    if kind.child_rows is None:
        session.add(row)
        _flush(session, kind, if_match=None)
    else:
        _insert(session, kind, row, kind.child_rows(row))
    snapshot = kind.snapshot(row)
    filled = sorted(
        name
        for name, value in snapshot.items()
        if value not in (None, [], {}) and name not in BOOKKEEPING_FIELDS
    )
    _commit_write(session, kind, row, RecordAction.created, filled, snapshot, actor, commit=commit)
    return row


def update(
    session: Session,
    kind: RecordKind[R],
    row: R,
    changes: dict[str, Any],
    *,
    actor: Actor,
    if_match: str | None,
    action: RecordAction = RecordAction.updated,
    commit: bool = True,
) -> R:
    """Apply `changes` (attribute values, child rows included) if `if_match` still holds.

    A change that alters nothing writes nothing, so the version and ETag stay as they were.
    With `commit` false the write waits for the transaction's commit, as in `create`.
    """
    check_if_match(row, if_match)
    before = kind.snapshot(row)
    # Whoever could see the record before must learn of the change that hides it from them,
    # or a copy kept from the feed would hold it for ever.
    shown_before = _shown_as(kind, row)
    # Undoing the values set below must not undo the transaction's earlier writes, which a
    # later commit is to keep: a savepoint scopes the undo to this record.
    savepoint = None if commit else session.begin_nested()
    for name, value in changes.items():
        setattr(row, name, value)
    changed = sorted(
        name
        for name, value in kind.snapshot(row).items()
        if value != before.get(name) and name not in BOOKKEEPING_FIELDS
    )
    if not changed:
        # Forgets the unchanged values set above.
        if savepoint is None:
            session.rollback()
        else:
            savepoint.rollback()
        return row
    _stamp(row, actor)
    _flush(session, kind, if_match=if_match)
    if savepoint is not None:
        savepoint.commit()
    _commit_write(
        session,
        kind,
        row,
        action,
        changed,
        kind.snapshot(row),
        actor,
        commit=commit,
        shown_before=shown_before,
    )
    return row


def delete(
    session: Session, kind: RecordKind[R], row: R, *, actor: Actor, if_match: str | None
) -> None:
    """Soft-delete: the record is hidden from everyone but kept, and can be restored."""
    check_if_match(row, if_match)
    row.deleted_at = utcnow()
    _stamp(row, actor)
    _flush(session, kind, if_match=if_match)
    _commit_write(session, kind, row, RecordAction.deleted, [], kind.snapshot(row), actor)


def restore(
    session: Session, kind: RecordKind[R], row: R, *, actor: Actor, if_match: str | None
) -> R:
    check_if_match(row, if_match)
    row.deleted_at = None
    _stamp(row, actor)
    _flush(session, kind, if_match=if_match)
    _commit_write(session, kind, row, RecordAction.restored, [], kind.snapshot(row), actor)
    return row


def _stamp(row: Record, actor: Actor) -> None:
    row.updated_at = utcnow()
    row.updated_by = actor.key


def _insert(session: Session, kind: RecordKind[R], row: R, children: ChildRows) -> None:
    """Write a new record's row and `children` as plain inserts in the session's transaction,
    as its flush would but without building the flush's plan: that was a third of a create's
    time. The row stays out of the session, which has nothing to flush or expire for it."""
    # Anything the transaction holds unflushed (an import's earlier writes) goes first, as the
    # flush would have written it.
    _flush(session, kind, if_match=None)
    connection = session.connection()
    with _conflicts_refused(session, kind, if_match=None):
        connection.execute(_insert_into(row.__table__), _column_values(row))  # type: ignore[attr-defined]
        for table, rows in children:
            if rows:
                connection.execute(_insert_into(table), rows)


@cache
def _insert_into(table: sa.Table) -> sa.Insert:
    # Built once per table: building a statement and its cache key is much of its cost.
    return sa.insert(table)


def _column_values(row: Record) -> dict[str, Any]:
    """The row's values by column, as the flush inserts them: a column left None that has a
    default gets the default."""
    values = {}
    for attribute, column, defaulted in _columns_of(type(row)):
        value = getattr(row, attribute)
        if value is not None or not defaulted:
            values[column] = value
    return values


@cache
def _columns_of(model: type[Record]) -> list[tuple[str, str, bool]]:
    """Each column of the model's table: its attribute, its name, and whether it has a
    default."""
    mapper = sa.inspect(model)
    columns = []
    for attribute in mapper.column_attrs:
        [column] = attribute.columns
        defaulted = column.default is not None or column.server_default is not None
        columns.append((attribute.key, column.key, defaulted))
    return columns


def _flush(session: Session, kind: RecordKind[Any], *, if_match: str | None) -> None:
    with _conflicts_refused(session, kind, if_match=if_match):
        session.flush()


@contextmanager
def _conflicts_refused(
    session: Session, kind: RecordKind[Any], *, if_match: str | None
) -> Iterator[None]:
    """A write refused by a concurrent one or a unique index as a conflict (412 with
    `if_match`), the transaction rolled back."""
    try:
        yield
    except StaleDataError as exc:
        session.rollback()
        if if_match is not None:
            raise PreconditionFailedError(
                "The record was changed by someone else meanwhile; read it again and retry."
            ) from exc
        raise ConflictError(
            "The record was changed by someone else meanwhile; read it again and retry."
        ) from exc
    except IntegrityError as exc:
        session.rollback()
        noun = kind.name.replace("_", " ")
        # Both engines name the unique index's column in their message.
        if "external_ref" in str(exc.orig):
            raise ConflictError(
                f"Another {noun} already has this external_ref: each names one {noun}. "
                "Update that one, or send another external_ref."
            ) from exc
        raise ConflictError(f"This {noun} conflicts with one recorded meanwhile.") from exc


def _commit_write(
    session: Session,
    kind: RecordKind[Any],
    row: Record,
    action: RecordAction,
    changed: list[str],
    snapshot: dict[str, Any],
    actor: Actor,
    *,
    commit: bool = True,
    shown_before: Visibility | None = None,
) -> None:
    # The rows beside the record are written as plain inserts on the session's connection, in
    # its transaction: nothing reads them back, and building ORM objects for them and flushing
    # them was a third of a create's time.
    connection = session.connection()
    connection.execute(
        _insert_into(Revision.__table__),  # type: ignore[attr-defined]
        {
            "record_id": row.id,
            "version": row.version,
            "record_type": kind.name,
            "action": action,
            "changed_fields": changed,
            "snapshot": snapshot,
            "actor": actor.key,
            "actor_organisation_id": actor.organisation_id,
            "occurred_at": row.updated_at,
        },
    )
    audit.record(
        session,
        action=f"{kind.name}.{action.value}",
        actor=actor,
        subject_type=kind.name,
        subject_id=row.id,
        details={"version": row.version, "fields": changed},
    )
    if kind.search is not None:
        parts = [] if row.deleted_at is not None else kind.search(row)
        search_index.write(session, kind.name, row.id, parts, new=action is RecordAction.created)
    idempotency.mark_written(session, kind.name, row.id)
    _hold_change_feed_order(connection)
    connection.execute(
        _insert_into(ChangeEvent.__table__),  # type: ignore[attr-defined]
        {
            "record_type": kind.name,
            "record_id": row.id,
            "action": action,
            "occurred_at": row.updated_at,
            "actor_organisation_id": actor.organisation_id,
            "organisation_id": row.organisation_id,
            "visibility": _wider(_shown_as(kind, row), shown_before),
        },
    )
    if not commit:
        return
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _shown_as(kind: RecordKind[Any], row: Record) -> Visibility:
    return kind.shown_as(row) if kind.shown_as else row.visibility


def _wider(shown: Visibility, shown_before: Visibility | None) -> Visibility:
    """Who may learn of a write: those who may see the record now, and those who could before."""
    if shown is Visibility.restricted and shown_before is not None:
        return shown_before
    return shown


def _hold_change_feed_order(connection: sa.Connection) -> None:
    """Make change events commit in the order of their numbers, until this transaction ends.

    PostgreSQL hands out sequence numbers when rows are inserted, not when they commit: without
    this, a feed reader could see event 11 before event 10 commits and then skip it forever.
    SQLite writers already commit one at a time.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(_TAKE_CHANGE_FEED_LOCK)


def record_id_is(kind: RecordKind[Any], record_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return col(kind.model.id) == record_id
