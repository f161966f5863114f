"""Domain errors and their RFC 9457 problem+json rendering.

Services raise the domain errors below and never HTTP errors; the handlers registered here turn
them, and every HTTP error Starlette or FastAPI raises, into `application/problem+json`.
"""

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.middleware import REQUEST_ID_HEADER, current_request_id

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    location: list[str | int] = Field(examples=[["body", "email"]])
    message: str = Field(examples=["Field required"])
    type: str = Field(examples=["missing"])


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["No record with this id."])
    instance: str | None = Field(default=None, examples=["/api/v1/users/0b9a"])
    request_id: str | None = Field(default=None, examples=["6f1c2b0de7a94f3c9b6c1f6d4f0d2e11"])
    errors: list[FieldError] | None = None
    allowed_next: list[str] | None = Field(
        default=None,
        description="For a refused step of a workflow: the steps the caller may take now.",
        examples=[["submit"]],
    )


class DomainError(Exception):
    """A rule of the service was not met; subclasses say which HTTP status conveys it."""

    status: ClassVar[int] = 400
    problem_type: ClassVar[str] = "about:blank"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def headers(self) -> dict[str, str]:
        return {}

    def field_errors(self) -> list["FieldError"] | None:
        return None


class NotFoundError(DomainError):
    status = 404


class ConflictError(DomainError):
    status = 409


class TransitionError(ConflictError):
    """A workflow step the record's state, or the caller's role, does not allow now."""

    def __init__(self, detail: str, *, allowed_next: Sequence[str]) -> None:
        super().__init__(detail)
        self.allowed_next = list(allowed_next)


class PreconditionFailedError(DomainError):
    """The caller's `If-Match` names a version that is no longer the current one."""

    status = 412


class InvalidInputError(DomainError):
    """Input the schema admits but a rule refuses; `field` names the culprit when there is one."""

    status = 422

    def __init__(self, detail: str, *, field: str | None = None, location: str = "body") -> None:
        super().__init__(detail)
        self.field = field
        self.location = location

    def field_errors(self) -> list[FieldError] | None:
        if self.field is None:
            return None
        return [
            FieldError(
                location=[self.location, self.field], message=self.detail, type="value_error"
            )
        ]


class AuthenticationError(DomainError):
    """The caller's credentials are missing, wrong or no longer valid."""

    status = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class PermissionDeniedError(DomainError):
    status = 403


class UnsupportedMediaTypeError(DomainError):
    """A body in a format the operation does not take (e.g. JSON where it takes CSV)."""

    status = 415


class ServiceUnavailableError(DomainError):
    status = 503


# A queue that was too long has usually drained by then.
BUSY_RETRY_AFTER_SECONDS = 1


class ServiceBusyError(ServiceUnavailableError):
    """More requests waited to be let in than the service could take in time."""

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}


def problem_response(
    request: Request,
    status: int,
    *,
    detail: str | None = None,
    problem_type: str = "about:blank",
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    allowed_next: Sequence[str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=problem_type,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=current_request_id(),
        errors=list(errors) if errors is not None else None,
        allowed_next=list(allowed_next) if allowed_next is not None else None,
    )
    response_headers = dict(headers or {})
    if problem.request_id:
        response_headers.setdefault(REQUEST_ID_HEADER, problem.request_id)
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        headers=response_headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems an operation can answer with."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    # Only where, what and why: the submitted value (`input`) and its context are left out so a
    # password or a testimony sent in the wrong field is never echoed back or logged.
    return [
        FieldError(location=list(error["loc"]), message=error["msg"], type=error["type"])
        for error in exc.errors()
    ]


async def _handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    return problem_response(
        request,
        422,
        detail="The request is not valid; see `errors`.",
        errors=_field_errors(exc),
    )


_HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path: Starlette's 405 names only one route's."""
    allowed = (
        method
        for method in _HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    )
    return ", ".join(allowed)


async def _handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(request, exc.status_code, detail=detail, headers=headers)


async def _handle_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)  # noqa: S101 - registered for this type only
    return problem_response(
        request,
        exc.status,
        detail=exc.detail,
        problem_type=exc.problem_type,
        errors=exc.field_errors(),
        headers=exc.headers(),
        allowed_next=exc.allowed_next if isinstance(exc, TransitionError) else None,
    )


# Long enough for a restarting database to come back; the pool then replaces the connections
# it finds dead (see `app.core.db`).
DATABASE_RETRY_AFTER_SECONDS = 2


async def _handle_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The engine leaves the statement's parameters out of the error: they may be personal data.
    logger.warning("database unavailable: %s", type(exc).__name__, exc_info=exc)
    return problem_response(
        request,
        503,
        detail="The database could not be reached or could not complete the request. Retry "
        "shortly: with If-Match, or the same Idempotency-Key, a retried write is safe.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


async def _handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(
        request, 500, detail="An unexpected error occurred; it has been logged."
    )


def document_unreadable_bodies(app: FastAPI) -> None:
    """Add the 400 FastAPI answers for a body it cannot read (e.g. not UTF-8) to every
    operation that takes one, so the schema lists every status the service can send."""
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build_schema()  # FastAPI keeps it as app.openapi_schema
        unreadable = {
            "description": "The body could not be read.",
            "content": problem_responses(400)[400]["content"],
        }
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if "requestBody" in operation:
                    operation["responses"].setdefault("400", unreadable)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    app.add_exception_handler(DomainError, _handle_domain_error)
    # A lost or refused connection, or no connection free in the pool in time.
    for unavailable in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.add_exception_handler(unavailable, _handle_database_unavailable)
    app.add_exception_handler(Exception, _handle_unexpected_error)
