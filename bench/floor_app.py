"""The floor: how fast this stack answers a GET by id at all, served as the API is.

FastAPI and SQLAlchemy Core on the service's own engine (its pool, its connection options, reads
outside a transaction on PostgreSQL), a plain `def` endpoint in the threadpool, and nothing else:
no dependencies but the path, no ORM, no middleware of the app's, no scores. Its throughput
beside the bare endpoint's says how much of the bare endpoint's a GET by id can reach on this
stack, whatever the API's own code does.

`/record` reads any agreement not deleted, with no token: it measures one statement alone, and
`bench/run.py` serves it on loopback, on the bench's own seeded database only. Never serve it
on a database of real records. `/authenticated` shows what the API would show the token.

    CAUCUS_DATABASE_URL=... CAUCUS_SECRET_KEY=... .venv/bin/python -m bench.floor_app --port 8101
"""

import json
import uuid

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException, Request, Response

from app.agreements.models import Agreement, AgreementParty
from app.core.config import Settings
from app.core.db import create_db_engine, reading_engine, utcnow
from app.core.security import decode_token
from app.identity.models import ApiToken, Organisation, OrganisationKind
from app.records.service import open_or_owned
from bench.baseline_app import serve

_AGREEMENT = Agreement.__table__  # type: ignore[attr-defined]
_PARTY = AgreementParty.__table__  # type: ignore[attr-defined]
_TOKEN = ApiToken.__table__  # type: ignore[attr-defined]
_ORGANISATION = Organisation.__table__  # type: ignore[attr-defined]
_RECORD = sa.select(_AGREEMENT).where(
    _AGREEMENT.c.id == sa.bindparam("id"), _AGREEMENT.c.deleted_at.is_(None)
)
_OPEN_OR_OWNED_RECORD = _RECORD.where(open_or_owned(Agreement, sa.bindparam("organisation_id")))
_PARTIES = (
    sa.select(_PARTY.c.country, _PARTY.c.role)
    .where(_PARTY.c.agreement_id == sa.bindparam("id"))
    .order_by(_PARTY.c.position)
)
_TOKEN_IN_FORCE = (
    sa.select(_ORGANISATION.c.kind)
    .join(_ORGANISATION, _ORGANISATION.c.id == _TOKEN.c.organisation_id)
    .where(
        _TOKEN.c.id == sa.bindparam("token_id"),
        _TOKEN.c.organisation_id == sa.bindparam("organisation_id"),
        _TOKEN.c.revoked_at.is_(None),
        _TOKEN.c.expires_at > sa.bindparam("now"),
        _ORGANISATION.c.is_active,
    )
)


def _json(body: dict[str, object]) -> Response:
    return Response(json.dumps(body, default=str), media_type="application/json")


def create_floor_app(engine: sa.Engine, settings: Settings) -> FastAPI:
    app = FastAPI()

    @app.get("/record/{record_id}")
    def record(record_id: uuid.UUID) -> Response:
        """One statement: the agreement's row by its primary key."""
        with engine.connect() as connection:
            row = connection.execute(_RECORD, {"id": record_id}).mappings().first()
        if row is None:
            raise HTTPException(404)
        return _json(dict(row))

    @app.get("/authenticated/{record_id}")
    def authenticated_record(record_id: uuid.UUID, request: Request) -> Response:
        """Three statements, as a GET by id of the API needs at least: the bearer token
        (verified, then looked up: revoked, expired, its organisation deactivated), the row if
        the token's organisation may see it, its parties."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        claims = decode_token(settings, token)
        found = {
            "token_id": uuid.UUID(str(claims.token_id)),
            "organisation_id": uuid.UUID(claims.subject.partition(":")[2]),
            "now": utcnow(),
        }
        with engine.connect() as connection:
            kind = connection.execute(_TOKEN_IN_FORCE, found).scalar()
            if kind is None:
                raise HTTPException(401)
            statement = _RECORD if kind == OrganisationKind.secretariat else _OPEN_OR_OWNED_RECORD
            asked = {"id": record_id, "organisation_id": found["organisation_id"]}
            row = connection.execute(statement, asked).mappings().first()
            if row is None:
                raise HTTPException(404)
            parties = connection.execute(_PARTIES, {"id": record_id}).mappings().all()
        return _json(dict(row) | {"parties": [dict(party) for party in parties]})

    return app


def create_app() -> FastAPI:
    """The floor app on the engine the settings name, made as the service makes its own."""
    settings = Settings()
    return create_floor_app(reading_engine(create_db_engine(settings)), settings)


if __name__ == "__main__":
    serve("bench.floor_app:create_app", factory=True)
