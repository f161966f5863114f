"""Checks and bookkeeping for changes made through a body: nulls, date order, audited saves."""

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any, Protocol

from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.core.db import utcnow
from app.core.errors import InvalidInputError


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


def dates_in_order(
    dates: dict[str, date | None], order: Sequence[str], *, sent: Collection[str]
) -> None:
    """Refuse dates out of `order` (each no earlier than those before it, where both are known).

    The error names the field the caller sent, so a PATCH of one date that clashes with a stored
    one points at what was written, not at what was already there.
    """
    for index, earlier in enumerate(order):
        for later in order[index + 1 :]:
            first, second = dates.get(earlier), dates.get(later)
            if first is not None and second is not None and second < first:
                field = later if later in sent or earlier not in sent else earlier
                raise InvalidInputError(f"{later} cannot be before {earlier}.", field=field)
