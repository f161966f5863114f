"""The change feed: every write to a record, in the order the writes committed.

Events commit in the order of their numbers (see `records.service._hold_change_feed_order`), so
a reader resuming after the last number it saw skips nothing and sees nothing twice. A caller
learns only of writes to records it may find: by the visibility each event kept, and for kinds
that narrow further (an assessment of a law the caller cannot see, a report not yet published)
by that kind's own rule, read from the record as it is now.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.activities import service as activities
from app.agreements import service as agreements
from app.assessments import service as assessments
from app.field_visits import service as field_visits
from app.identity.service import Principal
from app.integrations import models
from app.integrations.models import ChangeType
from app.laws import service as laws
from app.members import service as members
from app.recommendations import service as recommendations
from app.records.models import ChangeEvent
from app.records.service import RecordKind, visible_to
from app.treaties import service as treaties
from app.treaties.models import Ratification

KINDS: dict[ChangeType, RecordKind[Any]] = {
    ChangeType.agreement: agreements.KIND,
    ChangeType.law: laws.KIND,
    ChangeType.ratification: treaties.RATIFICATION,
    ChangeType.parliamentarian: members.KIND,
    ChangeType.activity: activities.KIND,
    ChangeType.field_visit: field_visits.KIND,
    ChangeType.recommendation: recommendations.KIND,
    ChangeType.assessment: assessments.KIND,
}


# Gives the URL of a named route from its path parameters, as `Request.url_for` does.
UrlFor = Callable[..., str]


@dataclass(frozen=True, slots=True)
class Change:
    event: ChangeEvent
    # The path parameters of the record's read route.
    locator: dict[str, str]

    def public(self, url_for: UrlFor) -> models.Change:
        """The thin event the feed lists and webhooks deliver."""
        return models.Change.model_validate(
            self.event,
            update={
                "type": self.event.record_type,
                "id": self.event.record_id,
                "link": url_for(f"read_{self.event.record_type}", **self.locator),
            },
        )


def _shown(principal: Principal) -> sa.ColumnElement[bool]:
    if principal.is_secretariat:
        return sa.true()
    conditions = [visible_to(ChangeEvent, principal)]
    for change_type, kind in KINDS.items():
        if kind.restrict is None:
            continue
        # Deleted records included: a partner keeping a copy must learn of the deletion.
        findable = (
            select(kind.model.id)
            .where(col(kind.model.id) == ChangeEvent.record_id, kind.visible(principal))
            .exists()
        )
        conditions.append(sa.or_(col(ChangeEvent.record_type) != change_type.value, findable))
    return sa.and_(*conditions)


def newest_seq(session: Session) -> int:
    """The number of the newest change committed; 0 before the first."""
    return session.exec(select(sa.func.max(ChangeEvent.seq))).one() or 0


def changes(
    session: Session,
    *,
    principal: Principal,
    after: int,
    limit: int,
    types: list[ChangeType],
) -> list[Change]:
    """Up to `limit` changes numbered after `after` that the caller may learn of, in order."""
    statement = (
        select(ChangeEvent, Ratification.country, Ratification.instrument)
        # A ratification is read by its country and instrument, not its id.
        .outerjoin(
            Ratification,
            sa.and_(
                col(ChangeEvent.record_type) == ChangeType.ratification.value,
                col(Ratification.id) == ChangeEvent.record_id,
            ),
        )
        .where(col(ChangeEvent.seq) > after, _shown(principal))
        .order_by(col(ChangeEvent.seq))
        .limit(limit)
    )
    if types:
        statement = statement.where(col(ChangeEvent.record_type).in_([t.value for t in types]))
    return [
        Change(
            event=event,
            locator={"country": country, "instrument": instrument}
            if country is not None
            else {"record_id": str(event.record_id)},
        )
        for event, country, instrument in session.exec(statement)
    ]
