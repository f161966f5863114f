import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.core import migrations
from app.core.errors import ServiceUnavailableError


def check_ready(engine: Engine) -> None:
    """Raise unless the database answers and its schema is at the latest migration."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            at_head = migrations.current_revisions(connection) == migrations.head_revisions()
    except SQLAlchemyError as exc:
        raise ServiceUnavailableError("The database is not reachable.") from exc
    if not at_head:
        raise ServiceUnavailableError(
            "The database schema is not at the latest migration; run `caucus db upgrade`."
        )
