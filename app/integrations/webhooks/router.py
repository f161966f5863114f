import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep, page_response
from app.identity.dependencies import AuthenticatedRoute, ReadPrincipal
from app.integrations.webhooks import service
from app.integrations.webhooks.models import (
    WebhookAttemptPublic,
    WebhookCreate,
    WebhookPublic,
    WebhookSubscription,
    WebhookTestQueued,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=AuthenticatedRoute)

EXAMPLE_ID = "7d1f3e2a-5b6c-4d8e-9f0a-1b2c3d4e5f60"
ONE = problem_responses(401, 403, 404, 422, 429)


def webhook_by_id(
    principal: ReadPrincipal,
    session: SessionDep,
    webhook_id: Annotated[uuid.UUID, Path(examples=[EXAMPLE_ID])],
) -> WebhookSubscription:
    return service.get_webhook(session, principal=principal, webhook_id=webhook_id)


Webhook = Annotated[WebhookSubscription, Depends(webhook_by_id)]


@router.post(
    "",
    summary="Register a webhook",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422, 429),
)
def create_webhook(
    principal: ReadPrincipal, session: SessionDep, settings: SettingsDep, data: WebhookCreate
) -> WebhookWithSecret:
    """Be sent the changes you may see from now on; the signing secret is shown only here."""
    row = service.create_webhook(session, principal=principal, settings=settings, data=data)
    return WebhookWithSecret.model_validate(row)


@router.get("", summary="List webhooks", responses=problem_responses(401, 403, 422, 429))
def list_webhooks(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
) -> Page[WebhookPublic]:
    """Your organisation's webhooks, oldest first, without their secrets."""
    result = service.list_webhooks(session, principal=principal, params=page)
    return page_response(request, response, result, WebhookPublic)


@router.get("/{webhook_id}", summary="Read a webhook", responses=ONE)
def read_webhook(row: Webhook) -> WebhookPublic:
    """One of your organisation's webhooks, without its secret."""
    return WebhookPublic.model_validate(row)


@router.patch("/{webhook_id}", summary="Change a webhook", responses=ONE)
def update_webhook(
    principal: ReadPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    row: Webhook,
    data: WebhookUpdate,
) -> WebhookPublic:
    """Change the URL, the event types, or turn deliveries off and on."""
    service.update_webhook(session, principal=principal, settings=settings, row=row, data=data)
    return WebhookPublic.model_validate(row)


@router.delete(
    "/{webhook_id}",
    summary="Delete a webhook",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ONE,
)
def delete_webhook(principal: ReadPrincipal, session: SessionDep, row: Webhook) -> None:
    """Stop deliveries for good; those queued are dropped with the delivery log."""
    service.delete_webhook(session, principal=principal, row=row)


@router.post("/{webhook_id}/rotate-secret", summary="Rotate a webhook's secret", responses=ONE)
def rotate_secret(principal: ReadPrincipal, session: SessionDep, row: Webhook) -> WebhookWithSecret:
    """A new signing secret, shown only here; the old one stops being used at once."""
    return WebhookWithSecret.model_validate(
        service.rotate_secret(session, principal=principal, row=row)
    )


@router.post(
    "/{webhook_id}/test",
    summary="Send a test event",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def test_webhook(session: SessionDep, row: Webhook) -> WebhookTestQueued:
    """Queue a `webhook.test` event; the worker sends it like any other, see the delivery log."""
    return WebhookTestQueued(webhook_id=service.queue_test(session, row=row).id)


@router.get("/{webhook_id}/deliveries", summary="List delivery attempts", responses=ONE)
def list_deliveries(
    session: SessionDep, request: Request, response: Response, row: Webhook, page: PageParamsDep
) -> Page[WebhookAttemptPublic]:
    """Each attempt at sending an event to this webhook, newest first: when, the answer's status
    code and latency, or why there was none."""
    result = service.list_attempts(session, row=row, params=page)
    items = [
        WebhookAttemptPublic.model_validate(attempt, update={"webhook_id": attempt.delivery_id})
        for attempt in result.items
    ]
    return page_response(
        request, response, Page(items=items, next_cursor=result.next_cursor), WebhookAttemptPublic
    )
