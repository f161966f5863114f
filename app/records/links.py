"""Links from one record to others: checked when written, hidden when the caller may not see
the record linked to (an id is itself a finding)."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.core.errors import InvalidInputError
from app.identity.service import Principal
from app.records.service import RecordKind, seen_ids


@dataclass(frozen=True, slots=True)
class LinkField:
    """A field of a record listing the ids of records of another kind."""

    field: str
    kind: RecordKind[Any]


def links(
    session: Session,
    kind: RecordKind[Any],
    principal: Principal | None,
    ids: Iterable[uuid.UUID],
    *,
    field: str,
    stored: Iterable[uuid.UUID] = (),
) -> list[uuid.UUID]:
    """The ids a record links to in `field`, each once, in id order.

    Each id not `stored` already must name a record of `kind` the caller may find. Stored links
    the caller cannot see stay: it was never shown them, so its list cannot have dropped them.
    """
    wanted = set(ids)
    stored = set(stored)
    new = wanted - stored
    missing = sorted(new - seen_ids(session, kind, principal, new))
    if missing:
        noun = kind.name.replace("_", " ")
        raise InvalidInputError(
            f"No {noun} with the id {', '.join(map(str, missing))}, or not one you can see.",
            field=field,
        )
    if principal is not None and not principal.is_secretariat:
        wanted |= stored - seen_ids(session, kind, principal, stored)
    return sorted(wanted)


def hide_unseen_links(
    session: Session,
    principal: Principal,
    records: list[dict[str, Any]],
    *,
    field: str,
    kind: RecordKind[Any],
) -> list[dict[str, Any]]:
    """Records (in JSON form) naming in `field` (a list of ids, or one id or none) only the
    records of `kind` the caller may find."""

    def named(value: Any) -> list[str]:
        return value if isinstance(value, list) else [value] if value else []

    ids = {uuid.UUID(linked) for record in records for linked in named(record[field])}
    if not ids or principal.is_secretariat:
        return records
    seen = {str(linked) for linked in seen_ids(session, kind, principal, ids)}

    def shown(value: Any) -> Any:
        if isinstance(value, list):
            return [linked for linked in value if linked in seen]
        return value if value in seen else None

    return [{**record, field: shown(record[field])} for record in records]


def check_links(
    session: Session,
    principal: Principal | None,
    values: dict[str, Any],
    fields: Sequence[LinkField],
    *,
    stored: object | None = None,
) -> dict[str, list[str]]:
    """The link fields among `values`, checked, as their JSON columns keep them."""
    return {
        link.field: [
            str(linked)
            for linked in links(
                session,
                link.kind,
                principal,
                values[link.field],
                field=link.field,
                stored=[uuid.UUID(linked) for linked in getattr(stored, link.field, [])],
            )
        ]
        for link in fields
        if link.field in values
    }


def hide_all_unseen(
    session: Session,
    principal: Principal,
    records: list[dict[str, Any]],
    fields: Sequence[LinkField],
) -> list[dict[str, Any]]:
    for link in fields:
        records = hide_unseen_links(session, principal, records, field=link.field, kind=link.kind)
    return records
