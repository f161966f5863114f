"""Checks and bookkeeping for changes made through a body: nulls, date order, audited saves."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.core.db import utcnow
from app.core.errors import InvalidInputError

T = TypeVar("T")


class _Stamped(Protocol):
    updated_at: Any

    def sqlmodel_update(self, obj: dict[str, Any]) -> Any: ...


def refuse_nulls(changes: dict[str, Any], *fields: str) -> None:
    """Update bodies use None for "not sent"; an explicit null would blank a required field."""
    for field in fields:
        if field in changes and changes[field] is None:
            raise InvalidInputError(f"`{field}` cannot be null.", field=field)


def save_changes(
    session: Session,
    row: _Stamped,
    changes: dict[str, Any],
    *,
    actor: Actor,
    kind: str,
    subject_id: object,
) -> None:
    """Apply `changes`, stamp the time, and audit which fields changed, in one transaction."""
    row.sqlmodel_update(changes)
    row.updated_at = utcnow()
    session.add(row)
    audit.record(
        session,
        action=f"{kind}.updated",
        actor=actor,
        subject_type=kind,
        subject_id=str(subject_id),
        details={"fields": sorted(changes)},
    )
    session.commit()


def unique(values: Iterable[T]) -> list[T]:
    """Each value once, in the order first given."""
    return list(dict.fromkeys(values))


def unique_lists(changes: dict[str, Any], *fields: str) -> None:
    """Keep each value once in the listed fields the changes carry."""
    for field in fields:
        if changes.get(field) is not None:
            changes[field] = unique(changes[field])


def dates_in_order(
    values: Mapping[str, Any], order: Sequence[str], *, stored: object | None = None
) -> None:
    """Refuse dates out of `order` (each no earlier than those before it, where both are known).

    `values` is a whole body, or with `stored` the changes a PATCH makes to that record, whose
    other dates still count. The error names the field the caller sent, so a PATCH of one date
    that clashes with a stored one points at what was written, not at what was already there.
    """
    sent = order if stored is None else values
    dates = {
        name: values[name] if name in values else getattr(stored, name, None) for name in order
    }
    for index, earlier in enumerate(order):
        for later in order[index + 1 :]:
            first, second = dates[earlier], dates[later]
            if first is not None and second is not None and second < first:
                field = later if later in sent or earlier not in sent else earlier
                raise InvalidInputError(f"{later} cannot be before {earlier}.", field=field)
