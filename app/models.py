"""Every table model, imported so that SQLModel.metadata is complete for Alembic and the tests."""

from app.audit.models import AuditEntry
from app.identity.models import ApiToken, Organisation, User

__all__ = ["ApiToken", "AuditEntry", "Organisation", "User"]
