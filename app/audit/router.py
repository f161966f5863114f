import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.audit import service
from app.audit.models import AuditEntryPublic
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep, page_response
from app.core.schemas import Timestamp
from app.identity.dependencies import AdminPrincipal, AuthenticatedRoute

router = APIRouter(prefix="/audit", tags=["audit"], route_class=AuthenticatedRoute)


@router.get("", summary="Read the audit log", responses=problem_responses(401, 403, 422, 429))
def list_audit_entries(
    _: AdminPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    actor: Annotated[uuid.UUID | None, Query(description="The acting user's id.")] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, pattern=r"^[a-z_.]+$", description="e.g. `auth.login_failed`."),
    ] = None,
    since: Annotated[Timestamp | None, Query(description="From this time, inclusive.")] = None,
    until: Annotated[Timestamp | None, Query(description="Before this time.")] = None,
) -> Page[AuditEntryPublic]:
    """Logins, token issue and revocation, user and organisation changes, newest first (admin)."""
    result = service.list_entries(
        session, params=page, actor_user_id=actor, action=action, since=since, until=until
    )
    return page_response(request, response, result, AuditEntryPublic)
