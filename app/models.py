"""Every table model, imported so that SQLModel.metadata is complete for Alembic and the tests."""

from app.agreements.models import Agreement, AgreementParty
from app.audit.models import AuditEntry
from app.countries.models import Country
from app.identity.models import ApiToken, Organisation, User
from app.laws.models import Law, LawAgreement, LawInstrument
from app.members.models import Membership, Parliamentarian
from app.records.models import ChangeEvent, IdempotencyKey, Revision
from app.treaties.models import Instrument, Ratification

__all__ = [
    "Agreement",
    "AgreementParty",
    "ApiToken",
    "AuditEntry",
    "ChangeEvent",
    "Country",
    "IdempotencyKey",
    "Instrument",
    "Law",
    "LawAgreement",
    "LawInstrument",
    "Membership",
    "Organisation",
    "Parliamentarian",
    "Ratification",
    "Revision",
    "User",
]
