"""Every table model, imported so that SQLModel.metadata is complete for Alembic and the tests."""

from app.activities.models import Activity
from app.agreements.models import Agreement, AgreementParty
from app.assessments.models import Assessment, Rubric
from app.audit.models import AuditEntry
from app.countries.models import Country
from app.field_visits.models import FieldVisit
from app.identity.models import ApiToken, Organisation, User
from app.integrations.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.laws.models import Law, LawAgreement, LawInstrument
from app.members.models import Membership, Parliamentarian
from app.recommendations.models import Recommendation, TimelineEntry
from app.records.models import ChangeEvent, IdempotencyKey, Revision
from app.search.models import SearchEntry
from app.treaties.models import Instrument, Ratification

__all__ = [
    "Activity",
    "Agreement",
    "AgreementParty",
    "ApiToken",
    "Assessment",
    "AuditEntry",
    "ChangeEvent",
    "Country",
    "FieldVisit",
    "IdempotencyKey",
    "Instrument",
    "Law",
    "LawAgreement",
    "LawInstrument",
    "Membership",
    "Organisation",
    "Parliamentarian",
    "Ratification",
    "Recommendation",
    "Revision",
    "Rubric",
    "SearchEntry",
    "TimelineEntry",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
