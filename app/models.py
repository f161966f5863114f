"""Every table model, imported so that SQLModel.metadata is complete for Alembic and the tests."""

from app.audit.models import AuditEntry
from app.countries.models import Country
from app.identity.models import ApiToken, Organisation, User
from app.treaties.models import Instrument

__all__ = ["ApiToken", "AuditEntry", "Country", "Instrument", "Organisation", "User"]
