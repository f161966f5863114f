"""Every table model, imported so that SQLModel.metadata is complete for Alembic and the tests."""

from app.identity.models import User

__all__ = ["User"]
